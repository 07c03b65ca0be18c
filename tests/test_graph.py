"""Tests of the street graph stage (corridors/graph/)."""

from __future__ import annotations

import io
import json
import logging
import pickle
import re
import socket
import threading
import time
import zipfile
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import osmnx as ox
import pandas as pd
import pyproj
import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st
from scipy.sparse.csgraph import dijkstra
from shapely.geometry import Point, box

from corridors import graph
from corridors.config import GraphConfig
from corridors.errors import (
    ConfigError,
    EmptyResultError,
    InputDataError,
    NetworkUnavailableError,
)
from corridors.graph import (
    CacheWarning,
    StreetGraph,
    build_street_graph,
    cache_layout,
    graph_stats,
    is_walkable,
    snap_points,
    to_csr,
)
from corridors.graph import build as graph_build
from corridors.graph.nx_graph import networkx_graph
from corridors.graph.online import _osmnx_settings, _raw_from_osmnx
from corridors.graph.osm_file import _file_sha256
from corridors.graph.simplify import _build_parts
from corridors.graph.street import _assemble

DATA = Path(__file__).parent / "data" / "graph"
TINY = DATA / "tiny.osm"
OAKHAM = DATA / "oakham-clip.osm.pbf"
ST_GEORGES = DATA / "london-st-georges-circus-2024.osm.bz2"
BNG = "EPSG:27700"


def _cfg(path: Path, cache: Path | None = None, **kw: object) -> GraphConfig:
    if cache is None:
        return GraphConfig(osm_file=path, use_cache=False, **kw)  # type: ignore[arg-type]
    return GraphConfig(osm_file=path, cache_dir=cache, **kw)  # type: ignore[arg-type]


