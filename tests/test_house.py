"""The house rules: checks that keep the package in the shape the README describes.

Layering (no stage imports a later one) is checked by import-linter (``lint-imports``,
contracts in ``pyproject.toml``); types by ``mypy --strict``; style by ruff. These tests check
what those tools do not: size, complexity, where files are opened, and dead exception classes.
"""

from __future__ import annotations

import ast
import fnmatch
from pathlib import Path

import pytest
from radon.complexity import cc_visit

import corridors

PACKAGE = Path(corridors.__file__).parent
MODULES = sorted(PACKAGE.rglob("*.py"))

MAX_FUNCTION_LINES = 80  # code lines: no blank lines, comments or docstring
MAX_COMPLEXITY = 20  # radon's cyclomatic complexity (grade C or better)
MAX_MODULE_LINES = 550  # one job per file: about 150-500 lines

# Where files may be opened, read or written. Everything else computes on data it is given.
FILE_IO_ALLOWED = [
    "corridors.cli",
    "corridors.cli.*",  # the command line: reads configs, writes what it is asked to
    "corridors.config.file",  # reads the TOML file it is given
    "corridors.outputs",  # the one CSV writer and atomic file helpers
    "corridors.pipeline",
    "corridors.publish",
    "corridors.lock",  # the area's lock file
    "corridors.starter",  # writes the starter config
    "corridors.load",
    "corridors.load.*",  # the load stage: every input file
    "corridors.graph.osm_file",  # reads the OSM file (pyosmium) and hashes it
    "corridors.graph.cache",  # reads and writes the street-graph cache file
    "corridors.hotspots.term_file",  # reads the term dates file ([hotspots] term_dates)
    "corridors.hotspots.choice_file",  # reads and writes the method tune chose for the area
    "corridors.maps.assets",  # reads the vendored Leaflet files it inlines into a page
    "corridors.maps.week",  # writes the week's two pages, printed notices and the manifest
    "corridors.maps.pdf_fonts",  # reads the PDFs' fonts: DejaVu Sans (matplotlib), vendored Noto Naskh
    "corridors.maps.index",  # lists the week folders, reads their manifests, writes index.html
    "corridors.maps.history",  # reads and rewrites the area's plans.gpkg
    "corridors.maps.browser",  # runs headless Chromium on a saved page and writes the PNG
    "corridors.roster.read",  # the roster's input edge: staff CSV, a written roster.csv, loops
    "corridors.roster.lprelax",  # ortools 9.15 models have no in-memory serialiser: a temp file
    "corridors.*.export",  # each stage writes its own exports
    "corridors.evaluate.history",  # reads plans.gpkg and each evaluated week's folder
    "corridors.evaluate.inputs",  # reads what an evaluation needs (inputs, graph, stops)
    "corridors.evaluate.report",  # writes an evaluation's pages and CSVs, staged
    "corridors.evaluate.charts",  # matplotlib savefig into an in-memory PNG (no file)
]

_IO_CALLS = {
    "open",
    "read_csv",
    "read_file",
    "read_parquet",
    "read_text",
    "read_bytes",
    "to_file",
    "to_csv",
    "to_parquet",
    "write_text",
    "write_bytes",
    "write_csv",
    "atomic_open",
    "atomic_path",
    "savefig",
    "mkdir",
    "unlink",
    "rmdir",
    "rename",
    "glob",
    "rglob",
    "iterdir",
    "is_file",
    "is_dir",
    "exists",
    "stat",
    "savez",
    "savez_compressed",
}
_IO_MODULES = {"osmium", "pyogrio", "pickle", "shutil", "tempfile", "sqlite3"}


