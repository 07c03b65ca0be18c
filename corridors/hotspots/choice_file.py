"""Read and write the area's ``hotspots-choice.json``: the method ``corridors tune`` chose.

The file edge of :mod:`corridors.hotspots.choice` (written atomically through
:mod:`corridors.outputs`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from corridors.errors import ConfigError
from corridors.outputs import write_text
from corridors.week import HOTSPOTS_CHOICE_JSON as CHOICE_JSON

__all__ = ["CHOICE_JSON", "read_choice", "write_choice"]


def write_choice(choice: dict[str, Any], path: str | Path) -> Path:
    """Write a choice record (see :func:`corridors.hotspots.choice.choice_from_table`)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_text(path, json.dumps(choice, indent=2, default=str) + "\n")


def read_choice(path: str | Path) -> dict[str, Any] | None:
    """
    Read a choice record; None when the file does not exist.

    Raises
    ------
    ConfigError
        Naming the file when it cannot be read or is not a JSON object with a ``method``.
    """
    path = Path(path)
    if not path.exists():
        return None
    hint = "run `corridors tune` again or delete the file"
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(
            f"{path}: cannot read the recorded hotspot choice ({exc}); {hint}"
        ) from exc
    if not isinstance(doc, dict) or "method" not in doc:
        raise ConfigError(f"{path}: not a hotspot choice (a JSON object with 'method'); {hint}")
    return doc