def _osm(
    path: Path,
    nodes: dict[int, tuple[float, float]],
    ways: list[tuple[int, list[int], dict[str, str]]],
) -> Path:
    """Write a small OSM XML file (nodes as id -> (lon, lat))."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6">']
    lines += [
        f'<node id="{i}" version="1" lat="{lat}" lon="{lon}"/>' for i, (lon, lat) in nodes.items()
    ]
    for wid, refs, tags in ways:
        lines.append(f'<way id="{wid}" version="1">')
        lines += [f'<nd ref="{r}"/>' for r in refs]
        lines += [f'<tag k="{k}" v="{v}"/>' for k, v in tags.items()]
        lines.append("</way>")
    lines.append("</osm>")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def tiny() -> StreetGraph:
    return build_street_graph(_cfg(TINY), crs=BNG)


@pytest.fixture(scope="module")
def oakham() -> StreetGraph:
    return build_street_graph(_cfg(OAKHAM), crs=BNG)


def _forward(street: StreetGraph) -> gpd.GeoDataFrame:
    return street.edges[~street.edges["reversed"].to_numpy(bool)]


# -- tiny.osm: known numbers --------------------------------------------------------------------


def test_tiny_counts_and_lengths(tiny: StreetGraph) -> None:
    stats = graph_stats(tiny)
    assert stats["nodes"] == 54
    assert stats["segments"] == 91
    assert stats["edges"] == 182
    assert stats["cache_hit"] is False
    # 4.3 km of row streets + 4.2 km of column streets + 100 m pavement + 100 m footway
    assert stats["length_km"] == pytest.approx(8.7, rel=0.003)
    fwd = _forward(tiny)
    mill = fwd[fwd["street_id"] == "mill-lane"]
    assert len(mill) == 6
    assert mill["length"].to_numpy() == pytest.approx(np.full(6, 100.0), abs=0.5)
    assert mill["length"].sum() == pytest.approx(600, rel=0.003)
    # the length is the length of the geometry (to the map-projection scale factor)
    assert fwd["length"].to_numpy() == pytest.approx(
        shapely.length(fwd.geometry.to_numpy()), rel=0.002
    )
    assert set(graph.graph_stats(tiny)) >= {"nodes", "edges", "length_km", "seconds", "cache_hit"}


def test_tiny_excludes_motorway_rail_and_foot_no(tiny: StreetGraph) -> None:
    fwd = _forward(tiny)
    assert set(fwd["highway"]) == {"residential", "tertiary", "footway"}
    assert "Bypass Link" not in set(fwd["name"].dropna())
    assert not tiny.graph.has_edge(1005, 1016) and not tiny.graph.has_edge(1016, 1005)
    rail_and_motorway = {2031, 2032, 2041, 2042, 2043}
    assert rail_and_motorway.isdisjoint(tiny.nodes.index)
    # the level crossing (shared by rail and High Street) is an ordinary High Street node
    assert 2021 not in tiny.nodes.index and 2022 in tiny.nodes.index
    # with every piece kept, the unconnected motorway is still not there
    everything = build_street_graph(_cfg(TINY, retain_all=True), crs=BNG)
    assert "motorway" not in set(everything.edges["highway"])
    assert rail_and_motorway.isdisjoint(everything.nodes.index)
    assert len(everything.nodes) == 54


def test_sidewalk_shares_the_high_street_id(tiny: StreetGraph) -> None:
    e = tiny.edges
    sidewalk = e.loc[(2001, 2003, 0)]
    assert sidewalk["footway"] == "sidewalk"
    assert sidewalk["street_id"] == e.loc[(1032, 1033, 0), "street_id"] == "high-street"
    assert sidewalk["street_name"] == "High Street"
    assert e.loc[(2003, 2001, 0), "street_id"] == "high-street"
    # an ordinary footway keeps its own id; named streets are one id each, both directions
    assert e.loc[(2011, 2012, 0), "street_id"] == "way/302"
    assert e.groupby("street_name")["street_id"].nunique().max() == 1
    assert sorted(e["street_id"].unique())[:3] == ["birch-road", "cedar-avenue", "church-road"]
    assert e["street_id"].nunique() == 15


def test_both_directions_with_reversed_geometry(tiny: StreetGraph) -> None:
    e = tiny.edges
    fwd, rev = e[~e["reversed"]], e[e["reversed"]]
    assert len(fwd) == len(rev)
    twin = rev.reset_index().set_index(["v", "u"]).sort_index()
    lookup = fwd.reset_index().set_index(["u", "v"]).sort_index()
    assert np.allclose(twin["length"].to_numpy(), lookup["length"].to_numpy())
    a = shapely.get_coordinates(lookup.geometry.to_numpy()[0])
    b = shapely.get_coordinates(twin.geometry.to_numpy()[0])
    assert np.allclose(a, b[::-1])
    # every edge geometry starts at its u node and ends at its v node
    u = e.index.get_level_values("u")
    start = shapely.get_point(e.geometry.to_numpy(), 0)
    assert np.allclose(shapely.get_x(start), tiny.nodes.loc[u, "x"].to_numpy())


def test_projection_crs(tiny: StreetGraph) -> None:
    assert tiny.crs == BNG
    assert tiny.nodes.crs.to_epsg() == 27700 and tiny.edges.crs.to_epsg() == 27700
    assert tiny.graph.graph["crs"] == BNG
    # the grid was laid out on the British National Grid: node 1000 at E 450000, N 250000
    assert tiny.nodes.loc[1000, ["x", "y"]].to_numpy(float) == pytest.approx(
        [450_000, 250_000], abs=0.01
    )
    assert tiny.nodes.loc[1066, ["x", "y"]].to_numpy(float) == pytest.approx(
        [450_600, 250_600], abs=0.01
    )
    utm = build_street_graph(_cfg(TINY), crs="EPSG:32630")
    to_utm = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:32630", always_xy=True)
    expected = to_utm.transform(tiny.nodes.loc[1000, "lon"], tiny.nodes.loc[1000, "lat"])
    assert utm.nodes.loc[1000, ["x", "y"]].to_numpy(float) == pytest.approx(expected, abs=0.01)
    assert utm.edges.crs.to_epsg() == 32630 and utm.graph.graph["crs"] == "EPSG:32630"
    with pytest.raises(ConfigError, match="not a projected CRS"):
        build_street_graph(_cfg(TINY), crs="EPSG:4326")


def test_osmnx_routing_works_on_the_graph(tiny: StreetGraph) -> None:
    route = ox.routing.shortest_path(tiny.graph, 1000, 1066, weight="length")
    assert route[0] == 1000 and route[-1] == 1066
    assert nx.path_weight(tiny.graph, route, weight="length") == pytest.approx(1200, abs=1)
    nodes, edges = ox.graph_to_gdfs(tiny.graph)
    assert len(nodes) == 54 and len(edges) == 182


# -- cache --------------------------------------------------------------------------------------


def test_cache_hit_does_not_rebuild(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = _cfg(TINY, tmp_path)
    first = build_street_graph(cfg, crs=BNG)
    assert not first.cache_hit
    assert first.cache_path is not None and Path(first.cache_path).is_file()
    calls: list[int] = []
    real = graph_build._read_raw
    monkeypatch.setattr(graph_build, "_read_raw", lambda *a, **k: calls.append(1) or real(*a, **k))
    with caplog.at_level(logging.INFO, logger="corridors.graph"):
        second = build_street_graph(cfg, crs=BNG)
    assert second.cache_hit and calls == []
    assert any("Loaded street graph from cache" in r.getMessage() for r in caplog.records)
    assert graph_stats(second)["cache_hit"] is True
    assert second.source_sha256 == first.source_sha256
    assert second.edges.equals(first.edges) and second.nodes.equals(first.nodes)
    assert nx.utils.graphs_equal(second.graph, first.graph)
    # other settings, another CRS or another file: a different cache entry
    build_street_graph(_cfg(TINY, tmp_path, sidewalk_match_m=5.0), crs=BNG)
    build_street_graph(cfg, crs="EPSG:32630")
    changed = tmp_path / "tiny-changed.osm"
    changed.write_text(
        TINY.read_text(encoding="utf-8").replace("Mill Lane", "Mill Road"), encoding="utf-8"
    )
    other = build_street_graph(_cfg(changed, tmp_path), crs=BNG)
    assert not other.cache_hit and "mill-road" in set(other.edges["street_id"])
    assert len(calls) == 3
    refreshed = build_street_graph(cfg, crs=BNG, refresh=True)
    assert not refreshed.cache_hit and len(calls) == 4
    assert json.loads(json.dumps(graph_stats(refreshed)))["from_cache"] is False
    assert len(list(tmp_path.glob("street-graph-*.npz"))) == 4


def test_corrupt_cache_is_rebuilt_with_a_warning(tmp_path: Path) -> None:
    cfg = _cfg(TINY, tmp_path)
    first = build_street_graph(cfg, crs=BNG)
    assert first.cache_path is not None
    Path(first.cache_path).write_bytes(b"\x80\x05not a pickle at all")
    with pytest.warns(CacheWarning, match="unreadable"):
        rebuilt = build_street_graph(cfg, crs=BNG)
    assert not rebuilt.cache_hit and len(rebuilt.nodes) == 54
    again = build_street_graph(cfg, crs=BNG)  # the cache was written again: no warning
    assert again.cache_hit
    Path(first.cache_path).write_bytes(b"")  # truncated
    with pytest.warns(CacheWarning):
        assert len(build_street_graph(cfg, crs=BNG).edges) == 182


class _Exploit:
    """Unpickling this creates ``marker``: what a crafted cache file could do (or worse)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[Path]]:
        return (Path.touch, (self.marker,))


