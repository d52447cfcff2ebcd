"""`awsprov export`: spec YAML for resources that exist, made by hand or by another tool."""

from __future__ import annotations

import re
from typing import Any

from awsprov.aws.context import AwsContext
from awsprov.errors import AwsprovError
from awsprov.resources import registry


def export_resources(aws: AwsContext, section: str, names: list[str]) -> dict[str, Any]:
    if section not in registry.sections():
        raise AwsprovError(f"unknown section '{section}' (sections: "
                           f"{', '.join(registry.sections())})")
    rtype = registry.get(section)
    resources: dict[str, Any] = {}
    for name in names:
        live = rtype.read(aws, name)
        if live is None:
            raise AwsprovError(f"{rtype.kind} '{name}' not found in {aws.region}")
        resources[logical_name(name, resources)] = rtype.export(live)
    return {"stack": "exported", "region": aws.region, section: resources}


def logical_name(name: str, taken: dict[str, Any]) -> str:
    """VendorsTable → vendors_table; unique within the section."""
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()
    base = re.sub(r"[^a-z0-9]+", "_", snake).strip("_") or "resource"
    if not base[0].isalpha():
        base = f"r_{base}"
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}_{n}", n + 1
    return candidate
