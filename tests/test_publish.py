"""A week is published whole under the area's lock; faults keep the last good week.

Unit tests of :mod:`corridors.publish` on hand-made folders, then the real command line on the
embedded Rutland data: two runs at once, names as paths, and file-system faults made real
(a read-only or full tmpfs when root, dropped privileges, a file-size limit).
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess
import threading
from pathlib import Path

import pandas as pd
import pyogrio
import pytest
from click.testing import CliRunner

from corridors import lock, publish
from corridors.cli import cli
from corridors.config import AreaConfig, load_config
from corridors.errors import ConfigError

try:  # tests/ is on sys.path (rootdir conftest, no package) ...
    from rutland import cli_command, cli_env, config_copy, run_cli
except ImportError:  # ... or tests is a package
    from tests.rutland import cli_command, cli_env, config_copy, run_cli

WEEK = "2022-W45"
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


# -- hand-made folders -----------------------------------------------------------------------


def _publish(final: Path, files: dict[str, str], run_id: str) -> None:
    with publish.staged_week(final, run_id=run_id) as stage:
        for name, text in files.items():
            (stage / name).parent.mkdir(parents=True, exist_ok=True)
            (stage / name).write_text(text)
        publish.write_manifest(stage, {"week": final.name}, run_id=run_id)
        publish.publish_week(stage, final)


def test_a_published_week_lists_every_file_and_verifies(tmp_path):
    final = tmp_path / "area" / WEEK
    _publish(final, {"loops.csv": "a\n", "calendar/team.ics": "BEGIN:VCALENDAR\n"}, "r1")
    manifest = publish.read_manifest(final)
    assert manifest["run_id"] == "r1"
    assert set(manifest["files"]) == {"loops.csv", "calendar/team.ics"}
    assert publish.verify_week(final) == []
    (final / "loops.csv").write_text("b\n")
    (final / "calendar" / "team.ics").unlink()
    (final / "extra.html").write_text("<p>")
    assert publish.verify_week(final) == [
        "missing: calendar/team.ics",
        "changed: loops.csv",
        "not in manifest: extra.html",
    ]


def test_a_second_publish_replaces_the_whole_folder(tmp_path):
    final = tmp_path / "area" / WEEK
    _publish(final, {"loops.csv": "old\n", "roster.csv": "old\n"}, "r1")
    _publish(final, {"loops.csv": "new\n"}, "r2")
    assert sorted(p.name for p in final.iterdir()) == ["loops.csv", "manifest.json"]
    assert publish.read_manifest(final)["run_id"] == "r2"
    assert [p.name for p in final.parent.iterdir()] == [WEEK]  # no staging or old copy left


def test_a_failure_while_staging_keeps_the_last_week(tmp_path):
    final = tmp_path / "area" / WEEK
    _publish(final, {"loops.csv": "good\n"}, "r1")
    with pytest.raises(RuntimeError), publish.staged_week(final, run_id="r2") as stage:
        (stage / "loops.csv").write_text("half\n")
        raise RuntimeError("killed half way")
    assert (final / "loops.csv").read_text() == "good\n"
    assert publish.verify_week(final) == []
    assert [p.name for p in final.parent.iterdir()] == [WEEK]


def test_a_staged_week_that_does_not_match_its_manifest_is_not_published(tmp_path):
    final = tmp_path / "area" / WEEK
    _publish(final, {"loops.csv": "good\n"}, "r1")
    with (
        pytest.raises(publish.PublishError, match="nothing was published"),
        publish.staged_week(final, run_id="r2") as stage,
    ):
        (stage / "loops.csv").write_text("new\n")
        publish.write_manifest(stage, {}, run_id="r2")
        (stage / "late.csv").write_text("written after the manifest\n")
        publish.publish_week(stage, final)
    assert (final / "loops.csv").read_text() == "good\n"


def test_without_an_atomic_exchange_a_kill_between_renames_is_undone(tmp_path, monkeypatch):
    area = tmp_path / "area"
    final = area / WEEK
    _publish(final, {"loops.csv": "good\n"}, "r1")
    monkeypatch.setattr(publish, "_exchange", lambda a, b: False)
    _publish(final, {"loops.csv": "new\n"}, "r2")  # the two-rename fallback works
    assert publish.read_manifest(final)["run_id"] == "r2"
    # a run killed between its two renames leaves only the .old copy: recover puts it back
    os.rename(final, area / f".{WEEK}.old-abc123")
    (area / f".{WEEK}.staging-r3").mkdir()
    done = publish.recover(area)
    assert publish.read_manifest(final)["run_id"] == "r2"
    assert any("restored" in line for line in done)
    assert sorted(p.name for p in area.iterdir()) == [WEEK]


def test_recover_rolls_history_forward_only_for_published_runs(tmp_path):
    area = tmp_path / "area"
    _publish(area / WEEK, {"loops.csv": "a\n"}, "r1")
    (area / "plans.gpkg").write_text("old history")
    publish.pending_history(area, "r1").write_text("history of r1")
    publish.pending_history(area, "r9").write_text("history of a run killed before its swap")
    (area / WEEK / ".shared.k2j3h4g5.html").write_text("<half")  # interrupted atomic write
    (area / ".plans.abcd1234.gpkg").write_text("half")
    (area / "..plans.r9.pending.x1y2z3.r9.pending.gpkg").write_text("half a staged history")
    publish.recover(area)
    assert (area / "plans.gpkg").read_text() == "history of r1"
    assert sorted(p.name for p in area.iterdir()) == [WEEK, "plans.gpkg"]
    assert publish.verify_week(area / WEEK) == []


# -- the lock ---------------------------------------------------------------------------------


def test_a_second_run_waits_then_names_the_holder(tmp_path, monkeypatch):
    area = tmp_path / "maps" / "rutland"
    with publish.area_lock(area, command="plan"):
        holder = json.loads((area / publish.LOCK_FILE).read_text())
        assert holder["pid"] == os.getpid()
        with publish.area_lock(area):  # re-entrant in the same process
            pass
        errors: list[Exception] = []

        def other() -> None:  # another thread opens its own lock file: a second holder
            try:
                lock._held.clear()
                with publish.area_lock(area, wait_s=0.3):
                    pass
            except publish.LockedError as exc:
                errors.append(exc)

        held = dict(lock._held)
        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
        lock._held.update(held)
    assert len(errors) == 1
    assert str(errors[0]).startswith(f"rutland is being planned by PID {os.getpid()} since ")
    with publish.area_lock(area, wait_s=0):  # released
        pass


def test_cli_plan_exits_1_while_the_area_is_locked(tmp_path, monkeypatch):
    cfg = config_copy(tmp_path, tmp_path / "maps", tmp_path / "cache")
    monkeypatch.setattr(lock, "LOCK_WAIT_S", 0.2)
    child = subprocess.Popen(  # holds the lock from another process
        [
            *cli_command(cfg, "--help")[:1],
            "-c",
            "import sys, time; from corridors import publish\n"
            f"with publish.area_lock({str(tmp_path / 'maps' / 'rutland')!r}, command='plan'):\n"
            "    print('locked', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=cli_env(),
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "locked"
        result = CliRunner().invoke(cli, ["-q", "-c", str(cfg), "plan"])
    finally:
        child.kill()
        child.communicate()
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: rutland is being planned by PID {child.pid} since ")
    assert "Traceback" not in result.output
    assert not (tmp_path / "maps" / "rutland" / WEEK).exists()


# -- names as paths ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["..", ".", "a/b", "a\\b", "x..y", ".hidden", "", "é", "a b"])
def test_area_names_are_slugs(name):
    with pytest.raises(ConfigError, match=r"area\.name must be a slug"):
        AreaConfig(name=name)


def test_a_dotdot_area_in_the_config_writes_nothing(tmp_path):
    cfg = config_copy(tmp_path, tmp_path / "out" / "maps", tmp_path / "cache")
    cfg.write_text(cfg.read_text().replace('name = "rutland"', 'name = ".."'))
    result = CliRunner().invoke(cli, ["-c", str(cfg), "plan"])
    assert result.exit_code == 1
    assert "area.name must be a slug" in result.output
    assert not (tmp_path / "out").exists()


def test_week_folders_stay_under_out_dir(tmp_path):
    assert publish.week_dir(tmp_path, "rutland", WEEK) == tmp_path / "rutland" / WEEK
    for week in ("..", "2022-W45/..", "../2022-W45"):
        with pytest.raises(ConfigError):
            publish.week_dir(tmp_path, "rutland", week)
    (tmp_path / "rutland").symlink_to(tmp_path.parent)  # a link out of out_dir
    with pytest.raises(ConfigError, match="outside the output folder"):
        publish.week_dir(tmp_path, "rutland", WEEK)


# -- the real command line on the embedded data, with faults made real -----------------------


@pytest.fixture(scope="module")
def good_week(tmp_path_factory):
    """One complete planned week (out_dir and warm graph cache) to copy for each fault."""
    tmp = tmp_path_factory.mktemp("good")
    cfg = config_copy(tmp, tmp / "maps", tmp / "cache")
    result = run_cli(cfg, "plan")
    assert result.returncode == 0, result.stderr
    return tmp


def _copy_good(good: Path, dest: Path) -> Path:
    """Copy the good week's out_dir into ``dest`` and return a config writing there."""
    shutil.copytree(good / "maps", dest / "maps")
    return config_copy(dest, dest / "maps", good / "cache")


