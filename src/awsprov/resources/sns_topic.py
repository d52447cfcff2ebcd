"""SNS topics and their subscriptions (docs/spec.md, "topics (SNS)"; the SNS Developer
Guide and API Reference).

A topic's attributes change through SetTopicAttributes, which takes one attribute per
call. Subscriptions are identified by protocol and endpoint (what Subscribe is idempotent
on); their own attributes change in place. An email/http subscription stays
`PendingConfirmation` until its owner confirms it, and AWS cannot delete it before then:
the plan says so and apply leaves it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from awsprov.aws import errors
from awsprov.aws.arns import make_arn
from awsprov.aws.waiters import retry_when
from awsprov.core.changes import (
    KNOWN_AFTER_APPLY,
    AttributeChange,
    BaselineFinding,
    Severity,
    is_unknown,
)
from awsprov.cost import messaging as pricing
from awsprov.resources import policy as policies
from awsprov.resources import service_access as access
from awsprov.resources import tags as tagging
from awsprov.resources.base import Deletion, Desired, Live, Problem, Progress, ResourceType
from awsprov.resources.props import Prop

PROTOCOLS = ("http", "https", "email", "email-json", "sms", "sqs", "application", "lambda",
             "firehose")
RAW_DELIVERY_PROTOCOLS = ("sqs", "http", "https", "firehose")
PENDING = "PendingConfirmation"
# Subscribe / SetSubscriptionAttributes refuse a filter policy over five keys (schema) or
# whose value lists multiply to more than 150 combinations.
FILTER_MAX_COMBINATIONS = 150
DEFAULT_POLICY_SID = "__default_statement_ID"
# How long SetTopicAttributes may answer InvalidParameter for a key or principal created
# moments ago (Terraform's putTopicAttribute waits 2 minutes).
ATTRIBUTE_PROPAGATION_SECONDS = 120
CLOUDWATCH = "cloudwatch.amazonaws.com"
CLOUDWATCH_KEY_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey*")
_DEFAULT_ACTIONS = ("SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission",
                    "SNS:RemovePermission", "SNS:DeleteTopic", "SNS:Subscribe",
                    "SNS:ListSubscriptionsByTopic", "SNS:Publish")
_ENDPOINT_PREFIX = {"sqs": "arn:aws", "lambda": "arn:aws", "firehose": "arn:aws",
                    "application": "arn:aws", "http": "http://", "https": "https://"}

_SUBSCRIPTION = {
    "type": "object", "additionalProperties": False, "required": ["protocol", "endpoint"],
    "properties": {
        "protocol": {"enum": list(PROTOCOLS), "description": "How SNS delivers: sqs, lambda, "
                     "https, email, sms, ..."},
        "endpoint": {"type": "string", "minLength": 1,
                     "description": "Queue/function ARN (or ${queues.NAME}), URL, address"},
        "raw_message_delivery": {"type": "boolean", "default": False,
                                 "description": "Deliver the message body alone, without "
                                                "the SNS envelope"},
        "filter_policy": {"type": "object", "minProperties": 1, "maxProperties": 5,
                          "description": "Only messages whose attributes match are "
                                         "delivered"},
    },
}


@dataclass(frozen=True)
class TopicDetails:
    """What the topic's own calls need beyond its state: the ARN of each confirmed
    subscription (by subscription key) to unsubscribe or change it, the subscriptions still
    awaiting confirmation (AWS can neither read, change nor delete those), and the owner
    account the default policy names."""

    subscription_arns: dict[str, str]
    pending: frozenset[str]
    account: str


def subscription_key(protocol: str, endpoint: Any) -> str:
    """How plan output names a subscription: `sqs:arn:aws:sqs:...:queue`."""
    shown = "(known after apply)" if endpoint is KNOWN_AFTER_APPLY else endpoint
    return f"{protocol}:{shown}"


def default_policy(arn: str, account: str) -> dict[str, Any]:
    """The policy SNS gives a new topic (what "no policy in the spec" means)."""
    return {"Version": "2008-10-17", "Id": "__default_policy_ID", "Statement": [{
        "Sid": DEFAULT_POLICY_SID, "Effect": "Allow", "Principal": {"AWS": "*"},
        "Action": list(_DEFAULT_ACTIONS), "Resource": arn,
        "Condition": {"StringEquals": {"AWS:SourceOwner": account}}}]}


def _is_default_policy(document: dict) -> bool:
    statements = document.get("Statement") or []
    if isinstance(statements, dict):
        statements = [statements]
    return all(s.get("Sid") == DEFAULT_POLICY_SID for s in statements)


def _desired_policy(value: Any) -> Any:
    if value is None:
        return None
    if is_unknown(value):
        return KNOWN_AFTER_APPLY
    return policies.canonical(value)


def _filter_combinations(policy: Any) -> int:
    """SNS's measure of a filter policy's complexity: the product of the lengths of its
    value lists (a single value counts as one)."""
    total = 1
    for value in (policy or {}).values() if isinstance(policy, dict) else ():
        total *= max(len(value), 1) if isinstance(value, list) else 1
    return total


def _filter_policy(value: Any) -> Any:
    if value in (None, "", {}):
        return None
    return json.loads(value) if isinstance(value, str) else value


class SnsTopic(ResourceType):
    section = "topics"
    kind = "SNS topic"
    service = "sns"
    tagging_type = "sns"
    # kms_key and display_name are topic attributes SNS takes and answers under one name,
    # an empty value meaning unset.
    props = {
        **access.fifo_name_props("topic", 256),
        "kms_key": Prop(access.KMS_KEY, request="KmsMasterKeyId", describe="KmsMasterKeyId"),
        "display_name": Prop({"type": "string", "maxLength": 100,
                              "description": "Sender name of SMS and email deliveries"},
                             request="DisplayName", describe="DisplayName"),
        "policy": Prop({"type": "object", "required": ["Statement"],
                        "description": "The topic's access policy (default: the owner "
                                       "account)"}),
        "subscriptions": Prop({"type": "array", "items": _SUBSCRIPTION, "maxItems": 100,
                               "description": "Endpoints the topic delivers to; apply adds and "
                                              "removes them to match"}),
    }
    usage_properties = pricing.TOPIC_USAGE_PROPERTIES
    permissions = {
        "read": ("sns:GetTopicAttributes", "sns:ListTagsForResource",
                 "sns:ListSubscriptionsByTopic", "sns:GetSubscriptionAttributes"),
        "write": ("sns:CreateTopic", "sns:DeleteTopic", "sns:SetTopicAttributes",
                  "sns:TagResource", "sns:UntagResource", "sns:Subscribe", "sns:Unsubscribe",
                  "sns:SetSubscriptionAttributes"),
    }

    # ---- validation (pure) -----------------------------------------------------------

    def cost(self, props, usage, prices):
        return pricing.topic_cost(props, usage, prices)

    def check(self, props: dict[str, Any]) -> list[Problem]:
        problems: list[Problem] = []
        key_problem = access.key_format_problem(props.get("kms_key"))
        if key_problem:
            problems.append(Problem(("kms_key",), key_problem))
        problems.extend(access.fifo_name_problems(props, "topic"))
        seen: dict[str, int] = {}
        for i, sub in enumerate(props.get("subscriptions") or []):
            problems.extend(self._check_subscription(i, sub, seen))
            if props.get("fifo") and sub["protocol"] != "sqs":
                problems.append(Problem(("subscriptions", i, "protocol"), (
                    f"a FIFO topic delivers only to SQS queues, not {sub['protocol']} "
                    f"(SNS refuses the subscription)")))
        return problems

    def _check_subscription(self, i: int, sub: dict, seen: dict[str, int]) -> list[Problem]:
        problems = []
        protocol, endpoint = sub["protocol"], sub["endpoint"]
        path = ("subscriptions", i)
        if "raw_message_delivery" in sub and protocol not in RAW_DELIVERY_PROTOCOLS:
            problems.append(Problem((*path, "raw_message_delivery"),
                                    f"raw message delivery is only for "
                                    f"{', '.join(RAW_DELIVERY_PROTOCOLS)} subscriptions"))
        ref = access.reference_of(endpoint)
        if ref is not None:
            if protocol != "sqs" and ref[0].startswith("queues."):
                problems.append(Problem((*path, "protocol"), "a queue endpoint needs "
                                        "protocol sqs"))
            elif ref[0].startswith("queues.") and ref[1] != "arn":
                problems.append(Problem((*path, "endpoint"), f"SNS delivers to a queue's ARN, "
                                        f"not its {ref[1]}: use ${{{ref[0]}}}"))
        elif "${" not in endpoint:
            prefix = _ENDPOINT_PREFIX.get(protocol)
            if prefix and not endpoint.startswith(prefix):
                problems.append(Problem((*path, "endpoint"), f"a {protocol} endpoint starts "
                                        f"with {prefix}"))
            if protocol in ("email", "email-json") and "@" not in endpoint:
                problems.append(Problem((*path, "endpoint"), "not an email address"))
        combinations = _filter_combinations(sub.get("filter_policy"))
        if combinations > FILTER_MAX_COMBINATIONS:
            problems.append(Problem((*path, "filter_policy"), (
                f"the filter policy has {combinations} value combinations (the product of its "
                f"value lists); SNS accepts at most {FILTER_MAX_COMBINATIONS}")))
        key = subscription_key(protocol, endpoint)
        if key in seen:
            problems.append(Problem(path, f"the same subscription as subscriptions[{seen[key]}]"
                                          f" (protocol and endpoint identify a subscription)"))
        seen.setdefault(key, i)
        return problems

    def check_stack(self, address: str, props: dict[str, Any], stack) -> list[Problem]:
        problems = access.self_references(address, props)
        if wrong_region := access.key_region_problem(props.get("kms_key"), stack.region,
                                                     "topic"):
            problems.append(Problem(("kms_key",), wrong_region))
        publishers = [a.address for a in access.referrers(stack, address, "alarms")
                      if any(access.refers_to(action, address)
                             for key in ("actions", "ok_actions", "insufficient_data_actions")
                             for action in a.props.get(key) or [])]
        if publishers:
            problem = access.key_grant_problem(
                stack, props.get("kms_key"), CLOUDWATCH, CLOUDWATCH_KEY_ACTIONS,
                f"CloudWatch cannot publish {', '.join(publishers)} to this topic",
                "AllowCloudWatchAlarmsToUseTheKey")
            if problem:
                problems.append(Problem(("kms_key",), problem))
        if not props.get("fifo"):
            for i, sub in enumerate(props.get("subscriptions") or []):
                ref = access.reference_of(sub.get("endpoint"))
                queue = stack.resources.get(ref[0]) if ref else None
                if queue is not None and queue.section == "queues" and queue.props.get("fifo"):
                    problems.append(Problem(("subscriptions", i, "endpoint"),
                                            f"{queue.address} is a FIFO queue: only a FIFO "
                                            f"topic can deliver to it"))
        return problems

    # ---- normalization (pure) --------------------------------------------------------

    def desired_state(self, props: dict[str, Any]) -> dict[str, Any]:
        state = self.simple_desired(props)
        state["display_name"] = state["display_name"] or None  # "" is no name, as AWS shows it
        state["policy"] = _desired_policy(props.get("policy"))
        state["subscriptions"] = {
            subscription_key(s["protocol"], s["endpoint"]): {
                "raw_message_delivery": bool(s.get("raw_message_delivery", False)),
                "filter_policy": _filter_policy(s.get("filter_policy"))}
            for s in props.get("subscriptions") or []}
        return state

    def key_changes(self, key: str, before: Any, after: Any, desired: Desired,
                    live: Live) -> list[AttributeChange]:
        if key == "subscriptions":
            return _subscription_changes(before or {}, after, live.details.pending)
        return self.field_changes(key, before, after)

    def change_notes(self, desired: Desired, live: Live,
                     changes: list[AttributeChange]) -> list[str]:
        return [c.note for c in changes if c.note]

    def baseline(self, live: Live) -> list[BaselineFinding]:
        findings = []
        if not live.state["kms_key"]:
            findings.append(BaselineFinding(
                "topic-kms", Severity.WARNING, "messages are stored unencrypted: set kms_key"))
        if policies.public_statements(live.state["policy"]):
            findings.append(BaselineFinding(
                "topic-policy-public", Severity.ERROR, "the topic policy lets anyone act on it, "
                "not limited by a fixed aws:SourceArn, aws:SourceAccount..."))
        return findings

    def export(self, live: Live) -> dict[str, Any]:
        """The table's export, subscriptions written back as the spec's list."""
        props = super().export(live)
        subscriptions = []
        for key, sub in live.state["subscriptions"].items():
            protocol, _, endpoint = key.partition(":")
            entry: dict[str, Any] = {"protocol": protocol, "endpoint": endpoint}
            if sub.get("raw_message_delivery"):
                entry["raw_message_delivery"] = True
            if sub.get("filter_policy"):
                entry["filter_policy"] = sub["filter_policy"]
            subscriptions.append(entry)
        props.pop("subscriptions", None)
        if subscriptions:
            props["subscriptions"] = subscriptions
        return props

    def arn_pattern(self, name: str, region: str, account: str) -> list[str]:
        topic = make_arn("sns", region, account, name)
        return [topic, f"{topic}:*"]

    # ---- read ------------------------------------------------------------------------

    def read(self, aws, name: str, owner=None) -> Live | None:
        sns = aws.client("sns")
        arn = aws.arn("sns", name)
        try:
            attributes = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
        except errors.ClientError as exc:
            if errors.is_code(exc, "NotFound", "NotFoundException"):
                return None
            raise
        tags = tagging.as_dict(sns.list_tags_for_resource(ResourceArn=arn).get("Tags"))
        subscriptions, arns, pending = self._read_subscriptions(sns, arn)
        document = policies.parse(attributes["Policy"]) if attributes.get("Policy") else {}
        state = {
            "fifo": attributes.get("FifoTopic") == "true",
            **{name: value or None for name, value in self.simple_live(attributes).items()},
            "policy": None if _is_default_policy(document) else policies.canonical(document),
            "subscriptions": subscriptions,
        }
        return Live(name=name, arn=arn, state=state, tags=tags,
                    attributes={"arn": arn, "name": name},
                    details=TopicDetails(subscription_arns=arns, pending=frozenset(pending),
                                         account=attributes.get("Owner") or aws.account_id))

    @staticmethod
    def _read_subscriptions(sns, arn: str) -> tuple[dict, dict[str, str], set[str]]:
        state: dict[str, dict] = {}
        arns: dict[str, str] = {}
        pending: set[str] = set()
        for page in sns.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=arn):
            for sub in page.get("Subscriptions", []):
                key = subscription_key(sub["Protocol"], sub["Endpoint"])
                if sub["SubscriptionArn"] == PENDING:
                    pending.add(key)
                    state[key] = {"pending_confirmation": True}
                    continue
                if not sub["SubscriptionArn"].startswith("arn:"):
                    continue  # "Deleted": on its way out
                attributes = sns.get_subscription_attributes(
                    SubscriptionArn=sub["SubscriptionArn"])["Attributes"]
                arns[key] = sub["SubscriptionArn"]
                state[key] = {
                    "raw_message_delivery": attributes.get("RawMessageDelivery") == "true",
                    "filter_policy": _filter_policy(attributes.get("FilterPolicy"))}
        return state, arns, pending

    # ---- create, update, delete ------------------------------------------------------

    def create(self, aws, desired: Desired, progress: Progress) -> None:
        sns = aws.client("sns")
        state = desired.state
        attributes = {"FifoTopic": "true"} if state["fifo"] else {}
        attributes.update(self.simple_request(state))
        if state["policy"]:
            attributes["Policy"] = policies.to_json(desired.props["policy"])
        progress("CreateTopic")
        arn = retry_when(
            lambda: sns.create_topic(Name=desired.name, Attributes=attributes,
                                     Tags=tagging.as_pairs(desired.tags))["TopicArn"],
            ("InvalidParameter", "InvalidParameterException"),
            f"{desired.name}: key or policy principal usable", aws.wait,
            timeout=ATTRIBUTE_PROPAGATION_SECONDS, messages=("KmsMasterKeyId", "Policy"))
        for key, sub in state["subscriptions"].items():
            self._subscribe(sns, arn, key, sub, progress)

    def update(self, aws, desired: Desired, live: Live, changes: list[AttributeChange],
               progress: Progress) -> None:
        sns = aws.client("sns")
        changed = {c.prop for c in changes}
        want = desired.state
        values = {name: (prop.request, want[name] or "")  # "" clears the attribute
                  for name, prop in self.props.items() if prop.request}
        values["policy"] = ("Policy", policies.to_json(desired.props["policy"])
                            if desired.props.get("policy") is not None
                            else json.dumps(default_policy(live.arn, live.details.account)))
        for key, (attribute, value) in values.items():
            if key in changed:
                self._set_attribute(aws, live.arn, attribute, value, progress)
        if "subscriptions" in changed:
            self._converge_subscriptions(sns, desired, live, progress)
        if "tags" in changed:
            self.set_tags(aws, live, desired.tags)

    def _set_attribute(self, aws, arn: str, attribute: str, value: str,
                       progress: Progress) -> None:
        progress(f"SetTopicAttributes ({attribute})")
        sns = aws.client("sns")
        retry_when(lambda: sns.set_topic_attributes(TopicArn=arn, AttributeName=attribute,
                                                    AttributeValue=value),
                   ("InvalidParameter", "InvalidParameterException"),
                   f"{arn}: {attribute} accepted", aws.wait,
                   timeout=ATTRIBUTE_PROPAGATION_SECONDS)

    def _converge_subscriptions(self, sns, desired: Desired, live: Live,
                                progress: Progress) -> None:
        want = desired.state["subscriptions"]
        have = live.state["subscriptions"]
        arns, pending = live.details.subscription_arns, live.details.pending
        for key in sorted(set(have) - set(want)):
            if key in pending:
                progress(f"left as is: {key} awaits confirmation; AWS cannot delete an "
                         f"unconfirmed subscription")
                continue
            progress(f"Unsubscribe {key}")
            sns.unsubscribe(SubscriptionArn=arns[key])
        for key, sub in want.items():
            if key not in have:
                self._subscribe(sns, live.arn, key, sub, progress)
            elif key not in pending and have[key] != sub:
                self._set_subscription(sns, arns[key], key, have[key], sub, progress)

    @staticmethod
    def _subscribe(sns, topic_arn: str, key: str, sub: dict, progress: Progress) -> None:
        protocol, _, endpoint = key.partition(":")
        attributes = {}
        if sub["raw_message_delivery"]:
            attributes["RawMessageDelivery"] = "true"
        if sub["filter_policy"]:
            attributes["FilterPolicy"] = json.dumps(sub["filter_policy"], sort_keys=True)
        progress(f"Subscribe {key}")
        sns.subscribe(TopicArn=topic_arn, Protocol=protocol, Endpoint=endpoint,
                      Attributes=attributes, ReturnSubscriptionArn=True)

    @staticmethod
    def _set_subscription(sns, arn: str, key: str, have: dict, want: dict,
                          progress: Progress) -> None:
        if have.get("raw_message_delivery") != want["raw_message_delivery"]:
            progress(f"SetSubscriptionAttributes ({key} RawMessageDelivery)")
            sns.set_subscription_attributes(
                SubscriptionArn=arn, AttributeName="RawMessageDelivery",
                AttributeValue="true" if want["raw_message_delivery"] else "false")
        if have.get("filter_policy") != want["filter_policy"]:
            progress(f"SetSubscriptionAttributes ({key} FilterPolicy)")
            value = json.dumps(want["filter_policy"], sort_keys=True) \
                if want["filter_policy"] else ""
            sns.set_subscription_attributes(SubscriptionArn=arn, AttributeName="FilterPolicy",
                                            AttributeValue=value)

    def delete(self, aws, live: Live, how: Deletion, progress: Progress) -> None:
        progress("DeleteTopic (its subscriptions go with it)")
        aws.client("sns").delete_topic(TopicArn=live.arn)  # no error when already gone

    def set_tags(self, aws, live: Live, tags: dict[str, str]) -> None:
        sns = aws.client("sns")
        tagging.write_tag_delta(
            live.tags, tags,
            untag=lambda keys: sns.untag_resource(ResourceArn=live.arn, TagKeys=keys),
            tag=lambda new: sns.tag_resource(ResourceArn=live.arn, Tags=tagging.as_pairs(new)))


RESOURCE_TYPE = SnsTopic


def _subscription_changes(before: dict, after: dict, pending: set[str]) -> list[AttributeChange]:
    """One change per subscription added, removed or changed, each shown whole (endpoints
    hold dots, so they cannot be path segments)."""
    changes = []
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        shown_old = None if old is None else {"subscription": key, **old}
        shown_new = None if new is None else {"subscription": key, **new}
        if key in pending:
            if new is None:
                changes.append(AttributeChange("subscriptions", shown_old, None, note=(
                    f"subscription {key} is pending confirmation: AWS cannot delete an "
                    f"unconfirmed subscription, so apply leaves it; it goes once confirmed "
                    f"(the next apply removes it) or when AWS drops it unconfirmed")))
            continue  # its attributes cannot be read or set until it is confirmed
        if old != new:
            changes.append(AttributeChange("subscriptions", shown_old, shown_new))
    return changes
