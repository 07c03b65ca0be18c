"""``corridors notice``: re-make a planned week's printed notices from its folder."""

from __future__ import annotations

import shutil
import time
from typing import Any

import click

from corridors.cli.app import _handle_errors, _State, cli, pass_state
from corridors.config import config_to_dict, override
from corridors.errors import CorridorsError, describe_os_error


@cli.command()
@click.option("--week", help="ISO week, e.g. 2022-W45 (overrides [area] week).")
@pass_state
@_handle_errors
def notice(state: _State, week: str | None) -> None:
    """Re-make a planned week's printed notices (A4 PDFs) from its folder.

    Reads the week's loops and roster from its folder (as `plan` wrote them) and the street
    graph, writes notice/<school>-<language>.pdf and notice/area-<language>.pdf with the
    config's [maps] contact, languages and public_url (the QR code), and publishes the week
    again whole, its manifest listing the new files. `plan` writes them too.

    \b
    Example:
      corridors -c data/rutland.toml notice --week 2022-W45
    """
    from corridors import pipeline

    cfg = pipeline.resolve_week(override(state.config(), "area", week=week))
    t = time.perf_counter()
    with pipeline.locked(cfg, "notice"):
        names = remake_notices(cfg)
    folder = pipeline.week_folder(cfg).path
    click.echo(f"Wrote {len(names)} printed notices to {folder} in {time.perf_counter() - t:.1f} s")
    for name in names:
        click.echo(f"  {folder / name}")


def remake_notices(cfg: Any) -> list[str]:
    """
    Re-publish the week with new notices; return their paths in the week folder.

    The published folder must match its manifest. Its files but the old notices are copied
    into a staging folder, the notices written there, the manifest rewritten (the plan's
    facts, plus ``notices``: the run and the ``[maps]`` settings used) and the folder swapped
    in whole (:mod:`corridors.publish`); the caller holds the area's lock.

    Raises
    ------
    CorridorsError
        If the week was not planned, or its folder differs from its manifest.
    """
    from corridors import maps, pipeline, publish, roster

    final = pipeline.week_folder(cfg).path
    if not (final / publish.MANIFEST_JSON).is_file():
        raise CorridorsError(f"{final}: no planned week here; run 'corridors plan' first")
    problems = publish.verify_week(final)
    if problems:
        raise CorridorsError(
            f"{final}: {len(problems)} file(s) differ from the manifest ({problems[0]}); "
            "re-run 'corridors plan' for the week"
        )
    inputs = pipeline.read_inputs(cfg)
    street = pipeline.build_graph(cfg, inputs)
    plan = roster.read_plan_loops(final, crs=str(inputs.crs))
    rota_csv = final / "roster.csv"
    rota = roster.read_roster(rota_csv, timezone=inputs.timezone) if rota_csv.is_file() else None
    old = publish.read_manifest(final)
    run_id = publish.new_run_id()
    try:
        with publish.staged_week(final, run_id=run_id) as stage:
            for name in old["files"]:
                if not name.startswith(f"{maps.NOTICE_DIR}/"):
                    (stage / name).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(final / name, stage / name)
            written = maps.write_notices(
                stage, street=street, corridors=plan, rota=rota, config=cfg, week=cfg.area.week,
                timezone=inputs.timezone,
            )  # fmt: skip
            doc = {k: v for k, v in old.items() if k not in ("files", "run_id")}
            doc["notices"] = {"run_id": run_id, "maps": config_to_dict(cfg)["maps"]}
            publish.write_manifest(stage, doc, run_id=run_id)
            publish.publish_week(stage, final)
        maps.write_index(cfg.maps.out_dir)
    except OSError as exc:
        hint = f"{publish.OUT_HINT}; the week's last published plan is unchanged"
        raise CorridorsError(describe_os_error(exc, final, hint=hint)) from exc
    return sorted(written)
