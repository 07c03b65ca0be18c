"""The benchmarks stay runnable: each imports against today's package (they run on demand)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCHMARKS = sorted((Path(__file__).parent.parent / "benchmarks").glob("bench_*.py"))


def test_there_are_benchmarks():
    assert len(BENCHMARKS) >= 6


@pytest.mark.parametrize("path", BENCHMARKS, ids=lambda p: p.stem)
def test_benchmark_imports(path, monkeypatch):
    monkeypatch.setattr(sys, "argv", [str(path), "--help"])
    monkeypatch.syspath_prepend(str(path.parent))  # as when run as a script: its helpers import
    spec = importlib.util.spec_from_file_location(f"_bench_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # defines everything; main() runs only as a script
    assert callable(getattr(module, "main", None)), f"{path.name} has no main()"


def test_scale_city_quick_output_validates(tmp_path, monkeypatch, capsys):
    """The scale benchmark's generator writes files the tool reads: every row accepted."""
    from click.testing import CliRunner

    from corridors.cli import cli

    folder = Path(__file__).parent.parent / "benchmarks"
    monkeypatch.syspath_prepend(str(folder))
    spec = importlib.util.spec_from_file_location("_bench_scale_city", folder / "scale_city.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # its dataclasses look it up there
    spec.loader.exec_module(module)
    out = tmp_path / "tiny"
    monkeypatch.setattr(sys, "argv", ["scale_city.py", "--quick", "--out", str(out)])
    module.main()
    tiny = module.CASES["tiny"]
    rejects = tmp_path / "rejects.csv"
    result = CliRunner().invoke(
        cli, ["-q", "-c", str(out / "city.toml"), "validate", "--rejects", str(rejects)]
    )
    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line.split()[-3:] for line in result.output.splitlines()[1:6]}
    assert rows == {
        "schools": [str(tiny.schools)] * 2 + ["0"],
        "hubs": [str(tiny.hubs)] * 2 + ["0"],
        "incidents": [f"{tiny.incidents:,}"] * 2 + ["0"],
        "staff": [str(tiny.staff)] * 2 + ["0"],
        "total": [f"{tiny.schools + tiny.hubs + tiny.incidents + tiny.staff:,}"] * 2 + ["0"],
    }
    assert rejects.read_text(encoding="utf-8").strip().count("\n") == 0  # the header only
