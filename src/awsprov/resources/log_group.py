"""CloudWatch Logs log groups (docs/spec.md "log_groups"; docs/monitoring-and-messaging.md
"Log groups").

Retention goes through PutRetentionPolicy/DeleteRetentionPolicy (no retention = kept
forever), the key through AssociateKmsKey/DisassociateKmsKey, tags through the log
group's ARN *without* the `:*` suffix DescribeLogGroups puts on `arn`. CloudWatch Logs
uses the key as `logs.<region>.amazonaws.com`, so the key policy must name it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from awsprov.aws import errors
from awsprov.aws.arns import make_arn
from awsprov.aws.waiters import WaitTimeout, retry_when, wait_until
from awsprov.core.changes import AttributeChange, BaselineFinding, Severity
from awsprov.cost import cloudwatch as pricing
from awsprov.resources import service_access as access
from awsprov.resources import tags as tagging
from awsprov.resources.base import Deletion, Desired, Live, Problem, Progress, ResourceType
from awsprov.resources.props import Prop
from awsprov.resources.sizes import plural

# How long a log group CreateLogGroup says exists may stay unlisted.
EXISTING_VISIBLE_SECONDS = 30
# The only values PutRetentionPolicy accepts.
RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827,
                  2192, 2557, 2922, 3288, 3653)
LOGS_KEY_ACTIONS = ("kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*",
                    "kms:Describe*")
# DeleteLogGroup answers OperationAbortedException while another operation runs on it.
DELETE_RETRY_SECONDS = 60
# CreateLogGroup: "Log group names can't start with the string aws/" (AWS's own vended
# groups); the common /aws/lambda/... form starts with a slash and is allowed.
RESERVED_PREFIX = "aws/"
# A key created moments ago (or its policy just changed) is "not allowed to be used"
# until KMS has propagated it.
KEY_PROPAGATION_SECONDS = 120
# "It can take up to 5 minutes for this operation to take effect" (AssociateKmsKey and
# DisassociateKmsKey, CloudWatch Logs API reference): until DescribeLogGroups shows the
# new key, a plan would report the old one as drift; so the write waits for it, with two
# reads in a row (a little more than the 5 minutes at most).
KEY_SHOWN_SECONDS = 6 * 60
KEY_NOT_YET_USABLE = (("AccessDeniedException", "InvalidParameterException"), ("KMS", "key"))


def untagged_arn(arn: str) -> str:
    """The ARN tagging APIs want: DescribeLogGroups' `arn` ends in `:*`."""
    return arn.removesuffix(":*")


def shortens_retention(before: int | None, after: int | None) -> bool:
    """True when events kept now would be deleted: a shorter period, or one where there
    was none (kept forever). None/0 means forever."""
    return bool(after) and (not before or after < before)


def _has_streams(logs, name: str) -> bool:
    """Whether the group has any log stream (events live in streams): one call, made only
    when a retention cut is planned. storedBytes is no proof: CloudWatch updates it late."""
    return bool(logs.describe_log_streams(logGroupName=name, limit=1).get("logStreams"))


@dataclass(frozen=True)
class LogGroupDetails:
    """What a log group's own checks need beyond its state: whether it holds any stream,
    asked only when a retention cut is planned (`read` makes `has_streams` remember its
    answer, so it is asked at most once per read)."""

    has_streams: Callable[[], bool]

    def holds_streams(self) -> bool:
        return self.has_streams()


def _holds_streams(live: Live) -> bool:
    """A live built without the check (by hand) counts as holding."""
    details = live.details
    return details.holds_streams() if isinstance(details, LogGroupDetails) else True


