"""TOML values to the config's field types, with errors that name the setting."""

from __future__ import annotations

import dataclasses
import math
import os
import types
import typing
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from corridors.errors import ConfigError


def _build(cls: type[Any], data: Mapping[str, Any], where: str, base: Path) -> Any:
    if not isinstance(data, Mapping):
        raise ConfigError(f"[{where or 'top level'}] must be a table, got {data!r}")
    hints = typing.get_type_hints(cls)
    fields = {f.name for f in dataclasses.fields(cls)}
    unknown = set(data) - fields
    if unknown:
        raise ConfigError(
            f"unknown key(s) {sorted(unknown)} in [{where or 'top level'}]; "
            f"expected some of {sorted(fields - {'source_file', 'hotspots_method_auto'})}"
        )
    kwargs = {
        key: _convert(hints[key], value, f"{where}.{key}" if where else key, base)
        for key, value in data.items()
    }
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise ConfigError(f"[{where or 'top level'}]: {exc}") from exc


def _convert(tp: Any, value: Any, where: str, base: Path) -> Any:
    """Convert a TOML ``value`` to the field type ``tp``; ``where`` names it in errors."""
    origin = get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        members = [a for a in get_args(tp) if a is not type(None)]
        return None if value is None else _convert(members[0], value, where, base)
    if dataclasses.is_dataclass(tp):
        return _build(tp, value, where, base)  # type: ignore[arg-type]
    if origin is Literal:
        if value not in get_args(tp):
            raise ConfigError(f"{where} must be one of {list(get_args(tp))}, got {value!r}")
        return value
    if origin is tuple:
        return _convert_tuple(get_args(tp), value, where, base)
    if origin in (Mapping, dict) or tp is Mapping:
        return _convert_table(get_args(tp), value, where, base)
    if tp is Path:
        return _convert_path(value, where, base)
    scalar = _SCALARS.get(tp)
    return value if scalar is None else scalar(value, where)


def _convert_tuple(items: tuple[Any, ...], value: Any, where: str, base: Path) -> tuple[Any, ...]:
    if not isinstance(value, (list, tuple)):
        raise ConfigError(f"{where} must be a list, got {value!r}")
    if len(items) == 2 and items[1] is Ellipsis:
        return tuple(_convert(items[0], v, f"{where}[{i}]", base) for i, v in enumerate(value))
    if len(items) != len(value):
        raise ConfigError(f"{where} must have {len(items)} items, got {value!r}")
    return tuple(
        _convert(a, v, f"{where}[{i}]", base)
        for i, (a, v) in enumerate(zip(items, value, strict=True))
    )


def _convert_table(args: tuple[Any, ...], value: Any, where: str, base: Path) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where} must be a table, got {value!r}")
    vtype = args[1] if args else Any
    return {str(k): _convert(vtype, v, f"{where}.{k}", base) for k, v in value.items()}


def _convert_path(value: Any, where: str, base: Path) -> Path:
    """Return a path, relative ones read from the config file's folder."""
    if not isinstance(value, (str, Path)):
        raise ConfigError(f"{where} must be a path string, got {value!r}")
    p = Path(value).expanduser()
    return Path(os.path.normpath(p if p.is_absolute() else base / p))


def _convert_float(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{where} must be a number, got {value!r}")
    if not math.isfinite(value):
        raise ConfigError(f"{where} must be a finite number, got {value!r}")
    return float(value)


def _convert_int(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{where} must be a whole number, got {value!r}")
    return value


def _convert_bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{where} must be true or false, got {value!r}")
    return value


def _convert_str(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{where} must be a string, got {value!r}")
    return value


_SCALARS: dict[Any, Callable[[Any, str], Any]] = {
    float: _convert_float,
    int: _convert_int,
    bool: _convert_bool,
    str: _convert_str,
}
