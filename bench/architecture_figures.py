"""Figures of issue 11 (architecture), for docs/architecture.md and the closing note.

    python bench/architecture_figures.py [SRC]      (default: src/awsprov)

- lines per type (a type's module, or all modules of its package);
- mentions per property: how many times each property's name appears as a string
  literal in its type's code (median per type): each is a place keyed by that string
  (schema, fields, defaults, live mapping, export...);
- the largest module;
- package import cycles (pairs of packages importing each other, every import counted).
"""

from __future__ import annotations

import io
import re
import statistics
import sys
import tokenize
from pathlib import Path

TYPES = ("kms_key", "dynamodb_table", "s3_bucket", "secret", "sns_topic", "sqs_queue",
         "log_group", "alarm", "dashboard")


def type_files(src: Path, name: str) -> list[Path]:
    package = src / "resources" / name
    if package.is_dir():
        return sorted(package.rglob("*.py"))
    return [src / "resources" / f"{name}.py"]


def property_names(src: Path, name: str) -> list[str]:
    sys.path.insert(0, str(src.parent))
    import importlib

    module = importlib.import_module(f"awsprov.resources.{name}")
    return [p for p in module.RESOURCE_TYPE.properties if p != "name"]


def mentions(files: list[Path], prop: str) -> int:
    count = 0
    for path in files:
        tokens = tokenize.generate_tokens(io.StringIO(path.read_text()).readline)
        for token in tokens:
            if token.type == tokenize.STRING and re.fullmatch(r"[rbuf]*['\"]" + prop + r"['\"]",
                                                              token.string):
                count += 1
    return count


def cycles(src: Path) -> list[tuple[str, str]]:
    """Pairs of packages (or top-level modules) of `src` that import each other."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.test_layers import package_imports

    units = {p.stem for p in src.iterdir() if p.is_dir() or p.suffix == ".py"}
    graph = package_imports(src, units)
    return sorted((a, b) for a in graph for b in graph[a] if a < b and a in graph.get(b, ()))


def main() -> None:
    src = Path(sys.argv[1] if len(sys.argv) > 1 else "src/awsprov").resolve()
    print(f"{'type':16} {'lines':>6} {'largest module':>15} {'mentions/prop (median)':>23}")
    medians = []
    for name in TYPES:
        files = type_files(src, name)
        lines = sum(len(f.read_text().splitlines()) for f in files)
        largest = max(len(f.read_text().splitlines()) for f in files)
        counts = [mentions(files, p) for p in property_names(src, name)]
        median = statistics.median(counts)
        medians.append(median)
        print(f"{name:16} {lines:6} {largest:15} {median:23}")
    print(f"median over types of the per-type median: {statistics.median(medians)}")
    modules = sorted(src.rglob("*.py"), key=lambda f: -len(f.read_text().splitlines()))
    print(f"largest module: {modules[0].relative_to(src)} "
          f"({len(modules[0].read_text().splitlines())} lines)")
    found = cycles(src)
    print(f"package import cycles: {len(found)} {found}")


if __name__ == "__main__":
    main()
