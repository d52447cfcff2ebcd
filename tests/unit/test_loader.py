"""The loader: file:line in every error, folder stacks, environments, vars, interpolation,
references. No AWS: the loader never builds a client."""

from __future__ import annotations

import textwrap

import pytest

from awsprov.core.changes import KNOWN_AFTER_APPLY
from awsprov.errors import SpecError, SpecErrors
from awsprov.spec.loader import load_stack

TABLE = """\
  {logical}:
    name: {name}
    hash_key: id
    attributes: {{id: S}}
"""


def _src(text: str) -> str:
    return textwrap.dedent(text).lstrip()


def load(text: str, env: str | None = None, region: str | None = None, name: str = "s.yaml"):
    return load_stack(name, env=env, region=region, sources={name: _src(text)})


def load_error(text: str, env: str | None = None, **sources: str) -> SpecError:
    files = {name: _src(body) for name, body in sources.items()} or {"s.yaml": _src(text)}
    with pytest.raises(SpecError) as caught:
        load_stack("s.yaml", env=env, sources=files)
    return caught.value


# ---- file:line ---------------------------------------------------------------------------

def test_schema_error_names_file_line_and_property_path():
    error = load_error("""
        stack: s
        tables:
          docs:
            name: docs-table
            hash_key: id
            attributes: {id: S}
            billing_mode: SOMETIMES
        """)
    assert str(error) == ("s.yaml:7: tables.docs.billing_mode: 'SOMETIMES' is not one of "
                          "['PAY_PER_REQUEST', 'PROVISIONED']")


def test_yaml_syntax_error_has_line():
    error = load_error("stack: s\ntables:\n  t:\n    name: [a\n    hash_key: id\n")
    assert error.location.file == "s.yaml"
    assert error.location.line in (4, 5)
    assert "YAML syntax error" in str(error)


def test_duplicate_key_names_both_lines():
    error = load_error("""
        stack: s
        tables:
          t:
            name: aaa
            name: bbb
            hash_key: id
        """)
    assert error.location.line == 5
    assert error.path == "tables.t.name"
    assert "first defined at line 4" in str(error)


def test_reserved_tag_key_is_located_at_the_key():
    error = load_error("""
        stack: s
        tables:
          t:
            name: ttt
            hash_key: id
            attributes: {id: S}
            tags:
              Team: x
              awsprov:stack: other
        """)
    assert error.location.line == 9
    assert error.path == "tables.t.tags.awsprov:stack"
    assert "reserved" in str(error)


def test_illegal_logical_name_is_located_at_the_name():
    error = load_error("stack: s\ntables:\n  Docs:\n    name: ddd\n    hash_key: id\n")
    assert (error.location.line, error.path) == (3, "tables.Docs")
    assert "illegal name 'Docs'" in str(error)


# ---- folder stacks -----------------------------------------------------------------------

def test_folder_stack_merges_sections_of_every_file():
    stack = load_stack("dir", sources={
        "dir/a.yaml": "stack: s\ntables:\n" + TABLE.format(logical="one", name="one-t"),
        "dir/b.yaml": "stack: s\ntables:\n" + TABLE.format(logical="two", name="two-t"),
    })
    assert sorted(stack.resources) == ["tables.one", "tables.two"]
    assert stack.location("tables", "two", "name").file == "dir/b.yaml"


def test_folder_stack_name_defined_twice_names_both_files():
    with pytest.raises(SpecError) as caught:
        load_stack("dir", sources={
            "dir/a.yaml": "stack: s\ntables:\n" + TABLE.format(logical="one", name="x-t"),
            "dir/b.yaml": "stack: s\n\ntables:\n" + TABLE.format(logical="one", name="y-t"),
        })
    error = caught.value
    assert str(error.location) == "dir/b.yaml:4"
    assert error.path == "tables.one"
    assert "dir/a.yaml:3" in str(error)


def test_folder_stack_files_must_agree_on_the_stack():
    with pytest.raises(SpecError) as caught:
        load_stack("dir", sources={"dir/a.yaml": "stack: one\n", "dir/b.yaml": "stack: two\n"})
    assert str(caught.value).startswith("dir/b.yaml:1: stack: stack 'two' differs from 'one'")


# ---- environments ------------------------------------------------------------------------

ENVS = """
    stack: s
    region: us-east-1
    tags: {Team: a}
    vars: {reads: 5}
    environments:
      dev:
        vars: {reads: 1}
      prod:
        region: eu-west-2
        tags: {Tier: gold}
        overrides:
          tables:
            t: {deletion_protection: true, capacity: {write: 9}}
    tables:
      t:
        name: t-${env}-${region}
        hash_key: id
        attributes: {id: S}
        billing_mode: PROVISIONED
        capacity: {read: "${var.reads}", write: 2}
    """


def test_environment_vars_override_and_keep_types():
    stack = load(ENVS, env="dev")
    props = stack.resources["tables.t"].props
    assert props["capacity"] == {"read": 1, "write": 2}  # a whole-token string stays a number
    assert props["name"] == "t-dev-us-east-1"
    assert stack.region == "us-east-1"


