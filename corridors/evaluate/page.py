"""The evaluation report as one self-contained HTML page (text only; the writer saves it).

Every piece of text from data goes through :func:`corridors.maps.escape._h`; charts are
inline ``data:`` PNGs; the page needs no network and no other file.
"""

from __future__ import annotations

import math

import pandas as pd

from corridors.evaluate import charts
from corridors.evaluate.effect import LIMITS
from corridors.evaluate.run import Evaluation
from corridors.maps.escape import _h

_STYLE = (
    "body{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em;color:#222}"
    "table{border-collapse:collapse;font-size:.85em;margin:.5em 0 1.5em}"
    "td,th{border:1px solid #ccc;padding:.2em .5em;text-align:right}"
    "th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}"
    "img{max-width:100%}.note{color:#555;font-size:.9em}.wide{overflow-x:auto}"
)

_METHOD = {
    "targeting": (
        "Targeting: for each week, the share of that week's after-school incidents that fell "
        "on the streets the patrol loops walked, and that share per km of patrolled street. "
        "The same is shown for the plan's top hotspot street segments of the same total "
        "length, so you can see whether corridors found more harm per km than plain hotspot "
        "patrols would."
    ),
    "effect": (
        "Effect: incidents per street segment on the patrolled streets, in the weeks with "
        "patrols and in as many weeks just before them, against comparison streets the tool "
        "chose (not patrolled, more than 200 m from a patrolled street, and nearest in footfall "
        "proxy and in incidents before). The difference in differences is the change on "
        "patrolled streets minus the change on comparison streets; its interval comes from "
        "resampling the streets (bootstrap). Displacement: the same for the streets within "
        "200 m of a patrolled one; a rise there may mean harm moved."
    ),
    "dosage": (
        "Dosage: patrol minutes per corridor and week from the roster, and minutes per visit, "
        "against the 10-15 minute visits hot-spot research recommends."
    ),
    "equality": (
        "Equality: stops of people under 18 in the evaluated weeks, in a corridor during "
        "patrol hours or elsewhere and at other times, by age range and ethnic group "
        "(self-defined where stated, else officer-defined), with the share ending in no "
        "further action. Counts below k, and any count that could be worked out from the "
        "totals, are shown as 'suppressed'. Rate ratios compare a group's share of corridor "
        "stops with its share elsewhere, and its no-further-action share with the reference "
        "group's, with 95% intervals; a ratio resting on a suppressed count is not shown."
    ),
}


def _cell(value: object) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "suppressed"
        return f"{value:,.0f}" if value.is_integer() and abs(value) >= 1 else f"{value:.3g}"
    if value is None or value is pd.NA or value is pd.NaT:
        return "suppressed"
    return str(value)


def html_table(frame: pd.DataFrame) -> str:
    """Return a DataFrame as an escaped HTML table (NaN reads 'suppressed')."""
    if frame.empty:
        return "<p class='note'>No rows.</p>"
    head = "".join(f"<th>{_h(c)}</th>" for c in frame.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{_h(_cell(v))}</td>" for v in row) + "</tr>"
        for row in frame.itertuples(index=False)
    )
    return f"<div class='wide'><table><tr>{head}</tr>{body}</table></div>"


def _img(uri: str, alt: str) -> str:
    return f"<img alt='{_h(alt)}' src='{uri}'>" if uri else ""


def report_page(ev: Evaluation, tables: dict[str, pd.DataFrame], *, public: bool) -> str:
    """Return the whole page: headline, method in plain words, charts and tables."""
    who = "public version: counts below k hidden" if public else "for the team"
    title = f"Evaluation of {ev.area}, {ev.first} to {ev.last} ({who})"
    parts = [
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{_h(title)}</title>"
        f"<style>{_STYLE}</style></head><body><h1>{_h(title)}</h1>",
        f"<p>Weeks with a published plan: {_h(', '.join(ev.weeks))}. The public version shows "
        f"no incident count below k = {ev.k}.</p>",
    ]
    parts += [f"<p class='note'>Note: {_h(n)}</p>" for n in ev.notes]
    parts += [
        "<h2>Targeting</h2>",
        f"<p>{_h(_METHOD['targeting'])}</p>",
        _img(charts.targeting_chart(tables["targeting"]), "targeting chart"),
        html_table(tables["targeting"]),
        "<h2>Effect and displacement</h2>",
        f"<p>{_h(_METHOD['effect'])}</p>",
        f"<p><strong>What this can and cannot show.</strong> {_h(LIMITS)}</p>",
        _img(charts.effect_chart(tables["effect"]), "effect chart"),
        html_table(tables["effect"]),
        "<h2>Dosage</h2>",
        f"<p>{_h(_METHOD['dosage'])}</p>",
        _img(charts.dosage_chart(tables["dosage"]), "dosage chart"),
        html_table(tables["dosage"]),
    ]
    if ev.equality is not None:
        parts += [
            "<h2>Equality monitoring</h2>",
            f"<p>{_h(_METHOD['equality'])} Here k = {ev.equality.k}.</p>",
        ]
        for name in ("equality-age", "equality-ethnicity", "equality-outcomes", "equality-ratios"):
            parts += [f"<h3>{_h(name)}</h3>", html_table(tables[name])]
    parts.append("</body></html>\n")
    return "\n".join(parts)
