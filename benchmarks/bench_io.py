"""Benchmark the load stage against plain pandas on the same files (run on demand).

    .venv/bin/python benchmarks/bench_io.py [--quick]

Builds a large data.police.uk street file by repeating the embedded Rutland rows (ids made
unique), and a stop-and-search file with times, in a temporary folder; then times
``load_incidents`` against a baseline of ``pandas.read_csv(dtype=str)`` of the same file,
measured in the same run. Also times ``load_inputs`` on data/rutland.toml and the OSM readers.
"""

from __future__ import annotations

import argparse
import gzip
import tempfile
import time
from pathlib import Path

import pandas as pd

from corridors import load
from corridors.config import SourceConfig, load_config
from corridors.load import osm

ROOT = Path(__file__).resolve().parents[1]


def _best(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="smaller files, one repeat")
    args = parser.parse_args()
    copies = 4 if args.quick else 20
    repeat = 1 if args.quick else 3
    src = ROOT / "data" / "police" / "leicestershire-street-rutland.csv.gz"
    base = pd.read_csv(src, dtype=str, keep_default_na=False)
    with tempfile.TemporaryDirectory() as tmp:
        frames = []
        for k in range(copies):
            f = base.copy()
            f["Crime ID"] = f["Crime ID"].where(f["Crime ID"] == "", f["Crime ID"] + f"-{k}")
            frames.append(f)
        big = pd.concat(frames, ignore_index=True)
        street = Path(tmp) / "big-street.csv"
        big.to_csv(street, index=False)
        stop = Path(tmp) / "big-stop-and-search.csv"
        ss = pd.DataFrame(
            {
                "Type": "Person search",
                "Date": pd.date_range(
                    "2020-01-01", periods=len(big), freq="17min", tz="UTC"
                ).strftime("%Y-%m-%dT%H:%M:%S+00:00"),
                "Part of a policing operation": "False",
                "Policing operation": "",
                "Latitude": big["Latitude"],
                "Longitude": big["Longitude"],
                "Gender": "",
                "Age range": "",
                "Self-defined ethnicity": "",
                "Officer-defined ethnicity": "",
                "Legislation": "x",
                "Object of search": "Controlled drugs",
                "Outcome": "x",
                "Outcome linked to object of search": "",
                "Removal of more than just outer clothing": "",
            }
        )
        ss.to_csv(stop, index=False)
        gz = Path(tmp) / "big-street.csv.gz"
        gz.write_bytes(gzip.compress(street.read_bytes()))
        print(f"rows per file: {len(big):,}")
        for label, path in (
            ("street csv", street),
            ("street csv.gz", gz),
            ("stop-and-search", stop),
        ):
            t_base = _best(lambda p=path: pd.read_csv(p, dtype=str, keep_default_na=False), repeat)
            t_load = _best(
                lambda p=path: load.load_incidents(SourceConfig(path=p), crs="EPSG:27700"), repeat
            )
            print(
                f"{label:16s} pandas.read_csv {t_base:6.3f} s   load_incidents {t_load:6.3f} s"
                f"   ratio {t_load / t_base:5.1f}x   ({len(big) / t_load:,.0f} rows/s)"
            )
    cfg = load_config(ROOT / "data" / "rutland.toml")
    pbf = ROOT / "data" / "osm" / "rutland-2022-07-20.osm.pbf"
    t_bounds = _best(lambda: osm.osm_bounds(pbf), repeat)
    t_schools = _best(lambda: osm.read_osm_schools(pbf), repeat)
    t_hubs = _best(lambda: osm.read_osm_hubs(pbf), repeat)
    t_inputs = _best(lambda: load.load_inputs(cfg), repeat)
    print(
        f"rutland: read_osm_schools {t_schools:.3f} s, read_osm_hubs {t_hubs:.3f} s, "
        f"osm_bounds {t_bounds:.4f} s, load_inputs {t_inputs:.3f} s "
        f"(ratio load_inputs / read_osm_schools {t_inputs / t_schools:.1f}x)"
    )


if __name__ == "__main__":
    main()