def _rewrite_member(path: Path, name: str, data: bytes | None) -> None:
    """Replace (``None``: drop) one member of a cache file, keeping the others as they are."""
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    if data is None:
        del members[name]
    else:
        members[name] = data
    with zipfile.ZipFile(path, "w") as zf:
        for n, d in members.items():
            zf.writestr(n, d)


def _npy(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array(buf, arr, allow_pickle=True)
    return buf.getvalue()


def _array(path: Path, name: str) -> np.ndarray:
    with zipfile.ZipFile(path) as zf:
        return np.lib.format.read_array(io.BytesIO(zf.read(name)), allow_pickle=False)


def test_crafted_pickle_in_the_cache_never_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    marker = tmp_path / "pwned"
    payload = pickle.dumps(_Exploit(marker))
    cache = tmp_path / "cache"
    cfg = _cfg(TINY, cache)
    clean = build_street_graph(cfg, crs=BNG)  # where this version keeps the entry
    assert clean.cache_path is not None
    path = Path(clean.cache_path)
    with monkeypatch.context() as m:  # where the pickle cache (format 1) kept it
        m.setattr(cache_layout, "CACHE_VERSION", 1)
        old_key = cache_layout._cache_key(cfg, clean.source_sha256, clean.crs)
    old = cache / f"street-graph-{old_key[:24]}.pkl"
    for target in (path, path.with_suffix(".pkl"), old):
        target.write_bytes(payload)  # pickle bytes under the new name and the old ones
    with (
        pytest.warns(CacheWarning, match=re.escape(str(path))),
        caplog.at_level(logging.INFO, logger="corridors.graph"),
    ):
        street = build_street_graph(cfg, crs=BNG)
    assert not marker.exists()
    assert not street.cache_hit and len(street.nodes) == 54 and len(street.edges) == 182
    assert any(".pkl file(s) of an older version are ignored" in r.getMessage()
               for r in caplog.records)  # fmt: skip
    again = build_street_graph(cfg, crs=BNG)  # the entry was rewritten; the .pkl never read
    assert again.cache_hit and not marker.exists()
    assert old.read_bytes() == payload

    # a well-formed cache file whose array member is a pickled object array
    exploit = np.empty(len(again.edges), dtype=object)
    exploit[:] = [_Exploit(marker)] * len(exploit)
    _rewrite_member(path, "edges/street_id.codes.npy", _npy(exploit))
    with pytest.warns(CacheWarning, match="allow_pickle"):
        street = build_street_graph(cfg, crs=BNG)
    assert not marker.exists() and not street.cache_hit and len(street.edges) == 182


def test_cache_file_holds_data_only(tmp_path: Path) -> None:
    street = build_street_graph(_cfg(TINY, tmp_path), crs=BNG)
    assert street.cache_path is not None
    path = Path(street.cache_path)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left
    with zipfile.ZipFile(path) as zf:
        meta = json.loads(zf.read("meta.json"))
        names = zf.namelist()
        assert all(i.compress_type == zipfile.ZIP_STORED for i in zf.infolist())
    assert meta["format"] == "corridors-street-graph"
    assert meta["version"] == graph.CACHE_VERSION
    assert meta["source_sha256"] == street.source_sha256 == _file_sha256(TINY)
    assert meta["key"] == cache_layout._cache_key(_cfg(TINY, tmp_path), street.source_sha256, BNG)
    assert (meta["nodes"], meta["edges"]) == (54, 182)
    with np.load(path, allow_pickle=False) as npz:  # every array loads without pickle
        arrays = {n: npz[n] for n in npz.files if n + ".npy" in names}
    assert len(arrays) == len(names) - 2
    assert all(a.dtype != object for a in arrays.values())


@pytest.mark.parametrize("fixture", [TINY, ST_GEORGES, OAKHAM], ids=lambda p: p.name)
def test_cached_graph_equals_the_fresh_one(tmp_path: Path, fixture: Path) -> None:
    fresh = build_street_graph(_cfg(fixture), crs=BNG)
    build_street_graph(_cfg(fixture, tmp_path), crs=BNG)
    cached = build_street_graph(_cfg(fixture, tmp_path), crs=BNG)
    assert cached.cache_hit and not fresh.cache_hit
    for got, want in ((cached.nodes, fresh.nodes), (cached.edges, fresh.edges)):
        pd.testing.assert_frame_equal(
            pd.DataFrame(got.drop(columns="geometry")),
            pd.DataFrame(want.drop(columns="geometry")),
            check_exact=True,
        )
        assert got.crs == want.crs and got.geometry.name == want.geometry.name
        assert (shapely.to_wkb(got.geometry.to_numpy()) ==
                shapely.to_wkb(want.geometry.to_numpy())).all()  # fmt: skip
    assert cached.edges["name"].isna().any()  # missing tags stay missing (NaN), not "nan"
    assert nx.utils.graphs_equal(cached.graph, fresh.graph)
    assert cached.graph.graph == fresh.graph.graph


def _typed(data: dict) -> dict:
    """Attributes with their Python types, so that 3 and 3.0 or np.float64 do not pass as equal."""
    return {k: (type(x).__name__, x) for k, x in data.items()}


@pytest.mark.parametrize("fixture", [TINY, ST_GEORGES, OAKHAM], ids=lambda p: p.name)
def test_cached_networkx_graph_equals_the_built_one_edge_for_edge(
    tmp_path: Path, fixture: Path
) -> None:
    fresh = build_street_graph(_cfg(fixture), crs=BNG)
    build_street_graph(_cfg(fixture, tmp_path), crs=BNG)
    cached = build_street_graph(_cfg(fixture, tmp_path), crs=BNG)
    assert cached.cache_hit and cached._graph is None  # built on first use, not by the load
    # the reference: networkx's own API, one node and one edge at a time, from the fresh tables
    ref = nx.MultiDiGraph(crs=BNG, simplified=True, source=str(fixture))
    for row in fresh.nodes.drop(columns="geometry").itertuples():
        ref.add_node(int(row.Index), x=row.x, y=row.y, lon=row.lon, lat=row.lat,
                     street_count=int(row.street_count))  # fmt: skip
    columns = [c for c in fresh.edges.columns if c != "geometry"]
    for (u, v, k), *values, geom in fresh.edges[[*columns, "geometry"]].itertuples(name=None):
        data = {c: x for c, x in zip(columns, values, strict=True) if x == x}  # NaN: left out
        ref.add_edge(u, v, key=k, **data, geometry=geom)
    assert ref.number_of_edges() == len(fresh.edges) > 0
    for got in (fresh.graph, cached.graph):
        assert got.graph == ref.graph
        assert [(n, _typed(d)) for n, d in got.nodes(data=True)] == [
            (n, _typed(d)) for n, d in ref.nodes(data=True)
        ]
        got_edges = list(got.edges(keys=True, data=True))
        ref_edges = list(ref.edges(keys=True, data=True))
        assert [e[:3] for e in got_edges] == [e[:3] for e in ref_edges]  # same order
        for (*_, got_data), (*_, ref_data) in zip(got_edges, ref_edges, strict=True):
            assert list(got_data) == list(ref_data)  # same attributes, same order
            assert _typed(got_data) == _typed(ref_data)
        assert [(n, list(p)) for n, p in got.pred.items()] == [
            (n, list(p)) for n, p in ref.pred.items()
        ]  # the same predecessors, in the same order
        assert nx.utils.graphs_equal(got, ref)
    assert cached.graph is cached.graph  # built once


def test_networkx_graph_of_tables_without_every_node() -> None:
    nodes = pd.DataFrame({"x": [0.0, 1.0]}, index=pd.Index([1, 2], name="osmid"))
    edges = pd.DataFrame(
        {"name": ["a", np.nan, "c"], "length": [1.0, 2.0, np.nan]},
        index=pd.MultiIndex.from_tuples([(1, 2, 0), (2, 1, 0), (2, 3, 0)]),
    )
    got = networkx_graph(nodes, edges, crs=BNG)
    ref = nx.MultiDiGraph(crs=BNG)
    ref.add_nodes_from([(1, {"x": 0.0}), (2, {"x": 1.0})])
    ref.add_edges_from([(1, 2, 0, {"name": "a", "length": 1.0}), (2, 1, 0, {"length": 2.0}),
                        (2, 3, 0, {"name": "c"})])  # fmt: skip
    assert list(got.nodes(data=True)) == list(ref.nodes(data=True))
    assert list(got.edges(keys=True, data=True)) == list(ref.edges(keys=True, data=True))
    assert got.graph == ref.graph and list(got.pred[2]) == list(ref.pred[2])


@pytest.mark.parametrize("keep", [0, 21, 0.5, -1], ids=["empty", "header", "half", "last-byte"])
def test_truncated_cache_is_rebuilt(tmp_path: Path, keep: float) -> None:
    cfg = _cfg(TINY, tmp_path)
    first = build_street_graph(cfg, crs=BNG)
    assert first.cache_path is not None
    path = Path(first.cache_path)
    data = path.read_bytes()
    cut = int(len(data) * keep) if isinstance(keep, float) else keep % len(data)
    path.write_bytes(data[:cut])
    with pytest.warns(CacheWarning, match=re.escape(str(path)) + ".*unreadable"):
        rebuilt = build_street_graph(cfg, crs=BNG)
    assert not rebuilt.cache_hit
    assert rebuilt.edges.equals(first.edges) and rebuilt.nodes.equals(first.nodes)
    again = build_street_graph(cfg, crs=BNG)
    assert again.cache_hit and again.edges.equals(first.edges)


def test_corrupt_array_bytes_are_caught(tmp_path: Path) -> None:
    cfg = _cfg(TINY, tmp_path)
    first = build_street_graph(cfg, crs=BNG)
    assert first.cache_path is not None
    path = Path(first.cache_path)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("nodes/x.npy")
    at = info.header_offset + 30 + len(info.filename) + len(info.extra) + info.file_size - 3
    data[at] ^= 0xFF  # one flipped bit pattern inside a stored coordinate
    path.write_bytes(bytes(data))
    with pytest.warns(CacheWarning, match="(?i)crc"):
        rebuilt = build_street_graph(cfg, crs=BNG)
    assert not rebuilt.cache_hit and rebuilt.nodes.equals(first.nodes)


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("version", 1, "version 1, expected"),
        ("key", "0" * 64, "key does not match"),
        ("source_sha256", "f" * 64, "another OSM input"),
        ("crs", "EPSG:32630", "made for CRS"),
        ("format", "something-else", "not a street graph cache"),
        ("edges", 181, "edges/u: .* expected int64 of length 181"),
    ],
)
def test_cache_for_other_inputs_is_rebuilt(
    tmp_path: Path, field: str, value: object, reason: str
) -> None:
    cfg = _cfg(TINY, tmp_path)
    first = build_street_graph(cfg, crs=BNG)
    assert first.cache_path is not None
    path = Path(first.cache_path)
    with zipfile.ZipFile(path) as zf:
        meta = json.loads(zf.read("meta.json"))
    _rewrite_member(path, "meta.json", json.dumps({**meta, field: value}).encode())
    with pytest.warns(CacheWarning, match=reason):
        rebuilt = build_street_graph(cfg, crs=BNG)
    assert not rebuilt.cache_hit and rebuilt.edges.equals(first.edges)
    assert build_street_graph(cfg, crs=BNG).cache_hit  # rewritten for these inputs


