"""Tests for corridors.outputs: the one CSV writer (formula cells neutralised) and its reader."""

from __future__ import annotations

import ast
import csv
import datetime as dt
import re
from pathlib import Path

import icalendar
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corridors.outputs import FORMULA_CHARS, read_csv, write_csv

ROOT = Path(__file__).resolve().parents[1]
TRIGGERS = ["=1+2", "+1", "-1", "@SUM(A1:A2)", "\tx", "\rx", '=HYPERLINK("http://x","y")']


def raw_rows(path: Path) -> list[list[str]]:
    """The cells of a CSV file exactly as a spreadsheet gets them (no pandas)."""
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def formula_cells(path: Path) -> list[str]:
    """Cells of ``path`` that a spreadsheet would run as formulas."""
    return [c for row in raw_rows(path) for c in row if c[:1] and c[0] in FORMULA_CHARS]


# -- write_csv / read_csv ---------------------------------------------------------------------


def test_formula_cells_get_a_quote_and_read_back(tmp_path: Path) -> None:
    safe = ["Ann", "", "a=b", " =1", "x@y", "'", "'a", "O'Neil"]
    quoted = ["'=x", "''", "'-1"]  # already start with ' + trigger or '': quoted once more
    text = TRIGGERS + quoted + safe
    n = len(text)
    frame = pd.DataFrame({
        "text": pd.Series(text, dtype=object),
        "string": pd.Series(text, dtype="string"),
        "number": [-0.5 - i for i in range(n)],
        "count": [-i for i in range(n)],
        "flag": [i % 2 == 0 for i in range(n)],
    })  # fmt: skip
    path = write_csv(frame, tmp_path / "out" / "t.csv")
    assert path == tmp_path / "out" / "t.csv"
    assert not list(path.parent.glob(".*"))  # atomic: no temporary file left
    header, *rows = raw_rows(path)
    assert header == ["text", "string", "number", "count", "flag"]
    assert len(rows) == n  # a CR inside a cell does not start a new row
    changed = set(TRIGGERS) | set(quoted)
    for value, row in zip(text, rows, strict=True):
        expected = "'" + value if value in changed else value
        assert row[0] == row[1] == expected, (value, row)
    assert [r[2] for r in rows] == [str(-0.5 - i) for i in range(n)]  # numbers stay numbers
    assert [r[3] for r in rows] == [str(-i) for i in range(n)]
    numbers = [str(-0.5 - i) for i in range(n)] + [str(-i) for i in range(1, n)]
    assert sorted(formula_cells(path)) == sorted(numbers)  # only numbers start with "-"
    back = read_csv(path, keep_default_na=False, dtype={"text": object, "string": "string"})
    pd.testing.assert_frame_equal(back, frame)


def test_mixed_categorical_and_header_cells(tmp_path: Path) -> None:
    frame = pd.DataFrame({
        "mixed": pd.Series([dt.date(2022, 11, 7), "-2 + 3", 1.5, None], dtype=object),
        "kind": pd.Categorical(["@x", "b", "@x", "b"]),
        "=sum": ["a", "b", "c", "d"],
    })  # fmt: skip
    path = write_csv(frame, tmp_path / "m.csv")
    rows = raw_rows(path)
    assert rows[0] == ["mixed", "kind", "'=sum"]
    assert [r[0] for r in rows[1:]] == ["2022-11-07", "'-2 + 3", "1.5", ""]
    assert [r[1] for r in rows[1:]] == ["'@x", "b", "'@x", "b"]
    assert formula_cells(path) == []
    back = read_csv(path, dtype=str, keep_default_na=False)
    assert list(back.columns) == ["mixed", "kind", "=sum"]
    assert back["mixed"].tolist() == ["2022-11-07", "-2 + 3", "1.5", ""]
    assert back["kind"].tolist() == ["@x", "b", "@x", "b"]


def test_columns_index_and_line_ends(tmp_path: Path) -> None:
    frame = pd.DataFrame({"a": ["=1", "x"], "b": [1, 2]}, index=pd.Index(["+i", "j"], name="-k"))
    path = write_csv(frame, tmp_path / "c.csv", columns=["a"])
    assert path.read_bytes() == b"a\r\n'=1\r\nx\r\n"  # RFC 4180 row ends
    write_csv(frame, tmp_path / "i.csv", index=True)
    assert raw_rows(tmp_path / "i.csv")[:2] == [["'-k", "a", "b"], ["'+i", "'=1", "1"]]
    pd.testing.assert_frame_equal(read_csv(tmp_path / "i.csv", index_col=0), frame)
    with pytest.raises(ValueError, match="lineterminator"):
        write_csv(frame, tmp_path / "n.csv", lineterminator="\n")
    with pytest.raises(TypeError, match="chunksize"):
        read_csv(path, chunksize=10)


