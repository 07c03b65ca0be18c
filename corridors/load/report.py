"""What loading did with every row: per-source reports, the rejects table and its checks.

:class:`SourceReport` counts rows read, accepted and rejected (by reason) per source;
:func:`write_rejects` writes the rejects with file, line, column and reason; and
:func:`check_usable` / :func:`all_rejected` stop a run whose source gave nothing usable.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from corridors.errors import InputDataError
from corridors.load.schema import (
    R_BAD_DATE,
    R_BAD_MONTH,
    R_BAD_TIME,
    R_BAD_XY,
    R_CLOSED,
    R_DUP_ID,
    R_MISSING_XY,
    R_NO_ID,
    R_NO_KIND,
    R_NO_OFFENCE,
    R_NO_TIME,
    R_OUTSIDE,
    R_RANGE_XY,
    R_ZERO_XY,
    REJECT_COLUMNS,
    DateMappingWarning,
)
from corridors.load.tables import _Parsed
from corridors.outputs import write_csv

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SourceReport:
    """What happened to the rows of one source: read = accepted + sum(rejected)."""

    kind: str  # "schools", "hubs" or "incidents"
    name: str
    path: str
    read: int
    accepted: int
    rejected: dict[str, int]
    sha256: str
    format: str = ""
    files: int = 1
    optional: bool = False  # the source's ``optional``: may have every row rejected
    notes: tuple[str, ...] = ()
    """What the loader did or suspects (months normalised, dates that look wrongly mapped)."""


def _report(parsed: _Parsed, accepted: int, rejects: pd.DataFrame) -> SourceReport:
    counts = rejects["reason"].value_counts() if len(rejects) else pd.Series(dtype=int)
    return SourceReport(
        kind=parsed.kind,
        name=parsed.name,
        path=str(parsed.src.path),
        read=parsed.read,
        accepted=accepted,
        rejected={str(k): int(v) for k, v in counts.items()},
        sha256=parsed.sha256,
        format=parsed.fmt,
        files=parsed.files,
        optional=parsed.src.optional,
        notes=tuple(parsed.notes),
    )


def _concat_rejects(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(
            {c: pd.Series([], dtype="int64" if c == "line" else str) for c in REJECT_COLUMNS}
        )
    out = pd.concat(frames, ignore_index=True)
    out["line"] = out["line"].astype("int64")
    for c in ("source", "file", "column", "reason", "value"):
        out[c] = out[c].astype(str)
    return out[list(REJECT_COLUMNS)]


def _warn(parsed: Sequence[_Parsed], *, stacklevel: int) -> None:
    """Raise each source's suspicions as a DateMappingWarning (the caller's line)."""
    for p in parsed:
        for text in p.warnings:
            warnings.warn(f"{p.name}: {text}", DateMappingWarning, stacklevel=stacklevel)


def _log_reports(reports: Sequence[SourceReport]) -> None:
    for r in reports:
        rej = sum(r.rejected.values())
        logger.info(
            "Loaded %s from %s: %s read, %s accepted, %s rejected",
            r.kind,
            r.name,
            f"{r.read:,}",
            f"{r.accepted:,}",
            f"{rej:,}",
        )


# what to set when every row of a source was rejected for this (its commonest) reason
_ALL_REJECTED_HINTS = {
    R_MISSING_XY: "map its coordinate columns (columns = { x = ..., y = ... } or lat/lon)",
    R_BAD_XY: "map its coordinate columns (columns = { x = ..., y = ... } or lat/lon)",
    R_ZERO_XY: "its coordinates are withheld (0, 0): it cannot place anything",
    R_RANGE_XY: (
        'set crs in its entry to the CRS of its x/y columns (crs = "EPSG:27700" for '
        'eastings/northings, "EPSG:4326" for longitude/latitude)'
    ),
    R_OUTSIDE: (
        "no row lies in the study area: check crs in its entry (x/y in another CRS?), "
        "[area] boundary and [graph] osm_file"
    ),
    R_BAD_DATE: 'set date_format in its entry to the file\'s dates (e.g. date_format = "%d/%m/%Y")',
    R_BAD_TIME: "check its time column (HH:MM) in columns",
    R_BAD_MONTH: "months must read YYYY-MM (as data.police.uk writes them); check its month column",
    R_NO_TIME: "check timezone in its entry",
    R_NO_OFFENCE: "map its offence column (columns = { offence = ... })",
    R_DUP_ID: "every row repeats an ID loaded from an earlier source: is the file listed twice?",
    R_NO_ID: "map its ID column (columns = { id = ... })",
    R_CLOSED: "every school in it is closed",
    R_NO_KIND: "map its kind column (columns = { kind = ... }: rail, tube, tram or bus)",
}


_ENTRY = {
    "schools": "[[schools]]",
    "hubs": "[[hubs]]",
    "incidents": "[[incidents]]",
    "staff": "[roster] staff",
    "term dates": "[hotspots] term_dates",
}


_MUST_HAVE_ROWS = ("schools", "incidents", "staff")
"""Kinds whose sources must hold rows (an area may well have no transport hubs)."""


def all_rejected(reports: Sequence[SourceReport], rejects: pd.DataFrame | None = None) -> list[str]:
    """
    Describe each source that is not ``optional`` and accepted no row of those it had.

    A source that read no row at all counts too, for schools, incidents and staff.

    Each line names the file, the commonest reject reasons with their counts (and an example
    value when ``rejects`` is given), the setting to look at, and how to go on without it.

    Examples
    --------
    >>> r = SourceReport("incidents", "a", "a.csv", 3, 0, {"unparseable month": 3}, "")
    >>> all_rejected([r])  # doctest: +ELLIPSIS
    ['a.csv: every incidents row was rejected (3 read, 0 accepted): unparseable month: 3; ...']
    """
    lines = []
    for r in reports:
        entry = _ENTRY.get(r.kind, f"[[{r.kind}]]")
        way_out = (
            f"or set optional = true in its {entry} entry to go on without it"
            if entry.startswith("[[")
            else f"or leave {entry} out of the config"
        )
        if r.read == 0 and not r.optional and r.kind in _MUST_HAVE_ROWS:
            lines.append(
                f"{r.path}: read 0 rows: the file holds no {r.kind} (a header only?); give the "
                f"file with its rows, {way_out}"
            )
            continue
        if r.read <= 0 or r.accepted > 0 or r.optional:
            continue
        top = sorted(r.rejected.items(), key=lambda kv: -kv[1])
        shown = []
        for reason, n in top[:3]:
            text = f"{reason}: {n:,}"
            if rejects is not None and len(rejects) and "value" in rejects:
                mine = (rejects["source"] == r.name) | (rejects["file"] == r.path)
                why = (rejects["reason"] == reason) | (rejects["column"] == reason)  # staff: column
                hit = rejects[mine & why]
                value = str(hit["value"].iloc[0]) if len(hit) else ""
                if value:
                    text += f" (e.g. {value[:40]!r})"
            shown.append(text)
        if len(top) > 3:
            shown.append(f"{len(top) - 3} more reasons")
        hint = _ALL_REJECTED_HINTS.get(top[0][0], "") if top else ""
        lines.append(
            f"{r.path}: every {r.kind} row was rejected ({r.read:,} read, 0 accepted): "
            f"{'; '.join(shown)}; " + (f"{hint}; " if hint else "") + way_out
        )
    return lines


def check_usable(
    reports: Sequence[SourceReport],
    rejects: pd.DataFrame | None = None,
    *,
    see: str = "run 'corridors validate' to list every rejected row",
) -> None:
    """
    Raise if a source that is not ``optional`` had rows but accepted none.

    Raises
    ------
    InputDataError
        One line per such source (see :func:`all_rejected`), ending with ``see`` (where to
        find every rejected row).
    """
    lines = all_rejected(reports, rejects)
    if not lines:
        return
    tail = f" ({see})"
    if len(lines) == 1:
        raise InputDataError(lines[0] + tail)
    raise InputDataError(
        f"{len(lines)} sources had every row rejected{tail}:\n  " + "\n  ".join(lines)
    )


def write_rejects(rejects: pd.DataFrame, path: str | Path) -> Path:
    """
    Write the rejects table to a CSV file atomically (formula-like text neutralised).

    Parameters
    ----------
    rejects
        Rows with REJECT_COLUMNS (as in :attr:`Inputs.rejects`).
    path
        The CSV file to write (UTF-8).

    Returns
    -------
    Path
        ``path``.
    """
    path = Path(path)
    cols = list(REJECT_COLUMNS) + [c for c in rejects.columns if c not in REJECT_COLUMNS]
    frame = rejects.reindex(columns=cols)
    return write_csv(frame, path)


def summarise(reports: Sequence[SourceReport]) -> str:
    """
    Return a readable per-source table: rows read, accepted, rejected by reason, a total.

    One ``Note:`` line follows for each note of a source (months normalised, suspect dates).

    Examples
    --------
    >>> r = SourceReport("incidents", "a.csv", "a.csv", 5, 3, {"duplicate ID": 2}, "")
    >>> print(summarise([r]))  # doctest: +NORMALIZE_WHITESPACE
    kind       source  read  accepted  rejected  reasons
    incidents  a.csv      5         3         2  duplicate ID: 2
    total                 5         3         2
    """
    rows = [("kind", "source", "read", "accepted", "rejected", "reasons")]
    tread = tacc = trej = 0
    for r in reports:
        rej = sum(r.rejected.values())
        reasons = "; ".join(
            f"{k}: {v:,}" for k, v in sorted(r.rejected.items(), key=lambda kv: -kv[1])
        )
        rows.append((r.kind, r.name, f"{r.read:,}", f"{r.accepted:,}", f"{rej:,}", reasons))
        tread, tacc, trej = tread + r.read, tacc + r.accepted, trej + rej
    rows.append(("total", "", f"{tread:,}", f"{tacc:,}", f"{trej:,}", ""))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = []
    for row in rows:
        cells = [row[0].ljust(widths[0]), row[1].ljust(widths[1])]
        cells += [row[i].rjust(widths[i]) for i in (2, 3, 4)]
        cells.append(row[5])
        lines.append("  ".join(cells).rstrip())
    lines += [f"Note: {r.name}: {note}" for r in reports for note in r.notes]
    return "\n".join(lines)
