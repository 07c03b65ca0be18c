"""
Atomic file output: every file is written to a temporary name, then renamed.

Every CSV file the tool writes goes through :func:`write_csv`, and every CSV file of ours
that the tool reads back goes through :func:`read_csv`.

CSV cells and spreadsheets
--------------------------
A spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and, in some of
them, a tab or carriage return) as a formula, so a name such as ``=HYPERLINK(...)`` in an
input file would become a live formula in our output (CSV injection, OWASP). :func:`write_csv`
neutralises such text cells with a leading ``'``, which spreadsheets show as text. To keep
our files readable by the tool itself the rule is reversible:

- a text cell that starts with ``=``, ``+``, ``-``, ``@``, tab or CR gets a leading ``'``;
- so does a text cell that starts with ``'`` followed by one of those characters or by
  another ``'`` (so ``'=x`` is written ``''=x``);
- :func:`read_csv` removes one leading ``'`` from exactly the cells that start with ``'``
  followed by one of those characters or ``'``: these are exactly the cells the writer
  changed, so ``read_csv(write_csv(frame))`` gives back the original text.

Only text cells are changed (``str`` values in object, string or categorical columns, and
text column names); numbers, booleans and dates are written as they are, so a float
``-0.5`` stays a number.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import pandas as pd

#: The first characters that make a spreadsheet read a cell as a formula (OWASP).
FORMULA_CHARS = "=+-@\t\r"
_TRIGGER = "[=+\\-@\t\r]"
#: A text cell matching this (at its start) gets a leading ``'`` in our CSV files.
_NEEDS_QUOTE = re.compile(f"{_TRIGGER}|'(?:{_TRIGGER}|')")
#: A cell of our CSV files matching this (at its start) had a ``'`` added by the writer.
_QUOTED = re.compile(f"'(?:{_TRIGGER}|')")


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """
    Yield a temporary path next to ``path``; rename it onto ``path`` if the block succeeds.

    Use it with writers that take a file name (``GeoDataFrame.to_file``, ``Map.save``).
    The temporary file keeps the target's suffix so format detection still works.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
    >>> with atomic_path(target) as tmp:
    ...     _ = tmp.write_text("hello")
    >>> target.read_text()
    'hello'
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(
        prefix=f".{path.stem}.", suffix="".join(path.suffixes), dir=path.parent
    )
    os.close(fd)
    tmp = Path(name)
    tmp.unlink()  # some writers refuse to overwrite an existing file
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


@contextlib.contextmanager
def atomic_open(path: str | Path, mode: str = "w", **kwargs: Any) -> Iterator[IO[Any]]:
    """Open a temporary file for writing; rename it onto ``path`` when the block succeeds."""
    if "b" not in mode:
        kwargs.setdefault("encoding", "utf-8")
        kwargs.setdefault("newline", "")
    with atomic_path(path) as tmp, open(tmp, mode, **kwargs) as fh:
        yield fh


def write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically (UTF-8) and return the path."""
    with atomic_open(path, "w", newline=None) as fh:
        fh.write(text)
    return Path(path)


# -- CSV -----------------------------------------------------------------------------------


def _guard_text(value: Any) -> Any:
    """Return ``value`` with a leading ``'`` if it is text a spreadsheet would run."""
    if isinstance(value, str) and _NEEDS_QUOTE.match(value):
        return "'" + value
    return value


def _unguard_text(value: Any) -> Any:
    """Undo :func:`_guard_text`."""
    if isinstance(value, str) and _QUOTED.match(value):
        return value[1:]
    return value


def _is_text_dtype(dtype: Any) -> bool:
    return pd.api.types.is_object_dtype(dtype) or isinstance(
        dtype, (pd.StringDtype, pd.CategoricalDtype)
    )


def _recode(column: pd.Series, pattern: re.Pattern[str], change: str) -> pd.Series | None:
    """
    Return ``column`` with its text cells that match ``pattern`` changed, or ``None``.

    ``change`` is ``"add"`` (prefix a ``'``) or ``"strip"`` (drop the first character).
    Vectorised: one regular-expression pass over the column; ``None`` if nothing matched
    (or the column holds no text) so the caller can keep the column as it is.
    """
    if not _is_text_dtype(column.dtype):
        return None
    if isinstance(column.dtype, pd.CategoricalDtype):
        column = column.astype(object)
    try:
        hit = column.str.match(pattern.pattern, na=False).to_numpy(dtype=bool)
    except AttributeError:  # an object column without text (dates, lists, ...)
        return None
    if not hit.any():
        return None
    text = column[hit]
    new = ("'" + text) if change == "add" else text.str.slice(1)
    values = column.to_numpy(dtype=object, copy=True)
    values[hit] = new.to_numpy(dtype=object)
    dtype = column.dtype if isinstance(column.dtype, pd.StringDtype) else object
    return pd.Series(values, index=column.index, name=column.name, dtype=dtype)


