"""The whole config: :class:`Config`, read from one TOML file, checked, overridden, dumped."""

from __future__ import annotations

import dataclasses
import tomllib
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from corridors.config.convert import _build
from corridors.config.sections import (
    AreaConfig,
    EqualityConfig,
    GraphConfig,
    MapConfig,
    SourceConfig,
)
from corridors.config.stages import HotspotConfig, RosterConfig, RouteConfig, _group_roster_keys
from corridors.errors import ConfigError
from corridors.week import Window


@dataclass(frozen=True)
class Config:
    """Everything a run needs, as read from one TOML file."""

    area: AreaConfig = field(default_factory=AreaConfig)
    schools: tuple[SourceConfig, ...] = ()
    hubs: tuple[SourceConfig, ...] = ()
    incidents: tuple[SourceConfig, ...] = ()
    graph: GraphConfig = field(default_factory=GraphConfig)
    hotspots: HotspotConfig = field(default_factory=HotspotConfig)
    corridors: RouteConfig = field(default_factory=RouteConfig)
    roster: RosterConfig = field(default_factory=RosterConfig)
    maps: MapConfig = field(default_factory=MapConfig)
    equality: EqualityConfig | None = None
    """``[equality]``: equality monitoring in ``corridors evaluate``; None (no section): off."""
    source_file: Path | None = None
    hotspots_method_auto: bool = False
    """True when the TOML file names no ``[hotspots] method`` (or says ``"auto"``): ``plan``
    then uses the method ``corridors tune`` recorded for the area, else the default."""
    window: Window = field(default_factory=Window)
    """The after-school window (``[window]``); stages may narrow it (:meth:`stage_window`)."""

    def stage_window(self, stage: WindowStage) -> Window:
        """
        Return the window a stage uses: :attr:`window`, narrowed by the stage's own settings.

        ``hotspots``: ``[hotspots] window_start``, ``window_end``, ``weekdays`` (set from the
        window when the config is read) and school days only with ``exclude_holidays``;
        ``corridors``: ``[corridors] window_start``, ``window_end``; ``roster``:
        ``[roster] window_start``, ``window_end``, ``days``.

        Raises
        ------
        ConfigError
            If the stage's settings reach outside the window, naming both settings.

        Examples
        --------
        >>> cfg = config_from_dict({"window": {"end": "17:30"}, "roster": {"days": [0, 2]}})
        >>> str(cfg.stage_window("corridors")), str(cfg.stage_window("roster"))
        ('Mon,Tue,Wed,Thu,Fri 15:00-17:30', 'Mon,Wed 15:00-17:30')
        """
        section = getattr(self, stage)
        start, end, days = _STAGE_WINDOW_KEYS[stage]
        return self.window.narrow(
            start=getattr(section, start),
            end=getattr(section, end),
            weekdays=getattr(section, days) if days else None,
            school_days_only=self.hotspots.exclude_holidays if stage == "hotspots" else None,
            names=(f"{stage}.{start}", f"{stage}.{end}", f"{stage}.{days or 'weekdays'}"),
        )


WindowStage = Literal["hotspots", "corridors", "roster"]

# each stage's settings that narrow the window: (start, end, weekdays or "" for none)
_STAGE_WINDOW_KEYS: dict[str, tuple[str, str, str]] = {
    "hotspots": ("window_start", "window_end", "weekdays"),
    "corridors": ("window_start", "window_end", ""),
    "roster": ("window_start", "window_end", "days"),
}
_WINDOW_KEYS = ("start", "end", "weekdays")


def load_config(path: str | Path) -> Config:
    """
    Read a TOML config file.

    Parameters
    ----------
    path
        The TOML file. Relative paths inside it are resolved against its folder.

    Returns
    -------
    Config
        The validated configuration.

    Raises
    ------
    ConfigError
        If the file is missing, is not valid TOML, or holds unknown keys or bad values.
    """
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8-sig"))  # a BOM from an editor is fine
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: config file not found") from exc
    except IsADirectoryError as exc:
        raise ConfigError(f"{path}: is a folder; expected a TOML config file") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: config file is not UTF-8 text") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from exc
    return config_from_dict(raw, base_dir=path.resolve().parent, source_file=path.resolve())


def config_from_dict(
    raw: Mapping[str, Any], *, base_dir: Path | None = None, source_file: Path | None = None
) -> Config:
    """Build a :class:`Config` from a plain mapping (as parsed from TOML)."""
    base = base_dir or Path.cwd()
    data = _one_window(dict(raw))
    data["source_file"] = source_file
    if "hotspots_method_auto" in data:
        raise ConfigError(
            "unknown key 'hotspots_method_auto' at the top level; write "
            '[hotspots] method = "auto" to use the method `corridors tune` recorded'
        )
    data["hotspots_method_auto"] = _method_auto(data)
    # the flat [roster] keys of earlier configs go into their group ([roster.weights]...)
    if "roster" in data:
        data["roster"] = _group_roster_keys(data["roster"])
    cfg: Config = _build(Config, data, "", base)
    for stage in _STAGE_WINDOW_KEYS:
        cfg.stage_window(stage)  # type: ignore[arg-type]  # the keys are the WindowStage values
    return cfg


