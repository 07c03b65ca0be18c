"""The embedded Rutland config, copied for a test: absolute data paths, its own output folders.

Also runs the real command line in a child process (``python -m corridors``), for tests that
kill it, limit it or drop its privileges.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "data" / "rutland.toml"


def config_copy(
    tmp_path: Path, out_dir: Path, cache_dir: Path, *, extra: str = "", name: str = "rutland"
) -> Path:
    """Write the embedded config with absolute data paths and the given output folders."""
    text = CONFIG.read_text(encoding="utf-8")
    for rel in ("osm/", "police/", "staff-example.csv"):
        text = text.replace(f'"{rel}', f'"{(ROOT / "data").as_posix()}/{rel}')
    text = text.replace('out_dir = "../maps"', f'out_dir = "{out_dir.as_posix()}"')
    text = text.replace('cache_dir = "../.cache/corridors"', f'cache_dir = "{cache_dir.as_posix()}"')
    text = text.replace('name = "rutland"', f'name = "{name}"')
    path = tmp_path / f"{name}.toml"
    path.write_text(text + extra, encoding="utf-8")
    return path


def cli_command(config: Path, *args: str, prefix: tuple[str, ...] = ()) -> list[str]:
    """The command line that runs ``corridors -q -c CONFIG ARGS`` in a child process."""
    return [*prefix, sys.executable, "-m", "corridors", "-q", "-c", str(config), *args]


def cli_env() -> dict[str, str]:
    """The child's environment: this checkout's package first, nothing else changed."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def run_cli(
    config: Path, *args: str, prefix: tuple[str, ...] = (), timeout: float = 300, **kw: object
) -> subprocess.CompletedProcess[str]:
    """Run the command line to the end and return its exit status and output."""
    return subprocess.run(
        cli_command(config, *args, prefix=prefix),
        capture_output=True,
        text=True,
        timeout=timeout,
        env=cli_env(),
        cwd=config.parent,
        **kw,  # type: ignore[arg-type]
    )