def _recode_frame(
    frame: pd.DataFrame, pattern: re.Pattern[str], change: str, *, index: bool
) -> pd.DataFrame:
    """Apply :func:`_recode` to every column, the column names and (if ``index``) the index."""
    one: Callable[[Any], Any] = _guard_text if change == "add" else _unguard_text
    out = frame
    for i in range(frame.shape[1]):
        new = _recode(frame.iloc[:, i], pattern, change)
        if new is not None:
            if out is frame:
                out = frame.copy(deep=False)
            out.isetitem(i, new)  # type: ignore[arg-type]  # pandas-stubs: a Series is accepted
    if not isinstance(frame.columns, pd.MultiIndex):
        labels = [one(c) for c in frame.columns]
        if labels != list(frame.columns):
            out = out.set_axis(pd.Index(labels, dtype=object), axis=1)
    if index:
        out = out.set_axis(_recode_index(out.index, pattern, change, one), axis=0)
    return out


def _recode_index(
    idx: pd.Index, pattern: re.Pattern[str], change: str, one: Callable[[Any], Any]
) -> pd.Index:
    if isinstance(idx, pd.MultiIndex):
        levels = [list(_recode_index(level, pattern, change, one)) for level in idx.levels]
        recoded: pd.Index = idx.set_levels(levels).set_names([one(n) for n in idx.names])
        return recoded
    new = _recode(pd.Series(idx, copy=False), pattern, change)
    values = idx if new is None else pd.Index(new.to_numpy(), dtype=new.dtype)
    out: pd.Index = pd.Index(values, name=one(idx.name))
    return out


def write_csv(frame: pd.DataFrame, path: str | Path, **to_csv_kwargs: Any) -> Path:
    """
    Write ``frame`` to a CSV file atomically (UTF-8), safe to open in a spreadsheet.

    Text cells a spreadsheet would run as a formula get a leading ``'`` (the rule is in the
    module docstring); :func:`read_csv` undoes it. Numeric, boolean and date columns are
    written unchanged.

    Parameters
    ----------
    frame
        The table; text may be in object, string or categorical columns.
    path
        The CSV file to write (its folder is created if needed).
    **to_csv_kwargs
        Passed to :meth:`pandas.DataFrame.to_csv` (``float_format``, ``columns``...).
        ``index`` defaults to ``False``; with ``index=True`` the index labels are guarded
        too. ``encoding`` (default UTF-8) is used to open the file. Rows end with CRLF
        (RFC 4180), so that any cell holding a line break is quoted.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    ValueError
        If a ``lineterminator`` without both CR and LF is given.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> frame = pd.DataFrame({"name": ["=1+2", "Ann", "'-x"], "n": [-0.5, 1.0, 2.0]})
    >>> print(write_csv(frame, target).read_text(), end="")
    name,n
    '=1+2,-0.5
    Ann,1.0
    ''-x,2.0
    >>> read_csv(target).equals(frame)
    True
    """
    path = Path(path)
    kwargs = dict(to_csv_kwargs)
    kwargs.setdefault("index", False)
    # CRLF row ends (RFC 4180) make the csv module quote every cell holding a CR or LF; with
    # bare LF ends a cell's lone CR is written unquoted and starts a new row in readers.
    kwargs.setdefault("lineterminator", "\r\n")
    if not {"\r", "\n"} <= set(kwargs["lineterminator"]):
        raise ValueError("write_csv needs a lineterminator with both CR and LF (e.g. '\\r\\n')")
    encoding = kwargs.pop("encoding", None) or "utf-8"
    columns = kwargs.pop("columns", None)
    if columns is not None:
        frame = frame[list(columns)]
    header = kwargs.get("header", True)
    if isinstance(header, (list, tuple)):
        kwargs["header"] = [_guard_text(h) for h in header]
    safe = _recode_frame(frame, _NEEDS_QUOTE, "add", index=bool(kwargs["index"]))
    if kwargs["index"] and kwargs.get("index_label") is not None:
        label = kwargs["index_label"]
        kwargs["index_label"] = (
            [_guard_text(v) for v in label]
            if isinstance(label, (list, tuple))
            else _guard_text(label)
        )
    with atomic_open(path, "w", encoding=encoding) as fh:
        safe.to_csv(fh, **kwargs)
    return path


def read_csv(path: str | Path, **kwargs: Any) -> pd.DataFrame:
    """
    Read a CSV file written by :func:`write_csv` back into the values it was given.

    Removes the ``'`` that :func:`write_csv` put before formula-like text (in cells, column
    names and the index); any other cell is returned as :func:`pandas.read_csv` reads it.

    Parameters
    ----------
    path
        The CSV file (UTF-8 unless ``encoding`` is given).
    **kwargs
        Passed to :func:`pandas.read_csv` (``dtype``, ``keep_default_na``...); ``chunksize``
        and ``iterator`` are not supported.

    Returns
    -------
    pandas.DataFrame
        The table.

    Raises
    ------
    TypeError
        If ``chunksize`` or ``iterator`` is given.
    """
    if kwargs.get("chunksize") is not None or kwargs.get("iterator"):
        raise TypeError("read_csv reads whole files; chunksize and iterator are not supported")
    kwargs.setdefault("encoding", "utf-8")
    frame = pd.read_csv(path, **kwargs)
    return _recode_frame(frame, _QUOTED, "strip", index=not isinstance(frame.index, pd.RangeIndex))
