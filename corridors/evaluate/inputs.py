"""What an evaluation reads: the config's inputs, the street graph, the history, the stops.

An I/O edge: :func:`run_evaluation` loads everything (as ``plan`` does, up to the last
evaluated week), hands it to :func:`corridors.evaluate.run.evaluate`, and returns the result.
"""

from __future__ import annotations

import logging

from corridors import graph, load
from corridors.config import Config, override
from corridors.evaluate.history import read_plan_history
from corridors.evaluate.run import Evaluation, evaluate
from corridors.evaluate.streets import street_segments
from corridors.load.stops import load_stops
from corridors.publish import area_dir

logger = logging.getLogger(__name__)


def run_evaluation(
    cfg: Config, first: str, last: str, *, seed: int = 0
) -> tuple[Evaluation, dict[str, str]]:
    """
    Evaluate the planned weeks from ``first`` to ``last``.

    Returns the evaluation and each week's plan run id.

    Raises
    ------
    InputDataError
        If the history is missing or a week's folder no longer matches its manifest.
    ConfigError
        If a week is not an ISO week, or ``[equality]`` has no stop-and-search file.
    """
    history = read_plan_history(area_dir(cfg.maps.out_dir, cfg.area.name), first, last)
    cfg = override(cfg, "area", week=history.weeks[-1])
    inputs = load.load_inputs(cfg)
    street = graph.build_street_graph(cfg.graph, crs=inputs.crs, study_area=inputs.study_area)
    segments = street_segments(street, [inputs.schools.geometry, inputs.hubs.geometry])
    stops = None
    if cfg.equality is not None:
        stops = load_stops(cfg, crs=inputs.crs, tz=inputs.timezone)
        stops = stops[stops.within(inputs.study_area)]  # the area's stops only
    ev = evaluate(cfg, history, inputs.incidents, segments, stops=stops, seed=seed)
    plans = {w: str(history.manifests[w].get("run_id", "")) for w in history.weeks}
    logger.info("Evaluated %d weeks of %s", len(history.weeks), cfg.area.name)
    return ev, plans
