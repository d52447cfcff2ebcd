"""Malformed specs through the real entry point: `validate` and `plan` both exit 1 with
exactly one line `FILE:LINE: path: message` on stderr, no traceback, and no AWS client is
ever built (so no request can reach AWS or an emulator).

Data-driven: add a Case to CASES (other resource types add their own the same way).
`line` is 1-based in `file`; `path` is a fragment the error must name right after
FILE:LINE (None only for YAML syntax errors, which have no property path yet).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from tests.helpers import forbid_aws_clients, run_cli

# Lines 1-7; a case's extra lines start at line 8.
TABLE = """\
stack: bad
region: us-east-1
tables:
  docs:
    name: docs-table
    hash_key: id
    attributes: {id: S}
"""


def table(extra: str = "", head: str = TABLE) -> str:
    return head + extra


def replace(old: str, new: str, extra: str = "") -> str:
    assert old in TABLE
    return table(extra, TABLE.replace(old, new))


@dataclass(frozen=True)
class Case:
    id: str
    files: str | dict[str, str]   # one spec's text, or a folder stack {file name: text}
    line: int
    path: str | None
    args: tuple[str, ...] = ()    # extra CLI arguments (e.g. --env qa)
    file: str = "stack.yaml"      # the file the error must name
    message: str = "YAML"         # what a message without a path must start with
    contains: str = ""            # a fragment the line must hold (as printed)


OTHER_REGION_KEY = ("'arn:aws:kms:eu-west-1:123456789012:key/"
                    "1234abcd-12ab-34cd-56ef-1234567890ab'")
OTHER = "  other:\n    name: other-table\n    hash_key: id\n    attributes: {id: S}\n"

CASES = [
    # ---- YAML itself
    Case("yaml-unclosed-flow", table("    tags: {Team: x\n    stream: NEW_IMAGE\n"), 9, None),
    Case("yaml-bad-indent", table("   ttl: at\n"), 8, None),
    Case("yaml-tab", table("\tttl: at\n"), 8, None),
    Case("yaml-merge-key", table("    <<: {ttl: at}\n"), 8, None),
    Case("yaml-duplicate-key", table("    hash_key: other\n"), 8, "tables.docs.hash_key"),
    Case("nested-10000-deep", "stack: bad\nvars:\n  a: " + "[" * 10000 + "]" * 10000 + "\n",
         3, None, message="nested deeper than 100 levels"),
    Case("nested-600-deep-block", "stack: bad\nvars:\n  a:\n" + "".join(
        "  " * (i + 2) + f"k{i}:\n" for i in range(600)) + "  " * 602 + "v\n",
         102, "vars.a.k0", contains="nested deeper than 100 levels"),
    Case("nested-101-deep-block", "stack: bad\nvars:\n  a:\n" + "".join(
        "  " * (i + 2) + f"k{i}:\n" for i in range(100)) + "  " * 102 + "v\n",
         102, "vars.a.k0", contains="nested deeper than 100 levels"),
    Case("alias-nested-in-itself", "stack: bad\nvars:\n  a: &a\n    - *a\n", 3, "vars.a[0]",
         contains="nested deeper than 100 levels"),
    Case("not-a-mapping", "- stack: bad\n", 1, None, message="a spec must be a mapping"),
    # 9 levels of 9 aliases: 387 million values if expanded; refused at the alias that
    # crosses yamlfile.ALIAS_VALUES_MAX, before any copy is built past it
    Case("yaml-alias-bomb", table("vars:\n  l0: &l0 [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"  l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]\n" for i in range(1, 9))), 13,
         "vars.l4[0]", contains="YAML aliases expand to more than 10,000 values"),
    # ---- structure
    Case("missing-stack", "region: us-east-1\ntables: {}\n", 1, "stack"),
    Case("unknown-section", table("tabels:\n  x: {}\n"), 8, "tabels"),
    Case("unknown-property", table("    billing: PROVISIONED\n"), 8, "tables.docs.billing"),
    Case("unknown-index-property", table("    global_indexes:\n"
                                         "      by-owner: {hash_key: id, sort_key: x}\n"), 9,
         "tables.docs.global_indexes.by-owner.sort_key"),
    Case("section-not-a-map", "stack: bad\ntables: [a, b]\n", 2, "tables"),
    # ---- types and values
    Case("wrong-type-bool", table("    deletion_protection: 'yes'\n"), 8,
         "tables.docs.deletion_protection"),
    Case("wrong-type-number", table("    billing_mode: PROVISIONED\n"
                                    "    capacity: {read: five, write: 1}\n"), 9,
         "tables.docs.capacity.read"),
    Case("wrong-type-attributes", replace("attributes: {id: S}", "attributes: [id]"), 7,
         "tables.docs.attributes"),
    Case("bad-enum-billing", table("    billing_mode: SOMETIMES\n"), 8,
         "tables.docs.billing_mode"),
    Case("bad-attribute-type", replace("attributes: {id: S}", "attributes: {id: X}"), 7,
         "tables.docs.attributes.id"),
    Case("bad-stream-view", table("    stream: NEW\n"), 8, "tables.docs.stream"),
    Case("bad-table-class", table("    table_class: GLACIER\n"), 8, "tables.docs.table_class"),
    Case("bad-encryption", table("    encryption: my-key\n"), 8, "tables.docs.encryption"),
    Case("bad-projection", table("    global_indexes:\n      by-id: {hash_key: id, "
                                 "projection: SOME}\n"), 9,
         "tables.docs.global_indexes.by-id.projection"),
    Case("pitr-days-too-many", table("    point_in_time_recovery: {enabled: true, "
                                     "recovery_period_days: 36}\n"), 8,
         "tables.docs.point_in_time_recovery.recovery_period_days"),
    Case("pitr-days-zero", table("    point_in_time_recovery:\n      recovery_period_days: 0\n"),
         9, "tables.docs.point_in_time_recovery.recovery_period_days"),
    Case("ignore-unknown-property", table("    ignore_changes: [capacity, colour]\n"), 8,
         "tables.docs.ignore_changes"),
    Case("bad-region", replace("region: us-east-1", "region: Europe"), 2, "region"),
    # ---- required
    Case("missing-hash-key", replace("    hash_key: id\n", ""), 4, "tables.docs"),
    Case("missing-name", replace("    name: docs-table\n", ""), 4, "tables.docs"),
    Case("gsi-missing-hash-key", table("    global_indexes:\n      by-id: {projection: ALL}\n"),
         9, "tables.docs.global_indexes.by-id"),
    # ---- names
    Case("illegal-table-name", replace("name: docs-table", "name: docs table"), 5,
         "tables.docs.name", contains="3-255 of a-z A-Z 0-9 _ - ."),
    Case("table-name-too-short", replace("name: docs-table", "name: dt"), 5, "tables.docs.name"),
    Case("table-name-is-a-reference", replace("name: docs-table", "name: ${tables.other.name}",
                                              OTHER), 5, "tables.docs.name"),
    Case("illegal-logical-name", replace("  docs:", "  Docs:"), 4, "tables.Docs"),
    Case("illegal-index-name", table("    global_indexes:\n      ix: {hash_key: id}\n"), 9,
         "tables.docs.global_indexes.ix"),
    Case("illegal-stack-name", replace("stack: bad", "stack: Bad_Stack"), 1, "stack",
         contains="[a-z][a-z0-9-]{0,39}"),
    Case("illegal-var-name", table("vars: {bad-name: 1}\n"), 8, "vars.bad-name"),
    Case("same-physical-name", table(OTHER.replace("other-table", "docs-table")), 9,
         "tables.other.name"),
    Case("folder-name-defined-twice", {"a.yaml": TABLE, "b.yaml": "stack: bad\ntables:\n" +
                                       TABLE.split("tables:\n", 1)[1]},
         3, "tables.docs", file="b.yaml"),
    Case("folder-stack-differs", {"a.yaml": TABLE, "b.yaml": "stack: other\n"}, 1, "stack",
         file="b.yaml"),
    Case("folder-file-without-stack", {"a.yaml": TABLE, "b.yaml": "# more tables\ntables:\n"
                                       + OTHER}, 1, "stack", file="b.yaml",
         contains="every file of a folder stack declares `stack: bad`"),
    Case("folder-first-file-without-stack", {"a.yaml": "tables:\n" + OTHER, "b.yaml": TABLE},
         1, "stack", file="a.yaml", contains="declares `stack: bad`"),
    # ---- tags
    Case("awsprov-tag-key", table("    tags: {'awsprov:stack': mine}\n"), 8,
         "tables.docs.tags.awsprov:stack"),
    Case("awsprov-stack-tag-key", table("tags:\n  awsprov:address: x\n"), 9,
         "tags.awsprov:address"),
    Case("aws-tag-key", table("    tags: {'aws:cloudformation:stack-name': x}\n"), 8,
         "tables.docs.tags.aws:cloudformation:stack-name", contains="set by AWS"),
    # printed as written: rich would turn `:x:` into an emoji
    Case("aws-tag-key-like-an-emoji-code", table("    tags: {'aws:x': y}\n"), 8,
         "tables.docs.tags.aws:x", contains="key 'aws:x' is reserved"),
    Case("aws-tag-key-any-case", table("tags:\n  AWS:owner: x\n"), 9, "tags.AWS:owner",
         contains="reserved"),
    Case("tag-key-too-long", table("    tags: {" + "k" * 129 + ": x}\n"), 8, "tables.docs.tags"),
    Case("tag-value-too-long", table("    tags: {Team: " + "v" * 257 + "}\n"), 8,
         "tables.docs.tags.Team", contains="257 characters; at most 256"),
    Case("too-many-tags", table("    tags:\n" + "".join(f"      t{i}: x\n" for i in range(49))),
         8, "tables.docs.tags", contains="51 tags"),
    Case("too-many-tags-with-stack-tags",
         table("tags:\n" + "".join(f"  s{i}: x\n" for i in range(40)), TABLE + "    tags:\n"
               + "".join(f"      t{i}: x\n" for i in range(9))), 8, "tables.docs.tags",
         contains="AWS accepts at most 50 per resource"),
    # ---- interpolation and references
    Case("bad-reference", table("    tags: {Peer: '${tables.nope.arn}'}\n"), 8,
         "tables.docs.tags.Peer"),
    Case("unknown-reference-attribute", table("    tags: {Peer: '${tables.other.url}'}\n" +
                                              OTHER), 8, "tables.docs.tags.Peer"),
    Case("reference-to-absent-stream", table("    tags: {Peer: '${tables.other.stream_arn}'}\n"
                                             + OTHER), 8, "tables.docs.tags.Peer",
         contains="tables.other has no stream_arn"),
    Case("cycle", table("    tags: {Peer: '${tables.other.name}'}\n" + OTHER +
                        "    tags: {Peer: '${tables.docs.arn}'}\n"), 4, "tables.docs"),
    Case("undefined-var", replace("name: docs-table", "name: docs-${var.suffix}"), 5,
         "tables.docs.name"),
    Case("env-without-option", replace("name: docs-table", "name: docs-${env}"), 5,
         "tables.docs.name"),
    Case("undefined-env", table("environments:\n  dev: {}\n"), 8, "environments",
         args=("--env", "qa")),
    Case("unknown-interpolation", replace("name: docs-table", "name: docs-${colour}"), 5,
         "tables.docs.name"),
    Case("environment-unknown-key", table("environments:\n  prod:\n    regoin: eu-west-2\n"),
         10, "environments.prod.regoin"),
    Case("environment-override-bad-value",
         table("environments:\n  prod:\n    overrides:\n      tables:\n"
               "        docs: {stream: NEW}\n"), 12, "tables.docs.stream", args=("--env", "prod")),
    # ---- table semantics
    Case("unused-attribute", replace("attributes: {id: S}", "attributes: {id: S, extra: N}"), 7,
         "tables.docs.attributes.extra"),
    Case("undeclared-key-attribute", table("    range_key: sk\n"), 8, "tables.docs.range_key"),
    Case("undeclared-index-attribute", table("    global_indexes:\n      by-owner: "
                                             "{hash_key: owner}\n"), 9,
         "tables.docs.global_indexes.by-owner.hash_key"),
    Case("capacity-without-provisioned", table("    capacity: {read: 1, write: 1}\n"), 8,
         "tables.docs.capacity"),
    Case("provisioned-without-capacity", table("    billing_mode: PROVISIONED\n"), 8,
         "tables.docs.billing_mode"),
    Case("index-capacity-on-demand", table("    global_indexes:\n      by-id: {hash_key: id, "
                                           "capacity: {read: 1, write: 1}}\n"), 9,
         "tables.docs.global_indexes.by-id.capacity"),
    Case("on-demand-limits-with-provisioned", table("    billing_mode: PROVISIONED\n"
                                                    "    capacity: {read: 1, write: 1}\n"
                                                    "    on_demand_throughput: {max_reads: 10}\n"),
         10, "tables.docs.on_demand_throughput"),
    Case("projected-attributes-over-100-in-all",
         table("    global_indexes:\n      by-a: {hash_key: id, projection: ["
               + ", ".join(f"a{i}" for i in range(60)) + "]}\n      by-b: {hash_key: id, "
               "projection: [" + ", ".join(f"b{i}" for i in range(41)) + "]}\n"), 10,
         "tables.docs.global_indexes.by-b.projection", contains="101 non-key attributes"),
    Case("key-attribute-name-too-long",
         replace("attributes: {id: S}", "attributes: {id: S, " + "x" * 256 + ": S}",
                 "    range_key: " + "x" * 256 + "\n"), 7, "tables.docs.attributes",
         contains="256 characters; at most 255"),
    Case("more-than-20-global-indexes",
         table("    global_indexes:\n" + "".join(f"      ix{i:02d}: {{hash_key: id}}\n"
                                                 for i in range(21))), 8,
         "tables.docs.global_indexes", contains="21 keys; at most 20"),
    Case("more-than-5-local-indexes",
         replace("    hash_key: id\n", "    hash_key: id\n    range_key: r\n",
                 "    local_indexes:\n" + "".join(f"      lx{i}: {{range_key: r}}\n"
                                                 for i in range(6)))
         .replace("{id: S}", "{id: S, r: S}"), 9, "tables.docs.local_indexes",
         contains="6 keys; at most 5"),
    Case("index-projects-over-100",
         table("    global_indexes:\n      by-a: {hash_key: id, projection: ["
               + ", ".join(f"a{i}" for i in range(101)) + "]}\n"), 9,
         "tables.docs.global_indexes.by-a.projection"),
    Case("table-key-in-another-region",
         table("    encryption: " + OTHER_REGION_KEY + "\n"), 8,
         "tables.docs.encryption",
         contains="the key is in eu-west-1, the table in us-east-1"),
    Case("lsi-without-range-key", replace("attributes: {id: S}", "attributes: {id: S, ts: N}",
                                          "    local_indexes:\n      by-ts: {range_key: ts}\n"),
         9, "tables.docs.local_indexes.by-ts"),
    Case("lsi-other-hash-key", replace("    hash_key: id\n", "    hash_key: id\n    range_key: r"
                                       "\n", "    local_indexes:\n      by-ts: {hash_key: r, "
                                             "range_key: r}\n").replace("{id: S}",
                                                                        "{id: S, r: S}"),
         10, "tables.docs.local_indexes.by-ts.hash_key"),
]


def _write(tmp_path, case: Case):
    if isinstance(case.files, str):
        (tmp_path / "stack.yaml").write_text(case.files, encoding="utf-8")
        return tmp_path / "stack.yaml"
    folder = tmp_path / "stack"
    folder.mkdir()
    for name, text in case.files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_there_are_at_least_35_cases():
    assert len(CASES) >= 35
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("command", ["validate", "plan"])
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_one_line_exit_1_and_no_aws_call(case, command, tmp_path, capsys,
                                                     monkeypatch):
    asked = forbid_aws_clients(monkeypatch)
    spec = _write(tmp_path, case)
    code, out, err = run_cli(capsys, command, str(spec), *case.args)
    assert code == 1, (out, err)
    assert asked == []
    assert "Traceback" not in err and "Traceback" not in out
    lines = err.splitlines()
    assert len(lines) == 1, err
    where = spec if spec.is_file() else spec / case.file
    prefix = f"error: {where}:{case.line}: "
    assert lines[0].startswith(prefix), f"expected {prefix!r}, got {lines[0]!r}"
    message = lines[0][len(prefix):]
    assert case.contains in message
    if case.path is None:
        assert message.startswith(case.message), message
    else:
        assert re.match(rf"{re.escape(case.path)}\S*: \S", message), message
