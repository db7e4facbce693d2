"""Count the public module-level names of lcr_hub, module by module (issue 22: a small public API).

A module's public names are its ``__all__`` when it defines one, else the names that its own
top-level statements define (functions, classes, assignments) and that do not start with ``_``;
imported names are not counted. The source is parsed, nothing is imported.

Usage:
    python scripts/public_names.py [--package lcr_hub] [--list] [--exclude lcr_hub/data/generator.py]
"""

from __future__ import annotations

import argparse
import ast
from pathlib import Path


def _defined_names(tree: ast.Module) -> list[str]:
    names: list[str] = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, ast.Assign):
            names.extend(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.append(node.target.id)
    return names


def _dunder_all(tree: ast.Module) -> list[str] | None:
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets) and node.value is not None:
            try:
                return list(ast.literal_eval(node.value))
            except ValueError:
                return None
    return None


def public_names(path: Path) -> list[str]:
    """The public names of one module file: its ``__all__``, else its own non-underscore definitions."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    listed = _dunder_all(tree)
    if listed is not None:
        return listed
    return sorted({n for n in _defined_names(tree) if not n.startswith("_")})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--package", default="lcr_hub", help="Package folder to scan (default: lcr_hub).")
    parser.add_argument("--exclude", action="append", default=[], help="A module file to leave out (repeatable).")
    parser.add_argument("--list", action="store_true", help="Print each module's names, not only the counts.")
    args = parser.parse_args(argv)
    excluded = {Path(p).resolve() for p in args.exclude}
    total = in_private = 0
    for path in sorted(Path(args.package).rglob("*.py")):
        if path.resolve() in excluded or "checkpoints" in path.parts:  # released copies of the remote code
            continue
        names = public_names(path)
        total += len(names)
        if any(part.startswith("_") and not part.startswith("__") for part in path.parts):
            in_private += len(names)  # _hashing.py, _modules/: private by their module's name
        print(f"{len(names):4d}  {path}" + (f"  {', '.join(names)}" if args.list and names else ""))
    print(f"{total:4d}  total ({in_private} of them in private modules)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