def _assert_last_good_week_kept(dest: Path, good: Path) -> None:
    week = dest / "maps" / "rutland" / WEEK
    assert publish.verify_week(week) == []
    before = publish.read_manifest(good / "maps" / "rutland" / WEEK)["run_id"]
    assert publish.read_manifest(week)["run_id"] == before
    left = [p.name for p in (dest / "maps" / "rutland").iterdir()]
    assert sorted(left) == [".lock", WEEK, "plans.gpkg"], left


def _one_error_line(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    lines = [ln for ln in result.stderr.splitlines() if ln.startswith("Error: ")]
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


@pytest.fixture
def tmpfs(tmp_path):
    """A small tmpfs of our own (root only): real ENOSPC and EROFS."""
    if not IS_ROOT or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root")
    mounted: list[Path] = []

    def make(size_kb: int) -> Path:
        where = tmp_path / f"fs{len(mounted)}"
        where.mkdir()
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(where)],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
        mounted.append(where)
        return where

    yield make
    for where in mounted:
        subprocess.run(["umount", "-l", str(where)], check=False)


def test_disk_full_is_one_line_and_keeps_the_last_week(good_week, tmpfs):
    used_kb = sum(p.stat().st_size for p in (good_week / "maps").rglob("*") if p.is_file())
    fs = tmpfs(used_kb // 1024 + 1024 + 1024)  # room for the good week and 1 MB more
    cfg = _copy_good(good_week, fs)
    result = run_cli(cfg, "plan")
    _one_error_line(result, "no space left on the device", "last published plan is unchanged")
    _assert_last_good_week_kept(fs, good_week)


def test_read_only_folder_is_one_line_for_every_writing_command(good_week, tmpfs):
    fs = tmpfs(16 * 1024)
    cfg = _copy_good(good_week, fs)
    subprocess.run(["mount", "-o", "remount,ro", str(fs)], check=True)
    for args in (("plan",), ("validate",), ("roster", "--absent", "P01")):
        _one_error_line(run_cli(cfg, *args), "read-only file system", "[maps] out_dir")
    _assert_last_good_week_kept(fs, good_week)


def _unprivileged() -> tuple[str, ...]:
    """A prefix that runs a child without the power to ignore file permissions."""
    if not IS_ROOT:
        return ()
    if shutil.which("setpriv") is None:
        pytest.skip("root without setpriv cannot drop the file-permission override")
    caps = "-dac_override,-dac_read_search"
    return ("setpriv", f"--bounding-set={caps}", f"--inh-caps={caps}")


def test_permission_denied_is_one_line_and_keeps_the_last_week(good_week, tmp_path):
    cfg = _copy_good(good_week, tmp_path)
    area = tmp_path / "maps" / "rutland"
    for folder in (tmp_path / "maps", area, area / WEEK):
        folder.chmod(0o555)
    try:
        for args in (("plan",), ("roster", "--absent", "P01")):
            result = run_cli(cfg, *args, prefix=_unprivileged())
            _one_error_line(result, "permission denied")
    finally:
        for folder in (tmp_path / "maps", area, area / WEEK):
            folder.chmod(0o755)
    _assert_last_good_week_kept(tmp_path, good_week)


def test_a_file_size_limit_fails_cleanly_and_keeps_the_last_week(good_week, tmp_path):
    cfg = _copy_good(good_week, tmp_path)

    def limit() -> None:  # a writer that fails after 256 kB: EFBIG, not a signal
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (256 * 1024, 256 * 1024))

    result = run_cli(cfg, "plan", preexec_fn=limit)
    _one_error_line(result, "file too large", "last published plan is unchanged")
    _assert_last_good_week_kept(tmp_path, good_week)


