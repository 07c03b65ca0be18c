"""``corridors plan --areas``: several areas as Dask tasks, each week as a plan of it alone.

Three small areas are clips of the embedded Rutland data (an ``[area] boundary`` box around
Oakham, one around Great Casterton and Ketton, and Oakham again for another week), planned
one by one with ``corridors -c AREA.toml plan`` and then all at once on a local cluster of two
worker processes; every file of every week must match (``scripts/compare_weeks.py``'s masking:
run ids, times, stamps). A fourth area, whose boundary file is missing, fails alone.
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from corridors import areas, pipeline
from corridors.cli import cli
from corridors.config import load_config
from corridors.errors import CorridorsError

try:  # tests/ is on sys.path (rootdir conftest, no package) ...
    from rutland import ROOT, config_copy
except ImportError:  # ... or tests is a package
    from tests.rutland import ROOT, config_copy


def _compare_weeks():
    spec = importlib.util.spec_from_file_location("compare_weeks", ROOT / "scripts" / "compare_weeks.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


compare_weeks = _compare_weeks()

# name: (centre lat, lon), half height and width of the box (degrees), what else differs
AREAS = {
    "oakham": ((52.6706, -0.7275), (0.02, 0.03), {}),
    "casterton": ((52.655, -0.53), (0.025, 0.04), {"min_incidents = 5": "min_incidents = 1"}),
    "oakham-w40": ((52.6706, -0.7275), (0.02, 0.03), {'week = "2022-W45"': 'week = "2022-W40"'}),
    "broken": ((52.59, -0.72), (0.01, 0.01), {}),  # its boundary file is never written
}


def _area(root: Path, cache: Path, name: str) -> Path:
    """Write one clipped area's config (and its boundary box) under ``root``."""
    (lat, lon), (dy, dx), changes = AREAS[name]
    boundary = root / f"{name}.geojson"
    if name != "broken":
        ring = [[lon - dx, lat - dy], [lon + dx, lat - dy], [lon + dx, lat + dy], [lon - dx, lat + dy], [lon - dx, lat - dy]]
        feature = {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [ring]}}
        boundary.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    path = config_copy(root, root / "maps", cache, name=name)
    text = path.read_text(encoding="utf-8")
    text = text.replace('timezone = "Europe/London"', f'timezone = "Europe/London"\nboundary = "{boundary.as_posix()}"')
    for old, new in changes.items():
        assert old in text
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    return path


def _tree(root: Path, cache: Path) -> list[Path]:
    root.mkdir()
    return [_area(root, cache, name) for name in AREAS]


def test_areas_on_a_cluster_match_the_areas_planned_one_by_one(tmp_path):
    cache = tmp_path / "cache"  # one graph cache, built first: every manifest says it was used
    alone, together = tmp_path / "alone", tmp_path / "together"
    runner = CliRunner()
    planned_alone = _tree(alone, cache)[:3]
    for config in planned_alone:
        cfg = load_config(config)
        pipeline.build_graph(cfg, pipeline.read_inputs(cfg))
    for config in planned_alone:
        result = runner.invoke(cli, ["-q", "-c", str(config), "plan"])
        assert result.exit_code == 0, result.output
    configs = _tree(together, cache)

    result = runner.invoke(cli, ["-q", "plan", "--areas", *map(str, configs), "--workers", "2"])

    assert result.exit_code == 1, result.output  # the broken area fails, alone
    lines = {m.group(2): m.group(1) for m in re.finditer(r"^  (ok|FAILED) +(\S+) 2022-W\d\d", result.output, re.M)}
    assert lines == {"oakham": "ok", "casterton": "ok", "oakham-w40": "ok", "broken": "FAILED"}
    assert "broken.geojson: boundary file not found" in result.output
    assert "Planned 3 of 4 areas" in result.output
    assert "Error: 1 of 4 areas failed: broken" in result.output
    weeks = sorted(p.relative_to(alone) for p in alone.glob("maps/*/2022-W*"))
    assert {w.as_posix() for w in weeks} == {"maps/casterton/2022-W45", "maps/oakham-w40/2022-W40", "maps/oakham/2022-W45"}
    for week in weeks:
        assert len(list((together / week).iterdir())) >= 15
        assert compare_weeks.compare(alone / week, together / week, (alone, together)) == [], week
    index = (together / "maps" / "index.html").read_text(encoding="utf-8")
    assert all(f"{name}/" in index for name in ("oakham", "casterton", "oakham-w40"))
    assert not (together / "maps" / "broken" / "2022-W45").exists()