def _method_auto(data: dict[str, Any]) -> bool:
    """Whether ``[hotspots]`` names no method (or ``"auto"``; the key is then dropped)."""
    section = data.get("hotspots")
    if section is None:
        return True
    if not isinstance(section, Mapping) or section.get("method", "auto") != "auto":
        return False
    data["hotspots"] = {k: v for k, v in section.items() if k != "method"}
    return True


def _one_window(data: dict[str, Any]) -> dict[str, Any]:
    """
    Resolve the one after-school window in a raw config, and fill the stages' settings.

    ``[window]`` (``start``, ``end``, ``weekdays``) is the window; without it, ``[hotspots]
    window_start``, ``window_end`` and ``weekdays`` (where it used to be set) are. With it,
    those ``[hotspots]`` keys give way to it (a warning says so when they differ). The
    ``[corridors]`` and ``[roster]`` window settings a config leaves out are the window's;
    those it sets narrow it (checked by :meth:`Config.stage_window`).
    """
    window = data.get("window")
    hot = data.get("hotspots", {})
    if not isinstance(hot, Mapping):
        return data
    old_keys = zip(_WINDOW_KEYS, _STAGE_WINDOW_KEYS["hotspots"], strict=True)
    legacy = {w: hot[h] for w, h in old_keys if h in hot}
    if window is None:
        window = legacy
    elif not isinstance(window, Mapping):
        return data
    elif "school_days_only" in window:
        raise ConfigError(
            "window.school_days_only is not a [window] setting: set [hotspots] term_dates and "
            "exclude_holidays = true to count school days only"
        )
    else:
        _warn_overridden(legacy, window)
    data["window"] = dict(window)
    for stage, keys in _STAGE_WINDOW_KEYS.items():
        section = data.get(stage, {})
        if not isinstance(section, Mapping):
            continue
        if stage == "hotspots":  # the old place of the window: always the window itself
            filled = {
                k: window.get(w, getattr(Window(), w))
                for w, k in zip(_WINDOW_KEYS, keys, strict=True)
            }
        else:
            filled = {
                key: window[w]
                for w, key in zip(_WINDOW_KEYS, keys, strict=True)
                if key and w in window and key not in section
            }
        if filled:
            data[stage] = {**section, **filled}
    return data


def _warn_overridden(legacy: Mapping[str, Any], window: Mapping[str, Any]) -> None:
    """Warn when ``[hotspots]``' old window keys differ from ``[window]``, which wins."""
    default = Window()
    ignored = []
    for key, value in legacy.items():
        now = window.get(key, getattr(default, key))
        if _as_list(value) != _as_list(now):
            old = _STAGE_WINDOW_KEYS["hotspots"][_WINDOW_KEYS.index(key)]
            ignored.append(f"[hotspots] {old} = {value!r} is ignored ([window] {key} = {now!r})")
    if ignored:
        warnings.warn(
            "; ".join(ignored) + ": [window] is the after-school window; remove the "
            "[hotspots] keys",
            UserWarning,
            stacklevel=3,
        )


def _as_list(value: Any) -> Any:
    return list(value) if isinstance(value, (list, tuple)) else value


def override(cfg: Config, section: str, **values: Any) -> Config:
    """Return ``cfg`` with some values of one section replaced (``None`` values are ignored)."""
    values = {k: v for k, v in values.items() if v is not None}
    if not values:
        return cfg
    current = getattr(cfg, section)
    try:
        new = dataclasses.replace(current, **values)
    except TypeError as exc:
        raise ConfigError(f"[{section}]: {exc}") from exc
    return dataclasses.replace(cfg, **{section: new})


def config_to_dict(cfg: Any) -> Any:
    """Return a JSON-serialisable view of a config (for manifests)."""
    if dataclasses.is_dataclass(cfg) and not isinstance(cfg, type):
        return {f.name: config_to_dict(getattr(cfg, f.name)) for f in dataclasses.fields(cfg)}
    if isinstance(cfg, Path):
        return str(cfg)
    if isinstance(cfg, Mapping):
        return {str(k): config_to_dict(v) for k, v in cfg.items()}
    if isinstance(cfg, (tuple, list)):
        return [config_to_dict(v) for v in cfg]
    return cfg
