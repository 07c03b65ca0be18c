"""Reading raw CSV files: refuse what cannot be a CSV, decode, count lines, hash.

One job: bytes on disk -> a frame of strings with each row's 1-based line number. Used by
:mod:`corridors.load.tables` (every CSV source) and by ``corridors.hotspots`` (term dates).
Every problem ends in one :class:`~corridors.errors.InputDataError` naming the file and the fix.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import zlib
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from corridors.errors import InputDataError

logger = logging.getLogger(__name__)


_GZIP_ERRORS = (EOFError, zlib.error, gzip.BadGzipFile)


def _file_sha(paths: list[Path]) -> str:
    """SHA-256 of one file, or of the (name, SHA-256) pairs of several files."""
    digests = []
    for p in sorted(paths):
        h = hashlib.sha256()
        with open(p, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        digests.append((p.name, h.hexdigest()))
    if len(digests) == 1:
        return digests[0][1]
    total = hashlib.sha256()
    for name, digest in digests:
        total.update(f"{name}:{digest}\n".encode())
    return total.hexdigest()


def _head_bytes(path: Path, n: int = 4096) -> bytes:
    with open(path, "rb") as fh:
        head = fh.read(n)
    if head[:2] == b"\x1f\x8b":
        try:
            with gzip.open(path, "rb") as gz:
                return gz.read(n)
        except _GZIP_ERRORS as exc:
            raise _damaged_gzip(path, exc) from exc
    return head


def _check_text_file(path: Path, what: str, encoding: str | None = None) -> bytes:
    """Raise InputDataError if ``path`` cannot be a CSV; return its first bytes."""
    if not path.exists():
        raise InputDataError(f"{path}: file not found; expected {what}")
    if path.is_dir():
        raise InputDataError(f"{path}: is a folder; expected {what}")
    if path.stat().st_size == 0:
        raise InputDataError(f"{path.name}: the file is empty; expected {what}")
    head = _head_bytes(path)
    if not head.strip():
        raise InputDataError(f"{path.name}: the file is empty; expected {what}")
    if head.startswith(b"PK\x03\x04"):
        raise InputDataError(
            f"{path.name}: is a zip archive, not a CSV; unzip it and give the CSV "
            f"(or the unzipped folder); expected {what}"
        )
    probe = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if probe.startswith((b"<!doctype html", b"<html", b"<head", b"<?xml", b"<")):
        kind = "an HTML page" if b"html" in probe[:200] else "XML/markup"
        raise InputDataError(
            f"{path.name}: is {kind}, not a CSV (a failed download saved as .csv?); expected {what}"
        )
    if (encoding or "").lower().replace("_", "-").startswith(("utf-16", "utf-32")):
        return head  # declared: its BOM and NUL bytes are expected
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputDataError(
            f"{path.name}: is UTF-16 text; save it as UTF-8 CSV or set encoding = "
            f'"utf-16" in the source; expected {what}'
        )
    if b"\x00" in head:
        raise InputDataError(f"{path.name}: is a binary file, not a CSV text file; expected {what}")
    return head


def _read_csv_file(
    path: Path, *, encoding: str | None, fallback: str | None, what: str
) -> pd.DataFrame:
    """Read one CSV as strings; add ``_line`` (1-based, header = line 1)."""
    _check_text_file(path, what, encoding)
    with open(path, "rb") as fh:
        compression: Literal["gzip"] | None = "gzip" if fh.read(2) == b"\x1f\x8b" else None
    frame = _decoded_csv(path, compression, encoding=encoding, fallback=fallback, what=what)
    frame.columns = [str(c).strip().lstrip("\ufeff") for c in frame.columns]
    frame = frame.fillna("")  # short rows
    frame["_line"] = _line_numbers(frame, path, compression)
    return frame


def _pandas_csv(path: Path, encoding: str, compression: Literal["gzip"] | None) -> pd.DataFrame:
    return pd.read_csv(
        path,
        dtype=str,
        keep_default_na=False,
        na_filter=False,
        skip_blank_lines=False,
        encoding=encoding,
        compression=compression,
        encoding_errors="strict",
    )


def _decoded_csv(
    path: Path,
    compression: Literal["gzip"] | None,
    *,
    encoding: str | None,
    fallback: str | None,
    what: str,
) -> pd.DataFrame:
    """Parse the CSV in ``encoding`` (else UTF-8, then ``fallback``); errors say the fix."""
    enc = encoding or "utf-8-sig"
    try:
        try:
            return _pandas_csv(path, enc, compression)
        except UnicodeDecodeError:
            if encoding is not None or fallback is None:
                raise
            return _pandas_csv(path, fallback, compression)
    except UnicodeDecodeError as exc:
        bad = exc.object[exc.start : exc.start + 1].hex() if exc.object else "?"
        hint = "cp1252" if enc.lower().startswith("utf") else "utf-8"
        shown_enc = "UTF-8" if enc.lower() in ("utf-8-sig", "utf-8", "utf8") else enc
        raise InputDataError(
            f"{path.name}: not {shown_enc} text (byte 0x{bad} at offset {exc.start}); save it as "
            f'UTF-8 or set encoding = "{hint}" in the source; expected {what}'
        ) from exc
    except UnicodeError as exc:  # e.g. "UTF-16 stream does not start with BOM"
        raise InputDataError(
            f"{path.name}: cannot be read as {enc} ({exc}); check the source's encoding (most "
            f'files are "utf-8"); expected {what}'
        ) from exc
    except LookupError as exc:
        raise InputDataError(f'{path.name}: unknown encoding {enc!r}; use e.g. "utf-8"') from exc
    except pd.errors.EmptyDataError as exc:
        raise InputDataError(f"{path.name}: the file is empty; expected {what}") from exc
    except _GZIP_ERRORS as exc:
        raise _damaged_gzip(path, exc) from exc
    except pd.errors.ParserError as exc:
        msg = " ".join(str(exc).replace("Error tokenizing data. C error: ", "").split())
        raise InputDataError(
            f"{path.name}: not a well-formed CSV ({msg}); quote fields that contain commas; "
            f"expected {what}"
        ) from exc


def _line_numbers(
    frame: pd.DataFrame, path: Path, compression: Literal["gzip"] | None
) -> np.ndarray:
    """Each row's first line in the file (header = 1), counting quoted fields that span lines."""
    lines = np.arange(len(frame), dtype=np.int64) + 2
    if len(frame) and _physical_lines(path, compression) != len(frame) + 1:
        nl = np.zeros(len(frame), dtype=np.int64)
        for col in frame.columns:
            s = frame[col]
            if s.str.contains("\n", regex=False).any():
                nl += s.str.count("\n").to_numpy(dtype=np.int64)
        if nl.any():
            lines = lines + np.concatenate([[0], np.cumsum(nl)[:-1]])
    return lines


def _damaged_gzip(path: Path, exc: BaseException) -> InputDataError:
    return InputDataError(
        f"{path}: a damaged or truncated gzip file ({type(exc).__name__}: {exc}); download it "
        "again or give the uncompressed CSV"
    )


def _physical_lines(path: Path, compression: str | None) -> int:
    opener = gzip.open if compression == "gzip" else open
    count = 0
    last = b"\n"
    try:
        with opener(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 22), b""):
                count += chunk.count(b"\n")
                last = chunk[-1:]
    except _GZIP_ERRORS as exc:
        raise _damaged_gzip(path, exc) from exc
    return count + (last != b"\n")
