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
# Aliases can expand a small file exponentially ("billion laughs"); the largest real spec
# has a few thousand values.
MAX_VALUES = 200_000


class _TooDeep(Exception):
    def __init__(self, line: int, path: PathKey) -> None:
        super().__init__(line)
        self.line, self.path = line, path


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing to compose deeper than MAX_DEPTH before it recurses
    (its composer recurses once per level)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._path: list[Any] = []

    def compose_node(self, parent, index):
        if parent is None:  # the document root, or a mapping key
            return super().compose_node(parent, index)
        key = index.value if isinstance(index, yaml.ScalarNode) else index
        self._path.append(key)
        try:
            if len(self._path) > MAX_DEPTH:
                raise _TooDeep(self.peek_event().start_mark.line + 1, tuple(self._path))
            return super().compose_node(parent, index)
        finally:
            self._path.pop()


class _Constructor(yaml.constructor.SafeConstructor):
    """Scalars only: containers are built by _build so that they keep marks."""


def _scalar(node: yaml.ScalarNode) -> Any:
    return _Constructor().construct_object(node, deep=True)


def _build(node: yaml.Node, path: PathKey, file: str, positions: Positions) -> Any:
    positions[path] = Location(file, node.start_mark.line + 1)
    if len(path) > MAX_DEPTH:  # an alias can nest a node inside itself
        raise SpecError(_too_deep_message(), Location(file, node.start_mark.line + 1),
                        _shortened(path))
    if len(positions) > MAX_VALUES:
        raise SpecError(f"more than {MAX_VALUES} values once YAML aliases are expanded",
                        Location(file, node.start_mark.line + 1), _shortened(path))
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise SpecError(
                    "YAML merge keys (<<) are not supported; use environments.overrides",
                    Location(file, key_node.start_mark.line + 1),
                )
            key = _scalar(key_node) if isinstance(key_node, yaml.ScalarNode) else None
            if not isinstance(key, (str, int, float, bool)):
                raise SpecError("a mapping key must be a plain value",
                                Location(file, key_node.start_mark.line + 1), dotted(path))
            key = str(key)
            if key in result:
                first = positions[(*path, key)]
                raise SpecError(f"duplicate key '{key}' (first defined at line {first.line})",
                                Location(file, key_node.start_mark.line + 1),
                                dotted((*path, key)))
            result[key] = _build(value_node, (*path, key), file, positions)
            # the key's own line is where a reader looks for the property
            positions[(*path, key)] = Location(file, key_node.start_mark.line + 1)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*path, i), file, positions) for i, item in enumerate(node.value)]
    return _scalar(node)


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
        node = yaml.compose(text, Loader=_Loader)
    except _TooDeep as exc:
        raise SpecError(_too_deep_message(), Location(name, exc.line),
                        _shortened(exc.path)) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        problem = exc.problem or exc.context or "invalid YAML"
        raise SpecError(f"YAML syntax error: {problem}", Location(name, line)) from None
    except yaml.YAMLError as exc:
        raise SpecError(f"YAML error: {exc}", Location(name, 1)) from None
    if node is None:
        return None, {(): Location(name, 1)}
    try:
        return _build(node, (), name, positions), positions
    except yaml.constructor.ConstructorError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 1
        raise SpecError(f"YAML error: {exc.problem}", Location(name, line)) from None


def _too_deep_message() -> str:
    return f"nested deeper than {MAX_DEPTH} levels (mappings and lists); flatten the spec"


def _shortened(path: PathKey) -> str:
    """The first levels of a path too deep to print whole."""
    return dotted(path[:3]) + "..."


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
