"""Field checks shared by the sections: time zones, date formats, clock times."""

from __future__ import annotations

import re
import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from corridors.errors import ConfigError


def _check_timezone(name: str, where: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(
            f"{where}: unknown time zone {name!r} (an IANA name such as 'Europe/London'"
            + (", or 'auto'" if where == "area.timezone" else "")
            + ")"
        ) from exc


def _check_date_format(fmt: str, where: str) -> None:
    """Raise if ``fmt`` is not a strptime format (an unknown directive such as ``%Q``)."""
    try:
        time.strptime("", fmt)
    except ValueError as exc:
        if "directive" in str(exc) or "stray" in str(exc):
            raise ConfigError(
                f"{where} {fmt!r} is not a date format ({exc}); use strptime codes such as "
                "'%d/%m/%Y' or '%b-%y'"
            ) from exc


def _check_hhmm(value: str, where: str) -> None:
    if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value):
        raise ConfigError(f"{where} must be a time 'HH:MM', got {value!r}")
