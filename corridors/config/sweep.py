"""Parameter sweeps (``[hotspots] sweep``, ``corridors tune --grid``): typed values."""

from __future__ import annotations

import dataclasses
import math
import re
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, get_args, get_origin

from corridors.config.stages import HotspotConfig
from corridors.errors import ConfigError

_TRUE = frozenset({"true", "yes", "1"})
_FALSE = frozenset({"false", "no", "0"})
_TIME_FIELDS = frozenset({"window_start", "window_end"})


def _sweep_kind(key: str) -> Any:
    """Return the type of HotspotConfig field ``key`` that a sweep may vary, or None."""
    tp = typing.get_type_hints(HotspotConfig)[key]
    if get_origin(tp) is Literal or tp in (bool, int, float, str):
        return tp
    return None


def _expected(key: str, tp: Any) -> str:
    if get_origin(tp) is Literal:
        return "one of " + ", ".join(str(a) for a in get_args(tp))
    if key in _TIME_FIELDS:
        return "a time of day, HH:MM"
    return {
        bool: "a boolean: true/false, yes/no or 1/0",
        int: "a whole number",
        float: "a number",
        str: "text",
    }[tp]


def sweep_value(key: str, value: Any, where: str) -> Any:
    """
    Return one sweep value as the type of the ``[hotspots]`` field ``key``.

    Text (from the command line) is parsed: booleans as true/false, yes/no or 1/0, whole
    numbers, numbers, times as ``HH:MM``, methods by name. Values that already have the
    field's type (from TOML) are kept (whole numbers for number fields become floats).

    Raises
    ------
    ConfigError
        Naming ``where`` (the key), the value and the type expected.

    Examples
    --------
    >>> sweep_value("train_all_hours", "no", "--grid train_all_hours")
    False
    >>> sweep_value("eps_m", "100", "--grid eps_m"), sweep_value("min_samples", 5, "x")
    (100.0, 5)
    """
    tp = _sweep_kind(key)
    if tp is None:
        raise ConfigError(f"{where}: {key!r} cannot be swept (only single values); set it instead")
    text = value.strip() if isinstance(value, str) else None
    if get_origin(tp) is Literal:
        parsed = text if text in get_args(tp) else None
    else:
        parser: _Parser = _PARSERS.get(tp, _parse_text)
        parsed = parser(value, text, key)
    if parsed is None:
        raise ConfigError(f"{where}: expected {_expected(key, tp)}, got {value!r}")
    return parsed


_Parser = Callable[[Any, "str | None", str], Any]


def _parse_bool(value: Any, text: str | None, key: str) -> bool | None:
    if isinstance(value, bool):
        return value
    if text is not None and text.lower() in _TRUE | _FALSE:
        return text.lower() in _TRUE
    return None


def _parse_int(value: Any, text: str | None, key: str) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if text is not None and re.fullmatch(r"[+-]?\d+", text):
        return int(text)
    return None


def _parse_float(value: Any, text: str | None, key: str) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
    elif text:
        try:
            number = float(text)
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def _parse_text(value: Any, text: str | None, key: str) -> str | None:
    """Text fields; the window's times must be ``HH:MM``."""
    if text is None:
        return None
    if key in _TIME_FIELDS and not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", text):
        return None
    return text


_PARSERS: dict[Any, _Parser] = {
    bool: _parse_bool,
    int: _parse_int,
    float: _parse_float,
}


def typed_sweep(sweep: Mapping[str, Any], where: str = "hotspots.sweep") -> dict[str, list[Any]]:
    """
    Return ``{field: [values]}`` with every value typed by its ``[hotspots]`` field.

    Raises
    ------
    ConfigError
        For an unknown field, an empty or non-list value, or a value of the wrong type.
    """
    allowed = {f.name for f in dataclasses.fields(HotspotConfig)} - {"sweep"}
    out: dict[str, list[Any]] = {}
    for key, values in sweep.items():
        if key not in allowed:
            raise ConfigError(f"{where}: unknown parameter {key!r}; use one of {sorted(allowed)}")
        if not isinstance(values, (list, tuple)) or not values:
            raise ConfigError(f"{where}.{key} must be a non-empty list of values, got {values!r}")
        out[key] = [sweep_value(key, v, f"{where}.{key}") for v in values]
    return out


def parse_grid(items: Sequence[str], flag: str = "--grid") -> dict[str, list[Any]]:
    """
    Parse command-line sweep items ``KEY=V1,V2`` into a typed sweep (see :func:`typed_sweep`).

    Examples
    --------
    >>> parse_grid(["eps_m=100,150", "train_all_hours=true,false", "window_start=15:00"])
    {'eps_m': [100.0, 150.0], 'train_all_hours': [True, False], 'window_start': ['15:00']}
    """
    allowed = {f.name for f in dataclasses.fields(HotspotConfig)} - {"sweep"}
    out: dict[str, list[Any]] = {}
    for item in items:
        key, sep, values = item.partition("=")
        key = key.strip()
        if not sep or not values.strip() or not key:
            raise ConfigError(f"{flag} {item!r}: expected KEY=V1,V2 (e.g. eps_m=100,150)")
        if key not in allowed:
            raise ConfigError(
                f"{flag} {item!r}: {key!r} is not a [hotspots] setting; "
                f"use one of {sorted(allowed)}"
            )
        out[key] = [sweep_value(key, v, f"{flag} {key}") for v in values.split(",")]
    return out
