"""A starting config for a new area, from the files a team has (``corridors init``).

Every file is read the way a plan reads it (formats sniffed, rows validated), then what was
found is written down as a TOML config with each guess marked ``# guessed``: the projected
CRS and time zone chosen from the data's location, the school phases found (secondary-like
ones included), an offence-weights table that maps the offence names found onto the built-in
youth-relevant groups where the words allow, and the week after the data end.

Examples
--------
>>> from pathlib import Path
>>> found = survey(osm=Path("data/osm/rutland-2022-07-20.osm.pbf"),
...                incidents=[Path("data/police/leicestershire-street-rutland.csv.gz")])
>>> found.crs, found.timezone, found.week
('EPSG:27700', 'Europe/London', '2022-W45')
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from corridors import hotspots, load
from corridors.config import AreaConfig, Config, GraphConfig, RouteConfig, SourceConfig
from corridors.errors import ConfigError, InputDataError
from corridors.outputs import write_text
from corridors.week import check_slug

logger = logging.getLogger(__name__)

#: Words in an offence name -> the built-in group whose weight it takes (first match wins).
OFFENCE_WORDS: tuple[tuple[str, str], ...] = (
    (r"weapon|firearm|knife|gun|blade|armed", "Possession of weapons"),
    (r"robbery|mugging|hold.?up", "Robbery"),
    (
        r"assault|batter|violen|homicide|murder|manslaughter|wound|harass|threat|"
        r"sex|rape|stab|shoot|fight|affray",
        "Violence and sexual offences",
    ),
    (r"pickpocket|snatch|theft from (the )?person|larceny from person", "Theft from the person"),
    (r"drug|narcotic|cannabis|marijuana|controlled substance", "Drugs"),
    (r"disorder|public order|breach of the peace|disturb", "Public order"),
    (r"anti.?social|nuisance|loiter|trespass", "Anti-social behaviour"),
)


@dataclass(frozen=True)
class Survey:
    """What a team's files hold, as a plan would read them."""

    name: str
    crs: str
    timezone: str
    week: str
    inputs: load.Inputs
    phases: dict[str, int]
    offences: dict[str, int]
    offence_map: dict[str, str]  # offence name found -> built-in group (guessed)
    data_end: str | None  # last month with incidents, "YYYY-MM"
    timed: int = 0  # incidents with a time of day (the others are month-only or date-only)


def survey(
    *,
    osm: Path | None = None,
    schools: Sequence[Path] = (),
    incidents: Sequence[Path] = (),
    name: str | None = None,
    columns: Mapping[str, str] | None = None,
) -> Survey:
    """
    Read the files with sniffed formats and return what they hold.

    Parameters
    ----------
    osm
        An OSM extract of the area (``.osm.pbf``...): streets, and schools and transport hubs
        when no schools file is given.
    schools, incidents
        Files or folders (a data.police.uk download folder for incidents).
    name
        The area's name (a slug); default: from the OSM file's or first school file's name.
    columns
        Column mapping of the incident files (``{"offence": "text_general_code"}``), for
        files whose columns are not found by their names (see ``SourceConfig``).

    Raises
    ------
    ConfigError
        If nothing to survey was given.
    corridors.errors.InputDataError
        If a file cannot be used at all.
    """
    if osm is None and not schools:
        raise ConfigError("init: give --osm (streets, schools, hubs) or --schools, or both")
    area_name = check_slug(name or _slug_of(osm or schools[0]), "--name")
    school_sources = tuple(SourceConfig(path=p.resolve()) for p in schools)
    if not school_sources and osm is not None:
        school_sources = (SourceConfig(path=osm.resolve(), format="osm"),)
    cfg = Config(
        area=AreaConfig(name=area_name, crs="auto", timezone="auto"),
        schools=school_sources,
        hubs=(SourceConfig(path=osm.resolve(), format="osm"),) if osm is not None else (),
        incidents=tuple(
            SourceConfig(path=p.resolve(), columns=dict(columns or {})) for p in incidents
        ),
        graph=GraphConfig(osm_file=osm.resolve() if osm is not None else None),
    )
    try:
        inputs = load.load_inputs(cfg)
    except InputDataError as exc:
        raise _with_init_hint(exc, incidents) from exc
    phases = _counts(inputs.schools.get(load.PHASE))
    offences = _counts(inputs.incidents.get(load.OFFENCE))
    months = inputs.incidents.get(load.MONTH)
    data_end = None
    if months is not None and len(months) > 0:
        data_end = str(months.dropna().astype(str).max())
    return Survey(
        name=area_name,
        crs=inputs.crs,
        timezone=inputs.timezone,
        week=_week_after(data_end),
        inputs=inputs,
        phases=phases,
        offences=offences,
        offence_map=map_offences(offences),
        data_end=data_end,
        timed=int(inputs.incidents[load.TIME_KNOWN].sum()) if len(inputs.incidents) else 0,
    )