def test_environment_overrides_region_tags_and_deep_merges_properties():
    stack = load(ENVS, env="prod")
    props = stack.resources["tables.t"].props
    assert stack.region == "eu-west-2"
    assert props["name"] == "t-prod-eu-west-2"
    assert props["deletion_protection"] is True
    assert props["capacity"] == {"read": 5, "write": 9}
    assert stack.tags == {"Team": "a", "Tier": "gold"}


def test_region_option_wins_over_environment():
    assert load(ENVS, env="prod", region="ap-south-1").region == "ap-south-1"


def test_undefined_environment_lists_the_defined_ones():
    error = load_error(ENVS, env="qa")
    assert error.path == "environments"
    assert error.location.line == 5
    assert "environment 'qa' is not defined (defined: dev, prod)" in str(error)


def test_env_used_without_env_option_is_an_error_at_its_line():
    error = load_error(ENVS)
    assert (error.location.line, error.path) == (16, "tables.t.name")
    assert "${env} is used but not set" in str(error)


def test_override_error_is_located_in_the_environment():
    error = load_error("""
        stack: s
        environments:
          prod:
            overrides:
              tables:
                t: {billing_mode: SOMETIMES}
        tables:
          t:
            name: ttt
            hash_key: id
            attributes: {id: S}
        """, env="prod")
    assert (error.location.line, error.path) == (6, "tables.t.billing_mode")


CROSS_A = """
    stack: s
    environments:
      prod:
        tags: {Tier: gold}
        overrides:
          tables:
            a: {deletion_protection: true}
    tables:
      a: {name: aaa, hash_key: id, attributes: {id: S}}
    """
CROSS_B = """
    stack: s
    environments:
      prod:
        overrides:
          tables:
            b: {deletion_protection: true}
    tables:
      b: {name: bbb, hash_key: id, attributes: {id: S}}
    """


def test_environments_merge_across_the_files_of_a_folder_stack():
    stack = load_stack("dir", env="prod", sources={"dir/a.yaml": _src(CROSS_A),
                                                    "dir/b.yaml": _src(CROSS_B)})
    assert stack.resources["tables.a"].props["deletion_protection"] is True
    assert stack.resources["tables.b"].props["deletion_protection"] is True
    assert stack.tags == {"Tier": "gold"}


def test_environment_leaf_set_in_two_files_is_an_error_naming_both():
    other = CROSS_B.replace("b: {deletion_protection: true}", "a: {deletion_protection: false}")
    with pytest.raises(SpecError) as caught:
        load_stack("dir", env="prod", sources={"dir/a.yaml": _src(CROSS_A),
                                               "dir/b.yaml": _src(other)})
    error = caught.value
    assert error.path == "environments.prod.overrides.tables.a.deletion_protection"
    assert error.location.file == "dir/b.yaml"
    assert "dir/a.yaml:7" in str(error)


# ---- vars and interpolation --------------------------------------------------------------

def test_undefined_var_names_the_defined_ones():
    error = load_error("""
        stack: s
        vars: {a: 1, b: 2}
        tables:
          t:
            name: t-${var.c}
            hash_key: id
            attributes: {id: S}
        """)
    assert (error.location.line, error.path) == (5, "tables.t.name")
    assert "undefined variable 'c' in ${var.c} (defined: a, b)" in str(error)


def test_stack_and_region_interpolate_into_text():
    stack = load("""
        stack: billing
        region: eu-west-1
        tables:
          t:
            name: ${stack}-${region}-t
            hash_key: id
            attributes: {id: S}
            tags: {Literal: "$${not.a.token}"}
        """)
    assert stack.resources["tables.t"].props["name"] == "billing-eu-west-1-t"


def test_unknown_interpolation_is_an_error():
    error = load_error("""
        stack: s
        tables:
          t:
            name: t-${whatever}
            hash_key: id
            attributes: {id: S}
        """)
    assert error.path == "tables.t.name"
    assert "unknown interpolation ${whatever}" in str(error)


def test_account_id_is_left_for_plan_time():
    stack = load("""
        stack: s
        tables:
          t:
            name: t-${account_id}
            hash_key: id
            attributes: {id: S}
        """)
    assert stack.uses_account_id
    assert stack.resources["tables.t"].props["name"] == "t-${account_id}"


# ---- references --------------------------------------------------------------------------

REFS = """
    stack: s
    tables:
      a:
        name: aaa
        hash_key: id
        attributes: {id: S}
        tags: {Peer: "${tables.b.%s}"}
      b:
        name: bbb
        hash_key: id
        attributes: {id: S}
        stream: NEW_IMAGE
    """


@pytest.mark.parametrize("attribute", ["arn", "name", "stream_arn"])
def test_reference_with_each_table_attribute_is_a_dependency(attribute):
    from awsprov.spec import graph

    stack = load(REFS % attribute)
    assert graph.dependencies(stack) == {"tables.a": {"tables.b"}, "tables.b": set()}


