"""The package's import graph: no circles (counting imports inside functions too), and the
low-level modules (errors, fileio, config, corpus, scoring, formats/, models/) import no
stage."""
from __future__ import annotations

import ast
from pathlib import Path

import xlie

ROOT = Path(xlie.__file__).parent
STAGES = ("xlie.aligners", "xlie.translation", "xlie.projection", "xlie.selftrain",
          "xlie.pipeline", "xlie.cli")
LOW = ("xlie.errors", "xlie.fileio", "xlie.config", "xlie.corpus", "xlie.scoring", "xlie.formats",
       "xlie.models")


def _modules() -> dict[str, tuple[Path, bool]]:
    out = {}
    for path in ROOT.rglob("*.py"):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        is_pkg = parts[-1] == "__init__"
        out[".".join(parts[:-1] if is_pkg else parts)] = (path, is_pkg)
    return out


def import_graph() -> dict[str, set[str]]:
    """module -> the xlie modules it imports anywhere in its code (a module importing its
    own parent package is left out: that is how Python imports any submodule)."""
    mods = _modules()
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for mod, (path, is_pkg) in mods.items():
        base = mod.split(".") if is_pkg else mod.split(".")[:-1]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    target = ".".join(base[:len(base) - node.level + 1]
                                      + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                names = [target] + [f"{target}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            for name in names:
                while name and name not in mods:
                    name = name.rpartition(".")[0]
                if name and name != mod and not mod.startswith(name + "."):
                    graph[mod].add(name)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    return found


def test_the_graph_sees_lazy_imports():
    graph = import_graph()
    assert "xlie.pipeline.registry" in graph["xlie.pipeline.config"]
    assert "xlie.aligners" in graph["xlie.pipeline.adapters.align"]  # inside a validator
    assert cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]


def test_no_import_circles():
    assert cycles(import_graph()) == []


def test_low_level_modules_import_no_stage():
    bad = {m: sorted(t for t in targets if t.startswith(STAGES))
           for m, targets in import_graph().items() if m.startswith(LOW)}
    assert {m: t for m, t in bad.items() if t} == {}


def test_stage_packages_import_neither_the_pipeline_nor_the_cli():
    stages = ("xlie.aligners", "xlie.translation", "xlie.projection", "xlie.selftrain")
    bad = {m: sorted(t for t in targets if t.startswith(("xlie.pipeline", "xlie.cli")))
           for m, targets in import_graph().items() if m.startswith(stages)}
    assert {m: t for m, t in bad.items() if t} == {}
