"""The planned week and its folder: values fixed once per run and passed to every stage.

- :class:`PlanWeek`: the ISO week a run plans (its Monday, the area's time zone, the
  look-back), resolved once at the start, so a run that crosses midnight on Sunday still
  plans one week and nothing downstream calls ``today()``.
- :class:`Window`: the after-school window (local start and end times, weekdays, and
  whether only school days count), the one rule every stage selects incidents by; a stage
  may only narrow it (:meth:`Window.narrow`).
- :class:`WeekFolder`: every path of one week under ``[maps] out_dir`` (the week folder, its
  manifest, the area's history, lock and staging folders, the index), each checked to stay
  under ``out_dir``; the one place these paths are built.

Examples
--------
>>> week = PlanWeek.parse("2022-W45", timezone="Europe/London", lookback_weeks=52)
>>> week.start, week.end, str(week.previous())
(datetime.date(2022, 11, 7), datetime.date(2022, 11, 13), '2022-W44')
>>> window = Window("15:00", "18:00")
>>> str(window), str(window.narrow(start="15:30", weekdays=(0, 2), names=("a", "b", "c")))
('Mon,Tue,Wed,Thu,Fri 15:00-18:00', 'Mon,Wed 15:30-18:00')
>>> folder = WeekFolder(Path("maps"), "rutland", "2022-W45")
>>> folder.path.as_posix(), folder.manifest.name, folder.history.as_posix()
('maps/rutland/2022-W45', 'manifest.json', 'maps/rutland/plans.gpkg')
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from corridors.errors import ConfigError

MANIFEST_JSON = "manifest.json"
LOCK_FILE = ".lock"
HISTORY_GPKG = "plans.gpkg"
INDEX_HTML = "index.html"
HOTSPOTS_CHOICE_JSON = "hotspots-choice.json"

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
WEEKDAYS = (0, 1, 2, 3, 4)
_HHMM = re.compile(r"([01]\d|2[0-3]):[0-5]\d")
_SLUG = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
WEEK_RE = re.compile(r"(\d{4})-W(\d{2})")


def check_slug(value: str, what: str) -> str:
    """
    Return ``value`` if it is a safe folder name (letters, digits, ``-``, ``_``).

    Raises
    ------
    ConfigError
        For anything else: ``..``, separators, dots, spaces, empty or over 64 characters.

    Examples
    --------
    >>> check_slug("city-of-london", "area.name")
    'city-of-london'
    >>> check_slug("..", "area.name")
    Traceback (most recent call last):
    ...
    corridors.errors.ConfigError: area.name must be a slug (letters, digits, '-' or '_', \
starting with a letter or digit, at most 64 characters), got '..'
    """
    if not isinstance(value, str) or not _SLUG.fullmatch(value):
        raise ConfigError(
            f"{what} must be a slug (letters, digits, '-' or '_', starting with a letter or "
            f"digit, at most 64 characters), got {value!r}"
        )
    return value


def area_dir(out_dir: str | Path, area: str) -> Path:
    """Return ``<out_dir>/<area>``, checked to stay under ``out_dir``."""
    return _child(out_dir, check_slug(area, "area.name"))


def week_dir(out_dir: str | Path, area: str, week: str) -> Path:
    """Return ``<out_dir>/<area>/<week>``, checked to stay under ``out_dir``."""
    if not WEEK_RE.fullmatch(week):
        raise ConfigError(f"week must look like '2022-W45', got {week!r}")
    return _child(out_dir, check_slug(area, "area.name"), week)


def _child(root: str | Path, *names: str) -> Path:
    base = Path(root)
    path = base.joinpath(*names)
    resolved_root = base.resolve()
    if not path.resolve().is_relative_to(resolved_root):
        raise ConfigError(f"{path}: resolves outside the output folder {resolved_root}")
    return path


def staging_name(week: str, run_id: str) -> str:
    """Return the name of the folder a run builds ``week`` in, beside the published one."""
    return f".{week}.staging-{run_id}"


def pending_history_name(run_id: str) -> str:
    """Return the name of the history file a run writes before its week is swapped in."""
    return f".plans.{run_id}.pending.gpkg"


@dataclass(frozen=True)
class PlanWeek:
    """The ISO week a run plans, fixed once per run."""

    iso: str
    """``YYYY-Www``."""
    start: dt.date
    """Its Monday."""
    timezone: str = "UTC"
    """The area's IANA time zone (incident times are read in it)."""
    lookback_weeks: int = 52
    """How many weeks of incidents before :attr:`start` the stages learn from."""

    @classmethod
    def parse(
        cls,
        week: str,
        *,
        timezone: str = "UTC",
        lookback_weeks: int = 52,
        today: dt.date | None = None,
    ) -> PlanWeek:
        """
        Fix ``week`` (``"2022-W45"`` or ``"current"``, this week as of ``today``).

        Raises
        ------
        ConfigError
            If ``week`` is neither.
        """
        if week == "current":
            day = today or dt.date.today()
            start = day - dt.timedelta(days=day.weekday())
        else:
            m = WEEK_RE.fullmatch(week)
            if m is None:
                raise ConfigError(f"week must look like '2022-W45' or be 'current', got {week!r}")
            try:
                start = dt.date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
            except ValueError as exc:
                raise ConfigError(f"week {week!r} does not exist ({exc})") from exc
        return cls(_iso(start), start, timezone, lookback_weeks)

    @property
    def end(self) -> dt.date:
        """Its Sunday."""
        return self.start + dt.timedelta(days=6)

    @property
    def lookback_start(self) -> dt.date:
        """The first day of the look-back period."""
        return self.start - dt.timedelta(weeks=self.lookback_weeks)

    def previous(self) -> PlanWeek:
        """Return the week before."""
        start = self.start - dt.timedelta(weeks=1)
        return PlanWeek(_iso(start), start, self.timezone, self.lookback_weeks)

    @classmethod
    def starting(cls, start: dt.date, *, timezone: str, lookback_weeks: int) -> PlanWeek:
        """
        Return the period that starts on ``start`` (a backtest fold's test period).

        ``start`` is a Monday for weeks; a backtest by months starts on the 1st, and the
        look-back then ends the day before it.
        """
        return cls(_iso(start), start, timezone, lookback_weeks)

    def __str__(self) -> str:
        return self.iso