def _tamper(path: Path, case: str) -> None:
    if case == "short-array":
        _rewrite_member(path, "nodes/x.npy", _npy(np.zeros(3)))
    elif case == "wrong-dtype":
        length = _array(path, "edges/length.npy")
        _rewrite_member(path, "edges/length.npy", _npy(length.astype(np.float32)))
    elif case == "two-d-array":
        _rewrite_member(path, "nodes/y.npy", _npy(np.zeros((54, 1))))
    elif case == "missing-member":
        _rewrite_member(path, "edges/highway.codes.npy", None)
    elif case == "extra-member":
        _rewrite_member(path, "edges/extra.npy", _npy(np.zeros(182)))
    elif case == "unknown-node":
        u = _array(path, "edges/u.npy")
        u[0] = 999_999_999
        _rewrite_member(path, "edges/u.npy", _npy(u))
    elif case == "codes-out-of-range":
        codes = _array(path, "edges/name.codes.npy")
        _rewrite_member(path, "edges/name.codes.npy", _npy(codes + 1000))
    elif case == "text-not-strings":
        text = json.loads(zipfile.ZipFile(path).read("text.json"))
        text["name"] = [1, 2, 3]
        _rewrite_member(path, "text.json", json.dumps(text).encode())
    elif case == "bad-offsets":
        offsets = _array(path, "edges/geometry.offsets.npy")
        offsets[1] = offsets[0] + 1
        _rewrite_member(path, "edges/geometry.offsets.npy", _npy(offsets))
    elif case == "nan-coordinate":
        x = _array(path, "edges/geometry.x.npy")
        x[5] = np.nan
        _rewrite_member(path, "edges/geometry.x.npy", _npy(x))
    else:
        raise AssertionError(case)


