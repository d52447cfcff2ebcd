"""The realism layer in process: botocore event hooks on the clients of one ClientFactory.

- `before-parameter-build` keeps the call's parameters (botocore's keyword arguments);
- `before-call` may answer the call itself (an error or a success body): moto never sees it;
- `before-send` (registered first, ahead of moto's own stub) answers one attempt with a
  throttling error, so botocore's retries really run;
- `after-call` shows the behaviours moto's answer, which they may rewrite in place.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from tests.realism.behaviours import Realism
from tests.realism.calls import Answer, Call

_PARAMS = "realism.params"
_ANSWERED = "realism.answered"
UNROUTABLE = "http://realism.invalid/throttled"  # moto's stub matches no such URL


class _Response:
    def __init__(self, status: int):
        self.status_code = status
        self.headers: dict[str, str] = {}
        self.content = b""


def parsed_answer(answer: Answer) -> dict[str, Any]:
    meta = {"HTTPStatusCode": answer.status, "HTTPHeaders": {}, "RetryAttempts": 0}
    if answer.is_error:
        return {"Error": {"Code": answer.code, "Message": answer.message},
                "ResponseMetadata": meta}
    return {**(answer.body or {}), "ResponseMetadata": meta}


def install(factory, realism: Realism) -> None:
    """Every call made through `factory` goes through `realism`."""
    local = threading.local()

    def keep_params(params=None, context=None, **_):
        if context is not None and isinstance(params, dict):
            context[_PARAMS] = dict(params)

    def call_of(model, context) -> Call:
        return Call(model.service_model.service_name, model.name,
                    (context or {}).get(_PARAMS, {}))

    def before_call(model=None, context=None, **_):
        call = local.call = call_of(model, context)
        answer = realism.before(call)
        if answer is None:
            return None
        if context is not None:
            context[_ANSWERED] = True
        return _Response(answer.status), parsed_answer(answer)

    def before_send(request=None, **_):
        call = getattr(local, "call", None)
        answer = realism.throttle(call) if call is not None and request is not None else None
        if answer is None:
            return None
        from botocore.awsrequest import AWSResponse
        from moto.core.botocore_stubber import MockRawResponse

        request.url = UNROUTABLE  # moto's stub (called after us) then serves nothing
        body = json.dumps({"__type": answer.code, "message": answer.message})
        return AWSResponse(UNROUTABLE, answer.status,
                           {"Content-Type": "application/x-amz-json-1.0"},
                           MockRawResponse(body))

    def after_call(http_response=None, parsed=None, model=None, context=None, **_):
        if (context or {}).get(_ANSWERED) or http_response is None or \
                http_response.status_code >= 300 or not isinstance(parsed, dict):
            return
        realism.after(call_of(model, context), parsed)

    factory.on("before-parameter-build", keep_params)
    factory.on("before-call", before_call)
    factory.on("after-call", after_call)
    # Ahead of moto's before-send stub, which is a built-in handler of every client.
    emitter = factory._botocore_session.get_component("event_emitter")
    emitter.register_first("before-send", before_send)
