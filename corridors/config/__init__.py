"""Configuration: one TOML file per area, frozen dataclasses per stage.

The TOML file has one table per stage (``[area]``, ``[graph]``, ``[hotspots]``,
``[corridors]``, ``[roster]``, ``[maps]``), the after-school ``[window]`` they share, and
arrays of tables for the sources (``[[schools]]``, ``[[hubs]]``, ``[[incidents]]``).
Relative paths are resolved against the folder of the config file. Unknown keys are errors
(a typo must not be silently ignored). Command-line flags override values through
:func:`override`.

Which file holds what
---------------------
- ``file.py``: :class:`Config`, :func:`load_config`, :func:`config_from_dict` (the one
  window, the roster's key groups), :func:`override`, :func:`config_to_dict`;
- ``sections.py``: the sources, ``[area]``, ``[graph]``, ``[maps]``;
- ``stages.py``: ``[hotspots]``, ``[corridors]``, ``[roster]`` with ``[roster.weights]`` and
  ``[roster.solver]``;
- ``convert.py``: TOML values to field types, errors naming the setting;
- ``sweep.py``: typed parameter sweeps (``[hotspots] sweep``, ``tune --grid``);
- ``checks.py``: field checks shared by the sections.

Examples
--------
>>> cfg = load_config("data/rutland.toml")
>>> cfg.area.name
'rutland'
"""

from corridors.config.file import (
    Config,
    WindowStage,
    config_from_dict,
    config_to_dict,
    load_config,
    override,
)
from corridors.config.sections import (
    AreaConfig,
    EqualityConfig,
    GraphConfig,
    MapConfig,
    SourceConfig,
    SourceFormat,
)
from corridors.config.stages import (
    AGENCIES,
    AIMS,
    HotspotConfig,
    RosterConfig,
    RosterWeights,
    RouteConfig,
    SolverParams,
)
from corridors.config.sweep import parse_grid, sweep_value, typed_sweep

__all__ = [
    "AGENCIES",
    "AIMS",
    "AreaConfig",
    "Config",
    "EqualityConfig",
    "GraphConfig",
    "HotspotConfig",
    "MapConfig",
    "RosterConfig",
    "RosterWeights",
    "RouteConfig",
    "SolverParams",
    "SourceConfig",
    "SourceFormat",
    "WindowStage",
    "config_from_dict",
    "config_to_dict",
    "load_config",
    "override",
    "parse_grid",
    "sweep_value",
    "typed_sweep",
]