@pytest.mark.parametrize(
    "case",
    ["short-array", "wrong-dtype", "two-d-array", "missing-member", "extra-member",
     "unknown-node", "codes-out-of-range", "text-not-strings", "bad-offsets", "nan-coordinate"],
)  # fmt: skip
def test_cache_with_bad_arrays_is_rebuilt(tmp_path: Path, case: str) -> None:
    cfg = _cfg(TINY, tmp_path)
    first = build_street_graph(cfg, crs=BNG)
    assert first.cache_path is not None
    _tamper(Path(first.cache_path), case)
    with pytest.warns(CacheWarning, match=re.escape(first.cache_path)):
        rebuilt = build_street_graph(cfg, crs=BNG)
    assert not rebuilt.cache_hit and rebuilt.edges.equals(first.edges)
    assert rebuilt.nodes.equals(first.nodes)


def test_failed_cache_write_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[int] = []
    real = np.lib.format.write_array

    def flaky(fp: object, arr: np.ndarray, **kw: object) -> None:
        calls.append(1)
        if len(calls) == 5:
            raise OSError("disk full")
        real(fp, arr, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(np.lib.format, "write_array", flaky)
    with caplog.at_level(logging.WARNING, logger="corridors.graph"):
        street = build_street_graph(_cfg(TINY, tmp_path), crs=BNG)
    assert len(street.edges) == 182 and not street.cache_hit
    assert any("Could not write the street graph cache" in r.getMessage() for r in caplog.records)
    assert list(tmp_path.iterdir()) == []  # neither a partial cache file nor a temporary one


def test_use_cache_false_writes_nothing(tmp_path: Path) -> None:
    cfg = GraphConfig(osm_file=TINY, cache_dir=tmp_path / "c", use_cache=False)
    street = build_street_graph(cfg, crs=BNG)
    assert street.cache_path is None and not (tmp_path / "c").exists()


# -- snapping -----------------------------------------------------------------------------------


def test_snap_points_matches_brute_force(tiny: StreetGraph) -> None:
    rng = np.random.default_rng(42)
    xy = rng.uniform([449_900, 249_900], [450_800, 250_700], size=(400, 2))
    snap = snap_points(tiny, gpd.GeoSeries(gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=BNG))
    node_xy = tiny.nodes[["x", "y"]].to_numpy(float)
    d = np.hypot(xy[:, None, 0] - node_xy[None, :, 0], xy[:, None, 1] - node_xy[None, :, 1])
    assert snap.node_dist_m == pytest.approx(d.min(axis=1))
    assert (snap.node == tiny.nodes.index.to_numpy()[d.argmin(axis=1)]).all()
    fwd = _forward(tiny)
    pts = shapely.points(xy)
    ed = shapely.distance(pts[:, None], fwd.geometry.to_numpy()[None, :])
    assert snap.edge_dist_m == pytest.approx(ed.min(axis=1))
    chosen = fwd.loc[snap.edge, "geometry"].to_numpy()
    assert shapely.distance(pts, chosen) == pytest.approx(ed.min(axis=1))
    assert snap.edge_offset_m == pytest.approx(shapely.line_locate_point(chosen, pts))
    assert not tiny.edges.loc[snap.edge, "reversed"].any()


def test_snap_points_max_distance_and_crs(tiny: StreetGraph) -> None:
    near = Point(450_003.0, 250_050.0)  # on West Street, 50 m from two nodes
    far = Point(451_500.0, 250_000.0)
    snap = snap_points(tiny, gpd.GeoSeries([near, far], crs=BNG), max_dist_m=60)
    assert snap.node[1] == -1 and np.isnan(snap.node_dist_m[1])
    assert snap.edge[1] == (-1, -1, -1) and np.isnan(snap.edge_dist_m[1])
    assert snap.edge[0] == (1000, 1010, 0)
    assert snap.edge_dist_m[0] == pytest.approx(3.0, abs=0.01)
    assert snap.edge_offset_m[0] == pytest.approx(50.0, abs=0.1)
    assert snap.node[0] in (1000, 1010)
    # points in another CRS are reprojected; bare arrays are taken to be in the graph's CRS
    lonlat = gpd.GeoSeries([near], crs=BNG).to_crs("EPSG:4326")
    assert snap_points(tiny, lonlat).edge == [(1000, 1010, 0)]
    assert snap_points(tiny, np.array([[450_003.0, 250_050.0]])).edge == [(1000, 1010, 0)]
    assert len(snap_points(tiny, np.empty((0, 2))).node) == 0
    with pytest.raises(InputDataError, match=r"\(n, 2\)"):
        snap_points(tiny, np.zeros(3))


# -- CSR export ---------------------------------------------------------------------------------


def test_to_csr_keeps_the_shortest_parallel_edge(tmp_path: Path) -> None:
    # two ways between A (1) and B (2): straight (about 100 m) and a bend through 3
    lat0, lon0, dlat = 52.0, -1.0, 100 / 111_195
    nodes = {
        1: (lon0, lat0),
        2: (lon0, lat0 + dlat),
        3: (lon0 + 0.0015, lat0 + dlat / 2),
        4: (lon0 - 0.0015, lat0),
    }
    ways = [
        (10, [1, 2], {"highway": "footway"}),
        (11, [1, 3, 2], {"highway": "residential", "name": "Bend"}),
        (12, [4, 1], {"highway": "residential", "name": "Spur"}),
    ]
    street = build_street_graph(_cfg(_osm(tmp_path / "p.osm", nodes, ways)), crs=BNG)
    lengths = sorted(street.edges.loc[(1, 2), "length"].tolist())
    assert len(lengths) == 2 and lengths[0] == pytest.approx(100, abs=0.5) and lengths[1] > 200
    matrix, ids, index = to_csr(street)
    assert matrix[index[1], index[2]] == pytest.approx(lengths[0])
    assert matrix[index[2], index[1]] == pytest.approx(lengths[0])
    summed = nx.to_scipy_sparse_array(street.graph, nodelist=list(ids), weight="length")
    assert summed[index[1], index[2]] == pytest.approx(sum(lengths))  # the trap we avoid
    assert dijkstra(matrix, indices=index[4])[index[2]] == pytest.approx(
        street.edges.loc[(4, 1, 0), "length"] + lengths[0]
    )


def test_to_csr_distances_equal_networkx(tiny: StreetGraph) -> None:
    matrix, ids, index = to_csr(tiny)
    assert list(ids) == sorted(tiny.nodes.index)
    assert matrix.shape == (54, 54) and matrix.nnz == 182
    dist = dijkstra(matrix, indices=[index[1000], index[2012]])
    for row, source in enumerate((1000, 2012)):
        expected = nx.single_source_dijkstra_path_length(tiny.graph, source, weight="length")
        got = {int(n): dist[row, index[int(n)]] for n in ids}
        assert got == pytest.approx(expected)


# -- real data ----------------------------------------------------------------------------------


def test_real_oakham_clip(oakham: StreetGraph) -> None:
    stats = graph_stats(oakham)
    assert stats["nodes"] == 568 and stats["segments"] == 720
    assert stats["length_km"] == pytest.approx(28.65, abs=0.01)
    e = oakham.edges
    assert e.geometry.is_valid.all() and (e["length"] > 0).all()
    assert not set(e["highway"]) & {"motorway", "motorway_link", "construction", "proposed"}
    # the clipped extract's ways cross the edge of the box, yet every node is inside it
    lon, lat = oakham.nodes["lon"], oakham.nodes["lat"]
    assert lon.between(-0.7400, -0.7230).all() and lat.between(52.6650, 52.6750).all()
    sidewalks = e[(e["footway"] == "sidewalk") & ~e["reversed"]]
    assert len(sidewalks) == 30
    assert set(sidewalks["street_id"]) <= set(e.loc[e["footway"] != "sidewalk", "street_id"])
    assert {"melton-road", "burley-road", "station-road"} <= set(sidewalks["street_id"])
    # each pavement is close to, and roughly parallel with, a carriageway of its street
    carriage = e[(e["footway"] != "sidewalk")]
    for sid, geom in zip(sidewalks["street_id"], sidewalks.geometry, strict=True):
        assert (
            carriage.loc[carriage["street_id"] == sid]
            .distance(geom.interpolate(0.5, normalized=True))
            .min()
            <= 20
        )
    # one connected piece
    assert nx.is_weakly_connected(oakham.graph)


def test_real_london_bz2(tmp_path: Path) -> None:
    street = build_street_graph(_cfg(ST_GEORGES, tmp_path), crs=BNG)
    stats = graph_stats(street)
    assert stats["nodes"] == 184 and stats["segments"] == 235
    assert stats["length_km"] == pytest.approx(7.26, abs=0.01)
    e = street.edges
    assert "lambeth-road" in set(e.loc[e["footway"] == "sidewalk", "street_id"])
    # "St George's Road" and "St Georges Road" share a slug, but not an id
    ids_by_name = e.groupby("street_name")["street_id"].agg(set)
    assert ids_by_name["St George's Road"].isdisjoint(ids_by_name["St Georges Road"])
    assert build_street_graph(_cfg(ST_GEORGES, tmp_path), crs=BNG).cache_hit


def test_clipped_way_is_split_at_missing_nodes(tmp_path: Path) -> None:
    nodes = {i: (-1.0 + 0.001 * i, 52.0) for i in (1, 2, 3, 4)}
    ways = [(7, [1, 2, 99, 3, 4], {"highway": "residential", "name": "Gap Road"})]
    path = _osm(tmp_path / "clip.osm", nodes, ways)
    street = build_street_graph(_cfg(path, retain_all=True), crs=BNG)
    assert set(street.graph.edges()) == {(1, 2), (2, 1), (3, 4), (4, 3)}
    assert set(street.edges["street_id"]) == {"gap-road", "gap-road~2"}
    kept = build_street_graph(_cfg(path), crs=BNG)  # largest piece only (a tie: the first)
    assert len(kept.nodes) == 2


def test_study_area_clips_the_cached_graph(tmp_path: Path) -> None:
    south = box(449_950, 249_950, 450_650, 250_250)  # rows 0..2
    full = build_street_graph(_cfg(TINY, tmp_path), crs=BNG)
    clipped = build_street_graph(_cfg(TINY, tmp_path, clip_buffer_m=0.0), crs=BNG, study_area=south)
    assert clipped.cache_hit  # the whole file's graph is cached, the clip is applied after
    assert len(clipped.nodes) == 21 and set(clipped.nodes.index) < set(full.nodes.index)
    assert shapely.contains_xy(south, clipped.nodes["x"], clipped.nodes["y"]).all()
    # the default 500 m buffer takes in the whole (600 m) grid again
    buffered = build_street_graph(_cfg(TINY, tmp_path), crs=BNG, study_area=south)
    assert len(buffered.nodes) == 54 and buffered.cache_hit
    assert buffered.edges.equals(full.edges)
    row4 = build_street_graph(_cfg(TINY, tmp_path, clip_buffer_m=110.0), crs=BNG, study_area=south)
    assert len(row4.nodes) == 21 + 7 + 1 + 2  # + row 3, its dead end, the pavement ends
    off = build_street_graph(
        _cfg(TINY, tmp_path, clip_to_study_area=False), crs=BNG, study_area=south
    )
    assert off.cache_hit and len(off.nodes) == 54
    # street ids come from the whole graph; node degrees are those of the clipped graph
    assert set(clipped.edges["street_id"]) <= set(full.edges["street_id"])
    assert (
        clipped.nodes.loc[1020, "street_count"] == 2 and full.nodes.loc[1020, "street_count"] == 3
    )
    assert clipped.graph.number_of_edges() == len(clipped.edges) == 2 * (3 * 6 + 7 * 2)
    # a first build with a study area caches the whole graph
    fresh = tmp_path / "fresh"
    build_street_graph(_cfg(TINY, fresh, clip_buffer_m=0.0), crs=BNG, study_area=south)
    assert len(build_street_graph(_cfg(TINY, fresh), crs=BNG).nodes) == 54
    with pytest.raises(EmptyResultError, match="study area"):
        build_street_graph(
            _cfg(TINY, fresh, clip_buffer_m=0.0), crs=BNG, study_area=box(0, 0, 1, 1)
        )


# -- walkability rules --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({"highway": "footway"}, True),
        ({"highway": "steps"}, True),
        ({"highway": "primary"}, True),
        ({"highway": "trunk"}, True),
        ({"highway": "trunk", "sidewalk": "no"}, False),
        ({"highway": "trunk", "sidewalk": "no", "foot": "yes"}, True),
        ({"highway": "motorway"}, False),
        ({"highway": "motorway", "foot": "yes"}, False),
        ({"highway": "cycleway"}, True),
        ({"highway": "cycleway", "foot": "no"}, False),
        ({"highway": "service", "access": "private"}, False),
        ({"highway": "service", "access": "private", "foot": "yes"}, True),
        ({"highway": "service", "service": "private"}, False),
        ({"highway": "residential", "foot": "use_sidepath"}, False),
        ({"highway": "pedestrian", "area": "yes"}, True),
        ({"highway": "service", "area": "yes"}, False),
        ({"highway": "construction"}, False),
        ({"railway": "rail"}, False),
        ({"building": "house"}, False),
    ],
)
def test_is_walkable(tags: dict[str, str], expected: bool) -> None:
    assert is_walkable(tags) is expected


