"""`awsprov export` for types whose normalized state uses the spec's own property names:
every value that differs from the AWS default becomes a property."""

from __future__ import annotations

from typing import Any

from awsprov.resources.base import Live


def exported(live: Live, defaults: dict[str, Any], base: dict[str, Any]) -> dict[str, Any]:
    props = dict(base)
    for key, value in live.state.items():
        if key not in props and value != defaults.get(key) and value not in (None, [], {}):
            props[key] = value
    user_tags = {k: v for k, v in live.tags.items()
                 if not k.startswith(("awsprov:", "aws:"))}
    if user_tags:
        props["tags"] = user_tags
    return props
