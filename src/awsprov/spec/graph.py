"""Dependencies between resources (from references), batches, and cycles."""

from __future__ import annotations

from typing import TYPE_CHECKING

from awsprov.core import references
from awsprov.resources import registry

if TYPE_CHECKING:
    from awsprov.spec.model import Stack


class CycleError(ValueError):
    def __init__(self, cycle: list[str]):
        super().__init__(" -> ".join(cycle))
        self.cycle = cycle


def dependencies(stack: Stack) -> dict[str, set[str]]:
    """address → the addresses it references (which must exist first)."""
    sections = set(registry.sections())
    deps: dict[str, set[str]] = {}
    for address, spec in stack.resources.items():
        refs = references.references_in(spec.props, sections)
        deps[address] = {r.address for r in refs if r.address in stack.resources} - {address}
    return deps


def batches(deps: dict[str, set[str]]) -> list[list[str]]:
    """Topological layers: every resource comes after all it depends on (Kahn's algorithm)."""
    remaining = {node: set(edges) for node, edges in deps.items()}
    layers: list[list[str]] = []
    while remaining:
        ready = sorted(n for n, edges in remaining.items() if not edges)
        if not ready:
            raise CycleError(find_cycle(remaining))
        layers.append(ready)
        for node in ready:
            del remaining[node]
        for edges in remaining.values():
            edges.difference_update(ready)
    return layers


def find_cycle(deps: dict[str, set[str]]) -> list[str]:
    """One cycle, closed (first node repeated at the end), starting at its smallest node."""
    visiting: list[str] = []
    done: set[str] = set()

    def visit(node: str) -> list[str] | None:
        if node in visiting:
            cycle = visiting[visiting.index(node):]
            start = cycle.index(min(cycle))
            cycle = cycle[start:] + cycle[:start]
            return [*cycle, cycle[0]]
        if node in done or node not in deps:
            return None
        visiting.append(node)
        for nxt in sorted(deps[node]):
            found = visit(nxt)
            if found:
                return found
        visiting.pop()
        done.add(node)
        return None

    for node in sorted(deps):
        found = visit(node)
        if found:
            return found
    return []


def dependents(deps: dict[str, set[str]], failed: str) -> set[str]:
    """Every address that transitively depends on `failed`."""
    out: set[str] = set()
    frontier = {failed}
    while frontier:
        frontier = {n for n, edges in deps.items() if edges & frontier} - out
        out |= frontier
    return out
