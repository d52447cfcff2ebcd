"""DynamoDB tables (docs/tables.md), as a package in Terraform's manner:

- settings: the properties and their normalised state (spec, describe answer, export);
- checks: what is known before any call (spec checks, index diff, refusals, notes,
  data loss, baseline);
- api: the reads, the waits and the delete;
- requests, create, update: CreateTable, and an update's ordered phases.

The type below only wires them to the contract (resources/base.py)."""

from __future__ import annotations

import threading
from typing import Any

from awsprov.aws.arns import make_arn
from awsprov.core.changes import AttributeChange, BaselineFinding
from awsprov.cost import dynamodb as pricing
from awsprov.resources import service_access as access
from awsprov.resources.base import Deletion, Desired, Live, Problem, Progress, ResourceType
from awsprov.resources.dynamodb_table import api, checks, create, settings, update


class DynamoDBTable(ResourceType):
    section = "tables"
    kind = "DynamoDB table"
    service = "dynamodb"
    tagging_type = "dynamodb:table"
    holds_data = True
    required = ("name", "hash_key")
    reference_attributes = ("arn", "name", "stream_arn")
    props = settings.PROPS
    permissions = {
        "read": ("dynamodb:DescribeTable", "dynamodb:DescribeTimeToLive",
                 "dynamodb:DescribeContinuousBackups", "dynamodb:ListTagsOfResource"),
        "write": ("dynamodb:CreateTable", "dynamodb:UpdateTable", "dynamodb:DeleteTable",
                  "dynamodb:UpdateTimeToLive", "dynamodb:UpdateContinuousBackups",
                  "dynamodb:TagResource", "dynamodb:UntagResource"),
        # telling the AWS-managed key from a customer key
        "lookup": ("kms:DescribeKey", "kms:ListAliases"),
    }
    usage_properties = pricing.USAGE_PROPERTIES

    def __init__(self) -> None:
        self._keys = api.KeyNamer()
        self._indexed_creates = threading.BoundedSemaphore(create.INDEXED_CREATES_IN_FLIGHT)

    # ---- pure ------------------------------------------------------------------------

    def check(self, props: dict[str, Any]) -> list[Problem]:
        return checks.check(props)

    def check_stack(self, address: str, props: dict[str, Any], stack) -> list[Problem]:
        wrong_region = access.key_region_problem(props.get("encryption"), stack.region, "table")
        return [Problem(("encryption",), wrong_region)] if wrong_region else []

    def cost(self, props, usage, prices):
        return pricing.table_cost(props, usage, prices)

    def missing_attribute(self, attribute: str, props: dict[str, Any]) -> str | None:
        return checks.missing_attribute(attribute, props)

    def desired_state(self, props: dict[str, Any]) -> dict[str, Any]:
        return settings.desired_state(props)

    def key_changes(self, key: str, before: Any, after: Any, desired: Desired,
                    live: Live) -> list[AttributeChange]:
        if key == "global_indexes":
            return checks.index_changes(before or {}, after, "capacity" in desired.ignore)
        if key == "encryption" and after in settings.details_of(live).encryption_names:
            return []  # the same key, named by alias or id
        return self.field_changes(key, before, after)

    def refusal(self, desired: Desired, live: Live,
                changes: list[AttributeChange]) -> str | None:
        return checks.refusal(live, changes)

    def data_loss(self, desired: Desired, live: Live,
                  changes: list[AttributeChange]) -> list[str]:
        return checks.data_loss(desired, live, changes)

    def change_notes(self, desired: Desired, live: Live,
                     changes: list[AttributeChange]) -> list[str]:
        return checks.change_notes(desired, live, changes)

    def baseline(self, live: Live) -> list[BaselineFinding]:
        return checks.baseline(live)

    def name_from_arn(self, arn: str) -> str:
        return arn.split(":table/", 1)[-1].split("/", 1)[0]

    def arn_pattern(self, name: str, region: str, account: str) -> list[str]:
        table = make_arn("dynamodb", region, account, f"table/{name}")
        return [table, f"{table}/index/*"]

    def export(self, live: Live) -> dict[str, Any]:
        return settings.export_spec(live)

    # ---- AWS -------------------------------------------------------------------------

    def read(self, aws, name: str, owner=None) -> Live | None:
        return api.read(aws, name, self._keys)

    def read_tags(self, aws, live: Live) -> dict[str, str]:
        return api.read_tags(aws.client("dynamodb"), live.arn)

    def create(self, aws, desired: Desired, progress: Progress) -> None:
        create.create(aws, desired, self._indexed_creates, progress)

    def update(self, aws, desired: Desired, live: Live, changes: list[AttributeChange],
               progress: Progress) -> None:
        if changes:
            update.update(aws, desired, live, changes, progress)

    def delete(self, aws, live: Live, how: Deletion, progress: Progress) -> None:
        api.delete(aws, live.name, progress)

    def set_tags(self, aws, live: Live, tags: dict[str, str]) -> None:
        api.set_tags(aws, live, tags)


RESOURCE_TYPE = DynamoDBTable
