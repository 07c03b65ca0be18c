"""
Dates and day names in each notice language, from Babel's CLDR data (one helper for every page).

A notice language is a code of :data:`corridors.maps.i18n.NOTICE_TEXT` (``"en"``, ``"ar"``...).
The area's timezone names its country, so English in Rutland writes "7 November 2022" and
English in New York "November 7, 2022"; nothing is written dd/mm/yyyy. The language's
writing direction (``"rtl"`` for Arabic and Urdu) comes from the same data.

Examples
--------
>>> import datetime as dt
>>> day = dt.date(2022, 11, 8)
>>> [long_date(day, code, timezone="Europe/London") for code in ("en", "cy")]
['8 November 2022', '8 Tachwedd 2022']
>>> long_date(day, "en", timezone="America/New_York")
'November 8, 2022'
>>> day_heading(day, "en", timezone="Europe/London"), day_names("cy")[0]
('Tuesday, 8 November 2022', 'Dydd Llun')
>>> text_direction("ar"), text_direction("en")
('rtl', 'ltr')
"""

from __future__ import annotations

import datetime as dt
import functools

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.dates import format_date, get_day_names


@functools.lru_cache(maxsize=64)
def notice_locale(code: str, *, timezone: str | None = None) -> Locale:
    """
    Return the CLDR locale for a notice language in the area's country.

    ``code`` with the country of ``timezone`` (an IANA name) when CLDR has that pair
    (``en`` + ``Europe/London`` -> ``en_GB``), else the language alone (``ar`` in London
    -> ``ar``).
    """
    territory = get_global("zone_territories").get(timezone or "", "")
    name = f"{code}_{territory}" if territory else code
    for tried in (name, code):
        try:
            return Locale.parse(tried)
        except (UnknownLocaleError, ValueError):  # no such pair (ar_GB) or language in CLDR
            continue
    return Locale.parse("en")


def long_date(day: dt.date, code: str, *, timezone: str | None = None) -> str:
    """Return ``day`` written out in the language's long form ("7 November 2022")."""
    return str(format_date(day, "long", locale=notice_locale(code, timezone=timezone)))


def day_heading(day: dt.date, code: str, *, timezone: str | None = None) -> str:
    """Return the weekday and date in full, in the language's order ("Tuesday, 8 November 2022")."""
    return _capital(str(format_date(day, "full", locale=notice_locale(code, timezone=timezone))))


def day_names(code: str, *, timezone: str | None = None) -> tuple[str, ...]:
    """Return the weekday names Monday first, capitalised where the script has capitals."""
    names = get_day_names("wide", locale=notice_locale(code, timezone=timezone))
    return tuple(_capital(str(names[i])) for i in range(7))


def text_direction(code: str) -> str:
    """Return ``"rtl"`` or ``"ltr"``: the direction the language is written in."""
    return "rtl" if notice_locale(code).text_direction == "rtl" else "ltr"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]
