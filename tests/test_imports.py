"""The package's modules import one another without a cycle (pure: reads the source).

Every import counts, also those inside functions (a lazy import is still a
dependency); ``from . import x`` names the module ``x``.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "qkdnassist"


def _module_name(path: Path) -> str:
    parts = ["qkdnassist", *path.relative_to(PACKAGE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """Module → the project modules it imports."""
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)] if node.level else []
                root = ".".join([*base, *(node.module.split(".") if node.module else [])])
                targets = [f"{root}.{alias.name}" for alias in node.names] + [root]
            for target in targets:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != name and not name.startswith(target + "."):
                    graph[name].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    found: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                found.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return found


def test_the_package_has_no_import_cycle() -> None:
    graph = import_graph()
    assert graph.get("qkdnassist.answer.assistant")
    assert cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_every_module_imports_and_importing_the_package_loads_nothing_heavy() -> None:
    import importlib
    import subprocess
    import sys

    for name in sorted(import_graph()):
        if not name.endswith("__main__"):
            importlib.import_module(name)
    code = (
        "import sys, qkdnassist, qkdnassist.answer, qkdnassist.app.ui; "
        "print(sorted(m for m in ('chromadb', 'gradio', 'torch', 'llama_cpp', 'bm25s') if m in sys.modules))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"


def test_modules_stay_small_and_sql_stays_in_the_store() -> None:
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert text.count("\n") <= 400, f"{path.name} has {text.count(chr(10))} lines (at most 400)"
        if path.parent.name != "store":
            assert ".execute(" not in text and "executemany(" not in text, f"SQL in {path}"


def test_the_imports_the_readme_shows_work() -> None:
    import importlib
    import re

    readme = (PACKAGE.parents[1] / "README.md").read_text(encoding="utf-8")
    shown = re.findall(r"^from (qkdnassist[\w.]*) import ([\w, ]+)$", readme, re.MULTILINE)
    assert shown
    for module, names in shown:
        loaded = importlib.import_module(module)
        for name in (n.strip() for n in names.split(",")):
            assert hasattr(loaded, name), f"README: from {module} import {name}"
