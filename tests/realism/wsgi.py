"""The realism layer on the wire: WSGI middleware in front of moto's server app.

ThreadedMotoServer runs in the test's own process, so the middleware asks `current()` (the
test's Realism, or None) at every request: one server serves many tests, each with fresh
state. Each request is reduced to a `Call` (service from the SigV4 credential scope,
operation from X-Amz-Target / Action / the S3 method and sub-resource, parameters from the
JSON or form body), answered by the layer or by moto, and moto's JSON answers are shown to
the behaviours (which may rewrite them).
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, unquote

from tests.realism.behaviours import Realism
from tests.realism.calls import Answer, Call

SIGNING_NAMES = {"tagging": "resourcegroupstaggingapi", "monitoring": "cloudwatch",
                 "email": "ses"}
JSON_VERSIONS = {"dynamodb": "1.0", "sqs": "1.0"}  # the others speak x-amz-json-1.1
SQS_TYPES = {"AWS.SimpleQueueService.NonExistentQueue": "QueueDoesNotExist"}
S3_SUBRESOURCES = {
    "policy": "BucketPolicy", "tagging": "BucketTagging", "versioning": "BucketVersioning",
    "encryption": "BucketEncryption", "lifecycle": "BucketLifecycleConfiguration",
    "publicAccessBlock": "PublicAccessBlock", "ownershipControls": "BucketOwnershipControls",
    "logging": "BucketLogging", "object-lock": "ObjectLockConfiguration", "cors": "BucketCors",
    "notification": "BucketNotificationConfiguration", "acl": "BucketAcl",
    "location": "BucketLocation", "website": "BucketWebsite",
    "replication": "BucketReplication", "accelerate": "BucketAccelerateConfiguration",
    "requestPayment": "BucketRequestPayment",
}
S3_VERBS = {"GET": "Get", "PUT": "Put", "DELETE": "Delete", "POST": "Post", "HEAD": "Head"}
_SCOPE = re.compile(r"Credential=[^/]+/\d+/[^/]+/([^/]+)/aws4_request")


def service_of(environ: dict) -> str:
    match = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
    name = match.group(1) if match else ""
    return SIGNING_NAMES.get(name, name)


def _body(environ: dict) -> bytes:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)  # the app reads it again
    return body


def call_of(environ: dict) -> Call:
    service, body = service_of(environ), _body(environ)
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:  # JSON protocols
        try:
            params = json.loads(body or b"{}")
        except ValueError:
            params = {}
        return Call(service, target.rsplit(".", 1)[-1], params if isinstance(params, dict)
                    else {})
    path = environ.get("PATH_INFO", "")
    if "/operation/" in path:  # smithy RPC v2 CBOR (CloudWatch): parameters not read
        return Call(service, path.rsplit("/", 1)[-1])
    if service == "s3":
        return _s3_call(environ, path, body)
    form = {k: v[0] for k, v in parse_qs(body.decode(errors="replace")).items()}
    return Call(service, form.pop("Action", ""), form)


def _s3_call(environ: dict, path: str, body: bytes) -> Call:
    parts = [unquote(p) for p in path.split("/", 2)[1:] if p]
    query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    method = environ["REQUEST_METHOD"]
    params: dict[str, Any] = {"Bucket": parts[0]} if parts else {}
    if not parts:
        return Call("s3", "ListBuckets")
    if len(parts) > 1:
        return Call("s3", f"{S3_VERBS.get(method, method)}Object", params)
    sub = next((S3_SUBRESOURCES[k] for k in query if k in S3_SUBRESOURCES), None)
    if sub is None:
        operation = {"PUT": "CreateBucket", "DELETE": "DeleteBucket", "HEAD": "HeadBucket",
                     "GET": "ListObjects", "POST": "DeleteObjects"}.get(method, method)
    else:
        operation = f"{S3_VERBS.get(method, method)}{sub}"
        if sub == "BucketPolicy" and method == "PUT":
            params["Policy"] = body.decode(errors="replace")
        elif sub == "PublicAccessBlock" and method == "PUT":
            params["PublicAccessBlockConfiguration"] = _public_access_block(body)
    return Call("s3", operation, params)


def _public_access_block(body: bytes) -> dict[str, bool]:
    text = body.decode(errors="replace")
    return {flag: f"<{flag}>true</{flag}>" in text
            for flag in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy",
                         "RestrictPublicBuckets")}


def encode(call: Call, answer: Answer) -> tuple[str, list[tuple[str, str]], bytes]:
    """An injected answer in the service's own protocol: status line, headers, body."""
    status = f"{answer.status} {'OK' if answer.status < 300 else 'Error'}"
    if call.service == "s3":
        body = b"" if call.operation == "HeadBucket" else (
            f"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{answer.code}</Code>"
            f"<Message>{answer.message}</Message></Error>").encode()
        return status, [("Content-Type", "application/xml"),
                        ("Content-Length", str(len(body)))], body
    if call.service in ("sns", "sts", "cloudwatch"):  # query protocol XML
        body = (f"<ErrorResponse><Error><Type>Sender</Type><Code>{answer.code}</Code>"
                f"<Message>{answer.message}</Message></Error></ErrorResponse>").encode()
        return status, [("Content-Type", "text/xml"), ("Content-Length", str(len(body)))], body
    headers = [("Content-Type",
                f"application/x-amz-json-{JSON_VERSIONS.get(call.service, '1.1')}")]
    if answer.is_error:
        kind = SQS_TYPES.get(answer.code, answer.code) if call.service == "sqs" else answer.code
        payload: dict[str, Any] = {"__type": kind, "message": answer.message}
        if call.service == "sqs":  # query-compatible: botocore takes the code from here
            headers.append(("x-amzn-query-error", f"{answer.code};Sender"))
    else:
        payload = answer.body or {}
    body = json.dumps(payload, default=str).encode()
    headers.append(("Content-Length", str(len(body))))
    return status, headers, body