def test_network_type_all_keeps_foot_no() -> None:
    assert is_walkable({"highway": "primary", "foot": "no"}, "all")
    assert not is_walkable({"highway": "motorway"}, "all")


# -- errors and config --------------------------------------------------------------------------


def test_missing_file_and_no_source(tmp_path: Path) -> None:
    with pytest.raises(InputDataError, match=r"nowhere\.osm: OSM file not found"):
        build_street_graph(_cfg(tmp_path / "nowhere.osm"), crs=BNG)
    with pytest.raises(ConfigError, match="no street source"):
        build_street_graph(GraphConfig(use_cache=False), crs=BNG)
    empty = _osm(
        tmp_path / "empty.osm",
        {1: (-1.0, 52.0), 2: (-1.001, 52.0)},
        [(1, [1, 2], {"railway": "rail"})],
    )
    with pytest.raises(EmptyResultError, match="no walkable street"):
        build_street_graph(_cfg(empty), crs=BNG)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"sidewalk_match_m": -1.0},
        {"sidewalk_bearing_deg": 120.0},
        {"timeout_s": 0.0},
        {"point": (95.0, 0.0)},
    ],
)
def test_graph_config_checks(kwargs: dict[str, object]) -> None:
    with pytest.raises(ConfigError, match="graph\\."):
        GraphConfig(**kwargs)  # type: ignore[arg-type]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_online_without_network_fails_fast(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # "the network is unreachable", made certain: the servers are a closed local port
    port = _closed_port()
    monkeypatch.setattr(ox.settings, "nominatim_url", f"http://127.0.0.1:{port}/")
    monkeypatch.setattr(ox.settings, "overpass_url", f"http://127.0.0.1:{port}/api")
    with pytest.raises(
        NetworkUnavailableError, match=r"place 'Oakham, Rutland, UK': cannot reach 127\.0\.0\.1"
    ) as info:
        build_street_graph(GraphConfig(place="Oakham, Rutland, UK", cache_dir=tmp_path), crs=BNG)
    assert "osm_file" in str(info.value)
    with pytest.raises(NetworkUnavailableError, match=r"point 52\.670000,-0\.730000"):
        build_street_graph(
            GraphConfig(point=(52.67, -0.73), dist_m=500, cache_dir=tmp_path), crs=BNG
        )
    assert list(tmp_path.iterdir()) == []