def test_out_dir_that_is_a_file_is_one_line(tmp_path):
    (tmp_path / "maps").write_text("not a folder")
    cfg = config_copy(tmp_path, tmp_path / "maps", tmp_path / "cache")
    for args in (("plan",), ("validate",)):
        _one_error_line(run_cli(cfg, *args), "is a file, not a folder", "[maps] out_dir")
    assert (tmp_path / "maps").read_text() == "not a folder"  # left as it was


@pytest.mark.parametrize("damage", ["truncated", "corrupt"])
def test_a_damaged_gzip_is_one_line(tmp_path, damage):
    source = load_config(config_copy(tmp_path, tmp_path, tmp_path)).incidents[0].path.read_bytes()
    broken = source[: len(source) // 2]
    if damage == "corrupt":
        broken = source[:5000] + bytes(200) + source[5200:]
    path = tmp_path / "2022-01-leicestershire-street.csv.gz"
    path.write_bytes(broken)
    result = CliRunner().invoke(
        cli, ["validate", "--incidents", str(path), "--rejects", str(tmp_path / "r.csv")]
    )
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {path}: a damaged or truncated gzip file")
    assert "Traceback" not in result.output


def test_two_plans_of_different_weeks_at_once_lose_no_week(good_week, tmp_path):
    cfg = _copy_good(good_week, tmp_path)
    procs = {
        week: subprocess.Popen(
            cli_command(cfg, "plan", "--week", week),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=cli_env(),
        )
        for week in ("2022-W46", "2022-W47")
    }
    outcome = {week: (p.wait(timeout=300), p.communicate()[1]) for week, p in procs.items()}
    ok = {week for week, (rc, _) in outcome.items() if rc == 0}
    for rc, err in outcome.values():
        assert rc == 0 or "rutland is being planned by PID" in err, err
    assert ok, outcome
    assert {WEEK, *ok} <= set(_history_weeks(tmp_path)["week"])
    for week in ok:
        assert publish.verify_week(tmp_path / "maps" / "rutland" / week) == []


def _history_weeks(root: Path) -> pd.DataFrame:
    gpkg = root / "maps" / "rutland" / "plans.gpkg"
    layers = [str(n) for n in pyogrio.list_layers(gpkg)[:, 0]]
    return pd.concat([pyogrio.read_dataframe(gpkg, layer=n, read_geometry=False) for n in layers])
