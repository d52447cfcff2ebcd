"""botocore's exceptions, imported only when an exception is actually being handled.

`except errors.ClientError:` evaluates the class lazily (PEP 562 module __getattr__),
so importing a resource module does not import botocore: `awsprov --help` stays fast.
"""

from __future__ import annotations

import re
from typing import Any

from awsprov.errors import AwsAccessError, AwsprovError

_LAZY = {
    "ClientError": "botocore.exceptions",
    "BotoCoreError": "botocore.exceptions",
    "NoCredentialsError": "botocore.exceptions",
    "EndpointConnectionError": "botocore.exceptions",
    "WaiterError": "botocore.exceptions",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(name)
    import importlib

    return getattr(importlib.import_module(module), name)


def code(exc: BaseException) -> str:
    """The AWS error code of a ClientError, '' for anything else."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""


def message(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Message", ""))
    return ""


def is_code(exc: BaseException, *codes: str) -> bool:
    return code(exc) in codes


_ACCESS_CODES = {
    "InvalidClientTokenId": "the AWS credentials are not valid (InvalidClientTokenId)",
    "UnrecognizedClientException": "the AWS credentials are not valid",
    "SignatureDoesNotMatch": "the AWS secret key does not match the access key",
    "ExpiredToken": "the AWS session token has expired; refresh your credentials",
    "ExpiredTokenException": "the AWS session token has expired; refresh your credentials",
    "AccessDenied": "access denied",
    "AccessDeniedException": "access denied",
}


# AWS validation messages echo what was sent ("Value 'x' at 'secretString' failed to
# satisfy constraint"), and botocore's own messages do too ("Invalid type for parameter
# SecretString, value: x, type: ..."). Either may be a secret: the values are dropped.
_ECHOED_VALUES = (
    (re.compile(r"\b(value)\s+(?:'.*?'|\[.*?\])\s+(at\s+')", re.IGNORECASE | re.DOTALL),
     r"\1 (not shown) \2"),
    (re.compile(r"(\bvalue:\s*).*?(?=,\s*(?:type|valid)\b|\n|$)", re.IGNORECASE), r"\1(not shown)"),
)
_PARAMETER = re.compile(r"parameter ([A-Za-z0-9_.\[\]]+)")


def scrub(text: str) -> str:
    """`text` with every request value AWS or botocore echoed in it removed."""
    for pattern, replacement in _ECHOED_VALUES:
        text = pattern.sub(replacement, text)
    return text


def describe(exc: BaseException, action: str = "") -> AwsprovError:
    """Turn a botocore exception into one clear line. Never includes request parameters."""
    prefix = f"{action}: " if action else ""
    aws_code = code(exc)
    if aws_code:
        operation = getattr(exc, "operation_name", "")
        text = _ACCESS_CODES.get(aws_code) or scrub(f"{aws_code}: {message(exc)}").rstrip(": ")
        error_cls = AwsAccessError if aws_code in _ACCESS_CODES else AwsprovError
        return error_cls(f"{prefix}{operation + ' failed: ' if operation else ''}{text}")
    name = type(exc).__name__
    if name in ("NoCredentialsError", "PartialCredentialsError", "NoRegionError",
                "ProfileNotFound", "CredentialRetrievalError", "SSOTokenLoadError",
                "UnauthorizedSSOTokenError", "TokenRetrievalError"):
        hint = {
            "NoCredentialsError": "no AWS credentials found (set a profile, AWS_* variables, "
                                  "or use --local for the embedded emulator)",
            "NoRegionError": "no AWS region: set `region:` in the spec, --region or AWS_REGION",
        }.get(name, str(exc))
        return AwsAccessError(prefix + hint)
    if name in ("EndpointConnectionError", "ConnectTimeoutError", "ConnectionClosedError",
                "ReadTimeoutError", "ProxyConnectionError", "SSLError"):
        endpoint = getattr(exc, "kwargs", {}).get("endpoint_url", "")
        return AwsAccessError(f"{prefix}cannot reach the AWS endpoint {endpoint}".rstrip())
    if name == "ParamValidationError":
        params = sorted(set(_PARAMETER.findall(str(exc))))
        return AwsprovError(f"{prefix}invalid request parameters: {', '.join(params) or '?'} "
                            f"(values not shown)")
    return AwsprovError(f"{prefix}{name}: {scrub(str(exc))}")
