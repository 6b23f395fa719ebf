"""The layout holds (README, "Shape"): no import cycle between the checkout's modules, and
the layers import downwards only. Imports inside functions count: a lazy import does not
untie two modules, it only hides that they are tied.

`from pkg import name` ties the importer to pkg.name when that is a module, else to pkg
(its __init__): so a submodule that takes a name from its own package's façade is a cycle
here, as it is at import time, while `from pkg import sibling` is not.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("app.py", "dashboard", "modelops", "pages", "queries")


def _modules(root: Path = ROOT) -> dict[str, Path]:
    out = {}
    for source in SOURCES:
        top = root / source
        for path in [top] if top.is_file() else sorted(top.rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(parts)] = path
    return out


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    """module -> the checkout's modules it imports, anywhere in its body."""
    modules = _modules(root)

    def known(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {m: set() for m in modules}
    for module, path in modules.items():
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    base = ".".join([*up, base] if base else up)
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base
                           for a in node.names]
            for target in targets:
                found = known(target)
                if found and found != module:
                    graph[module].add(found)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return found


def test_no_import_cycle():
    assert cycles(import_graph()) == []


def test_the_check_finds_a_cycle_hidden_in_a_function(tmp_path):
    (tmp_path / "modelops" / "warehouse").mkdir(parents=True)
    (tmp_path / "modelops" / "__init__.py").write_text("")
    (tmp_path / "modelops" / "warehouse" / "__init__.py").write_text(
        "from modelops.warehouse.reader import reading\n")
    (tmp_path / "modelops" / "warehouse" / "reader.py").write_text(
        "def reading():\n    from modelops.warehouse.writer import writing\n")
    (tmp_path / "modelops" / "warehouse" / "writer.py").write_text(
        "from modelops.warehouse import reader\n")
    assert cycles(import_graph(tmp_path)) == [
        ["modelops.warehouse.reader", "modelops.warehouse.writer"]]


def _reaches(graph: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for nxt in graph[todo.pop()] - seen:
            seen.add(nxt)
            todo.append(nxt)
    return seen


def test_layers_import_downwards():
    """The file layer knows no backend, report, importer or the CLI; a backend knows not
    the other; the KPI layer (queries/) knows no product code above the warehouse."""
    graph = import_graph()
    warehouse = {m for m in graph if m.startswith("modelops.warehouse")}
    for module in warehouse:
        above = {m for m in _reaches(graph, module) if m.startswith("modelops.")} - warehouse
        assert not above, f"{module} reaches {sorted(above)}"
    assert "modelops.backends.iceberg" not in _reaches(graph, "modelops.backends.file")
    assert "modelops.backends.file" not in _reaches(graph, "modelops.backends.iceberg")
    for module in (m for m in graph if m.startswith("queries")):
        above = {m for m in _reaches(graph, module)
                 if m.startswith("modelops.") and not m.startswith("modelops.warehouse")}
        assert not above, f"{module} reaches {sorted(above)}"
