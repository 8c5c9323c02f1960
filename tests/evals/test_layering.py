"""Imports point one way: the product never loads evals (or matplotlib) when imported, and
neither evals nor index has an import cycle, lazy imports inside functions included."""

from __future__ import annotations

import ast
import functools
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@functools.cache
def _modules(package: str) -> dict[str, Path]:
    found = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _imports(name: str, path: Path, *, module_level_only: bool = False) -> set[str]:
    """Modules ``name`` imports, by absolute name. As for grimp, ``from a import b`` imports a.b
    when that is a module of this project, else a."""
    is_package = path.name == "__init__.py"
    known = {m for package in {name.split(".")[0], "evals", "index", "assistant", "bots"} for m in _modules(package)}
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if module_level_only and isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                continue
            if isinstance(child, ast.Import):
                found.update(alias.name for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = name.split(".") if is_package else name.split(".")[:-1]
                    anchor = anchor[: len(anchor) - (child.level - 1)]
                    base = ".".join(anchor + ([base] if base else []))
                for alias in child.names:
                    found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base)
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return found


def _cycles(package: str) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), or a module importing itself."""
    modules = _modules(package)
    graph = {m: sorted(i for i in _imports(m, p) if i in modules and i != m) for m, p in modules.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in graph:
        if v not in index:
            connect(v)
    return cycles


@pytest.mark.parametrize("package", ["evals", "index"])
def test_no_import_cycles(package: str) -> None:
    assert len(_modules(package)) > 5
    assert _cycles(package) == []


def test_the_cycle_check_sees_lazy_imports() -> None:
    bench = _imports("evals.bench_report", ROOT / "evals" / "bench_report.py")
    assert "evals.bench_results" in bench and "evals.plots" in bench
    relative = _imports("index.parse", ROOT / "index" / "parse" / "__init__.py")
    assert {"index.parse.page_text", "index.parse.wordpress", "index.registry"} <= relative


@pytest.mark.parametrize("package", ["assistant", "index", "bots"])
def test_the_product_does_not_import_evals_at_module_level(package: str) -> None:
    offenders = {
        name: sorted(i for i in _imports(name, path, module_level_only=True) if i == "evals" or i.startswith("evals."))
        for name, path in _modules(package).items()
    }
    assert {name: found for name, found in offenders.items() if found} == {}


def test_importing_the_product_loads_neither_evals_nor_matplotlib() -> None:
    code = (
        "import sys, assistant, index, index.sources, index.web, bots.cli\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('evals', 'matplotlib')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]"


def test_the_cli_choices_of_the_eval_commands_are_the_evals_own() -> None:
    """bots/cli_evals.py may not import evals before a command runs, so it spells the choices out."""
    import typing

    from bots.cli_evals import BenchSystem, GoldSplit
    from bots.cli_llm import CheckedMode
    from evals.answers import Mode
    from evals.bench_systems import SYSTEMS
    from evals.quality import Split

    assert set(GoldSplit) == set(typing.get_args(Split))
    assert tuple(BenchSystem) == SYSTEMS
    assert set(CheckedMode) == set(typing.get_args(Mode))
