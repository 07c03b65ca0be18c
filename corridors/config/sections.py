"""The plain sections of the config: sources, the area, the street graph, the maps."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from corridors.config.checks import _check_date_format, _check_timezone
from corridors.errors import ConfigError
from corridors.week import PlanWeek, check_slug

SourceFormat = Literal[
    "auto",
    "gias",
    "edubase",
    "osm",
    "csv",
    "geojson",
    "gpkg",
    "police-street",
    "police-stop-search",
]

_ISO_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


@dataclass(frozen=True)
class SourceConfig:
    """One input file (or folder) and how to read it.

    ``columns`` maps the tool's field names to the file's column names for generic CSVs:
    ``id``, ``name``, ``phase``, ``status``, ``kind``, ``offence``, ``datetime``, ``date``,
    ``time``, ``year``, ``month``, ``day``, ``hour``, ``minute``, ``lat``, ``lon``, ``x``,
    ``y``. Dates come from ``datetime``, or ``date`` (+ ``time``, or ``hour`` and
    ``minute``), or separate ``year``, ``month`` (number or name) and ``day`` columns (+
    ``hour``/``minute``; no day: month only), or ``month`` alone. ``lat``/``lon``/``x``/``y``
    also re-map the coordinate columns of the fixed formats (police, GIAS, EduBase), e.g. to
    undo swapped columns. ``date_format`` (strptime codes, e.g. ``"%d/%m/%Y %H:%M"`` or
    ``"%b-%y"``) is used for every date, datetime and month column of the source.
    ``geocode`` is a second CSV, row-aligned with ``path``, that holds the coordinates
    (``X``/``Y`` or the ``x``/``y`` columns of ``columns``, in ``crs``, British National Grid by
    default): the layout of the EduBase "Schools in England" subset with its geocodes.
    ``path`` may be a folder (a data.police.uk download: every ``*-street.csv`` below it) or a
    glob pattern such as ``police/*-street.csv.gz``.
    ``optional``: a source whose rows are all rejected is an error unless it is optional (then
    the run goes on without it, and says so).
    """

    path: Path
    format: SourceFormat = "auto"
    crs: str | None = None
    columns: Mapping[str, str] = field(default_factory=dict)
    encoding: str | None = None
    layer: str | None = None
    timezone: str | None = None
    date_format: str | None = None
    label: str | None = None
    geocode: Path | None = None
    optional: bool = False

    def __post_init__(self) -> None:
        if self.date_format is not None:
            _check_date_format(self.date_format, f"{self.path}: date_format")
        known = {
            "id", "name", "phase", "status", "kind", "offence", "datetime", "date", "time",
            "year", "month", "day", "hour", "minute", "lat", "lon", "x", "y",
        }  # fmt: skip
        unknown = set(self.columns) - known
        if unknown:
            raise ConfigError(
                f"source {self.path}: unknown column mapping key(s) {sorted(unknown)}; "
                f"expected some of {sorted(known)}"
            )
        if self.timezone is not None:
            _check_timezone(self.timezone, f"source {self.path}: timezone")

    @property
    def name(self) -> str:
        """Short name used in reports and rejects files."""
        return self.label or self.path.name


@dataclass(frozen=True)
class AreaConfig:
    """The area a plan covers.

    ``crs`` is ``"auto"`` (British National Grid in Great Britain, else the local UTM
    zone) or an explicit projected CRS such as ``"EPSG:27700"``. ``timezone`` is ``"auto"``
    (Europe/London in Great Britain, else the zone at the study area's centre, looked up
    offline; an error asks for it when that is at sea or the area spans zones) or an IANA
    name such as ``"America/New_York"``, which always wins. ``boundary`` is an
    optional polygon file; without it the study area is the bounds of the OSM file
    (or of the schools, buffered by ``buffer_m``). ``week`` is the ISO week planned
    (``"2022-W45"``) or ``"current"``.
    """

    name: str = "area"
    crs: str = "auto"
    timezone: str = "auto"
    boundary: Path | None = None
    buffer_m: float = 2000.0
    week: str = "current"
    lookback_weeks: int = 52

    def __post_init__(self) -> None:
        check_slug(self.name, "area.name")  # it names a folder under [maps] out_dir
        if self.timezone != "auto":
            _check_timezone(self.timezone, "area.timezone")
        m = _ISO_WEEK.match(self.week)
        if self.week != "current" and not m:
            raise ConfigError(
                f"area.week must look like '2022-W45' or be 'current', got {self.week!r}"
            )
        if m:
            year, week = int(m.group(1)), int(m.group(2))
            if not 1990 <= year <= 2100:
                raise ConfigError(
                    f"area.week {self.week!r}: the year must be between 1990 and 2100"
                )
            last = dt.date(year, 12, 28).isocalendar()[1]
            if not 1 <= week <= last:
                raise ConfigError(
                    f"area.week {self.week!r} does not exist: {year} has weeks 01 to {last:02d}"
                )
        if self.lookback_weeks <= 0:
            raise ConfigError(f"area.lookback_weeks must be > 0, got {self.lookback_weeks}")
        if self.buffer_m < 0:
            raise ConfigError(f"area.buffer_m must be >= 0 metres, got {self.buffer_m}")

    def plan_week(self, timezone: str = "UTC", today: dt.date | None = None) -> PlanWeek:
        """Return the planned week, with ``week = "current"`` read as of ``today``."""
        return PlanWeek.parse(
            self.week, timezone=timezone, lookback_weeks=self.lookback_weeks, today=today
        )

    def week_start(self, today: dt.date | None = None) -> dt.date:
        """Return the Monday of the planned ISO week."""
        return self.plan_week(today=today).start

    def iso_week(self, today: dt.date | None = None) -> str:
        """Return the planned week as ``YYYY-Www``."""
        return self.plan_week(today=today).iso


@dataclass(frozen=True)
class GraphConfig:
    """Where the walking street graph comes from and how it is cached.

    Exactly one of ``osm_file`` (offline: ``.osm``, ``.osm.bz2``, ``.osm.gz``, ``.osm.pbf``),
    ``place`` (online, a geocodable name) or ``point`` + ``dist_m`` (online) is used;
    ``osm_file`` wins when several are set.
    """

    osm_file: Path | None = None
    place: str | None = None
    point: tuple[float, float] | None = None  # (lat, lon)
    dist_m: float = 2000.0
    network_type: Literal["walk", "all"] = "walk"
    cache_dir: Path = Path(".cache/corridors")
    timeout_s: float = 30.0
    use_cache: bool = True
    retain_all: bool = False  # keep every connected piece, not just the largest
    clip_to_study_area: bool = True  # keep only segments with both ends in the study area
    clip_buffer_m: float = 500.0  # ... buffered by this much, so routes can leave it a little
    sidewalk_match_m: float = 20.0  # a pavement joins the nearest parallel street this close
    sidewalk_bearing_deg: float = 30.0  # ... whose bearing differs by at most this

    def __post_init__(self) -> None:
        if self.dist_m <= 0:
            raise ConfigError(f"graph.dist_m must be > 0 metres, got {self.dist_m}")
        if self.timeout_s <= 0:
            raise ConfigError(f"graph.timeout_s must be > 0 seconds, got {self.timeout_s}")
        if self.clip_buffer_m < 0:
            raise ConfigError(f"graph.clip_buffer_m must be >= 0 metres, got {self.clip_buffer_m}")
        if self.sidewalk_match_m < 0:
            raise ConfigError(
                f"graph.sidewalk_match_m must be >= 0 metres, got {self.sidewalk_match_m}"
            )
        if not 0 <= self.sidewalk_bearing_deg <= 90:
            raise ConfigError(
                f"graph.sidewalk_bearing_deg must be in [0, 90] degrees, got "
                f"{self.sidewalk_bearing_deg}"
            )
        if self.point is not None and not (
            -90 <= self.point[0] <= 90 and -180 <= self.point[1] <= 180
        ):
            raise ConfigError(f"graph.point must be (lat, lon) in degrees, got {self.point}")


@dataclass(frozen=True)
class MapConfig:
    """Map rendering and what the shared map may show.

    ``languages`` are codes of the shared notice's translation table
    (``corridors.maps.NOTICE_TEXT``: "en", "cy", "tr", "ar", "ur"); English is always included.
    ``simplify_m`` is the tolerance (metres, in the area's CRS) used to simplify lines before
    they are written into a page; ``heat_layer`` adds an (initially hidden) incident heat
    layer to the internal map. ``public_url`` is the shared page's public address (an
    ``http(s)://`` URL): the printed notices carry it as a QR code; unset (``""``), no QR.
    A plan with more corridors than ``split_internal_above`` gets an overview
    ``internal.html`` and a page per part of at most that many corridors
    (``internal/part-NN.html``, ``corridors.maps.parts``).
    """

    out_dir: Path = Path("maps")
    min_shared_count: int = 10
    show_names: bool = False
    languages: tuple[str, ...] = ("en",)
    contact: str = ""
    online_tiles: bool = True
    heat_layer: bool = True
    simplify_m: float = 2.0
    minimap: bool = True
    public_url: str = ""
    split_internal_above: int = 50

    def __post_init__(self) -> None:
        _check_public_url(self.public_url)
        if self.split_internal_above < 1:
            raise ConfigError(
                f"maps.split_internal_above must be >= 1 corridors, got {self.split_internal_above}"
            )
        if self.min_shared_count < 1:
            raise ConfigError(f"maps.min_shared_count must be >= 1, got {self.min_shared_count}")
        if "en" not in self.languages:
            raise ConfigError(
                f"maps.languages must include 'en' (English is required), got "
                f'{list(self.languages)}; add "en"'
            )
        bad = [code for code in self.languages if not re.fullmatch(r"[a-z]{2,3}", code)]
        if bad:
            raise ConfigError(
                f"maps.languages holds {bad}: use lower-case language codes such as 'cy' or 'tr'"
            )
        if self.simplify_m < 0:
            raise ConfigError(f"maps.simplify_m must be >= 0 metres, got {self.simplify_m}")


def _check_public_url(url: str) -> None:
    """
    Raise unless ``url`` is empty or an absolute http(s) address with a host.

    Examples
    --------
    >>> _check_public_url("https://example.org/rutland/shared.html")
    >>> _check_public_url("example.org")
    Traceback (most recent call last):
    ...
    corridors.errors.ConfigError: maps.public_url must be an http:// or https:// address ...
    """
    if not url:
        return
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in url):
        raise ConfigError(
            f"maps.public_url must be an http:// or https:// address with a host and no spaces, "
            f"got {url!r}; set [maps] public_url to the shared page's address, or leave it out "
            "(no QR code on the printed notice)"
        )


@dataclass(frozen=True)
class EqualityConfig:
    """Equality monitoring (``[equality]``): who is stopped, in the corridors and outside them.

    Only with this section does ``corridors evaluate`` read the personal columns of
    stop-and-search records (age range, ethnicity, gender, outcome); without it they are
    dropped at read time, as every other command does. ``k`` is the smallest count a table
    may show (smaller cells, and any cell that would let one be worked out from the totals,
    are suppressed). ``stops`` are data.police.uk stop-and-search files (default: the
    ``[[incidents]]`` sources with ``format = "police-stop-search"``). ``young_ages`` are the
    age ranges counted as under 18; ``reference`` is the ethnicity group the rate ratios
    compare with; ``corridor_m`` is how far (metres) from a patrol loop a stop counts as in
    the corridor.
    """

    k: int = 10
    stops: tuple[Path, ...] = ()
    young_ages: tuple[str, ...] = ("under 10", "10-17")
    reference: str = "White"
    corridor_m: float = 50.0

    def __post_init__(self) -> None:
        if self.k < 1:
            raise ConfigError(f"equality.k must be >= 1 (the smallest count shown), got {self.k}")
        if not self.young_ages:
            raise ConfigError('equality.young_ages must name at least one age range ("10-17")')
        if self.corridor_m < 0:
            raise ConfigError(f"equality.corridor_m must be >= 0 metres, got {self.corridor_m}")
