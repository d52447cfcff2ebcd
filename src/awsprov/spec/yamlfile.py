"""Read YAML into plain Python data plus a map from each value's path to its file:line.

PyYAML's composer keeps a mark on every node; we build the data ourselves from the node
tree so that every key, list item and scalar keeps the line it was written on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from awsprov.errors import Location, SpecError

PathKey = tuple  # a tuple of dict keys and list indices from the document root
Positions = dict[PathKey, Location]


# No real spec comes near it (the deepest, a dashboard body, is about 12); a deeper one
# is a mistake or an attack, and would otherwise end in Python's RecursionError.
MAX_DEPTH = 100


class _TooDeep(Exception):
    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


class _DepthLimitedSafeLoader(yaml.SafeLoader):
    """The pure Python loader, refusing to compose deeper than MAX_DEPTH before its
    composer (which recurses once per level) runs out of stack. libyaml stops by itself,
    at 1,000 levels ("exceeded maximum nesting depth")."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent, index):
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH + 1:
                raise _TooDeep(self.peek_event().start_mark.line + 1)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


# libyaml's parser (in PyYAML's wheels) composes the node tree ~8x faster than the pure
# Python one, with the same marks; the pure one is the fallback where PyYAML was built
# without it.
_LOADER = getattr(yaml, "CSafeLoader", _DepthLimitedSafeLoader)


class _Constructor(yaml.constructor.SafeConstructor):
    """Scalars only: containers are built by _build so that they keep marks."""


def _scalar(node: yaml.ScalarNode) -> Any:
    return _Constructor().construct_object(node, deep=True)


# An alias re-uses its anchor's node: building data from it copies the node, so a few
# hundred bytes of nested aliases ("billion laughs") would expand to billions of values.
# Specs share a tag map or a capacity block this way; 10,000 values cover that many times.
ALIAS_VALUES_MAX = 10_000


class _Builder:
    """Builds the data of one document from its node tree, recording every value's line."""

    def __init__(self, file: str, positions: Positions):
        self.file = file
        self.positions = positions
        self.built: set[int] = set()  # ids of the container nodes built so far
        self.alias_values = 0         # values built by expanding aliases
        self.alias_path: PathKey = ()

    def build(self, node: yaml.Node, path: PathKey, site: int,
              alias: Location | None = None) -> Any:
        """`site` is the line that holds this value (its key's, or its list's); `alias` is
        where the alias being expanded was written, if this value comes from one."""
        if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
            if alias is None and id(node) in self.built:
                alias = Location(self.file, site)
                self.alias_path = path
            self.built.add(id(node))
        if alias is not None:
            self.alias_values += 1
            if self.alias_values > ALIAS_VALUES_MAX:
                raise SpecError(f"YAML aliases expand to more than {ALIAS_VALUES_MAX:,} values; "
                                f"write the values out, or share them with vars",
                                alias, dotted(self.alias_path))
        self.positions[path] = Location(self.file, node.start_mark.line + 1)
        if len(path) > MAX_DEPTH:  # deep nesting, or an alias nested inside itself
            raise SpecError(_too_deep_message(), Location(self.file, site),
                            dotted(path[:3]) + "...")
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path, alias)
        if isinstance(node, yaml.SequenceNode):
            line = node.start_mark.line + 1
            return [self.build(item, (*path, i), line, alias)
                    for i, item in enumerate(node.value)]
        return _scalar(node)

    def _mapping(self, node: yaml.MappingNode, path: PathKey, alias: Location | None) -> dict:
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise SpecError(
                    "YAML merge keys (<<) are not supported; use environments.overrides",
                    Location(self.file, line),
                )
            key = _scalar(key_node) if isinstance(key_node, yaml.ScalarNode) else None
            if not isinstance(key, (str, int, float, bool)):
                raise SpecError("a mapping key must be a plain value",
                                Location(self.file, line), dotted(path))
            key = str(key)
            if key in result:
                first = self.positions[(*path, key)]
                raise SpecError(f"duplicate key '{key}' (first defined at line {first.line})",
                                Location(self.file, line), dotted((*path, key)))
            result[key] = self.build(value_node, (*path, key), line, alias)
            # the key's own line is where a reader looks for the property
            self.positions[(*path, key)] = Location(self.file, line)
        return result


def load_yaml(file: Path, display_name: str | None = None) -> tuple[Any, Positions]:
    """Parse one YAML file; syntax errors become a SpecError with the file and line."""
    name = display_name or str(file)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise SpecError(f"cannot read spec: {exc.strerror}", Location(name, 1)) from None
    except UnicodeDecodeError:
        raise SpecError("spec is not UTF-8 text", Location(name, 1)) from None
    return parse_yaml(text, name)


def parse_yaml(text: str, name: str) -> tuple[Any, Positions]:
    positions: Positions = {}
    try:
        node = yaml.compose(text, Loader=_LOADER)
    except _TooDeep as exc:
        raise SpecError(_too_deep_message(), Location(name, exc.line)) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        if "maximum nesting depth" in str(exc.problem):
            raise SpecError(_too_deep_message(), Location(name, line)) from None
        problem = exc.problem or exc.context or "invalid YAML"
        raise SpecError(f"YAML syntax error: {problem}", Location(name, line)) from None
    except yaml.YAMLError as exc:
        raise SpecError(f"YAML error: {exc}", Location(name, 1)) from None
    if node is None:
        return None, {(): Location(name, 1)}
    try:
        return _Builder(name, positions).build(node, (), 1), positions
    except yaml.constructor.ConstructorError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 1
        raise SpecError(f"YAML error: {exc.problem}", Location(name, line)) from None


def _too_deep_message() -> str:
    return f"nested deeper than {MAX_DEPTH} levels (mappings and lists); flatten the spec"


def dotted(path: PathKey) -> str:
    """tables.documents.global_indexes.by_date / lifecycle[0].id"""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def locate(positions: Positions, path: PathKey) -> Location | None:
    """The line of the longest prefix of path that the files define."""
    for end in range(len(path), -1, -1):
        found = positions.get(tuple(path[:end]))
        if found:
            return found
    return None
