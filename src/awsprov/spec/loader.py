"""Spec files → a validated Stack. Runs no AWS call; every error names file, line, property."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

from awsprov.core import references
from awsprov.errors import Location, SpecError, SpecErrors
from awsprov.resources import registry
from awsprov.resources import tags as tagging
from awsprov.spec import graph, validate
from awsprov.spec.model import ResourceSpec, Stack
from awsprov.spec.yamlfile import Positions, dotted, locate, parse_yaml

TOP_LEVEL_MERGED = ("tags", "vars", "environments")


def spec_files(path: Path) -> list[Path]:
    if path.is_dir():
        files = sorted(p for p in path.iterdir()
                       if p.suffix in (".yaml", ".yml") and p.is_file())
        if not files:
            raise SpecError(f"no *.yaml or *.yml files in folder {path}")
        return files
    if not path.exists():
        raise SpecError(f"spec not found: {path}")
    return [path]


def read_sources(path: Path) -> dict[str, str]:
    """The text of every spec file, keyed by the name errors will show."""
    sources = {}
    for file in spec_files(path):
        try:
            sources[str(file)] = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise SpecError(f"cannot read spec: {exc}", Location(str(file), 1)) from None
    return sources


def load_stack(path: str | Path, env: str | None = None, region: str | None = None,
               sources: dict[str, str] | None = None,
               fallback_region: str | Callable[[], str | None] | None = None,
               inputs: bool = True, allow_outside_files: bool = False) -> Stack:
    """Read, merge, overlay, interpolate and validate a spec file or folder. `region`
    (--region) wins over the spec's; `fallback_region` (AWS_REGION) is used without both
    (a callable: asked only then, as reading the AWS config files costs start-up).
    `inputs=False` skips the checks of external inputs (env vars, files) for commands that
    never send their values to AWS. Files a spec reads must lie in its folder tree unless
    `allow_outside_files` (--allow-outside-files)."""
    if sources is None:
        sources = read_sources(Path(path))
    documents = [(name, *parse_yaml(text, name)) for name, text in sources.items()]
    doc, positions = _merge_documents(documents)
    validate.check_top_level(doc, positions)
    doc, positions = _apply_environment(doc, positions, env)
    effective_region = region or doc.get("region") or (
        fallback_region() if callable(fallback_region) else fallback_region)
    doc = _interpolate_static(doc, positions, env, effective_region)
    validate.check_schema(doc, positions)
    stack = _build_stack(doc, positions, env, effective_region, sources)
    _resolve_relative_paths(stack, confine=inputs and not allow_outside_files)
    _check_semantics(stack, inputs)
    return stack


# ---- merging files ----------------------------------------------------------------------

def _merge_documents(documents: list[tuple[str, Any, Positions]]) -> tuple[dict, Positions]:
    merged: dict[str, Any] = {}
    positions: Positions = {}
    stack_from: Location | None = None
    sections = set(registry.sections())
    for name, data, pos in documents:
        index = _Subtrees(pos)
        positions.setdefault((), pos.get((), Location(name, 1)))
        if data is None:
            continue
        if not isinstance(data, dict):
            raise SpecError("a spec must be a mapping with `stack:` and resource sections",
                            pos.get((), Location(name, 1)))
        if len(documents) > 1 and "stack" not in data:
            raise _file_without_stack(name, documents)
        for key, value in data.items():
            where = pos[(key,)]
            if key == "stack":
                if "stack" in merged and merged["stack"] != value:
                    raise SpecError(f"stack '{value}' differs from '{merged['stack']}' "
                                    f"declared at {stack_from}", where, "stack")
                merged["stack"], stack_from = value, where
            elif key in sections or key in TOP_LEVEL_MERGED:
                _merge_named(merged, positions, pos, key, value, where, index)
                continue
            elif key in merged:
                raise SpecError(f"defined twice (also at {positions[(key,)]})", where, key)
            else:
                merged[key] = value
            _copy_positions(index, positions, (key,))
    if not merged:
        first = documents[0][0] if documents else "spec"
        raise SpecError("the spec is empty", Location(first, 1))
    return merged, positions


def _file_without_stack(name: str, documents: list[tuple[str, Any, Positions]]) -> SpecError:
    """docs/spec.md: every file of a folder stack names the same stack, so that a file moved in
    from another stack cannot silently join this one."""
    declared = next((data["stack"] for _n, data, _p in documents
                     if isinstance(data, dict) and "stack" in data), None)
    wanted = f"`stack: {declared}`" if isinstance(declared, str) else "the same `stack:`"
    return SpecError(f"missing: every file of a folder stack declares {wanted}",
                     Location(name, 1), "stack")


def _merge_named(merged: dict, positions: Positions, pos: Positions, key: str, value: Any,
                 where: Location, index: _Subtrees) -> None:
    """Sections and named maps merge across files; a name defined twice is an error."""
    if not isinstance(value, dict):
        raise SpecError(f"must be a mapping, not {_type_name(value)}", where, key)
    target = merged.setdefault(key, {})
    positions.setdefault((key,), where)
    if key == "environments":
        _merge_leaves(target, value, (key,), positions, pos, index)
        return
    for name, item in value.items():
        if name in target:
            first = positions[(key, name)]
            raise SpecError(f"defined twice: at {first} and here", pos[(key, name)],
                            f"{key}.{name}")
        target[name] = item
        _copy_positions(index, positions, (key, name))


def _merge_leaves(target: dict, value: dict, path: tuple, positions: Positions,
                  pos: Positions, index: _Subtrees) -> None:
    """Environments merge across files down to their leaves, so each file of a folder
    stack can carry the overrides of its own resources; a leaf set twice is an error."""
    for name, item in value.items():
        here = (*path, name)
        if name in target and isinstance(target[name], dict) and isinstance(item, dict):
            _merge_leaves(target[name], item, here, positions, pos, index)
            continue
        if name in target:
            raise SpecError(f"defined twice: at {positions[here]} and here", pos[here],
                            dotted(here))
        target[name] = item
        _copy_positions(index, positions, here)


def _copy_positions(index: _Subtrees, dst: Positions, prefix: tuple,
                    to: tuple | None = None) -> None:
    """Copy the positions under `prefix` to the same paths (or under `to`) in dst. The
    index is built once per document: a scan of every position per copy made loading
    quadratic in the number of resources."""
    base = to if to is not None else prefix
    n = len(prefix)
    for path, loc in index.under(prefix):
        dst[base + path[n:]] = loc


class _Subtrees:
    """The positions of one document grouped by their first n path elements, built once per
    n on first use. The document must not gain paths under a prefix already asked for."""

    def __init__(self, positions: Positions):
        self._positions = positions
        self._groups: dict[int, dict[tuple, list[tuple[tuple, Location]]]] = {}

    def under(self, prefix: tuple) -> list[tuple[tuple, Location]]:
        n = len(prefix)
        if n not in self._groups:
            groups: dict[tuple, list[tuple[tuple, Location]]] = {}
            for path, loc in list(self._positions.items()):
                if len(path) >= n:
                    groups.setdefault(path[:n], []).append((path, loc))
            self._groups[n] = groups
        return self._groups[n].get(prefix, [])


# ---- environments -----------------------------------------------------------------------

def _apply_environment(doc: dict, positions: Positions, env: str | None) -> tuple[dict, Positions]:
    environments = doc.get("environments") or {}
    if env is None:
        return doc, positions
    if env not in environments:
        defined = ", ".join(sorted(environments)) or "none"
        where = positions.get(("environments",)) or positions.get(("stack",))
        raise SpecError(f"environment '{env}' is not defined (defined: {defined})", where,
                        "environments")
    overlay = environments[env] or {}
    doc = copy.deepcopy(doc)
    positions = dict(positions)
    index = _Subtrees(positions)  # the copies below go outside environments.*: safe
    base = ("environments", env)
    if "region" in overlay:
        doc["region"] = overlay["region"]
        positions[("region",)] = positions[(*base, "region")]
    for key in ("vars", "tags"):
        if key in overlay:
            doc[key] = {**(doc.get(key) or {}), **(overlay[key] or {})}
            _copy_positions(index, positions, (*base, key), (key,))
    for section, resources in (overlay.get("overrides") or {}).items():
        for logical, props in (resources or {}).items():
            current = doc.setdefault(section, {}).get(logical) or {}
            doc[section][logical] = deep_merge(current, props or {})
            _copy_positions(index, positions, (*base, "overrides", section, logical),
                            (section, logical))
    return doc, positions


def deep_merge(base: Any, overlay: Any) -> Any:
    """Maps merge key by key; anything else (lists included) is replaced by the overlay."""
    if isinstance(base, dict) and isinstance(overlay, dict):
        out = dict(base)
        for key, value in overlay.items():
            out[key] = deep_merge(base.get(key), value) if key in base else value
        return out
    return overlay


# ---- interpolation ----------------------------------------------------------------------

def _interpolate_static(doc: dict, positions: Positions, env: str | None,
                        region: str | None) -> dict:
    sections = set(registry.sections())
    variables = doc.get("vars") or {}
    statics = {"env": env, "stack": doc.get("stack"), "region": region}

    def lookup_at(path: tuple):
        def lookup(expr: str) -> Any:
            if expr.startswith("var."):
                name = expr[4:]
                if name not in variables:
                    known = ", ".join(sorted(variables)) or "none"
                    raise SpecError(f"undefined variable '{name}' in ${{{expr}}} "
                                    f"(defined: {known})", locate(positions, path), dotted(path))
                return variables[name]
            if expr in statics:
                if statics[expr] is None:
                    hint = {"env": "choose one with --env",
                            "region": "set `region:` or --region"}.get(expr, "")
                    raise SpecError(f"${{{expr}}} is used but not set ({hint})",
                                    locate(positions, path), dotted(path))
                return statics[expr]
            if expr in references.LATE_NAMES:
                return None
            if references.parse_reference(expr, sections):
                return None  # a resource reference: resolved at plan time
            raise SpecError(f"unknown interpolation ${{{expr}}} (expected var.NAME, env, stack, "
                            f"region, account_id or SECTION.NAME[.ATTR])",
                            locate(positions, path), dotted(path))
        return lookup

    out = dict(doc)
    # In the documents' order (files sorted, keys as written), never a set's: the first
    # error must be the same on every run.
    for key in [k for k in doc if k in sections or k == "tags"]:
        if key in doc:
            out[key] = references.map_strings(
                doc[key], lambda text, path, k=key: references.substitute(text, lookup_at((k,
                                                                                         *path))))
    return out


# ---- stack and semantic checks ----------------------------------------------------------

def _build_stack(doc: dict, positions: Positions, env: str | None, region: str | None,
                 sources: dict[str, str]) -> Stack:
    resources: dict[str, ResourceSpec] = {}
    for section in registry.sections():
        for logical, props in (doc.get(section) or {}).items():
            spec = ResourceSpec(section, logical, props)
            resources[spec.address] = spec
    uses_account = any("${account_id}" in text for text in sources.values())
    return Stack(
        name=doc["stack"], env=env, region=region,
        tags={str(k): str(v) for k, v in (doc.get("tags") or {}).items()},
        resources=resources, positions=positions,
        sources=sources, uses_account_id=uses_account,
    )


def _resolve_relative_paths(stack: Stack, confine: bool = True) -> None:
    """File paths in props are relative to the spec file that wrote them (an environment
    override counts as written where the override is). With `confine`, each must resolve
    (symbolic links followed) inside the spec's folder tree: a spec reviewed as a diff must
    not be able to upload the runner's other files as secret values."""
    root = _spec_folder(stack.sources)
    problems: list[SpecError] = []
    for spec in stack.resources.values():
        for path in registry.get(spec.section).relative_paths:
            parent, value = spec.props, None
            for key in path[:-1]:
                parent = parent.get(key) if isinstance(parent, dict) else None
            if isinstance(parent, dict):
                value = parent.get(path[-1])
            if not isinstance(value, str):
                continue
            where = stack.location(spec.section, spec.logical, *path)
            if where is not None and not Path(value).is_absolute():
                parent[path[-1]] = str(Path(where.file).parent / value)
            if confine and root is not None and not _inside(Path(parent[path[-1]]), root):
                real = Path(parent[path[-1]]).resolve()
                problems.append(SpecError(
                    f"{value} is outside the spec's folder {root} (it resolves to {real}); "
                    f"files are read only from under it unless --allow-outside-files is given",
                    where, dotted((spec.section, spec.logical, *path))))
    if problems:
        raise SpecErrors(problems) if len(problems) > 1 else problems[0]


