"""Dependency batches and cycle detection."""

from __future__ import annotations

import pytest

from awsprov.spec import graph


def test_batches_put_every_node_after_what_it_depends_on():
    deps = {"t.a": set(), "t.b": {"t.a"}, "t.c": {"t.a"}, "t.d": {"t.b", "t.c"}, "t.e": set()}
    assert graph.batches(deps) == [["t.a", "t.e"], ["t.b", "t.c"], ["t.d"]]


def test_batches_of_independent_nodes_are_one_sorted_layer():
    assert graph.batches({"t.z": set(), "t.a": set()}) == [["t.a", "t.z"]]


def test_cycle_is_named_closed_and_from_its_smallest_node():
    deps = {"t.a": set(), "t.x": {"t.y"}, "t.y": {"t.z"}, "t.z": {"t.x"}, "t.w": {"t.x"}}
    with pytest.raises(graph.CycleError) as caught:
        graph.batches(deps)
    assert caught.value.cycle == ["t.x", "t.y", "t.z", "t.x"]
    assert str(caught.value) == "t.x -> t.y -> t.z -> t.x"


def test_self_free_two_cycle():
    with pytest.raises(graph.CycleError) as caught:
        graph.batches({"t.b": {"t.a"}, "t.a": {"t.b"}})
    assert caught.value.cycle == ["t.a", "t.b", "t.a"]


def test_dependents_are_transitive():
    deps = {"t.a": set(), "t.b": {"t.a"}, "t.c": {"t.b"}, "t.d": set()}
    assert graph.dependents(deps, "t.a") == {"t.b", "t.c"}
    assert graph.dependents(deps, "t.d") == set()


def test_dependencies_come_from_references_in_any_property():
    from awsprov.spec.loader import load_stack

    stack = load_stack("s.yaml", sources={"s.yaml": """
stack: s
tables:
  a: {name: aaa, hash_key: id, attributes: {id: S}, tags: {X: "${tables.b.name}-${tables.c}"}}
  b: {name: bbb, hash_key: id, attributes: {id: S}}
  c: {name: ccc, hash_key: id, attributes: {id: S}, tags: {Y: "${tables.b.arn}"}}
"""})
    deps = graph.dependencies(stack)
    assert deps == {"tables.a": {"tables.b", "tables.c"}, "tables.b": set(),
                    "tables.c": {"tables.b"}}
    assert graph.batches(deps) == [["tables.b"], ["tables.c"], ["tables.a"]]
