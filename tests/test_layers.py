"""The imports point one way: ``cli, server -> api -> {models, featurize, data, tracking,
screen} -> chem``; nothing below ``api`` imports it, and no module imports itself back
through others (imports inside functions count too: they run as soon as the function does).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "spepred"
#: The layers above ``api``, and the package itself (its ``__getattr__`` hands out ``api``'s
#: functions lazily: ``import spepred`` imports nothing).
ABOVE_API = {"spepred", "spepred.api", "spepred.cli", "spepred.server"}


def _modules() -> dict[str, Path]:
    out = {}
    for path in SRC.rglob("*.py"):
        parts = path.relative_to(SRC.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def import_graph() -> dict[str, set[str]]:
    """spepred module -> the spepred modules it imports (anywhere in its text)."""
    modules = _modules()
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for a in node.names:  # "from pkg import mod" imports pkg.mod; a name, pkg
                    full = f"{node.module}.{a.name}"
                    targets.append(full if full in modules else node.module)
            for t in targets:
                # the package root's __init__ imports nothing (see ABOVE_API)
                if t in modules and t != name and t != "spepred":
                    graph[name].add(t)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_nothing_below_api_imports_it():
    graph = import_graph()
    offenders = sorted(m for m, deps in graph.items() if "spepred.api" in deps and m not in ABOVE_API)
    assert not offenders, f"lower layers import spepred.api: {offenders}"


def test_no_import_cycles():
    found = cycles(import_graph())
    assert not found, "import cycles: " + "; ".join(" -> ".join(c) for c in found)


def test_the_cycle_check_can_fail():
    assert cycles({"a": {"b"}, "b": {"a"}, "c": set()}) == [["a", "b"]]


def test_screening_and_the_bundle_version_stay_light():
    """Screening imports no ``api``; reading a bundle's version imports no XGBoost (one
    fresh interpreter: what is in ``sys.modules`` after the imports)."""
    probe = (
        "import sys\n"
        "import spepred.screen.runner, spepred.screen.local\n"
        "print('api' if 'spepred.api' in sys.modules else 'no api')\n"
        "from spepred.models.bundle import read_bundle_meta\n"
        "from spepred.resources import __file__ as res\n"
        "from pathlib import Path\n"
        "print(read_bundle_meta(Path(res).parent / 'default_model').model_version)\n"
        "print(sorted(m for m in ('xgboost', 'sklearn') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    lines = out.strip().splitlines()
    assert lines[0] == "no api"
    assert lines[-1] == "[]"


@pytest.mark.parametrize("module", ["spepred.models.evaluation", "spepred.models.anchor"])
def test_benchmark_only_code_is_not_in_the_package(module):
    """The σ benchmark machinery lives in ``benchmarks/`` (``evaluation.py``, ``anchor.py``)."""
    import importlib.util

    assert importlib.util.find_spec(module) is None
