"""Errors raised by Safer Corridors.

Every message says what is wrong, where (file, row, column), the value it got and the fix.
``cli.py`` catches :class:`CorridorsError` in one place and turns it into ``Error: ...``
with exit status 1 and no traceback.
"""


class CorridorsError(Exception):
    """Base class for all corridors errors."""


class InputDataError(CorridorsError, ValueError):
    """An input file cannot be used at all (missing, empty, wrong columns, wrong encoding)."""


class ConfigError(CorridorsError, ValueError):
    """The configuration file or a command-line option is invalid."""


class NetworkUnavailableError(CorridorsError):
    """An online source was asked for but the network cannot be reached."""


class NoRouteError(CorridorsError):
    """No walking route exists where one is needed."""


class EmptyResultError(CorridorsError):
    """A stage produced nothing where something was required."""


class InfeasibleError(CorridorsError):
    """A solver could not satisfy the hard rules."""