def test_online_server_that_hangs_up_is_a_network_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a local server accepts the connection and closes it at once: the pre-flight passes,
    # the request fails inside osmnx and must come out as NetworkUnavailableError
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    port = server.getsockname()[1]
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        monkeypatch.setattr(ox.settings, "overpass_url", f"http://127.0.0.1:{port}/api")
        cfg = GraphConfig(point=(52.67, -0.73), dist_m=300, cache_dir=tmp_path, timeout_s=5)
        with pytest.raises(NetworkUnavailableError, match="did not answer"):
            build_street_graph(cfg, crs=BNG)
        assert ox.settings.requests_timeout != 5  # osmnx settings restored
    finally:
        stop.set()
        thread.join()
        server.close()


def test_online_graph_conversion_matches_the_offline_reader() -> None:
    # what graph_from_place/point returns (an unsimplified osmnx graph), made here offline
    with _osmnx_settings(30.0):
        downloaded = ox.graph_from_xml(TINY, simplify=False, retain_all=True, bidirectional=True)
    raw = _raw_from_osmnx(downloaded, "walk")
    parts = _build_parts(raw, GraphConfig(), pyproj.CRS(BNG), "online")
    street = _assemble(parts, BNG, "online", "", False, time.perf_counter(), None)
    assert graph_stats(street)["segments"] == 91 and len(street.nodes) == 54
    assert street.edges.loc[(2001, 2003, 0), "street_id"] == "high-street"
    assert "Bypass Link" not in set(street.edges["name"].dropna())


_TAG_VALUES = st.sampled_from(["yes", "no", "private", "designated", "use_sidepath", "separate"])


@given(
    highway=st.sampled_from(sorted(graph.WALKABLE_HIGHWAYS | graph.NEVER_HIGHWAYS)),
    extra=st.dictionaries(
        st.sampled_from(["foot", "access", "sidewalk", "service", "area", "motorroad"]),
        _TAG_VALUES,
    ),
)
def test_walkability_properties(highway: str, extra: dict[str, str]) -> None:
    tags = {"highway": highway, **extra}
    walkable = is_walkable(tags)
    if highway in graph.NEVER_HIGHWAYS or tags.get("foot") in ("no", "private", "use_sidepath"):
        assert not walkable
    if tags.get("foot") in ("yes", "designated") and highway not in graph.NEVER_HIGHWAYS:
        assert walkable
    assert is_walkable(tags, "all") is (highway not in graph.NEVER_HIGHWAYS)