def _spec_folder(sources: dict[str, str]) -> Path | None:
    """The folder of the spec file, or of a folder stack (its files share one folder)."""
    for name in sources:
        return Path(name).parent
    return None


def _inside(file: Path, folder: Path) -> bool:
    return file.resolve().is_relative_to(folder.resolve())


def _check_semantics(stack: Stack, inputs: bool = True) -> None:
    problems: list[SpecError] = []
    sections = set(registry.sections())
    names_seen: dict[tuple[str, str], str] = {}
    for address, spec in stack.resources.items():
        rtype = registry.get(spec.section)
        base = (spec.section, spec.logical)
        for problem in rtype.check(spec.props):
            if problem.external_input and not inputs:
                continue
            path = (*base, *problem.path)
            error = SpecError(problem.message, stack.location(*path), dotted(path))
            if problem.severity == "error":
                problems.append(error)
            else:
                stack.warnings.append(error.message)
        if rtype.taggable and (why := tagging.too_many_tags(
                stack.tags, spec.props.get("tags") or {}, stack.env)):
            path = (*base, "tags") if "tags" in spec.props else base
            problems.append(SpecError(why, stack.location(*path), dotted(path)))
        for ref in references.references_in(spec.props, sections):
            target = stack.resources.get(ref.address)
            path = _path_of_reference(spec.props, ref, base)
            if target is None:
                problems.append(SpecError(f"reference to undefined resource {ref.address}",
                                          stack.location(*path), dotted(path)))
            elif ref.attribute not in registry.get(ref.section).reference_attributes:
                allowed = ", ".join(registry.get(ref.section).reference_attributes)
                problems.append(SpecError(
                    f"{ref.address} has no attribute '{ref.attribute}' (has: {allowed})",
                    stack.location(*path), dotted(path)))
            elif why := registry.get(ref.section).missing_attribute(ref.attribute,
                                                                   target.props):
                problems.append(SpecError(f"{ref.address} {why}", stack.location(*path),
                                          dotted(path)))
        name = rtype.physical_name(spec.props)
        if isinstance(name, str):
            key = (spec.section, name)
            if key in names_seen:
                problems.append(SpecError(
                    f"name '{name}' is also used by {names_seen[key]}",
                    stack.location(*base, "name"), f"{address}.name"))
            names_seen[key] = address
    if problems:
        raise SpecErrors(problems) if len(problems) > 1 else problems[0]
    _check_across_resources(stack, inputs)
    try:
        graph.batches(graph.dependencies(stack))
    except graph.CycleError as exc:
        first = exc.cycle[0]
        raise SpecError(f"dependency cycle: {' -> '.join(exc.cycle)}",
                        stack.location(*first.split(".")), first) from None


def _check_across_resources(stack: Stack, inputs: bool = True) -> None:
    """Each type's cross-resource checks; errors stop here, warnings ride on the stack."""
    problems: list[SpecError] = []
    for address, spec in stack.resources.items():
        rtype = registry.get(spec.section)
        for problem in rtype.check_stack(address, spec.props, stack):
            if problem.external_input and not inputs:
                continue
            path = (spec.section, spec.logical, *problem.path)
            error = SpecError(problem.message, stack.location(*path), dotted(path))
            if problem.severity == "error":
                problems.append(error)
            else:
                stack.warnings.append(error.message)
    if problems:
        raise SpecErrors(problems) if len(problems) > 1 else problems[0]


def _path_of_reference(props: dict, ref: references.Reference, base: tuple) -> tuple:
    sections = set(registry.sections())
    found: list[tuple] = []

    def visit(text: str, path: tuple) -> str:
        if ref in references.references_in(text, sections) and not found:
            found.append(path)
        return text

    references.map_strings(props, visit)
    return (*base, *(found[0] if found else ()))


def _type_name(value: Any) -> str:
    return {list: "a list", str: "a string", int: "a number", float: "a number",
            bool: "a boolean", type(None): "empty"}.get(type(value), type(value).__name__)