def _name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _code_lines(lines: list[str], node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    body = node.body
    first = body[0]
    skip: set[int] = set()
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
        skip = set(range(first.lineno, (first.end_lineno or first.lineno) + 1))
    end = node.end_lineno or node.lineno
    return sum(
        1
        for i in range(first.lineno, end + 1)
        if i not in skip and lines[i - 1].strip() and not lines[i - 1].strip().startswith("#")
    )


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_functions_are_short(path):
    source = path.read_text()
    lines = source.splitlines()
    long = [
        f"{node.name} (line {node.lineno}): {n} code lines"
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and (n := _code_lines(lines, node)) > MAX_FUNCTION_LINES
    ]
    assert not long, f"over {MAX_FUNCTION_LINES} code lines: {long}"


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_functions_are_simple(path):
    blocks = cc_visit(path.read_text())
    complex_ = [
        f"{b.fullname} (line {b.lineno}): {b.complexity}"
        for b in blocks
        if b.complexity > MAX_COMPLEXITY
    ]
    assert not complex_, f"cyclomatic complexity over {MAX_COMPLEXITY}: {complex_}"


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_modules_do_one_job(path):
    n = len(path.read_text().splitlines())
    assert n <= MAX_MODULE_LINES, f"{n} lines: split it by job (at most {MAX_MODULE_LINES})"


def _file_io(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in _IO_CALLS:
                found.append(f"{name}() line {node.lineno}")
            if (
                isinstance(func, ast.Attribute)
                and name in {"load", "dump", "save"}
                and getattr(func.value, "id", "") in {"json", "np", "numpy"}
            ):
                found.append(f"{func.value.id}.{name}() line {node.lineno}")  # type: ignore[attr-defined]
        elif isinstance(node, ast.Import | ast.ImportFrom):
            if isinstance(node, ast.Import):
                mods = [a.name for a in node.names]
            else:
                mods = [node.module or ""]
            found += [
                f"import {m} line {node.lineno}" for m in mods if m.split(".")[0] in _IO_MODULES
            ]
    return found


def _is_edge(path: Path) -> bool:
    return any(fnmatch.fnmatchcase(_name(path), pattern) for pattern in FILE_IO_ALLOWED)


COMPUTE_MODULES = [p for p in MODULES if not _is_edge(p)]


def test_most_modules_compute():
    assert len(COMPUTE_MODULES) > len(MODULES) / 2


@pytest.mark.parametrize("path", COMPUTE_MODULES, ids=_name)
def test_compute_modules_open_no_files(path):
    found = _file_io(ast.parse(path.read_text()))
    assert not found, f"{_name(path)} computes, so it takes data, not files: {found}"


def test_every_edge_pattern_names_a_module():
    names = [_name(p) for p in MODULES]
    unused = [p for p in FILE_IO_ALLOWED if not any(fnmatch.fnmatchcase(n, p) for n in names)]
    assert not unused, f"FILE_IO_ALLOWED entries that match no module: {unused}"


def test_the_file_io_check_sees_file_io():
    tree = ast.parse("import shutil\nopen('x')\nPath('x').read_text()\nnp.load('y')\n")
    assert len(_file_io(tree)) == 4
    assert _file_io(ast.parse("s.replace('a', 'b')\njson.dumps(x)\n")) == []


def test_every_exception_class_is_raised():
    sources = {p: p.read_text() for p in MODULES}
    classes = {}
    for source in sources.values():
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.ClassDef) and any(
                getattr(b, "id", getattr(b, "attr", "")).endswith(("Error", "Exception", "Warning"))
                for b in node.bases
            ):
                classes[node.name] = [getattr(b, "id", getattr(b, "attr", "")) for b in node.bases]
    used = set()
    for source in sources.values():
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Raise) and node.exc is not None:
                exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
                used.add(getattr(exc, "id", getattr(exc, "attr", "")))
            elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "warn":
                used |= {getattr(a, "id", getattr(a, "attr", "")) for a in node.args[1:2]}
                used |= {
                    getattr(k.value, "id", getattr(k.value, "attr", ""))
                    for k in node.keywords
                    if k.arg == "category"
                }
    # a base class counts when one of its subclasses is raised
    changed = True
    while changed:
        changed = False
        for name, bases in classes.items():
            if name in used and not set(bases) <= used:
                used |= set(bases)
                changed = True
    unused = sorted(set(classes) - used)
    assert not unused, f"defined but never raised or warned: {unused}"


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_every_module_says_what_it_is_for(path):
    doc = ast.get_docstring(ast.parse(path.read_text()))
    assert doc and len(doc.split()) >= 4, "start the module with a docstring saying its job"
    assert "TODO" not in doc.splitlines()[0]
