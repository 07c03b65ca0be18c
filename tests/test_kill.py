"""Kill `corridors plan` at random moments: the week folder is never a mix of two plans.

The embedded Rutland plan is run to the end once, then started again and killed (SIGKILL, the
whole process group) at 20 random moments: half spread over the whole run, half over its last
part, where the week is written. After every kill the week folder must be exactly a complete
plan (its manifest verifies: every file, its SHA-256, nothing extra) and the history must stay
readable; then a rerun must succeed and leave nothing behind. ``CORRIDORS_KILL_SEED`` replays a
sequence of moments.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import pyogrio
import pytest

from corridors import publish

try:  # tests/ is on sys.path (rootdir conftest, no package) ...
    from rutland import cli_command, cli_env, config_copy, run_cli
except ImportError:  # ... or tests is a package
    from tests.rutland import cli_command, cli_env, config_copy, run_cli

WEEK = "2022-W45"
KILLS = 20


def _run_and_kill(cfg, delay_s: float) -> bool:
    """Start a plan, SIGKILL it after ``delay_s``; True if it was killed, False if it ended."""
    proc = subprocess.Popen(
        cli_command(cfg, "plan"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=cli_env(),
        cwd=cfg.parent,
        start_new_session=True,
    )
    try:
        proc.wait(timeout=delay_s)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        return True
    assert proc.returncode == 0
    return False


def _kill_sequence(cfg, moments: list[float]) -> dict[str, object]:
    """Kill a plan at each moment; check the week folder after each kill; then rerun."""
    area = cfg.parent / "maps" / "rutland"
    week = area / WEEK
    killed = mixed = 0
    runs = {publish.read_manifest(week)["run_id"]}
    for delay in moments:
        killed += _run_and_kill(cfg, delay)
        problems = publish.verify_week(week)  # the folder is there: a week existed before
        mixed += bool(problems)
        assert not problems, (delay, problems)
        runs.add(publish.read_manifest(week)["run_id"])
        assert len(pyogrio.list_layers(area / publish.HISTORY_GPKG))  # still readable
        weeks = [p.name for p in area.iterdir() if p.is_dir() and not p.name.startswith(".")]
        assert weeks == [WEEK], weeks
    again = run_cli(cfg, "plan")
    assert again.returncode == 0, again.stderr
    assert publish.verify_week(week) == []
    left = sorted(p.name for p in area.iterdir())
    assert left == [".lock", WEEK, publish.HISTORY_GPKG], left
    return {"killed": killed, "checked": len(moments), "mixed": mixed, "complete": len(runs)}


def test_killed_plans_leave_the_last_complete_week(tmp_path):
    cache = tmp_path / "cache"
    first = config_copy(tmp_path, tmp_path / "maps", cache)
    t = time.perf_counter()
    done = run_cli(first, "plan")  # a complete week (and a warm graph cache) first
    full_s = time.perf_counter() - t
    assert done.returncode == 0, done.stderr

    seed = int(os.environ.get("CORRIDORS_KILL_SEED", "20261130"))
    rng = random.Random(seed)
    moments = [rng.uniform(0.05, 1.0) * full_s for _ in range(KILLS // 2)]
    moments += [rng.uniform(0.55, 1.05) * full_s for _ in range(KILLS - KILLS // 2)]
    rng.shuffle(moments)
    # two areas' copies side by side (2 cores): each a sequence of half the kills
    configs = []
    for i in range(2):
        folder = tmp_path / f"seq{i}"
        shutil.copytree(tmp_path / "maps", folder / "maps")
        configs.append(config_copy(folder, folder / "maps", cache))
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(_kill_sequence, configs, [moments[0::2], moments[1::2]]))
    total = {k: sum(int(r[k]) for r in results) for k in ("killed", "checked", "mixed")}
    print(
        f"\nkill test (seed {seed}): {total['killed']} kills of {KILLS} runs (full run "
        f"{full_s:.1f} s), {total['checked']} folders checked, {total['mixed']} mixed"
    )
    assert total["mixed"] == 0
    assert total["killed"] >= KILLS // 2, "most moments should land before the run ends"


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_stopped_plan_removes_its_staging(tmp_path, signum):
    """Stopping a plan politely (Ctrl-C, a service manager) leaves no staging behind."""
    cfg = config_copy(tmp_path, tmp_path / "maps", tmp_path / "cache")
    proc = subprocess.Popen(
        cli_command(cfg, "plan"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(),
        cwd=cfg.parent,
    )
    area = tmp_path / "maps" / "rutland"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:  # wait for the staging folder
        if area.is_dir() and any(p.name.startswith(f".{WEEK}.staging-") for p in area.iterdir()):
            break
        time.sleep(0.02)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode != 0
    assert "Traceback" not in err, err
    assert not (area / WEEK).exists()
    assert not [p.name for p in area.iterdir() if ".staging-" in p.name]
