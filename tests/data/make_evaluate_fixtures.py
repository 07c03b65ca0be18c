"""Rebuild ``tests/data/evaluate/``: a real clip of Met stop-and-search records in Hackney.

``hackney-stops-2024-06.csv``: every row of ``police-uk-met-hackney/
met-stop-and-search-hackney.csv.gz`` whose ``Date`` falls in ISO weeks 2024-W23 .. 2024-W26
(3-30 June 2024, UTC), its original line text unchanged, personal columns included (the
equality tables' test input). Run by hand: ``python tests/data/make_evaluate_fixtures.py``.
"""

import gzip
from pathlib import Path

from source_data import source_data_root

OUT = Path(__file__).resolve().parent / "evaluate"
FIRST, LAST = "2024-06-03", "2024-06-30"


def main() -> None:
    src = source_data_root() / "police-uk-met-hackney" / "met-stop-and-search-hackney.csv.gz"
    with gzip.open(src, "rt", encoding="utf-8", newline="") as fh:
        lines = fh.read().splitlines(keepends=True)
    header, rows = lines[0], lines[1:]
    kept = [row for row in rows if FIRST <= row.split(",")[1][:10] <= LAST]
    OUT.mkdir(exist_ok=True)
    (OUT / "hackney-stops-2024-06.csv").write_text(header + "".join(kept), encoding="utf-8")
    print(f"kept {len(kept)} of {len(rows)} rows")


if __name__ == "__main__":
    main()
