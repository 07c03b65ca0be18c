"""Print the house's measures: lines per module, the longest functions, complexity grades.

Usage: python scripts/house_report.py [PACKAGE_DIR] (default: corridors)

Function length counts code lines (no blank lines, comments or docstring), as
tests/test_house.py does; complexity is radon's cyclomatic complexity and grade.
"""

from __future__ import annotations

import ast
import collections
import statistics
import sys
from pathlib import Path

from radon.complexity import cc_rank, cc_visit


def code_lines(lines: list[str], node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Count a function's code lines: no blank lines, comments or docstring."""
    first = node.body[0]
    skip: set[int] = set()
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
        skip = set(range(first.lineno, (first.end_lineno or first.lineno) + 1))
    end = node.end_lineno or node.lineno
    return sum(
        1
        for i in range(first.lineno, end + 1)
        if i not in skip and lines[i - 1].strip() and not lines[i - 1].strip().startswith("#")
    )


def main() -> int:
    """Print the report for the package folder on the command line."""
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "corridors")
    modules = sorted(root.rglob("*.py"))
    functions: list[tuple[int, int, str]] = []
    grades: collections.Counter[str] = collections.Counter()
    print("lines  module")
    for path in modules:
        source = path.read_text()
        lines = source.splitlines()
        print(f"{len(lines):5d}  {path}")
        cc = {(b.lineno, b.name): b.complexity for b in cc_visit(source)}
        for block in cc_visit(source):
            grades[cc_rank(block.complexity)] += 1
            for method in getattr(block, "methods", []):
                grades[cc_rank(method.complexity)] += 1
                cc[(method.lineno, method.name)] = method.complexity
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                n = code_lines(lines, node)
                where = f"{path}:{node.lineno} {node.name}"
                functions.append((n, cc.get((node.lineno, node.name), 0), where))
    sizes = [len(p.read_text().splitlines()) for p in modules]
    print(f"\n{len(modules)} modules, {sum(sizes):,} lines; largest {max(sizes)}")
    lengths = [f[0] for f in functions]
    print(
        f"{len(functions)} functions: median {statistics.median(lengths):g} code lines, "
        f"{sum(n > 50 for n in lengths)} over 50, {sum(n > 80 for n in lengths)} over 80"
    )
    counts = ", ".join(f"{g} {grades[g]}" for g in "ABCDEF")
    print(f"radon grades (functions, methods, classes): {counts}")
    print("\nthe 10 longest functions (code lines, complexity):")
    for n, c, name in sorted(functions, reverse=True)[:10]:
        print(f"  {n:4d} {c:3d}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
