"""The hostile-input corpus (issue 12, item 7): ``corridors validate`` on every case.

Each case of ``tests/data/hostile/cases.toml`` (built by ``tests/data/make_hostile_fixtures.py``)
is one file a user could hand the tool. The test writes a config for it, runs ``validate``
in-process and checks: no traceback ever; an error is exactly one ``Error: ...`` line with exit
status 1; every summary line adds up (read = accepted + rejected, rejected = the sum of the
reasons, the total line = the sum of the lines); the rejects file has one row per rejected
row; and the case's expected outcome. A case with ``pending`` waits for work on another
branch: it is xfail(strict), so it fails as soon as that work lands and the mark must go.
"""

from __future__ import annotations

import csv
import re
import tomllib
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from corridors import hotspots, roster
from corridors.cli import cli
from corridors.errors import CorridorsError

HOSTILE = Path(__file__).resolve().parent / "data" / "hostile"
CASES: list[dict[str, Any]] = tomllib.loads((HOSTILE / "cases.toml").read_text("utf-8"))["case"]
IO_KINDS = ("schools", "hubs", "incidents")
KINDS = (*IO_KINDS, "staff", "term_dates", "config")
SOURCE_KEYS = ("format", "crs", "columns", "encoding", "date_format", "layer", "timezone")
# the sources a plan would have besides the case's file, so the area is known
BASE_INCIDENTS = {"path": str(HOSTILE / "street/street-ok.csv"), "format": "police-street"}
BASE_SCHOOLS = {"path": str(HOSTILE / "csv/schools-ok.csv"), "format": "csv"}


@dataclass
class _Line:
    kind: str
    source: str
    read: int
    accepted: int
    rejected: int
    reasons: dict[str, int] = field(default_factory=dict)


def _number(text: str) -> int:
    return int(text.replace(",", ""))


def _summary(output: str) -> tuple[list[_Line], _Line]:
    """Parse the table ``load.summarise`` prints: one line per source and the total."""
    lines = output.splitlines()
    start = next(i for i, ln in enumerate(lines) if re.match(r"kind\s+source\s+read\s", ln))
    at = lines[start].index("source")  # the kind column is padded to here
    rows: list[_Line] = []
    for ln in lines[start + 1 :]:
        m = re.fullmatch(r"(.*?)\s+([\d,]+)\s+([\d,]+)\s+([\d,]+)(?:\s\s(.*))?", ln[at:])
        assert m, f"not a summary line: {ln!r}"
        row = _Line(ln[:at].strip(), m[1].strip(), *(_number(m[i]) for i in (2, 3, 4)))
        for part in filter(None, (m[5] or "").split("; ")):
            reason, _, count = part.rpartition(": ")
            row.reasons[reason] = _number(count)
        if row.kind == "total":
            return rows, row
        rows.append(row)
    raise AssertionError("the summary has no total line")


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_toml(k)} = {_toml(v)}" for k, v in value.items()) + "}"
    return str(value)


def _table(name: str, values: dict[str, Any], *, array: bool = False) -> str:
    head = f"[[{name}]]" if array else f"[{name}]"
    return "\n".join([head, *(f"{k} = {_toml(v)}" for k, v in values.items())]) + "\n\n"


def _write_config(case: dict[str, Any], folder: Path) -> Path:
    """A config checking the case's file and nothing else (CRS explicit: one thing at a time)."""
    kind, path = case["kind"], HOSTILE / case["file"]
    text = _table("area", {"name": "hostile", "crs": case.get("area_crs", "EPSG:27700")})
    if kind in IO_KINDS:
        src: dict[str, Any] = {"path": str(path), "label": case["name"]}
        src |= {k: case[k] for k in SOURCE_KEYS if k in case}
        if "geocode" in case:
            src["geocode"] = str(HOSTILE / case["geocode"])
        text += _table(kind, src, array=True)
        if kind == "hubs":  # the study area comes from schools (or incidents), never hubs
            text += _table("schools", BASE_SCHOOLS, array=True)
    else:
        text += _table("incidents", BASE_INCIDENTS, array=True)
        if kind == "staff":
            text += _table("roster", {"staff": str(path)})
        else:
            text += _table("hotspots", {"term_dates": str(path), "exclude_holidays": True})
    config = folder / "hostile.toml"
    config.write_text(text, encoding="utf-8")
    return config


def _run(case: dict[str, Any], tmp_path: Path) -> tuple[Result, Path]:
    rejects = tmp_path / "rejects.csv"
    env = {"CORRIDORS_CONFIG": None}
    if case["kind"] != "config":
        args = ["-c", str(_write_config(case, tmp_path))]
    elif case.get("via") == "env":
        args, env = [], {"CORRIDORS_CONFIG": str(HOSTILE / case["file"])}
    else:
        args = ["-c", str(HOSTILE / case["file"])]
    result = CliRunner().invoke(cli, [*args, "-q", "validate", "--rejects", str(rejects)], env=env)
    return result, rejects


def _any_of(wanted: str | list[str]) -> list[str]:
    return [wanted] if isinstance(wanted, str) else list(wanted)


def _case_line(case: dict[str, Any], rows: list[_Line]) -> _Line | None:
    if case["kind"] in IO_KINDS:
        names = {case["name"]}
    elif case["kind"] == "config":
        names = {case["source"]}
    else:
        file = Path(case["file"])
        names = {file.name, file.stem}
    found = [r for r in rows if r.source in names]
    assert len(found) <= 1, found
    return found[0] if found else None