def _with_init_hint(exc: InputDataError, incidents: Sequence[Path]) -> InputDataError:
    """Return a column-mapping error about an incident file, with how to map it in init.

    The loader's messages say what to set in the config's source (``columns = {offence =
    ...}``, ``columns.datetime``); ``init`` has no config yet, so it takes them as
    ``--columns KEY=COLUMN``.
    """
    text = str(exc)
    names = {p.name for p in incidents}
    key = re.search(r"columns(?:\.| = \{ ?)([a-z]+)", text)
    if key is None or not any(text.startswith(f"{n}:") for n in names):
        return exc
    return InputDataError(
        f"{text}; to corridors init, give the mapping as --columns KEY=COLUMN (repeatable), "
        f"e.g. --columns {key.group(1)}=<column>"
    )


def map_offences(offences: Mapping[str, int]) -> dict[str, str]:
    """
    Map offence names onto the built-in weighted groups where the words allow.

    Names that already are built-in groups are left out (they are weighted as they are).

    Examples
    --------
    >>> map_offences({"AGGRAVATED ASSAULT": 3, "Robbery": 2, "BURGLARY": 1, "Weapons Law": 1})
    {'AGGRAVATED ASSAULT': 'Violence and sexual offences', 'Weapons Law': 'Possession of weapons'}
    """
    found = {}
    for offence in offences:
        if offence in hotspots.DEFAULT_OFFENCE_WEIGHTS:
            continue
        for pattern, group in OFFENCE_WORDS:
            if re.search(pattern, offence, flags=re.IGNORECASE):
                found[offence] = group
                break
    return found


def render_config(
    found: Survey,
    *,
    base: Path,
    osm: Path | None,
    schools: Sequence[Path],
    incidents: Sequence[Path],
    staff: Path | None,
    columns: Mapping[str, str] | None = None,
) -> str:
    """Return the starting config as TOML text; paths relative to ``base`` where they can be."""
    default_phases = RouteConfig().phases
    include = [p for p in found.phases if p in default_phases]
    lines = [
        f"# Safer Corridors: a starting config for {found.name!r}, written by `corridors init`.",
        "# Every line marked `# guessed` is the tool's reading of your files: check it.",
        "",
        "[area]",
        f"name = {_q(found.name)}",
        _guess(f"crs = {_q(found.crs)}", "from where the data are"),
        _guess(f"timezone = {_q(found.timezone)}", "from where the data are"),
        _guess(
            f"week = {_q(found.week)}",
            "the week after the data end" + (f" ({found.data_end})" if found.data_end else ""),
        ),
        "lookback_weeks = 52",
        "",
        "[window]   # the after-school window, local time (0 = Monday); stages may narrow it",
        'start = "15:00"',
        'end = "18:00"',
        "weekdays = [0, 1, 2, 3, 4]",
        "",
    ]
    if osm is not None:
        lines += [
            "[graph]",
            f"osm_file = {_q(_rel(osm, base))}",
            'cache_dir = ".cache/corridors"   # the street graph cache, beside this file',
            "",
        ]
    for p in schools or ([osm] if osm is not None else []):
        fmt = "osm" if p == osm else _format(found, "schools", p)
        lines += ["[[schools]]", f"path = {_q(_rel(p, base))}", f"format = {_q(fmt)}", ""]
    if osm is not None:
        lines += ["[[hubs]]", f"path = {_q(_rel(osm, base))}", 'format = "osm"', ""]
    for p in incidents:
        fmt = _format(found, "incidents", p)
        lines += ["[[incidents]]", f"path = {_q(_rel(p, base))}", f"format = {_q(fmt)}"]
        if columns:
            pairs = ", ".join(f"{k} = {_q(v)}" for k, v in columns.items())
            lines += [f"columns = {{ {pairs} }}"]
        lines += [""]
    lines += ["[hotspots]"]
    lines += _offence_lines(found)
    lines += ["", "[corridors]"]
    lines += [_comment(f"# school phases found: {counts_text(found.phases) or 'none'}")]
    if include:
        lines += [f"phases = {_list(include)}   # guessed: the secondary-age phases found"]
    else:
        lines += [
            f"phases = {_list(list(found.phases)[:1])}   # guessed: no secondary-like phase was "
            "found; list the phases whose pupils walk home alone"
        ]
    lines += ["", "[roster]"]
    lines += (
        [f"staff = {_q(_rel(staff, base))}"]
        if staff is not None
        else ['# staff = "staff.csv"   # optional: people, agencies, availability']
    )
    lines += [
        "# [roster.weights]   # the objective's weights, e.g. fill = 1000, familiar = 50",
        "# [roster.solver]    # the solver's limits, e.g. seconds = 5.0, gap_limit = 0.005",
    ]
    lines += [
        "",
        "[maps]",
        'out_dir = "maps"',
        'contact = ""   # who parents can call: shown on the shared page',
        "",
    ]
    return "\n".join(lines)


