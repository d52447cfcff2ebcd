"""Desired state as the parameters of CreateTable and UpdateTable."""

from __future__ import annotations

from typing import Any

from awsprov.core.changes import KNOWN_AFTER_APPLY

NO_LIMITS = {"max_reads": -1, "max_writes": -1}  # how UpdateTable lifts on-demand limits


def attribute_definitions(props: dict) -> list[dict]:
    return [{"AttributeName": name, "AttributeType": kind}
            for name, kind in sorted((props.get("attributes") or {}).items())]


def key_schema(hash_key: str, range_key: str | None) -> list[dict]:
    schema = [{"AttributeName": hash_key, "KeyType": "HASH"}]
    if range_key:
        schema.append({"AttributeName": range_key, "KeyType": "RANGE"})
    return schema


def throughput(capacity: dict) -> dict:
    return {"ReadCapacityUnits": capacity["read"], "WriteCapacityUnits": capacity["write"]}


def on_demand(limits: dict) -> dict:
    return {"MaxReadRequestUnits": limits["max_reads"],
            "MaxWriteRequestUnits": limits["max_writes"]}


def projection(value: Any) -> dict:
    if value in (None, "ALL", "KEYS_ONLY"):
        return {"ProjectionType": value or "ALL"}
    return {"ProjectionType": "INCLUDE", "NonKeyAttributes": list(value)}


def global_index(name: str, index: dict, state: dict) -> dict:
    request = {"IndexName": name, "KeySchema": key_schema(index["hash_key"],
                                                          index.get("range_key")),
               "Projection": projection(index.get("projection"))}
    capacity = state["global_indexes"][name]["capacity"]
    if capacity:
        request["ProvisionedThroughput"] = throughput(capacity)
    return request


def local_index(name: str, index: dict, hash_key: str) -> dict:
    return {"IndexName": name, "KeySchema": key_schema(hash_key, index["range_key"]),
            "Projection": projection(index.get("projection"))}


def stream(view: str | None) -> dict:
    return ({"StreamEnabled": True, "StreamViewType": view} if view
            else {"StreamEnabled": False})


def sse(encryption: Any) -> dict:
    if encryption == "aws-owned":
        return {"Enabled": False}
    if encryption == "aws-managed":
        return {"Enabled": True, "SSEType": "KMS"}
    if encryption is KNOWN_AFTER_APPLY:
        raise ValueError("encryption key is not known yet")
    return {"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": encryption}