def hhmm_minutes(text: str) -> int:
    """
    Return the minutes after midnight of an ``HH:MM`` time.

    >>> hhmm_minutes("15:20")
    920
    """
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def minutes_hhmm(minute: int) -> str:
    """
    Return ``HH:MM`` for a number of minutes after midnight.

    >>> minutes_hhmm(920)
    '15:20'
    """
    return f"{minute // 60:02d}:{minute % 60:02d}"


@dataclass(frozen=True)
class Window:
    """The after-school window: local times ``[start, end)`` on ``weekdays``.

    ``[window]`` in the config (``start``, ``end``, ``weekdays``: 0 = Monday). Stages may
    narrow it (:meth:`narrow`), never widen it. ``school_days_only``: only school days
    count (the hotspots stage narrows to them with ``[hotspots] exclude_holidays``; the
    selection applies it when it is given a school calendar).
    """

    start: str = "15:00"
    end: str = "18:00"
    weekdays: tuple[int, ...] = WEEKDAYS
    school_days_only: bool = False

    def __post_init__(self) -> None:
        for name in ("start", "end"):
            value = getattr(self, name)
            if not isinstance(value, str) or not _HHMM.fullmatch(value):
                raise ConfigError(f"window.{name} must be a time 'HH:MM', got {value!r}")
        if self.end_minute <= self.start_minute:
            raise ConfigError(f"window.end ({self.end}) must be after window.start ({self.start})")
        days = tuple(self.weekdays)
        if not days or any(d not in range(7) for d in days):
            raise ConfigError(f"window.weekdays must be 0 (Mon) .. 6 (Sun), got {self.weekdays}")
        object.__setattr__(self, "weekdays", days)

    @property
    def start_minute(self) -> int:
        """:attr:`start` in minutes after midnight."""
        return hhmm_minutes(self.start)

    @property
    def end_minute(self) -> int:
        """:attr:`end` in minutes after midnight."""
        return hhmm_minutes(self.end)

    def day_names(self) -> str:
        """Return the weekdays as ``"Mon,Tue,Wed,Thu,Fri"``."""
        return ",".join(DAY_NAMES[d] for d in self.weekdays)

    def days_label(self) -> str:
        """Return ``"weekdays"`` for Monday to Friday, else :meth:`day_names`."""
        return "weekdays" if tuple(sorted(set(self.weekdays))) == WEEKDAYS else self.day_names()

    def narrow(
        self,
        *,
        start: str | None = None,
        end: str | None = None,
        weekdays: tuple[int, ...] | None = None,
        school_days_only: bool | None = None,
        names: tuple[str, str, str] = ("start", "end", "weekdays"),
    ) -> Window:
        """
        Return this window narrowed by a stage (``None``: keep this window's value).

        ``names`` are the stage's settings for ``start``, ``end`` and ``weekdays`` (e.g.
        ``("roster.window_start", "roster.window_end", "roster.days")``), for the errors.

        Raises
        ------
        ConfigError
            If the narrowed window reaches outside this one, naming both settings.

        Examples
        --------
        >>> Window().narrow(end="18:30", names=("c.window_start", "c.window_end", "c.days"))
        Traceback (most recent call last):
        ...
        corridors.errors.ConfigError: c.window_end (18:30) is after window.end (18:00): a \
stage may narrow the after-school window, not widen it; change [window] end or c.window_end
        """
        new = Window(
            self.start if start is None else start,
            self.end if end is None else end,
            self.weekdays if weekdays is None else weekdays,
            self.school_days_only if school_days_only is None else school_days_only,
        )
        outside = [
            (names[0], new.start, "is before", "start", self.start)
            if new.start_minute < self.start_minute else None,
            (names[1], new.end, "is after", "end", self.end)
            if new.end_minute > self.end_minute else None,
            (names[2], new.day_names(), "has days outside", "weekdays", self.day_names())
            if not set(new.weekdays) <= set(self.weekdays) else None,
        ]  # fmt: skip
        for name, value, how, key, limit in filter(None, outside):
            raise ConfigError(
                f"{name} ({value}) {how} window.{key} ({limit}): a stage may narrow the "
                f"after-school window, not widen it; change [window] {key} or {name}"
            )
        return new

    def __str__(self) -> str:
        school = " on school days" if self.school_days_only else ""
        return f"{self.day_names()} {self.start}-{self.end}{school}"