@pytest.mark.filterwarnings("default::corridors.load.DateMappingWarning")  # said in Notes
@pytest.mark.parametrize(
    "case",
    [
        pytest.param(
            c,
            id=c["name"],
            marks=[pytest.mark.xfail(strict=True, reason=c["pending"])] if "pending" in c else [],
        )
        for c in CASES
    ],
)
def test_hostile_input(case: dict[str, Any], tmp_path: Path, caplog: pytest.LogCaptureFixture):
    result, rejects_path = _run(case, tmp_path)
    output = result.output

    # never a traceback
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        pytest.fail("traceback:\n" + "".join(traceback.format_exception(*result.exc_info)))
    assert "Traceback" not in output

    lines = [ln for ln in output.splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith("Error: ")]
    if case["outcome"] == "error":
        assert result.exit_code == 1, output
        assert len(errors) == 1 and lines[-1] == errors[0], output
        wanted = _any_of(case["error"])
        assert any(w in errors[0] for w in wanted), f"expected one of {wanted}: {errors[0]}"
        if case["kind"] != "config":  # a data file's error names the file (a config's, the key)
            assert Path(case["file"]).name in errors[0], errors[0]
        return
    assert result.exit_code == 0 and not errors, output

    # every line adds up, and the total is their sum
    rows, total = _summary(output)
    for row in [*rows, total]:
        assert row.read == row.accepted + row.rejected, row
        if row is not total:
            assert row.rejected == sum(row.reasons.values()), row
    for attr in ("read", "accepted", "rejected"):
        assert getattr(total, attr) == sum(getattr(r, attr) for r in rows), attr

    # one rejects row per rejected row, spreadsheet-safe
    with open(rejects_path, encoding="utf-8", newline="") as fh:
        rejects = list(csv.DictReader(fh))
    assert len(rejects) == total.rejected
    for r in rejects:
        assert not any(v.startswith(("=", "@")) for v in r.values() if v), r

    # the expected outcome
    row = _case_line(case, rows)
    if row is None and case["kind"] == "term_dates":
        pass  # validate may report term dates without a summary line; it must not fail on them
    else:
        assert row is not None, f"no summary line for the case:\n{output}"
        assert (row.accepted, row.reasons) == (case["accepted"], case["rejected"]), output
    if case["kind"] in IO_KINDS or case["kind"] == "config":
        mine = [r for r in rejects if row is not None and r["source"] == row.source]
        assert Counter(r["reason"] for r in mine) == Counter(case["rejected"])
        if "reject_lines" in case:
            assert sorted(int(r["line"]) for r in mine) == case["reject_lines"]
    if "warning" in case:  # in the log or in a note, not in the table (it names the case)
        said = caplog.text + "\n".join(
            ln for ln in lines if ln.lower().startswith(("note", "warning"))
        )
        wanted = _any_of(case["warning"])
        assert any(w.lower() in said.lower() for w in wanted), f"no warning {wanted}:\n{said}"


@pytest.mark.parametrize(
    "case", [c for c in CASES if c["kind"] in ("staff", "term_dates")], ids=lambda c: c["name"]
)
def test_staff_and_term_dates_readers_never_trace_back(case: dict[str, Any]):
    """The readers themselves, while validate does not read these files yet: a table or one
    clean error line, and the table the expected outcome (the "all rejected" rule aside)."""
    path = HOSTILE / case["file"]
    try:
        if case["kind"] == "staff":
            report = roster.load_staff(path).reports[0]
            read, accepted, rejected = report.read, report.accepted, report.rejected
        else:
            calendar = hotspots.read_term_dates(path)
            read = accepted = len(calendar.terms) + len(calendar.holidays)
            rejected = {}
    except CorridorsError as exc:
        assert case["outcome"] == "error" and "\n" not in str(exc), exc
        assert any(w in str(exc) for w in _any_of(case["error"])), exc
        return
    assert read == accepted + sum(rejected.values())
    if case["outcome"] == "ok":
        assert (accepted, rejected) == (case["accepted"], case["rejected"])
    else:  # an error only by the "nothing usable" rule
        assert accepted == 0, (read, accepted, rejected)


def test_the_corpus_is_large_and_uses_every_file():
    names = [c["name"] for c in CASES]
    assert len(names) >= 100 and len(set(names)) == len(names)
    used: set[Path] = set()
    for c in CASES:
        assert c["kind"] in KINDS, c
        if c["outcome"] == "ok":
            assert isinstance(c["accepted"], int) and isinstance(c["rejected"], dict), c
        else:
            assert c["outcome"] == "error" and c["error"], c
        for rel in [c["file"], *c.get("uses", [])]:
            path = HOSTILE / rel
            assert path.exists(), rel
            used |= {p for p in path.rglob("*") if p.is_file()} if path.is_dir() else {path}
    files = {p for p in HOSTILE.rglob("*") if p.is_file()} - {HOSTILE / "cases.toml"}
    assert sorted(str(p.relative_to(HOSTILE)) for p in files - used) == []
    # every loader and reader is exercised
    formats = {c.get("format", "auto") for c in CASES if c["kind"] in IO_KINDS}
    assert {"police-street", "police-stop-search", "csv", "gias", "edubase", "geojson", "gpkg",
            "osm"} <= formats  # fmt: skip
    assert {c["kind"] for c in CASES} == set(KINDS)
