"""Street ids: which street each edge belongs to, pavements drawn separately included.

Named edges (``name``, else ``ref``) get a slug of the name, one id per connected piece of that
name (``"high-street"``, ``"high-street~2"``...), numbered by the piece's smallest node id so
ids are stable. A pavement (``footway=sidewalk``) takes the id of the nearest roughly parallel
named street within ``GraphConfig.sidewalk_match_m``; every other edge is ``"way/<osm id>"``.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict

import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import connected_components

from corridors.config import GraphConfig
from corridors.graph.street import FOOTWAY, NAME, OSM_WAYS, REF

_SLUG = re.compile(r"[^0-9a-z]+")


def _slug(text: str) -> str:
    text = text.lower().replace("'", "").replace("\u2019", "")
    return _SLUG.sub("-", text).strip("-") or "street"


def _assign_street_ids(
    und: pd.DataFrame, geoms: np.ndarray, cfg: GraphConfig
) -> tuple[list[str], list[str | None]]:
    """One street id per undirected edge (see :data:`~corridors.graph.street.STREET_ID`)."""
    n = len(und)
    sidewalk = np.array([f == "sidewalk" for f in und[FOOTWAY].tolist()], dtype=bool)
    key = _street_keys(und[NAME].tolist(), und[REF].tolist())
    street_id: list[str | None] = [None] * n
    street_name: list[str | None] = [None] * n

    # named streets: connected pieces of one name, numbered by their smallest node id
    cand = np.flatnonzero(np.array([k is not None for k in key], dtype=bool) & ~sidewalk)
    if len(cand):
        u = und["u"].to_numpy(np.int64)[cand]
        v = und["v"].to_numpy(np.int64)[cand]
        ids, names = _named_street_ids([str(key[i]) for i in cand.tolist()], u, v)
        for i, sid, name in zip(cand.tolist(), ids, names, strict=True):
            street_id[i] = sid
            street_name[i] = name

    # pavements: the nearest roughly parallel named street within sidewalk_match_m
    sw = np.flatnonzero(sidewalk)
    if len(sw) and len(cand):
        matched = _match_sidewalks(geoms[sw], geoms[cand], cfg)
        for i, c in zip(sw.tolist(), matched.tolist(), strict=True):
            if c >= 0:
                street_id[i] = street_id[int(cand[c])]
                street_name[i] = street_name[int(cand[c])]

    osm_ways = und[OSM_WAYS].tolist()
    for i in range(n):
        if street_id[i] is None:
            street_id[i] = f"way/{osm_ways[i].split(';')[0]}"
    return [str(s) for s in street_id], street_name


def _street_keys(names: list[object], refs: list[object]) -> list[str | None]:
    """Name each edge's street: its ``name``, else its ``ref``, else ``None``."""
    return [nm if isinstance(nm, str) and nm else (r if isinstance(r, str) and r else None)
            for nm, r in zip(names, refs, strict=True)]  # fmt: skip


def _named_street_ids(keys: list[str], u: np.ndarray, v: np.ndarray) -> tuple[list[str], list[str]]:
    """Street id and name of named edges: one id per connected piece of each name."""
    codes, uniq = pd.factorize(np.array(keys, dtype=object), sort=True)
    m = len(keys)
    pairs = np.concatenate([np.column_stack([codes, u]), np.column_stack([codes, v])])
    vertices, inv = np.unique(pairs, axis=0, return_inverse=True)
    inv = inv.ravel()
    adj = sp.coo_matrix((np.ones(m), (inv[:m], inv[m:])), shape=(len(vertices),) * 2)
    k, label = connected_components(adj, directed=False)
    first_node = np.full(k, np.iinfo(np.int64).max)
    np.minimum.at(first_node, label, vertices[:, 1])
    comp_code = np.empty(k, dtype=np.int64)
    comp_code[label] = vertices[:, 0]
    slugs = [_slug(str(name)) for name in uniq]
    comp_id = _number_pieces(slugs, comp_code, first_node)
    edge_label = label[inv[:m]]
    ids = [comp_id[c] for c in edge_label.tolist()]
    names = [str(uniq[code]) for code in codes.tolist()]
    return ids, names


def _number_pieces(slugs: list[str], comp_code: np.ndarray, first_node: np.ndarray) -> list[str]:
    """Id of each connected piece: its name's slug, ``~2``, ``~3``... by smallest node id."""
    next_number: dict[str, int] = defaultdict(int)  # shared by names with one slug
    comp_id = [""] * len(comp_code)
    for c in np.lexsort((first_node, comp_code)).tolist():
        base = slugs[comp_code[c]]
        number = next_number[base]
        next_number[base] += 1
        comp_id[c] = base if number == 0 else f"{base}~{number + 1}"
    return comp_id


def _unit_dir(line: np.ndarray, at_m: np.ndarray, half_m: np.ndarray) -> np.ndarray:
    """Return unit direction vectors of ``line`` around the positions ``at_m`` (± ``half_m``)."""
    length = shapely.length(line)
    p0 = shapely.line_interpolate_point(line, np.clip(at_m - half_m, 0, length))
    p1 = shapely.line_interpolate_point(line, np.clip(at_m + half_m, 0, length))
    d = shapely.get_coordinates(p1) - shapely.get_coordinates(p0)
    norm = np.hypot(d[:, 0], d[:, 1])
    norm[norm == 0] = 1.0
    return np.asarray(d / norm[:, None], dtype=float)


def _match_sidewalks(sidewalks: np.ndarray, streets: np.ndarray, cfg: GraphConfig) -> np.ndarray:
    """Index into ``streets`` of each sidewalk's street (-1: none within range and bearing)."""
    sw_len = shapely.length(sidewalks)
    mid = shapely.line_interpolate_point(sidewalks, sw_len / 2)
    tree = shapely.STRtree(streets)
    i_sw, i_st = tree.query(mid, predicate="dwithin", distance=cfg.sidewalk_match_m)
    result = np.full(len(sidewalks), -1, dtype=np.int64)
    if not len(i_sw):
        return result
    dist = shapely.distance(mid[i_sw], streets[i_st])
    half = np.minimum(5.0, sw_len[i_sw] / 4 + 1e-9)
    d_sw = _unit_dir(sidewalks[i_sw], sw_len[i_sw] / 2, half)
    pos = shapely.line_locate_point(streets[i_st], mid[i_sw])
    d_st = _unit_dir(streets[i_st], pos, np.full(len(pos), 5.0))
    cos = np.abs(np.einsum("ij,ij->i", d_sw, d_st))
    # short pieces (stubs at crossings) have no reliable bearing: nearest street wins
    ok = (cos >= math.cos(math.radians(cfg.sidewalk_bearing_deg))) | (
        sw_len[i_sw] < cfg.sidewalk_match_m
    )
    i_sw, i_st, dist = i_sw[ok], i_st[ok], dist[ok]
    order = np.lexsort((i_st, dist, i_sw))  # per sidewalk: nearest first (ties: lower index)
    i_sw, i_st = i_sw[order], i_st[order]
    first = np.ones(len(i_sw), dtype=bool)
    first[1:] = i_sw[1:] != i_sw[:-1]
    result[i_sw[first]] = i_st[first]
    return result
