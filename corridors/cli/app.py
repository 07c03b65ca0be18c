"""The ``corridors`` command group: options, the run state, errors as one line, progress."""

from __future__ import annotations

import functools
import logging
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click

from corridors import __version__
from corridors.config import (
    Config,
    load_config,
    override,
)
from corridors.errors import CorridorsError, describe_os_error

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_CONFIG = "corridors.toml"
CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def _handle_errors(func: F) -> F:
    """Turn every CorridorsError (and file-system fault) into ``Error: ...``, exit status 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except CorridorsError as exc:
            raise click.ClickException(str(exc)) from exc
        except OSError as exc:  # a fault no stage turned into a CorridorsError
            raise click.ClickException(
                describe_os_error(exc, hint="check the path, its permissions and free space")
            ) from exc

    return wrapper  # type: ignore[return-value]


class _State:
    def __init__(self, config_path: Path | None) -> None:
        self.config_path = config_path
        self._cfg: Config | None = None

    def config(self) -> Config:
        if self._cfg is None:
            path = self.config_path
            if path is None:
                path = Path(os.environ.get("CORRIDORS_CONFIG", DEFAULT_CONFIG))
                if not path.exists():
                    raise CorridorsError(
                        f"no config file: {path} does not exist. Pass one with --config "
                        "(the embedded default area is data/rutland.toml)"
                    )
            cfg = load_config(path)
            self._cfg = override(cfg, "area", week=cfg.area.iso_week())  # one week per run
        return self._cfg


pass_state = click.make_pass_decorator(_State)


@contextmanager
def _progress_bar(label: str) -> Iterator[Callable[[str, int, int], None] | None]:
    """Yield a progress callback drawing a bar on a terminal, or None when not a terminal."""
    if not sys.stderr.isatty():
        yield None
        return
    bars: dict[str, Any] = {}

    def update(stage: str, done: int, total: int) -> None:
        bar = bars.get(stage)
        if bar is None:
            bar = click.progressbar(length=total, label=f"{label}: {stage}", file=sys.stderr)
            bar.__enter__()
            bars[stage] = bar
        bar.update(done - bar.pos)

    try:
        yield update
    finally:
        for bar in bars.values():
            bar.__exit__(None, None, None)


@click.group(context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, prog_name="corridors")
@click.option(
    "-c",
    "--config",
    "config_path",
    type=click.Path(path_type=Path),  # load_config says what is wrong (missing, a folder...)
    help="The area's TOML config file (default: ./corridors.toml or $CORRIDORS_CONFIG).",
)
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.option("-q", "--quiet", is_flag=True, help="Only warnings and errors.")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None, verbose: int, quiet: bool) -> None:
    """Plan after-school patrol corridors around schools.

    \b
    Quick start on the embedded default area (Rutland):
      corridors -c data/rutland.toml validate
      corridors -c data/rutland.toml plan
    """
    level = logging.WARNING if quiet else (logging.DEBUG if verbose > 1 else logging.INFO)
    logging.basicConfig(
        level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    if verbose < 2:
        for noisy in ("osmnx", "matplotlib", "fontTools", "PIL", "numba", "pyogrio"):
            logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
    logging.captureWarnings(True)
    ctx.obj = _State(config_path)
