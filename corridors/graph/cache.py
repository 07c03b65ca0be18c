"""The street-graph cache file: written atomically, read back only after every check.

An I/O edge. One entry per cache key (:func:`~corridors.graph.cache_layout._cache_key`) lives
in ``GraphConfig.cache_dir`` as ``street-graph-<key>.npz``: an uncompressed zip of typed
``.npy`` arrays, ``text.json`` and ``meta.json`` (layout: :mod:`corridors.graph.cache_layout`).
Nothing in it can run code: members are read with ``allow_pickle=False``, the metadata is
checked before any array is read, and every array before a table is built. A truncated,
corrupt, foreign or outdated file warns (:class:`CacheWarning`) and is rebuilt. Pickle files of
older versions (``street-graph-*.pkl``) are never opened.
"""

from __future__ import annotations

import io
import json
import logging
import warnings
import zipfile
from pathlib import Path

import numpy as np

from corridors.graph.cache_layout import (
    _CACHE_META,
    _CACHE_TEXT,
    _cache_arrays,
    _cache_meta,
    _cache_schema,
    _CacheError,
    _check_array,
    _check_meta,
    _parts_from_arrays,
)
from corridors.graph.street import GraphTables
from corridors.outputs import atomic_open

logger = logging.getLogger(__name__)


class CacheWarning(UserWarning):
    """A cached street graph is unreadable, damaged or not for these inputs; it is rebuilt."""


def _cache_path(cache_dir: Path | str, key: str) -> Path:
    """Where the cache entry of ``key`` lives (one ``.npz`` file)."""
    return Path(cache_dir) / f"street-graph-{key[:24]}.npz"


def _read_cache(path: Path, key: str, sha: str, crs: str) -> GraphTables | None:
    """Load a cache entry written by :func:`_write_cache`, or ``None`` (rebuild).

    Nothing in the file can run code: it is a zip of JSON and ``.npy`` members, read with
    ``allow_pickle=False``. The metadata (format, cache version, cache key, source
    SHA-256, CRS, row counts) is checked before any array is read, and every array's dtype,
    length and values before a table is built. A file that fails any check warns
    (:class:`CacheWarning`, naming the file and the reason) and is rebuilt.
    """
    if not path.exists():
        return None
    try:
        return _load_cache_file(path, key, sha, crs)
    except Exception as exc:  # any unreadable, damaged, foreign or stale cache is rebuilt
        reason = str(exc) if isinstance(exc, _CacheError) else f"{type(exc).__name__}: {exc}"
        warnings.warn(
            f"{path}: cached street graph is unreadable ({reason}); rebuilding it.",
            CacheWarning,
            stacklevel=3,
        )
        return None


def _load_cache_file(path: Path, key: str, sha: str, crs: str) -> GraphTables:
    size = path.stat().st_size
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
        names = [info.filename for info in infos]
        _check_zip_layout(infos, size)
        n_nodes, n_edges = _check_meta(json.loads(zf.read(_CACHE_META).decode("utf-8")),
                                       key, sha, crs)  # fmt: skip
        schema = _cache_schema(n_nodes, n_edges)
        expected = {_CACHE_META, _CACHE_TEXT} | {f"{name}.npy" for name in schema}
        if set(names) != expected:
            raise _CacheError(
                f"members differ from the layout (missing {sorted(expected - set(names))}, "
                f"unexpected {sorted(set(names) - expected)})"
            )
        text = json.loads(zf.read(_CACHE_TEXT).decode("utf-8"))
        arrays: dict[str, np.ndarray] = {}
        for name, (dtype, length) in schema.items():
            data = zf.read(f"{name}.npy")  # checks the CRC
            arr = np.lib.format.read_array(io.BytesIO(data), allow_pickle=False)
            _check_array(name, arr, dtype, length)
            arrays[name] = arr
    return _parts_from_arrays(arrays, text)


def _check_zip_layout(infos: list[zipfile.ZipInfo], size: int) -> None:
    """Our members, each once, stored uncompressed, within the file's ``size``."""
    names = [info.filename for info in infos]
    if _CACHE_META not in names:
        raise _CacheError(f"no {_CACHE_META}: not a street graph cache")
    stored = sum(info.file_size for info in infos)
    if (
        len(set(names)) != len(names)
        or stored > size
        or any(
            info.compress_type != zipfile.ZIP_STORED or info.file_size != info.compress_size
            for info in infos
        )
    ):
        raise _CacheError("unexpected zip layout (compressed or duplicate members)")


def _write_cache(path: Path, key: str, sha: str, crs: str, parts: GraphTables) -> None:
    """Write the cache entry: one uncompressed zip of JSON and ``.npy`` members, atomically."""
    arrays, text = _cache_arrays(parts)
    meta = _cache_meta(key, sha, crs, parts)
    try:
        with (
            atomic_open(path, "wb") as fh,
            zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_STORED) as zf,
        ):
            zf.writestr(_CACHE_META, json.dumps(meta, indent=1))
            zf.writestr(_CACHE_TEXT, json.dumps(text))
            for name, arr in arrays.items():
                with zf.open(f"{name}.npy", "w", force_zip64=True) as out:
                    np.lib.format.write_array(out, arr, allow_pickle=False)
    except OSError as exc:
        logger.warning("Could not write the street graph cache %s (%s)", path, exc)
        return
    old = sorted(path.parent.glob("street-graph-*.pkl"))
    if old:  # never opened: pickles can run code
        logger.info(
            "%s: %d street-graph-*.pkl file(s) of an older version are ignored (never loaded); "
            "delete them to free the space.", path.parent, len(old),
        )  # fmt: skip
