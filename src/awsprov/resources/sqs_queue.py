"""SQS queues (docs/spec.md, "queues (SQS)"; the SQS Developer Guide and API Reference).

Every attribute goes in one SetQueueAttributes call. AWS applies attribute changes
eventually ("up to 60 s", retention up to 15 min), so after a write awsprov polls
GetQueueAttributes until the values match and one more read confirms them; Terraform
waits for six matching reads 5 s apart, a 30-second floor per queue. After a delete AWS
refuses the name for 60 s (QueueDeletedRecently): a create of that name retries for
a bounded time. A queue holds messages: it is not deleted while it holds any, unless
`force_destroy: true`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from awsprov.aws import errors
from awsprov.aws.arns import make_arn
from awsprov.aws.waiters import WaitPolicy, retry_when, visible, wait_until
from awsprov.core.changes import (
    KNOWN_AFTER_APPLY,
    AttributeChange,
    BaselineFinding,
    FieldKind,
    Severity,
    is_unknown,
)
from awsprov.core.references import REFERENCE
from awsprov.cost import messaging as pricing
from awsprov.resources import policy as policies
from awsprov.resources import service_access as access
from awsprov.resources import tags as tagging
from awsprov.resources.base import Deletion, Desired, Live, Problem, Progress, ResourceType
from awsprov.resources.props import Prop
from awsprov.resources.sizes import plural

NOT_FOUND = ("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist")
DELETED_RECENTLY = ("AWS.SimpleQueueService.QueueDeletedRecently", "QueueDeletedRecently")
# AWS refuses a deleted queue's name for 60 s; a little more covers clock skew.
NAME_EMBARGO_SECONDS = 75
# A deleted queue stays visible for up to 60 s (DeleteQueue, API reference): delete waits
# until it is not, bounded like the name embargo; a read that says "gone" is confirmed
# (waiters.CONFIRMATIONS["sqs.gone"]: reads can reach replicas that lag).
DELETE_VISIBLE_SECONDS = NAME_EMBARGO_SECONDS
# Attribute propagation (up to 60 s) is polled at least this often once the backoff has
# grown; the confirming read's interval is waiters.CONFIRMATIONS["sqs.attributes"]'s.
PROPAGATION_POLL_SECONDS = 2.0
# A dead-letter queue created moments ago may not be visible to CreateQueue yet.
DEAD_LETTER_VISIBLE_SECONDS = 60
INVALID_ATTRIBUTE = ("InvalidAttributeValue", "InvalidParameterValue",
                     "AWS.SimpleQueueService.InvalidAttributeValue")
QUEUE_ARN = r"^arn:aws[a-z-]*:sqs:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,80}(\.fifo)?$"
SNS = "sns.amazonaws.com"
# How live state shows a queue with neither a key nor SSE-SQS (switched off by hand, or
# made before 2022): drift from the default, which apply turns SSE-SQS back on for.
UNENCRYPTED = "(unencrypted)"
SNS_KEY_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey*")


def _attribute(attribute: str, low: int, high: int, default: int, description: str) -> Prop:
    """An integer queue attribute SQS takes and answers under one name (as a string)."""
    return Prop({"type": "integer", "minimum": low, "maximum": high, "description": description},
                default=default, request=attribute, describe=attribute)


@dataclass(frozen=True)
class QueueDetails:
    """What the queue's own calls need beyond its state: every SQS call after GetQueueUrl
    takes the URL; `messages` (visible, in flight and delayed, approximate) decides
    whether a delete or a retention cut loses data."""

    url: str
    messages: int


class SqsQueue(ResourceType):
    section = "queues"
    kind = "SQS queue"
    service = "sqs"
    tagging_type = "sqs"
    holds_data = True
    reference_attributes = ("arn", "name", "url")
    props = {
        **access.fifo_name_props("queue", 80),
        "visibility_timeout": _attribute("VisibilityTimeout", 0, 43200, 30,
                                         "seconds a received message stays hidden"),
        "retention_seconds": _attribute("MessageRetentionPeriod", 60, 1209600, 345600,
                                        "seconds a message is kept (60 s to 14 days)"),
        "receive_wait_seconds": _attribute("ReceiveMessageWaitTimeSeconds", 0, 20, 0,
                                           "long polling: seconds ReceiveMessage waits"),
        "delay_seconds": _attribute("DelaySeconds", 0, 900, 0,
                                    "seconds each new message is hidden"),
        "max_message_size": _attribute("MaximumMessageSize", 1024, 1048576, 1048576,
                                       "bytes (1 KiB to 1 MiB)"),
        "dead_letter": Prop({
            "type": "object", "additionalProperties": False,
            "required": ["queue", "max_receive_count"],
            "description": "Where messages go after max_receive_count failed receives "
                           "(the redrive policy)",
            "properties": {
                "queue": {"type": "string", "minLength": 1,
                          "description": "${queues.NAME} or a queue ARN"},
                "max_receive_count": {"type": "integer", "minimum": 1, "maximum": 1000,
                                      "description": "Receives before a message moves to "
                                                     "the dead-letter queue"}}}),
        "kms_key": Prop(access.KMS_KEY),
        "policy": Prop({"type": "object", "required": ["Statement"],
                        "description": "The queue's access policy (SNS topics need one to "
                                       "deliver)"}),
        # A delete-time setting, handed to `delete` through `deletion`: never compared.
        "force_destroy": Prop({"type": "boolean",
                               "description": "Delete the queue even while it holds messages"},
                              change=FieldKind.COMPUTED, default=False, exported=False,
                              state=False),
    }
    usage_properties = pricing.QUEUE_USAGE_PROPERTIES
    permissions = {
        "read": ("sqs:GetQueueUrl", "sqs:GetQueueAttributes", "sqs:ListQueueTags"),
        "write": ("sqs:CreateQueue", "sqs:DeleteQueue", "sqs:SetQueueAttributes",
                  "sqs:TagQueue", "sqs:UntagQueue"),
    }

    # ---- validation (pure) -----------------------------------------------------------

    def cost(self, props, usage, prices):
        return pricing.queue_cost(props, usage, prices)

    def check(self, props: dict[str, Any]) -> list[Problem]:
        problems = []
        key_problem = access.key_format_problem(props.get("kms_key"))
        if key_problem:
            problems.append(Problem(("kms_key",), key_problem))
        target = (props.get("dead_letter") or {}).get("queue")
        if isinstance(target, str) and not (re.match(REFERENCE, target)
                                            or re.match(QUEUE_ARN, target)):
            problems.append(Problem(("dead_letter", "queue"), f"'{target}' is neither "
                                    f"${{queues.NAME}} nor a queue ARN"))
        problems.extend(access.fifo_name_problems(props, "queue"))
        return problems

    def check_stack(self, address: str, props: dict[str, Any], stack) -> list[Problem]:
        problems = [p for p in access.self_references(address, props)
                    if p.path[:2] != ("dead_letter", "queue")]  # said more precisely below
        problems += self._check_dead_letter(address, props, stack)
        if wrong_region := access.key_region_problem(props.get("kms_key"), stack.region,
                                                     "queue"):
            problems.append(Problem(("kms_key",), wrong_region))
        senders = [(t, i) for t in access.referrers(stack, address, "topics")
                   for i, sub in enumerate(t.props.get("subscriptions") or [])
                   if sub.get("protocol") == "sqs" and access.refers_to(sub.get("endpoint"),
                                                                        address)]
        if senders and access.is_aws_managed_key(props.get("kms_key"), "sqs"):
            topics = ", ".join(sorted({t.address for t, _ in senders}))
            problems.append(Problem(("kms_key",), (
                f"{topics} delivers to this queue, but the AWS-managed key alias/aws/sqs lets "
                f"no other service use it: SNS cannot deliver. Use a customer managed key "
                f"(${{keys.NAME}}) that allows sns.amazonaws.com kms:Decrypt and "
                f"kms:GenerateDataKey*, or leave kms_key out (SSE-SQS)")))
        elif senders:
            topics = ", ".join(sorted({t.address for t, _ in senders}))
            problem = access.key_grant_problem(
                stack, props.get("kms_key"), SNS, SNS_KEY_ACTIONS,
                f"SNS cannot deliver messages from {topics} to this queue",
                "AllowSnsToUseTheKey")
            if problem:
                problems.append(Problem(("kms_key",), problem))
        for topic in sorted({t.address: t for t, _ in senders}.values(), key=lambda t: t.address):
            problem = _queue_policy_problem(props, topic, stack.region)
            if problem:
                problems.append(Problem(("policy",) if "policy" in props else (), problem,
                                        Severity.WARNING))
        return problems

    def _check_dead_letter(self, address: str, props: dict, stack) -> list[Problem]:
        dead_letter = props.get("dead_letter")
        if not dead_letter:
            return []
        path = ("dead_letter", "queue")
        target = dead_letter["queue"]
        fifo = bool(props.get("fifo", False))
        ref = access.reference_of(target)
        if ref is not None:
            if ref[0] == address:
                return [Problem(path, "a queue cannot be its own dead-letter queue")]
            queue = stack.resources.get(ref[0])
            if queue is None:
                return []  # the loader reports undefined references
            if queue.section != "queues" or ref[1] != "arn":
                return [Problem(path, "a dead-letter queue is given by its ARN: "
                                      "${queues.NAME}")]
            dlq_fifo, where = bool(queue.props.get("fifo", False)), None
        elif re.match(QUEUE_ARN, target):
            region = target.split(":")[3]
            dlq_fifo = target.endswith(".fifo")
            where = region if stack.region and region != stack.region else None
        else:
            return []  # `check` reported it
        if where:
            return [Problem(path, f"the dead-letter queue is in {where}, this queue in "
                                  f"{stack.region}: SQS needs both in one region")]
        if dlq_fifo != fifo:
            kinds = ("FIFO", "standard")
            mine, theirs = kinds[0 if fifo else 1], kinds[0 if dlq_fifo else 1]
            return [Problem(path, f"the dead-letter queue is a {theirs} queue but this is a "
                                  f"{mine} queue: SQS needs both of one kind")]
        return []

    # ---- normalization (pure) --------------------------------------------------------

    def desired_state(self, props: dict[str, Any]) -> dict[str, Any]:
        state = self.simple_desired(props)
        dead_letter = props.get("dead_letter")
        state["dead_letter"] = None if not dead_letter else {
            "queue": dead_letter["queue"], "max_receive_count": dead_letter["max_receive_count"]}
        value = props.get("policy")
        state["policy"] = None if value is None else (
            KNOWN_AFTER_APPLY if is_unknown(value) else policies.canonical(value))
        return state

    def live_state(self, attributes: dict[str, str]) -> dict[str, Any]:
        """GetQueueAttributes (all strings) in the shape of desired_state."""
        state: dict[str, Any] = {"fifo": attributes.get("FifoQueue") == "true"}
        # every property with a describe key is an integer attribute
        state.update({name: int(value) for name, value in self.simple_live(attributes).items()})
        redrive = attributes.get("RedrivePolicy")
        if redrive:
            parsed = json.loads(redrive)
            state["dead_letter"] = {"queue": parsed["deadLetterTargetArn"],
                                    "max_receive_count": int(parsed["maxReceiveCount"])}
        else:
            state["dead_letter"] = None
        state["kms_key"] = attributes.get("KmsMasterKeyId") or (
            None if attributes.get("SqsManagedSseEnabled", "true") == "true" else UNENCRYPTED)
        document = attributes.get("Policy")
        state["policy"] = policies.canonical(document) if document else None
        return state

    def change_notes(self, desired: Desired, live: Live,
                     changes: list[AttributeChange]) -> list[str]:
        notes = []
        if any(c.kind is FieldKind.REPLACE for c in changes):
            notes.append("AWS refuses a deleted queue's name for 60 s: the new queue is "
                         "created once the name is free (awsprov retries for up to "
                         f"{NAME_EMBARGO_SECONDS} s)")
        if any(c.path == "retention_seconds" for c in changes):
            notes.append("AWS may take up to 15 minutes to apply a new retention period")
        return notes

    def data_loss(self, desired: Desired, live: Live,
                  changes: list[AttributeChange]) -> list[str]:
        """A shorter retention deletes the messages already older than it. An empty queue
        (the approximate counts GetQueueAttributes already gave) loses nothing."""
        retention = next((c for c in changes if c.path == "retention_seconds"), None)
        messages = live.details.messages
        if retention is None or not messages or retention.after >= retention.before:
            return []
        return [f"retention {retention.before} → {retention.after} s: messages older than "
                f"{retention.after} s are deleted (the queue holds about "
                f"{plural(messages, 'message')})"]

    def deletion(self, live: Live, props: dict[str, Any] | None) -> Deletion:
        messages = live.details.messages
        if messages and not (props or {}).get("force_destroy"):
            return Deletion(refusal=f"holds about {messages} messages ({live.data_at_risk}): "
                                    f"drain or purge it first, or set `force_destroy: true`")
        return Deletion()

    def baseline(self, live: Live) -> list[BaselineFinding]:
        findings = []
        if live.state["kms_key"] == UNENCRYPTED:
            findings.append(BaselineFinding(
                "queue-encryption", Severity.WARNING, "messages are stored unencrypted"))
        elif not live.state["kms_key"]:
            findings.append(BaselineFinding(
                "queue-kms", Severity.INFO, "encrypted with SQS-owned keys (SSE-SQS): no key "
                "policy or CloudTrail record of their use"))
        if policies.public_statements(live.state["policy"]):
            findings.append(BaselineFinding(
                "queue-policy-public", Severity.ERROR, "the queue policy lets anyone act on it, "
                "not limited by a fixed aws:SourceArn, aws:SourceAccount..."))
        return findings

    def arn_pattern(self, name: str, region: str, account: str) -> list[str]:
        return [make_arn("sqs", region, account, name)]

    # ---- read ------------------------------------------------------------------------

    def read(self, aws, name: str, owner=None) -> Live | None:
        sqs = aws.client("sqs")
        try:
            url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
            attributes = sqs.get_queue_attributes(QueueUrl=url,
                                                  AttributeNames=["All"])["Attributes"]
            tags = sqs.list_queue_tags(QueueUrl=url).get("Tags") or {}
        except errors.ClientError as exc:
            if errors.is_code(exc, *NOT_FOUND):
                return None
            raise
        arn = attributes["QueueArn"]
        counts = {k: int(attributes.get(f"ApproximateNumberOf{k}", 0))
                  for k in ("Messages", "MessagesNotVisible", "MessagesDelayed")}
        return Live(
            name=name, arn=arn, state=self.live_state(attributes), tags=dict(tags),
            attributes={"arn": arn, "name": name, "url": url},
            data_at_risk=(f"about {counts['Messages']} messages visible, "
                          f"{counts['MessagesNotVisible']} in flight, "
                          f"{counts['MessagesDelayed']} delayed"),
            details=QueueDetails(url=url, messages=sum(counts.values())))

    # ---- create, update, delete ------------------------------------------------------

    def create(self, aws, desired: Desired, progress: Progress) -> None:
        sqs = aws.client("sqs")
        attributes = self._attributes_request(desired, None)
        if desired.state["fifo"]:
            attributes["FifoQueue"] = "true"
        progress("CreateQueue")

        def create() -> str:
            return retry_when(
                lambda: sqs.create_queue(QueueName=desired.name, Attributes=attributes,
                                         tags=dict(desired.tags))["QueueUrl"],
                INVALID_ATTRIBUTE, f"{desired.name}: dead-letter queue visible", aws.wait,
                timeout=DEAD_LETTER_VISIBLE_SECONDS, messages=("ead-letter target", "ead letter"))

        try:
            url = create()
        except errors.ClientError as exc:
            if not errors.is_code(exc, *DELETED_RECENTLY):
                raise
            progress(f"waiting: AWS refuses the name {desired.name} for 60 s after a delete")
            url = retry_when(create, DELETED_RECENTLY, f"{desired.name}: name free again",
                             aws.wait, timeout=NAME_EMBARGO_SECONDS)
        self._await_attributes(aws, url, desired, progress)

    def update(self, aws, desired: Desired, live: Live, changes: list[AttributeChange],
               progress: Progress) -> None:
        changed = {c.prop for c in changes}
        url = live.details.url
        attributes = self._attributes_request(desired, live, changed)
        if attributes:
            progress(f"SetQueueAttributes ({', '.join(sorted(attributes))})")
            aws.client("sqs").set_queue_attributes(QueueUrl=url, Attributes=attributes)
            self._await_attributes(aws, url, desired, progress)
        if "tags" in changed:
            self.set_tags(aws, live, desired.tags)

    def _await_attributes(self, aws, url: str, desired: Desired, progress: Progress) -> None:
        """Until a read shows every desired value, and the next read confirms it."""
        sqs = aws.client("sqs")
        want = {k: v for k, v in desired.state.items() if k not in desired.ignore}
        progress("waiting: queue attributes to propagate")
        poll = WaitPolicy(delay=min(aws.wait.delay, PROPAGATION_POLL_SECONDS),
                          timeout=aws.wait.timeout)
        def read() -> dict:  # a new queue is not found for about a second
            return visible("sqs.queue", lambda: sqs.get_queue_attributes(
                QueueUrl=url, AttributeNames=["All"])["Attributes"],
                f"{desired.name} usable after CreateQueue", poll)

        wait_until(lambda: self.live_state(read()),
            lambda have: all(have.get(k) == v for k, v in want.items()),
            f"{desired.name}: attributes applied", poll, confirm="sqs.attributes")

    def delete(self, aws, live: Live, how: Deletion, progress: Progress) -> None:
        progress("DeleteQueue (AWS then refuses its name for 60 s)")
        try:
            aws.client("sqs").delete_queue(QueueUrl=live.details.url)
        except errors.ClientError as exc:
            if not errors.is_code(exc, *NOT_FOUND):
                raise
            return
        self._await_gone(aws, live.name, progress)

    def _await_gone(self, aws, name: str, progress: Progress) -> None:
        """Until the queue is no longer visible, as Terraform waits for an SQS delete:
        "the queue ... might continue to receive messages ... up to 60 seconds" after
        DeleteQueue (API reference), and GetQueueUrl keeps answering meanwhile, so a plan
        right after would see the deleted queue as still there."""
        sqs = aws.client("sqs")

        def visible() -> bool:
            try:
                url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
                sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
            except errors.ClientError as exc:
                if errors.is_code(exc, *NOT_FOUND):
                    return False
                raise
            return True

        progress("waiting: queue gone (AWS shows a deleted queue for up to 60 s)")
        poll = WaitPolicy(delay=min(aws.wait.delay, PROPAGATION_POLL_SECONDS),
                          timeout=aws.wait.timeout)
        wait_until(visible, lambda shown: not shown, f"{name}: deleted", poll,
                   timeout=DELETE_VISIBLE_SECONDS, confirm="sqs.gone")

    def set_tags(self, aws, live: Live, tags: dict[str, str]) -> None:
        sqs, url = aws.client("sqs"), live.details.url
        tagging.write_tag_delta(
            live.tags, tags,
            untag=lambda keys: sqs.untag_queue(QueueUrl=url, TagKeys=keys),
            tag=lambda new: sqs.tag_queue(QueueUrl=url, Tags=new))

    def _attributes_request(self, desired: Desired, live: Live | None,
                            changed: set[str] | None = None) -> dict[str, str]:
        """SetQueueAttributes/CreateQueue attributes: everything on create (AWS defaults
        left out), only what changed on update (clearing a value sends its reset)."""
        want, props = desired.state, desired.props

        def wanted(prop: str) -> bool:
            if live is None:
                return True
            return prop in (changed or set()) and prop not in desired.ignore

        simple = {name for name, prop in self.props.items() if prop.request and wanted(name)
                  and (live is not None or want[name] != prop.default)}
        out = {attribute: str(value)
               for attribute, value in self.simple_request(want, simple).items()}
        if wanted("dead_letter") and (live is not None or want["dead_letter"]):
            dead_letter = want["dead_letter"]
            out["RedrivePolicy"] = "" if not dead_letter else json.dumps(
                {"deadLetterTargetArn": dead_letter["queue"],
                 "maxReceiveCount": dead_letter["max_receive_count"]})
        if wanted("kms_key") and (live is not None or want["kms_key"]):
            if want["kms_key"]:
                out["KmsMasterKeyId"] = want["kms_key"]
            else:  # back to the AWS default: SQS-owned keys
                out["KmsMasterKeyId"] = ""
                out["SqsManagedSseEnabled"] = "true"
        if wanted("policy") and (live is not None or want["policy"]):
            out["Policy"] = policies.to_json(props["policy"]) if props.get("policy") else ""
        return out


RESOURCE_TYPE = SqsQueue


def _queue_policy_problem(props: dict, topic, region: str | None) -> str | None:
    """Why the queue's policy does not let `topic` deliver (aws:SourceArn), with the fix."""
    region_text = region or "${region}"
    topic_arn = make_arn("sns", region_text, "${account_id}", str(topic.props.get("name")),
                         partition_region=region)
    queue_arn = make_arn("sqs", region_text, "${account_id}", str(props.get("name")),
                         partition_region=region)
    document = props.get("policy")
    try:
        allowed = document is not None and policies.allows(
            _topic_refs_as_arns(document, topic.address, topic_arn), SNS, "sqs:SendMessage",
            {"aws:SourceArn": topic_arn})
    except policies.PolicyError:
        return None
    if allowed:
        return None
    fix = access.grant_statement(SNS, ("sqs:SendMessage",), _sid(topic.logical),
                                 {"ArnEquals": {"aws:SourceArn": topic_arn}})
    fix["Resource"] = queue_arn
    whose = "this queue has no policy" if document is None else \
        "the queue's policy does not let it"
    return (f"{topic.address} delivers to this queue, but {whose}: SNS will drop its "
            f"messages. Add to the queue's policy: {access.as_text(fix)}")


def _topic_refs_as_arns(document: Any, address: str, arn: str) -> Any:
    """The policy with `${topics.X}` and any account id in an SNS ARN written the way the
    check spells the topic ARN (the account is not known offline)."""
    account = re.compile(r"^(arn:aws[a-z-]*:sns:[^:]*:)\d{12}(:.*)$")

    def fix(value: Any) -> Any:
        if isinstance(value, str):
            if access.refers_to(value, address):
                return arn
            return account.sub(r"\1${account_id}\2", value)
        if isinstance(value, dict):
            return {k: fix(v) for k, v in value.items()}
        if isinstance(value, list):
            return [fix(v) for v in value]
        return value

    return fix(document)


def _sid(logical: str) -> str:
    return "AllowTopic" + "".join(part.capitalize() for part in
                                  logical.replace("-", "_").split("_"))
