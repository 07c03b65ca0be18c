"""Execute the analysts' notebooks top to bottom (offline, the venv's own kernel)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    # kernel "python3" is the ipykernel of the interpreter running the tests (the venv);
    # nothing is registered globally.
    client = NotebookClient(
        nb,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(ROOT / "notebooks")}},
    )
    client.execute()
    errors = [
        out
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if out.get("output_type") == "error"
    ]
    assert not errors
    texts = "".join(
        out.get("text", "") + str(out.get("data", {}).get("text/plain", ""))
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
    )
    if path.name == "hotspots.ipynb":
        assert "naive baseline" in texts
        # the strong baselines, the bar, intervals and street-length PAI (issue 15)
        assert "counts baseline, window" in texts and "The bar: " in texts
        assert "street_pai_lo" in texts and "vs_best_baseline_hi" in texts
        assert "hotspots.geojson" in texts
        # the learned model's feature importances on the embedded data
        assert "learned model feature importances" in texts and "cell_all" in texts
    if path.name == "evaluate.ipynb":
        assert "report.html" in texts and "public.html" in texts
        assert "no longer matches its manifest" in texts
