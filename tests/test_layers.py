"""The package layers of src/awsprov, bottom to top: a package imports only packages
below it (every import counts: module level, in a function, or for type checking).
This keeps the import cycles gone (docs/architecture.md, "Layers")."""

from __future__ import annotations

import ast
from collections.abc import Collection
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "src" / "awsprov"

# Bottom first. `errors` is a module shared by every layer; `local` (the emulator
# process) and `__main__` sit at the top with the CLI.
LAYERS = ("errors", "core", "aws", "cost", "resources", "spec", "engine", "render", "local",
          "cli", "__main__")


def unit_of(path: Path, root: Path = ROOT) -> str:
    """The layer a source file belongs to: its package, or its module name at the top."""
    parts = path.relative_to(root).parts
    return parts[0] if len(parts) > 1 else path.stem


def imported_units(path: Path, units: Collection[str] = LAYERS) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = []
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "awsprov" and len(parts) > 1 and parts[1] in units:
                found.add(parts[1])
    return found


def package_imports(root: Path = ROOT,
                    units: Collection[str] = LAYERS) -> dict[str, set[str]]:
    """unit → the other units it imports (bench/architecture_figures.py counts the cycles
    of any tree with it)."""
    graph: dict[str, set[str]] = {}
    for path in root.rglob("*.py"):
        unit = unit_of(path, root)
        if unit == "__init__":
            continue
        graph.setdefault(unit, set()).update(imported_units(path, units) - {unit})
    return graph


def test_every_package_has_a_layer():
    assert set(package_imports()) <= set(LAYERS), set(package_imports()) - set(LAYERS)


def test_a_package_imports_only_the_layers_below_it():
    upward = sorted(f"{unit} imports {other}"
                    for unit, others in package_imports().items()
                    for other in others if LAYERS.index(other) > LAYERS.index(unit))
    assert upward == [], "\n".join(upward)


def test_the_layer_check_sees_a_cycle():
    assert imported_units(ROOT / "__main__.py") == {"cli"}
    assert "core" in imported_units(ROOT / "resources" / "base.py")
