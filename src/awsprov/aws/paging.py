"""Pages of a call that pages by a token in its answer, written out once."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any


def token_pages(call: Callable[..., dict], request: dict[str, Any],
                token: str = "NextToken") -> Iterator[dict]:
    """Every page of `call(**request)`, following `token` until an answer has none. For
    calls botocore has no paginator for (DynamoDB ListTagsOfResource) and for batched
    calls whose page size is part of the request."""
    request = dict(request)
    while True:
        page = call(**request)
        yield page
        if not page.get(token):
            return
        request[token] = page[token]
