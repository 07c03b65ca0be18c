"""The ``corridors`` command line: a thin layer over the stages and the pipeline.

- ``app``: the command group, its options, the run state, one-line errors, progress;
- ``data``: ``validate``, ``init``, ``graph``;
- ``tuning``: ``hotspots``, ``tune``;
- ``week``: ``plan``, ``roster``, ``verify``, ``screenshots``;
- ``notice``: ``notice`` (the printed notices of a planned week).
- ``evaluation``: ``evaluate``.
"""

from __future__ import annotations

import signal
from typing import Any

from corridors.cli import data, evaluation, notice, tuning, week  # noqa: F401  (registers the commands)
from corridors.cli.app import DEFAULT_CONFIG, cli
from corridors.cli.tuning import GRAPH_METHODS, TUNE_METHODS

__all__ = ["DEFAULT_CONFIG", "GRAPH_METHODS", "TUNE_METHODS", "cli", "main"]


def main() -> None:  # pragma: no cover - console entry point
    """Run the CLI; SIGTERM unwinds like Ctrl-C, so a stopped run removes its staging."""

    def _stop(signum: int, _frame: Any) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, _stop)
    cli()