def test_reference_to_unknown_attribute_lists_the_known_ones():
    error = load_error(REFS % "url")
    assert (error.location.line, error.path) == (7, "tables.a.tags.Peer")
    assert "tables.b has no attribute 'url' (has: arn, name, stream_arn)" in str(error)


def test_reference_to_undefined_resource():
    error = load_error((REFS % "arn").replace("tables.b.arn", "tables.zzz"))
    assert error.path == "tables.a.tags.Peer"
    assert "reference to undefined resource tables.zzz" in str(error)


def test_reference_resolves_at_plan_time_and_is_unknown_before_create():
    from awsprov.engine.resolve import build_desired
    from awsprov.resources import registry

    stack = load(REFS % "name")
    spec = stack.resources["tables.a"]
    rtype = registry.get("tables")
    unknown = build_desired(stack, spec, rtype, "aaa", {}, aws=None)
    assert unknown.tags["Peer"] is KNOWN_AFTER_APPLY or unknown.props["tags"]["Peer"] \
        is KNOWN_AFTER_APPLY
    known = build_desired(stack, spec, rtype, "aaa", {"tables.b": {"name": "bbb"}}, aws=None)
    assert known.tags["Peer"] == "bbb"


def test_cycle_is_an_error_naming_the_cycle():
    text = (REFS % "name").replace("stream: NEW_IMAGE", 'tags: {Peer: "${tables.a.arn}"}')
    error = load_error(text)
    assert "dependency cycle: tables.a -> tables.b -> tables.a" in str(error)
    assert error.location.line == 3  # where tables.a is defined


def test_several_independent_problems_are_all_reported():
    with pytest.raises(SpecErrors) as caught:
        load("""
            stack: s
            tables:
              a:
                name: aaa
                hash_key: id
                attributes: {id: S, unused: N}
              b:
                name: bbb
                hash_key: pk
                attributes: {id: S}
            """)
    lines = str(caught.value).splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("s.yaml:6: tables.a.attributes.unused:")


def test_region_falls_back_to_aws_region_only_when_neither_spec_nor_option_sets_it():
    text = "stack: s\ntables:\n  t: {name: 't-${region}', hash_key: id, attributes: {id: S}}\n"
    stack = load_stack("s.yaml", sources={"s.yaml": text}, fallback_region="eu-north-1")
    assert (stack.region, stack.resources["tables.t"].props["name"]) == ("eu-north-1",
                                                                          "t-eu-north-1")
    pinned = "region: us-west-2\n" + text
    stack = load_stack("s.yaml", sources={"s.yaml": pinned}, fallback_region="eu-north-1")
    assert stack.region == "us-west-2"


def test_region_from_aws_region_reaches_interpolation_through_the_cli(capsys, monkeypatch,
                                                                      tmp_path):
    from tests.helpers import run_cli

    spec = tmp_path / "s.yaml"
    spec.write_text("stack: s\ntables:\n  t: {name: 't-${region}', hash_key: id, "
                    "attributes: {id: S}}\n")
    monkeypatch.setenv("AWS_REGION", "eu-north-1")
    code, out, err = run_cli(capsys, "validate", str(spec))
    assert (code, err) == (0, "")
    assert "valid (stack s, 1 resource)" in out


def test_an_anchor_shared_by_several_resources_still_loads_with_its_lines():
    stack = load("""
        stack: s
        region: us-east-1
        tables:
          a:
            name: table-a
            hash_key: id
            attributes: {id: S}
            tags: &team {Team: data, Owner: ops}
          b:
            name: table-b
            hash_key: id
            attributes: {id: S}
            tags: *team
    """)
    assert stack.resources["tables.b"].props["tags"] == {"Team": "data", "Owner": "ops"}
    assert stack.location("tables", "b", "tags").line == 13


def test_aliases_may_expand_to_the_limit_but_not_past_it():
    from awsprov.spec.yamlfile import ALIAS_VALUES_MAX, parse_yaml

    # one anchored list of 99 items, aliased: each copy is 100 values (the list + items)
    items = ", ".join(["x"] * 99)
    uses = ALIAS_VALUES_MAX // 100
    text = f"a: &a [{items}]\n" + "".join(f"u{i}: *a\n" for i in range(uses))
    data, _ = parse_yaml(text, "ok.yaml")
    assert len(data) == uses + 1
    with pytest.raises(SpecError) as caught:
        parse_yaml(text + "over: *a\n", "over.yaml")
    assert caught.value.location.line == uses + 2
    assert "aliases expand to more than" in caught.value.message


def test_loading_is_linear_in_positions_copied():
    """5,000 resources across six sections: every resource keeps its own lines (the
    positions are copied per resource from an index, not by scanning every position)."""
    lines = ["stack: s", "region: us-east-1", "queues:"]
    lines += [f"  q{i}: {{name: q-{i}}}" for i in range(5000)]
    stack = load_stack("big.yaml", sources={"big.yaml": "\n".join(lines) + "\n"})
    assert len(stack.resources) == 5000
    assert stack.location("queues", "q4999", "name").line == 5003