def write_config(path: Path, text: str, *, force: bool = False) -> Path:
    """Write the config; refuse to overwrite an existing file unless ``force``."""
    if path.exists() and not force:
        raise ConfigError(f"{path}: already exists; pass --force to replace it or choose --out")
    return write_text(path, text)


# -- helpers ---------------------------------------------------------------------------------


def _counts(series: pd.Series | None) -> dict[str, int]:
    if series is None or not len(series):
        return {}
    counts = series.astype("string").fillna("unknown").value_counts()
    return {str(k): int(v) for k, v in counts.items()}


def counts_text(counts: Mapping[str, int], n: int = 12) -> str:
    """
    Return ``name (count)`` pairs, the first ``n`` of them.

    Examples
    --------
    >>> counts_text({"primary": 16, "secondary": 4}, n=1)
    'primary (16) ...'
    """
    items = [f"{k} ({v:,})" for k, v in list(counts.items())[:n]]
    return ", ".join(items) + (" ..." if len(counts) > n else "")


def _offence_lines(found: Survey) -> list[str]:
    lines = [_comment(f"# offence names found: {counts_text(found.offences) or 'none'}")]
    known = [o for o in found.offences if o in hotspots.DEFAULT_OFFENCE_WEIGHTS]
    if known:
        lines.append(_comment(f"# weighted by the built-in table already: {', '.join(known)}"))
    unweighted = [o for o in found.offences if o not in known and o not in found.offence_map]
    if unweighted:
        more = f" ... ({len(unweighted) - 12} more)" if len(unweighted) > 12 else ""
        lines.append(
            _comment(
                f"# not weighted (other_weight = 0: left out): {', '.join(unweighted[:12])}"
                f"{more}; add them to offence_weights to count them"
            )
        )
    if found.offence_map:
        # a table of its own: TOML 1.0 inline tables must fit on one line, and a table has
        # room for a comment per offence
        width = max(len(_q(o)) for o in found.offence_map) + 8
        lines += [
            "# other [hotspots] keys (method, bandwidth_m, ...) go here, above the table",
            "",
            "[hotspots.offence_weights]   # guessed from the words: check each",
        ]
        for offence, group in found.offence_map.items():
            weight = hotspots.DEFAULT_OFFENCE_WEIGHTS[group]
            lines.append(f"{f'{_q(offence)} = {weight}':<{width}} # like {group!r}")
    elif not known and found.offences:
        lines += [
            "# no offence name matched a youth-relevant group: weigh them yourself, e.g.",
            '# offence_weights = { "Assault" = 1.0 }   or   other_weight = 1.0',
        ]
    return lines


def _format(found: Survey, kind: str, path: Path) -> str:
    for rep in found.inputs.reports:
        if rep.kind == kind and Path(rep.path).resolve() == path.resolve() and rep.format:
            return rep.format
    return "auto"


def _week_after(month: str | None) -> str:
    """Return the ISO week that starts on or after the first day after ``month`` ends."""
    if not month:
        today = dt.date.today()
        year, week, _ = today.isocalendar()
        return f"{year}-W{week:02d}"
    return load.first_week_after(month)


def _guess(line: str, why: str) -> str:
    return f"{line:<34}# guessed: {why}"


def _slug_of(path: Path) -> str:
    """Name an area from its file: ``rutland-2022-07-20.osm.pbf`` -> ``rutland``."""
    stem = unicodedata.normalize("NFKD", path.name.split(".")[0])
    stem = "".join(c for c in stem if not unicodedata.combining(c))
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", stem)
    slug = re.sub(r"([-_](latest|\d{4}(-\d{2}){0,2}|\d{6,8}))+$", "", slug)
    return slug.strip("-_")[:64] or "area"


def _rel(path: Path, base: Path) -> str:
    path = path.resolve()
    try:
        return path.relative_to(base.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _comment(text: str) -> str:
    """Return a TOML comment line: control characters (a line break) become spaces."""
    return re.sub(r"[\x00-\x08\x0a-\x1f\x7f\x85\u2028\u2029]", " ", text)


def _q(value: str) -> str:
    """Return a TOML basic string (JSON's escapes are valid TOML)."""
    return json.dumps(value, ensure_ascii=False)


def _list(values: Sequence[str]) -> str:
    return "[" + ", ".join(_q(v) for v in values) + "]"