class RealismMiddleware:
    """WSGI: `current()` decides, per request, which behaviours apply (None: none)."""

    def __init__(self, app, current: Callable[[], Realism | None]):
        self.app, self.current = app, current

    def __call__(self, environ, start_response):
        realism = self.current()
        if realism is None or environ.get("PATH_INFO", "").startswith("/moto-api"):
            return self.app(environ, start_response)
        call = call_of(environ)
        answer = realism.before(call) or realism.throttle(call)
        if answer is not None:
            status, headers, body = encode(call, answer)
            start_response(status, headers)
            return [body]
        seen: dict[str, Any] = {}

        def keep(status, headers, exc_info=None):
            seen.update(status=status, headers=headers)
            return lambda data: None  # moto's server never writes through it

        body = b"".join(self.app(environ, keep))
        body = self._after(realism, call, seen, body)
        start_response(seen["status"], _headers_for(seen["headers"], body))
        return [body]

    @staticmethod
    def _after(realism: Realism, call: Call, seen: dict, body: bytes) -> bytes:
        if not seen["status"].startswith("2"):
            return body
        if not body.strip().startswith(b"{"):  # XML or empty: record only
            realism.after(call, {})
            return body
        try:
            response = json.loads(body)
        except ValueError:
            return body
        before = json.dumps(response, sort_keys=True)
        realism.after(call, response)
        after = json.dumps(response, sort_keys=True, default=str)
        return body if after == before else json.dumps(response, default=str).encode()


# Headers that describe the body: recomputed when the layer rewrites it. DynamoDB signs
# each answer with x-amz-crc32 and botocore resends the request on a mismatch, so a
# rewritten body under moto's old checksum would never reach awsprov (and each resend
# spends one of its attempts).
def _headers_for(headers: list[tuple[str, str]], body: bytes) -> list[tuple[str, str]]:
    import zlib

    kept = [(k, v) for k, v in headers if k.lower() not in ("content-length", "x-amz-crc32")]
    if any(k.lower() == "x-amz-crc32" for k, _ in headers):
        kept.append(("x-amz-crc32", str(zlib.crc32(body) & 0xFFFFFFFF)))
    return [*kept, ("Content-Length", str(len(body)))]
