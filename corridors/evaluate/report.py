"""Write an evaluation: both pages and every table as CSV, staged and swapped in whole.

An I/O edge. The folder ``<out_dir>/<area>/evaluations/<first>_<last>/`` (or ``--out``) is
built in a staging folder beside it, gets a ``manifest.json`` (every file's SHA-256, the
config, the weeks and their plans' run ids) and is swapped in by
:func:`corridors.publish.publish_week`, so a reader never sees half an evaluation.
"""

from __future__ import annotations

from pathlib import Path

from corridors import publish
from corridors.config import Config
from corridors.evaluate.page import report_page
from corridors.evaluate.run import Evaluation
from corridors.evaluate.tables import public_tables, team_tables
from corridors.maps.manifest import manifest_doc
from corridors.outputs import write_csv, write_text

TEAM_HTML = "report.html"
PUBLIC_HTML = "public.html"
PUBLIC_DIR = "public"


def evaluation_dir(cfg: Config, first: str, last: str) -> Path:
    """Return the default folder: ``<out_dir>/<area>/evaluations/<first>_<last>``."""
    return publish.area_dir(cfg.maps.out_dir, cfg.area.name) / "evaluations" / f"{first}_{last}"


def write_evaluation(
    ev: Evaluation, cfg: Config, folder: str | Path, *, plans: dict[str, str]
) -> list[Path]:
    """
    Write ``report.html``, ``public.html``, the team's CSVs and ``public/*.csv`` into ``folder``.

    ``plans`` maps each evaluated week to its plan's run id (for the manifest). The caller
    holds the area's lock. Returns the files written.
    """
    final = Path(folder)
    final.parent.mkdir(parents=True, exist_ok=True)
    run_id = publish.new_run_id()
    team, public = team_tables(ev), public_tables(ev)
    with publish.staged_week(final, run_id=run_id) as stage:
        write_text(stage / TEAM_HTML, report_page(ev, team, public=False))
        write_text(stage / PUBLIC_HTML, report_page(ev, public, public=True))
        for name, frame in team.items():
            write_csv(frame, stage / f"{name}.csv")
        for name, frame in public.items():
            write_csv(frame, stage / PUBLIC_DIR / f"{name}.csv")
        doc = manifest_doc(
            cfg=cfg,
            reports=[],
            extra={"evaluation": f"{ev.first}_{ev.last}", "weeks": list(ev.weeks), "plans": plans},
        )
        publish.write_manifest(stage, doc, run_id=run_id)
        publish.publish_week(stage, final)
    return sorted(p for p in final.rglob("*") if p.is_file())