def test_two_configs_for_the_same_area_folder_stop_before_any_work(tmp_path):
    cache = tmp_path / "cache"
    first = config_copy(tmp_path, tmp_path / "maps", cache, name="rutland")
    second_dir = tmp_path / "copy"
    second_dir.mkdir()
    second = config_copy(second_dir, tmp_path / "maps", cache, name="rutland")
    with pytest.raises(CorridorsError, match="both plan area 'rutland' into"):
        areas.read_areas([first, second])
    result = CliRunner().invoke(cli, ["plan", "--areas", str(first), str(second)])
    assert result.exit_code == 1
    assert "give each area its own [area] name or [maps] out_dir" in result.output
    assert not (tmp_path / "maps").exists()  # nothing was planned, not even a lock taken
    other = config_copy(second_dir, tmp_path / "maps", cache, name="rutland-2")
    assert [c.area.name for c in areas.read_areas([first, other], week="2022-W40")] == ["rutland", "rutland-2"]
    assert {c.area.week for c in areas.read_areas([first, other], week="2022-W40")} == {"2022-W40"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["plan", "--areas"], "--areas names no config file"),
        (["plan", "a.toml"], "config files and --scheduler go with --areas"),
        (["plan", "--scheduler", "tcp://h:1"], "config files and --scheduler go with --areas"),
        (["-c", "x.toml", "plan", "--areas", "a.toml"], "with --areas, list every area's config"),
        (["plan", "--areas", "missing.toml"], "missing.toml: config file not found"),
    ],
)
def test_plan_areas_usage_errors(args, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1, result.output
    assert message in result.output


def test_workers_with_a_scheduler_is_an_error(tmp_path):
    with pytest.raises(CorridorsError, match="has its own workers"), areas.dask_client(2, "tcp://127.0.0.1:1"):
        pass


def test_an_unreachable_scheduler_is_one_line(tmp_path):
    unreachable = r"cannot reach the Dask scheduler at tcp://127.0.0.1:1 .*leave out --scheduler"
    with pytest.raises(CorridorsError, match=unreachable), areas.dask_client(scheduler="tcp://127.0.0.1:1", connect_s=0.5):
        pass


def test_outcome_lines():
    ok = areas.AreaOutcome("a.toml", "north", "2022-W45", folder="maps/north/2022-W45", files=30, corridors=1, patrolled=1, loops=2, slots_filled=9, slots=10, seconds=3.25)
    assert ok.ok
    assert ok.line() == "ok     north 2022-W45: 1 corridor (1 patrolled), 2 loops, roster 9/10 slots; 30 files in maps/north/2022-W45 (3.2 s)"
    failed = areas.AreaOutcome("b.toml", "south", "2022-W45", error="b.toml: not valid TOML")
    assert not failed.ok
    assert failed.line() == "FAILED south 2022-W45: b.toml: not valid TOML"


def test_compare_weeks_masks_only_what_changes_on_every_run(tmp_path):
    before, after = tmp_path / "before", tmp_path / "after"
    for folder, run, body in ((before, "20221107T101500Z-0a1b2c", "x"), (after, "20261130T224657Z-0475ef", "x")):
        folder.mkdir()
        (folder / "a.csv").write_text(f"run,{run}\n{body}\n")
        (folder / "manifest.json").write_text(json.dumps({"run_id": run, "week": "2022-W45", "files": {}}))
    assert compare_weeks.compare(before, after) == []
    (after / "a.csv").write_text("run,20261130T224657Z-0475ef\ny\n")
    (after / "extra.txt").write_text("")
    assert compare_weeks.compare(before, after) == ["differs: a.csv", "only in after: extra.txt"]


def test_plan_areas_on_an_existing_cluster(tmp_path):
    from distributed import LocalCluster

    config = _area(tmp_path, tmp_path / "cache", "oakham")
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        result = CliRunner().invoke(cli, ["-q", "plan", "--areas", str(config), "--scheduler", cluster.scheduler_address])
    assert result.exit_code == 0, result.output
    assert "ok     oakham 2022-W45: 2 corridors (2 patrolled), 2 loops, roster" in result.output
    assert (tmp_path / "maps" / "oakham" / "2022-W45" / "manifest.json").exists()


def _sqrt_in_a_process_pool(x):
    """A task that starts processes of its own, as the roster's parts do (roster/parts.py)."""
    import math
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
        return pool.submit(math.sqrt, x).result()


def test_a_task_that_fails_or_kills_its_worker_costs_no_other():
    import math
    import os
    import sys

    import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # workers cannot import tests/
    with areas.dask_client(1) as client:
        assert areas.run_each(client, math.sqrt, [-1.0, 4.0]) == ["ValueError: math domain error", 2.0]
        (lost,) = areas.run_each(client, os._exit, [3])  # the worker dies; the nanny starts another
        assert lost.startswith("KilledWorker: ")
        assert areas.run_each(client, math.sqrt, [9.0]) == [3.0]
        # Dask's workers are daemons by default, which may not start processes: ours may
        assert areas.run_each(client, _sqrt_in_a_process_pool, [16.0]) == [4.0]


def test_each_local_worker_fills_only_its_share_of_the_cores():
    # two areas side by side must not each start a loop pool and a roster pool per core
    from corridors.cores import usable_cores

    share = max(1, usable_cores() // 2)
    with areas.dask_client(2) as client:
        seen = client.run(usable_cores)  # every worker process: the cores it may fill
    assert len(seen) == 2 and set(seen.values()) == {share}


def test_usable_cores_honours_the_share_it_is_given(monkeypatch):
    from corridors.cores import CORES_ENV, usable_cores
    from corridors.roster.parts import workers_for
    from corridors.routes.solver import worker_count

    monkeypatch.setenv(CORES_ENV, "3")
    assert usable_cores() == 3
    assert worker_count(0, tasks=10) == 3 and worker_count(5, tasks=10) == 5  # a set count wins
    cfg = load_config(Path(__file__).resolve().parents[1] / "data" / "rutland.toml").roster
    assert workers_for(cfg, parts=10) == (cfg.solver.workers or 3)
    monkeypatch.setenv(CORES_ENV, "zero")  # not a count: ignored
    assert usable_cores() >= 1
