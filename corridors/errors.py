"""Errors raised by Safer Corridors.

Every message says what is wrong, where (file, row, column), the value it got and the fix.
``cli.py`` catches :class:`CorridorsError` in one place and turns it into ``Error: ...``
with exit status 1 and no traceback.
"""

import errno


class CorridorsError(Exception):
    """Base class for all corridors errors."""


class InputDataError(CorridorsError, ValueError):
    """An input file cannot be used at all (missing, empty, wrong columns, wrong encoding)."""


class ConfigError(CorridorsError, ValueError):
    """The configuration file or a command-line option is invalid."""


class NetworkUnavailableError(CorridorsError):
    """An online source was asked for but the network cannot be reached."""


class PublishError(CorridorsError):
    """A week folder could not be written, checked or swapped in."""


class EmptyResultError(CorridorsError):
    """A stage produced nothing where something was required."""


_OS_ERROR_WHAT = {
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EROFS: "read-only file system",
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EFBIG: "file too large for this file system or process limit",
    errno.ENOTDIR: "a file is in the way of a folder",
    errno.EEXIST: "already exists (a file where a folder is needed?)",
    errno.EISDIR: "is a folder, not a file",
    errno.ENAMETOOLONG: "name too long",
    errno.ENOENT: "no such file or folder",
}


def describe_os_error(exc: OSError, path: object = None, *, hint: str = "") -> str:
    """
    Return a one-line message for an operating-system error: ``<path>: <what>; <hint>``.

    Examples
    --------
    >>> describe_os_error(OSError(errno.ENOSPC, "No space left on device"), "maps/x",
    ...                   hint="free some space")
    'maps/x: no space left on the device; free some space'
    """
    where = exc.filename if exc.filename is not None else path
    what = _OS_ERROR_WHAT.get(exc.errno or -1) or (exc.strerror or str(exc)).lower()
    return f"{where}: {what}" + (f"; {hint}" if hint else "")