def test_large_rejects_frame_is_vectorised(tmp_path: Path) -> None:
    n = 120_000
    values = pd.Series(["=HYPERLINK(1)", "-0.66,52.71", "ok", "'-x"] * (n // 4))
    frame = pd.DataFrame({"line": range(n), "value": values})
    path = write_csv(frame, tmp_path / "big.csv")
    back = read_csv(path, keep_default_na=False)
    pd.testing.assert_series_equal(back["value"], frame["value"], check_dtype=False)
    assert back["line"].tolist() == list(range(n))


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.one_of(
            st.text(),
            st.text(alphabet="=+-@'\t\r\n\"x, ", max_size=6),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_round_trip_of_any_text(tmp_path: Path, cells: list[str]) -> None:
    frame = pd.DataFrame({"t": cells, "n": range(len(cells))})
    path = write_csv(frame, tmp_path / "p.csv")
    assert all(c[:1] not in FORMULA_CHARS or not c for row in raw_rows(path) for c in row)
    back = read_csv(path, dtype=str, keep_default_na=False)
    assert back["t"].tolist() == cells


# -- checks that keep it so ----------------------------------------------------------------

#: Modules allowed to write CSV by hand: none.
def _csv_writers(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            name = node.func.attr
            owner = node.func.value
            if name == "to_csv" or (
                name in ("writer", "DictWriter")
                and isinstance(owner, ast.Name)
                and owner.id == "csv"
            ):
                found.append(f"{path.name}:{node.lineno} {name}")
    return found


def test_only_outputs_writes_csv() -> None:
    modules = sorted((ROOT / "corridors").rglob("*.py"))  # every subpackage too
    assert len(modules) > 50
    found = [
        hit
        for m in modules
        if m.name != "outputs.py"
        for hit in _csv_writers(m)
    ]
    assert found == [], "write CSV files with corridors.outputs.write_csv"


# -- end to end ----------------------------------------------------------------------------


@pytest.mark.slow
def test_plan_with_hostile_staff_names(tmp_path: Path) -> None:
    """A full plan on the embedded data with a CR/LF name, a formula name and a bad row."""
    from corridors import pipeline, roster
    from corridors.config import load_config

    data = ROOT / "data"
    lines = (data / "staff-example.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    renamed = {
        "P01": '"Ann\r\nSmith"',
        "P02": "\"=cmd|' /C calc'!A0\"",
        "P08": '"Bob\r\nATTENDEE:mailto:evil@x"',
    }
    out = []
    for line in lines:
        pid, _, rest = line.partition(",")
        if pid in renamed:
            line = f"{pid},{renamed[pid]},{rest.partition(',')[2]}"
        out.append(line)
    out.append("P99,\x07,pcso,,Mon-Fri 15:00-18:00,,6,yes\n")
    staff = "".join(out)
    (tmp_path / "staff.csv").write_text(staff, encoding="utf-8", newline="")
    toml = (data / "rutland.toml").read_text(encoding="utf-8")
    toml = re.sub(r'"(osm|police)/', lambda m: f'"{(data / m[1]).as_posix()}/', toml)
    toml = toml.replace('"staff-example.csv"', '"staff.csv"')
    toml = re.sub(r'cache_dir = "[^"]*"', 'cache_dir = "cache"', toml)
    toml = re.sub(r'out_dir = "[^"]*"', 'out_dir = "maps"', toml)
    (tmp_path / "rutland.toml").write_text(toml, encoding="utf-8")
    cfg = load_config(tmp_path / "rutland.toml")
    assert cfg.roster.staff == tmp_path / "staff.csv"

    result = pipeline.run(cfg)
    pipeline.write_plan(result)
    week = result.out_dir
    people = result.staff.people.set_index("person_id")
    assert people.loc["P01", "name"] == "Ann Smith"
    assert people.loc["P08", "name"] == "Bob ATTENDEE:mailto:evil@x"
    rejects = read_csv(week / "rejects.csv", dtype=str, keep_default_na=False)
    bad = rejects[rejects["source"] == "staff"]
    last = str(staff.count("\n"))  # the physical line (the names with line breaks add two)
    assert bad[["line", "column", "value"]].values.tolist() == [[last, "name", "\\x07"]]
    assert "control characters" in bad["reason"].iloc[0]
    for path in week.glob("*.csv"):  # only numbers may start with a sign
        assert all(_is_number(c) for c in formula_cells(path)), path.name
    rows = raw_rows(week / "roster.csv")
    name = rows[0].index("name")
    p02 = [r for r in rows if "P02" in r]
    assert p02 and all(r[name] == "'=cmd|' /C calc'!A0" for r in p02)
    assert not any("\r" in c or "\n" in c for r in rows for c in r)
    table = roster.read_roster(week / "roster.csv").assignments
    assert set(table.loc[table["person_id"] == "P02", "name"]) == {"=cmd|' /C calc'!A0"}
    assert "Ann Smith" in set(table["name"])
    for ics in (week / "calendar").glob("*.ics"):
        cal = icalendar.Calendar.from_ical(ics.read_bytes())
        assert all("ATTENDEE" not in comp for comp in cal.walk()), ics.name
        assert b"\nATTENDEE" not in ics.read_bytes()


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