def _iso(monday: dt.date) -> str:
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass(frozen=True)
class WeekFolder:
    """Every path of one planned week under ``[maps] out_dir``."""

    root: Path
    """``[maps] out_dir``."""
    area: str
    week: str
    """``YYYY-Www``."""

    def __post_init__(self) -> None:
        week_dir(self.root, self.area, self.week)  # names are slugs and stay under root

    @property
    def area_dir(self) -> Path:
        """``<out_dir>/<area>``: the area's weeks, history and lock."""
        return area_dir(self.root, self.area)

    @property
    def path(self) -> Path:
        """``<out_dir>/<area>/<week>``: the published week."""
        return week_dir(self.root, self.area, self.week)

    @property
    def manifest(self) -> Path:
        """The week's ``manifest.json``."""
        return self.path / MANIFEST_JSON

    @property
    def history(self) -> Path:
        """The area's ``plans.gpkg``: every published week."""
        return self.area_dir / HISTORY_GPKG

    @property
    def lock(self) -> Path:
        """The area's lock file."""
        return self.area_dir / LOCK_FILE

    @property
    def index(self) -> Path:
        """``<out_dir>/index.html``: every planned week of every area."""
        return self.root / INDEX_HTML

    def staging(self, run_id: str) -> Path:
        """Return the folder a run builds the week in before swapping it in."""
        return self.area_dir / staging_name(self.week, check_slug(run_id, "run id"))

    def pending_history(self, run_id: str) -> Path:
        """Return the history file a run writes before the swap (renamed in after it)."""
        return self.area_dir / pending_history_name(check_slug(run_id, "run id"))

    @property
    def validate_rejects(self) -> Path:
        """Where ``corridors validate`` writes the week's rejects (never the week folder)."""
        return self.area_dir / "validate" / f"rejects-{self.week}.csv"

    @property
    def tune(self) -> Path:
        """Where ``corridors tune`` writes its backtest tables and charts."""
        return self.area_dir / "tune"

    @property
    def hotspots_choice(self) -> Path:
        """The method ``corridors tune`` chose for the area, which ``plan`` uses."""
        return self.area_dir / HOTSPOTS_CHOICE_JSON

    def hotspots(self, method: str) -> Path:
        """Return where ``corridors hotspots`` writes the week's hotspots of ``method``."""
        return self.area_dir / "hotspots" / f"{self.week}-{check_slug(method, 'method')}"

    def file(self, name: str) -> Path:
        """Return a file of the week, checked to stay inside the week folder."""
        return _child(self.path, name)

    def previous(self) -> WeekFolder:
        """Return the folder of the week before."""
        start = PlanWeek.parse(self.week).previous()
        return WeekFolder(self.root, self.area, start.iso)