class LogGroup(ResourceType):
    section = "log_groups"
    kind = "CloudWatch log group"
    service = "logs"
    # "logs:log-group" is the finer filter; moto only answers "logs" (no other logs
    # resource carries awsprov tags, so the coarser filter finds the same).
    tagging_type = "logs"
    holds_data = True
    props = {
        "name": Prop({"type": "string", "pattern": r"^[.\-_/#A-Za-z0-9]{1,512}$",
                      "description": "Log group name: 1-512 of A-Z a-z 0-9 . - _ / #"},
                     state=False),
        # No retention policy: events are kept forever (None).
        "retention_days": Prop({"enum": list(RETENTION_DAYS),
                                "description": "Days events are kept; absent = forever"},
                               describe="retentionInDays"),
        "kms_key": Prop(access.KMS_KEY_ARN, request="kmsKeyId"),
    }
    usage_properties = pricing.LOG_GROUP_USAGE_PROPERTIES
    permissions = {
        "read": ("logs:DescribeLogGroups", "logs:ListTagsForResource",
                 "logs:DescribeLogStreams"),
        "write": ("logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:PutRetentionPolicy",
                  "logs:DeleteRetentionPolicy", "logs:AssociateKmsKey",
                  "logs:DisassociateKmsKey", "logs:TagResource", "logs:UntagResource"),
    }

    def cost(self, props, usage, prices):
        return pricing.log_group_cost(props, usage, prices)

    def check(self, props: dict[str, Any]) -> list[Problem]:
        problems = []
        name = props.get("name")
        if isinstance(name, str) and name.startswith(RESERVED_PREFIX):
            problems.append(Problem(("name",), f"log group names cannot start with "
                                    f"{RESERVED_PREFIX} (AWS reserves it; /aws/... is fine)"))
        problem = access.key_format_problem(props.get("kms_key"), aliases=False)
        if problem:
            problems.append(Problem(("kms_key",), problem))
        return problems

    def check_stack(self, address: str, props: dict[str, Any], stack) -> list[Problem]:
        wrong_region = access.key_region_problem(props.get("kms_key"), stack.region,
                                                 "log group")
        if wrong_region:
            return [Problem(("kms_key",), wrong_region)]
        service = f"logs.{stack.region or '<region>'}.amazonaws.com"
        problem = access.key_grant_problem(
            stack, props.get("kms_key"), service, LOGS_KEY_ACTIONS,
            "CloudWatch Logs refuses to create or encrypt the log group with it",
            "AllowCloudWatchLogsToUseTheKey")
        return [Problem(("kms_key",), problem)] if problem else []

    def change_notes(self, desired: Desired, live: Live,
                     changes: list[AttributeChange]) -> list[str]:
        key = next((c for c in changes if c.prop == "kms_key"), None)
        if key and key.before:
            return ["events written before the key change stay encrypted with the old key: "
                    "keep it enabled as long as they are retained"]
        return []

    def data_loss(self, desired: Desired, live: Live,
                  changes: list[AttributeChange]) -> list[str]:
        retention = next((c for c in changes if c.prop == "retention_days"), None)
        if retention is None or not shortens_retention(retention.before, retention.after):
            return []
        if not _holds_streams(live):
            return []  # no stream, no event: a group just made (a create cut short)
        before = plural(retention.before, "day") if retention.before else "never expire"
        after = plural(retention.after, "day")
        return [f"retention {before} → {after}: stored events older than {after} are deleted"]

    def baseline(self, live: Live) -> list[BaselineFinding]:
        findings = []
        if live.state["retention_days"] is None:
            findings.append(BaselineFinding(
                "log-retention", Severity.WARNING, "events are kept forever: set retention_days"))
        if not live.state["kms_key"]:
            findings.append(BaselineFinding(
                "log-kms", Severity.INFO, "encrypted with CloudWatch-owned keys"))
        return findings

    def name_from_arn(self, arn: str) -> str:
        return untagged_arn(arn).split(":log-group:", 1)[-1]

    def arn_pattern(self, name: str, region: str, account: str) -> list[str]:
        group = make_arn("logs", region, account, f"log-group:{name}")
        return [group, f"{group}:*"]

    # ---- read ------------------------------------------------------------------------

    def read(self, aws, name: str, owner=None) -> Live | None:
        logs = aws.client("logs")
        group = self._describe(logs, name)
        if group is None:
            return None
        arn = group.get("logGroupArn") or untagged_arn(group["arn"])
        try:
            tags = logs.list_tags_for_resource(resourceArn=arn).get("tags") or {}
        except errors.ClientError as exc:
            if errors.is_code(exc, "ResourceNotFoundException"):
                return None
            raise
        # An empty key id is no key, as an absent one.
        state = {**self.simple_live(group), "kms_key": group.get("kmsKeyId") or None}
        return Live(name=name, arn=arn, state=state, tags=dict(tags),
                    attributes={"arn": arn, "name": name},
                    data_at_risk=f"{group.get('storedBytes', 0)} bytes of log events stored",
                    details=LogGroupDetails(cache(lambda: _has_streams(logs, name))))

    @staticmethod
    def _describe(logs, name: str) -> dict | None:
        """DescribeLogGroups filters by prefix: page until the exact name (sorted by name)."""
        for page in logs.get_paginator("describe_log_groups").paginate(
                logGroupNamePrefix=name):
            for group in page.get("logGroups", []):
                if group["logGroupName"] == name:
                    return group
        return None

    # ---- create, update, delete ------------------------------------------------------

    def create(self, aws, desired: Desired, progress: Progress) -> None:
        logs = aws.client("logs")
        request: dict[str, Any] = {"logGroupName": desired.name, "tags": dict(desired.tags),
                                   **self.simple_request(desired.state)}
        progress("CreateLogGroup")
        try:
            self._with_new_key(aws, lambda: logs.create_log_group(**request), desired.name,
                               bool(desired.state["kms_key"]))
        except errors.ClientError as exc:
            if not errors.is_code(exc, "ResourceAlreadyExistsException"):
                raise
            found = self._read_existing(aws, desired.name)
            if found is None or not tagging.made_for(found.tags, desired.tags):
                raise
            # This create's first attempt made it (same name, key and tags); botocore resent
            # it after a lost answer.
            progress("CreateLogGroup answer lost: the log group it made is this one")
        if desired.state["retention_days"]:
            self._set_retention(logs, desired.name, desired.state["retention_days"], progress)

    def _read_existing(self, aws, name: str) -> Live | None:
        """The log group CreateLogGroup says exists: a group just made may not be listed
        yet, so it is read again for a moment before it counts as missing."""
        try:
            return wait_until(lambda: self.read(aws, name), lambda live: live is not None,
                              f"log group {name} listed", aws.wait,
                              timeout=EXISTING_VISIBLE_SECONDS)
        except WaitTimeout:
            return None

    def update(self, aws, desired: Desired, live: Live, changes: list[AttributeChange],
               progress: Progress) -> None:
        logs = aws.client("logs")
        changed = {c.prop for c in changes}
        want = desired.state
        if "kms_key" in changed:
            if want["kms_key"]:
                progress("AssociateKmsKey")
                self._with_new_key(aws, lambda: logs.associate_kms_key(
                    logGroupName=desired.name, kmsKeyId=want["kms_key"]), desired.name, True)
            else:
                progress("DisassociateKmsKey (older events still need the old key)")
                logs.disassociate_kms_key(logGroupName=desired.name)
            self._await_key_shown(aws, desired.name, want["kms_key"], progress)
        if "retention_days" in changed:
            self._set_retention(logs, desired.name, want["retention_days"], progress)
        if "tags" in changed:
            self.set_tags(aws, live, desired.tags)

    def _await_key_shown(self, aws, name: str, key: str | None, progress: Progress) -> None:
        logs = aws.client("logs")
        progress("waiting: the key change to show (CloudWatch Logs: up to 5 minutes)")
        wait_until(lambda: (self._describe(logs, name) or {}).get("kmsKeyId") or None,
                   lambda shown: shown == key, f"{name}: key change shown", aws.wait,
                   timeout=KEY_SHOWN_SECONDS, consecutive=2)

    @staticmethod
    def _with_new_key(aws, call, name: str, keyed: bool) -> None:
        if not keyed:
            call()
            return
        codes, messages = KEY_NOT_YET_USABLE
        retry_when(call, codes, f"{name}: key usable by CloudWatch Logs", aws.wait,
                   timeout=KEY_PROPAGATION_SECONDS, messages=messages)

    @staticmethod
    def _set_retention(logs, name: str, days: int | None, progress: Progress) -> None:
        if days:
            progress(f"PutRetentionPolicy ({days} days)")
            logs.put_retention_policy(logGroupName=name, retentionInDays=days)
        else:
            progress("DeleteRetentionPolicy (events kept forever)")
            logs.delete_retention_policy(logGroupName=name)

    def delete(self, aws, live: Live, how: Deletion, progress: Progress) -> None:
        logs = aws.client("logs")
        progress("DeleteLogGroup")
        try:
            retry_when(lambda: logs.delete_log_group(logGroupName=live.name),
                       ("OperationAbortedException",), f"{live.name}: no operation running",
                       aws.wait, timeout=DELETE_RETRY_SECONDS)
        except errors.ClientError as exc:
            if not errors.is_code(exc, "ResourceNotFoundException"):
                raise

    def set_tags(self, aws, live: Live, tags: dict[str, str]) -> None:
        logs = aws.client("logs")
        tagging.write_tag_delta(
            live.tags, tags,
            untag=lambda keys: logs.untag_resource(resourceArn=live.arn, tagKeys=keys),
            tag=lambda new: logs.tag_resource(resourceArn=live.arn, tags=new))


RESOURCE_TYPE = LogGroup
