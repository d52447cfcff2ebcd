"""CloudWatch metric alarms (docs/spec.md "alarms"; docs/monitoring-and-messaging.md "Alarms").

PutMetricAlarm replaces the whole alarm, so every create and update sends the complete
desired alarm; tags of an existing alarm change only through TagResource/UntagResource
(PutMetricAlarm ignores them on update). Reads are batched: DescribeAlarms takes 100
names, and the tags of those 100 come from one Resource Groups Tagging API call
(GetResources with 100 ARNs), instead of one ListTagsForResource per alarm.
"""

from __future__ import annotations

import re
import threading
from typing import Any

from awsprov.aws.arns import make_arn
from awsprov.aws.paging import token_pages
from awsprov.core.changes import KNOWN_AFTER_APPLY, AttributeChange, BaselineFinding, Severity
from awsprov.core.references import REFERENCE
from awsprov.cost import cloudwatch as pricing
from awsprov.resources import service_access as access
from awsprov.resources import tags as tagging
from awsprov.resources.base import Deletion, Desired, Live, Owner, Problem, Progress, ResourceType
from awsprov.resources.props import Prop

COMPARISONS = {">": "GreaterThanThreshold", ">=": "GreaterThanOrEqualToThreshold",
               "<": "LessThanThreshold", "<=": "LessThanOrEqualToThreshold"}
STATISTICS = ("Sum", "Average", "Minimum", "Maximum", "SampleCount")
PERCENTILE = r"^(p|tm|wm|tc|ts)(100|\d{1,2}(\.\d{1,10})?)$"
# The other ExtendedStatistic forms: interquartile mean, trimmed/winsorized mean, trimmed
# count/sum between two bounds (percent or absolute, either may be open), percentile rank.
_BOUND = r"\d+(\.\d+)?"
RANGE_STATISTIC = (rf"^(?!.*\(:\))(IQM|(TM|WM|TC|TS)\(({_BOUND}%?)?:({_BOUND}%?)?\)"
                   rf"|PR\(({_BOUND})?:({_BOUND})?\))$")
MISSING_DATA = ("missing", "breaching", "notBreaching", "ignore")
ACTION_LISTS = ("actions", "ok_actions", "insufficient_data_actions")
DESCRIBE_BATCH = 100  # DescribeAlarms takes up to 100 AlarmNames
# GetResources takes up to 100 ARNs and answers them whole (AWS refuses pagination
# parameters with ResourceARNList); moto pages the answer anyway, so a token is followed.
TAGGING_BATCH = 100
# PutMetricAlarm: period x evaluation_periods is at most a day for periods under an hour,
# at most seven days otherwise.
WINDOW_SECONDS = {True: 86400, False: 604800}

_ACTIONS = {"type": "array", "maxItems": 5, "uniqueItems": True,
            "items": {"type": "string", "minLength": 1},
            "description": "${topics.NAME} references or action ARNs (at most 5)"}


def _actions(api_key: str) -> Prop:
    return Prop(_ACTIONS, request=api_key, describe=api_key)


def _is_percentile(statistic: str) -> bool:
    return statistic not in STATISTICS


def _window_problems(props: dict[str, Any]) -> list[Problem]:
    period = _given(props, "period")
    evaluation = _given(props, "evaluation_periods")
    if not (isinstance(period, int) and isinstance(evaluation, int)):
        return []
    limit = WINDOW_SECONDS[period < 3600]
    if period * evaluation <= limit:
        return []
    span = "a day" if period < 3600 else "seven days"
    path = ("evaluation_periods",) if "evaluation_periods" in props else ("period",)
    return [Problem(path, f"{evaluation} periods of {period} s span {period * evaluation} s; "
                          f"CloudWatch evaluates at most {span} ({limit} s)"
                          + (" when the period is under an hour" if period < 3600 else ""))]


def _is_fifo_topic(action: Any, stack) -> bool:
    """A FIFO topic, by literal ARN or as the stack's ${topics.X} with `fifo: true`."""
    if isinstance(action, str) and action.startswith("arn:") and ":sns:" in action:
        return action.endswith(".fifo")
    ref = access.reference_of(action)
    target = stack.resources.get(ref[0]) if ref else None
    return target is not None and target.section == "topics" and bool(target.props.get("fifo"))


def _arn_region(action: Any) -> str | None:
    """The region of a literal action ARN (`arn:aws:sns:REGION:...`), if it names one."""
    parts = action.split(":") if isinstance(action, str) and action.startswith("arn:") else []
    return parts[3] or None if len(parts) > 4 else None


def _sorted_actions(values: list | None) -> list:
    return sorted(values or [], key=str)


def _given(props: dict[str, Any], name: str) -> Any:
    """The spec's value of property `name`, or its AWS default."""
    return props.get(name, MetricAlarm.props[name].unset)


class MetricAlarm(ResourceType):
    section = "alarms"
    kind = "CloudWatch alarm"
    service = "cloudwatch"
    tagging_type = "cloudwatch:alarm"
    batch_size = DESCRIBE_BATCH
    required = ("name", "namespace", "metric", "threshold")
    props = {
        "name": Prop({"type": "string", "minLength": 1, "maxLength": 255,
                      "pattern": r"^[^\x00-\x1f\x7f]+$",
                      "description": "Alarm name: 1-255 characters, no control characters"},
                     state=False),
        "namespace": Prop({"type": "string", "minLength": 1, "maxLength": 255,
                           "pattern": r"^[^:]", "description": "e.g. AWS/SQS"},
                          request="Namespace", describe="Namespace"),
        "metric": Prop({"type": "string", "minLength": 1, "maxLength": 255,
                        "description": "Metric name, e.g. ApproximateAgeOfOldestMessage"},
                       request="MetricName", describe="MetricName"),
        "dimensions": Prop({"type": "object", "maxProperties": 30,
                            "description": "Dimension name → value (or a ${SECTION.NAME.name} "
                                           "reference), e.g. QueueName",
                            "propertyNames": {"minLength": 1, "maxLength": 255},
                            "additionalProperties": {"type": ["string", "number"],
                                                     "minLength": 1, "maxLength": 1024}}),
        # Statistic or ExtendedStatistic, by its form: _request and _live.
        "statistic": Prop({"type": "string", "minLength": 1,
                           "description": "Sum, Average, Minimum, Maximum, SampleCount, or a "
                                          "percentile such as p95 or p99.9"},
                          default="Average"),
        # Read as AWS answers it, without a default: a metric-math alarm has no Period.
        "period": Prop({"type": "integer", "minimum": 10,
                        "description": "Seconds: 10, 20, 30 or a multiple of 60 (default 300)"},
                       default=300, request="Period"),
        "evaluation_periods": Prop({"type": "integer", "minimum": 1,
                                    "description": "Periods compared with the threshold"},
                                   default=1, request="EvaluationPeriods",
                                   describe="EvaluationPeriods"),
        # Its default is evaluation_periods: desired_state and _live fill it in.
        "datapoints_to_alarm": Prop({"type": "integer", "minimum": 1,
                                     "description": "Breaching periods (of evaluation_periods)"
                                                    " that set ALARM (default: all of them)"},
                                    request="DatapointsToAlarm"),
        "threshold": Prop({"type": "number", "description": "The value compared with the "
                           "statistic"}, request="Threshold", describe="Threshold"),
        # The shorthand (>) is stored under its CloudWatch name; read without a default.
        "comparison": Prop({"enum": [*COMPARISONS, *COMPARISONS.values()],
                            "description": "An operator such as > >= < <=, or its CloudWatch "
                                           "name (GreaterThanThreshold, ...)"},
                           default="GreaterThanThreshold", request="ComparisonOperator"),
        "treat_missing_data": Prop({"enum": list(MISSING_DATA),
                                    "description": "How periods without data count: missing, "
                                                   "notBreaching, breaching, ignore"},
                                   default="missing", request="TreatMissingData",
                                   describe="TreatMissingData"),
        "actions": _actions("AlarmActions"),
        "ok_actions": _actions("OKActions"),
        "insufficient_data_actions": _actions("InsufficientDataActions"),
        "description": Prop({"type": "string", "maxLength": 1024,
                             "description": "The alarm's description (AlarmDescription)"},
                            request="AlarmDescription", describe="AlarmDescription"),
    }
    usage_properties = pricing.ALARM_USAGE_PROPERTIES
    permissions = {
        "read": ("cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource"),
        "write": ("cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms",
                  "cloudwatch:TagResource", "cloudwatch:UntagResource"),
    }
    # False reads tags with one ListTagsForResource per alarm (measured in the tests).
    tags_from_tagging_api = True

    def cost(self, props, usage, prices):
        return pricing.alarm_cost(props, usage, prices)

    def __init__(self) -> None:
        # Alarms this process wrote tags to: the Tagging API may lag behind them, so their
        # tags are read from CloudWatch itself.
        self._tagged_here: set[str] = set()
        self._lock = threading.Lock()

    # ---- validation (pure) -----------------------------------------------------------

    def check(self, props: dict[str, Any]) -> list[Problem]:
        problems = []
        statistic = props.get("statistic")
        if isinstance(statistic, str) and statistic not in STATISTICS \
                and not re.match(PERCENTILE, statistic) \
                and not re.match(RANGE_STATISTIC, statistic):
            problems.append(Problem(("statistic",), f"'{statistic}' is not a statistic: use "
                                    f"{', '.join(STATISTICS)}, a percentile such as p95 "
                                    f"or p99.9, or IQM, TM(10%:90%), PR(:300) ..."))
        period = props.get("period")
        if isinstance(period, int) and period not in (10, 20, 30) and period % 60:
            problems.append(Problem(("period",), f"{period} s: CloudWatch takes 10, 20, 30 "
                                    f"or a multiple of 60 seconds"))
        evaluation = _given(props, "evaluation_periods")
        problems.extend(_window_problems(props))
        datapoints = props.get("datapoints_to_alarm")
        if datapoints is not None and datapoints > evaluation:
            problems.append(Problem(("datapoints_to_alarm",), f"{datapoints} datapoints "
                                    f"cannot be found in {evaluation} evaluation periods"))
        for key in ACTION_LISTS:
            for i, action in enumerate(props.get(key) or []):
                if not (re.match(REFERENCE, action) or action.startswith("arn:aws")):
                    problems.append(Problem((key, i), f"'{action}' is neither "
                                            f"${{topics.NAME}} nor an action ARN"))
        return problems

    def check_stack(self, address: str, props: dict[str, Any], stack) -> list[Problem]:
        problems = []
        for key in ACTION_LISTS:
            for i, action in enumerate(props.get(key) or []):
                if _is_fifo_topic(action, stack):
                    # A warning: PutMetricAlarm takes the ARN, but CloudWatch publishes
                    # without a message group id, which a FIFO topic refuses.
                    problems.append(Problem((key, i), "CloudWatch publishes alarms without a "
                                            "message group id, which a FIFO topic refuses: "
                                            "use a standard topic", Severity.WARNING))
                region = _arn_region(action)
                if region and stack.region and region != stack.region:
                    problems.append(Problem((key, i), f"the action is in {region}, the alarm "
                                            f"in {stack.region}: CloudWatch only takes actions "
                                            f"of the alarm's own region"))
                ref = access.reference_of(action)
                if ref is None or ref[0] not in stack.resources:
                    continue
                target = stack.resources[ref[0]]
                if target.section != "topics":
                    problems.append(Problem((key, i), f"{ref[0]} is not an SNS topic: alarm "
                                            f"actions in this stack go to ${{topics.NAME}}"))
                elif access.is_aws_managed_key(target.props.get("kms_key"), "sns"):
                    problems.append(Problem((key, i), (
                        f"{target.address} is encrypted with the AWS-managed key alias/aws/sns,"
                        f" whose policy does not let CloudWatch use it: this alarm cannot "
                        f"deliver. Encrypt the topic with a customer managed key (${{keys."
                        f"NAME}}) that allows cloudwatch.amazonaws.com kms:Decrypt and "
                        f"kms:GenerateDataKey*")))
        return problems

    # ---- normalization (pure) --------------------------------------------------------

    def desired_state(self, props: dict[str, Any]) -> dict[str, Any]:
        state = self.simple_desired(props)
        threshold = state["threshold"]
        return {
            **state,
            "dimensions": {str(k): v if v is KNOWN_AFTER_APPLY else str(v)
                           for k, v in (state["dimensions"] or {}).items()},
            "datapoints_to_alarm": props.get("datapoints_to_alarm", state["evaluation_periods"]),
            "threshold": float(threshold) if isinstance(threshold, (int, float)) else threshold,
            "comparison": COMPARISONS.get(state["comparison"], state["comparison"]),
            **{key: _sorted_actions(state[key]) for key in ACTION_LISTS},
            "description": state["description"] or None,
            # Not a property: an alarm whose actions were disabled behind awsprov's back
            # (DisableAlarmActions) notifies nobody, so it is drift like any other.
            "actions_enabled": True,
        }

    def export(self, live: Live) -> dict[str, Any]:
        state = live.state
        # The required properties first, whatever their value, as a spec would write them.
        spec = {"name": live.name, **{key: state[key] for key in self.required if key != "name"},
                **super().export(live)}
        if spec.get("datapoints_to_alarm") == state["evaluation_periods"]:
            del spec["datapoints_to_alarm"]  # its default: all the evaluation periods
        if isinstance(spec["threshold"], float) and spec["threshold"].is_integer():
            spec["threshold"] = int(spec["threshold"])
        shorthand = {v: k for k, v in COMPARISONS.items()}
        if "comparison" in spec:
            spec["comparison"] = shorthand.get(spec["comparison"], spec["comparison"])
        return spec

    def baseline(self, live: Live) -> list[BaselineFinding]:
        if live.state["actions"]:
            return []
        return [BaselineFinding("alarm-actions", Severity.WARNING,
                                "no alarm actions: nobody is told when it fires")]

    def name_from_arn(self, arn: str) -> str:
        return arn.split(":alarm:", 1)[-1]

    def arn_pattern(self, name: str, region: str, account: str) -> list[str]:
        return [make_arn("cloudwatch", region, account, f"alarm:{name}")]

    # ---- read ------------------------------------------------------------------------

    def read(self, aws, name: str, owner: Owner | None = None) -> Live | None:
        return self.read_batch(aws, [(name, owner)]).get(name)

    def read_batch(self, aws, items: list[tuple[str, Owner | None]]) -> dict[str, Live | None]:
        cloudwatch = aws.client("cloudwatch")
        names = [name for name, _owner in items]
        found: dict[str, dict] = {}
        for start in range(0, len(names), DESCRIBE_BATCH):
            request = {"AlarmNames": names[start:start + DESCRIBE_BATCH],
                       "AlarmTypes": ["MetricAlarm"], "MaxRecords": DESCRIBE_BATCH}
            for page in token_pages(cloudwatch.describe_alarms, request):
                found.update({a["AlarmName"]: a for a in page.get("MetricAlarms", [])})
        tags, indexed = self._read_tags(aws, [a["AlarmArn"] for a in found.values()])
        lives = {name: self._live(found[name], tags[found[name]["AlarmArn"]]) if name in found
                 else None for name in names}
        for live in lives.values():
            if live is not None:
                live.tags_indexed = live.arn in indexed
        return lives

    def read_tags(self, aws, live: Live) -> dict[str, str]:
        return tagging.as_dict(
            aws.client("cloudwatch").list_tags_for_resource(ResourceARN=live.arn).get("Tags"))

    def _read_tags(self, aws, arns: list[str]) -> tuple[dict[str, dict[str, str]], set[str]]:
        """(tags by ARN, the ARNs whose tags came from the plan's stack-wide tag index:
        the planner confirms those at the source when they differ from the spec)."""
        tags: dict[str, dict[str, str]] = {}
        with self._lock:
            recent = set(self._tagged_here)
        for arn in arns if self.tags_from_tagging_api else ():
            indexed = aws.indexed_tags(arn) if arn not in recent else None
            if indexed is not None:
                tags[arn] = indexed
        indexed_arns = set(tags)
        if self.tags_from_tagging_api:
            tagging_api = aws.client("resourcegroupstaggingapi")
            ask = [arn for arn in arns if arn not in recent and arn not in tags]
            for start in range(0, len(ask), TAGGING_BATCH):
                request = {"ResourceARNList": ask[start:start + TAGGING_BATCH]}
                for page in token_pages(tagging_api.get_resources, request, "PaginationToken"):
                    for item in page.get("ResourceTagMappingList", []):
                        tags[item["ResourceARN"]] = tagging.as_dict(item.get("Tags"))
        cloudwatch = aws.client("cloudwatch")
        for arn in arns:
            # Untagged alarms are missing from the Tagging API's answer, and new ones may
            # be for a moment: ask CloudWatch.
            if arn not in tags or arn in recent:
                tags[arn] = tagging.as_dict(
                    cloudwatch.list_tags_for_resource(ResourceARN=arn).get("Tags"))
        return tags, indexed_arns

    # ---- create, update, delete ------------------------------------------------------

    def create(self, aws, desired: Desired, progress: Progress) -> None:
        progress("PutMetricAlarm (new alarm, tagged)")
        aws.client("cloudwatch").put_metric_alarm(**self._request(desired),
                                                  Tags=tagging.as_pairs(desired.tags))
        self._remember(aws, desired.name)

    def update(self, aws, desired: Desired, live: Live, changes: list[AttributeChange],
               progress: Progress) -> None:
        changed = {c.prop for c in changes}
        if changed - {"tags"}:
            progress("PutMetricAlarm (the whole alarm: it replaces every setting)")
            aws.client("cloudwatch").put_metric_alarm(**self._request(desired, live))
        if "tags" in changed:
            self.set_tags(aws, live, desired.tags)

    def delete(self, aws, live: Live, how: Deletion, progress: Progress) -> None:
        progress("DeleteAlarms")
        aws.client("cloudwatch").delete_alarms(AlarmNames=[live.name])  # absent: no error

    def set_tags(self, aws, live: Live, tags: dict[str, str]) -> None:
        cloudwatch = aws.client("cloudwatch")
        tagging.write_tag_delta(
            live.tags, tags,
            untag=lambda keys: cloudwatch.untag_resource(ResourceARN=live.arn, TagKeys=keys),
            tag=lambda new: cloudwatch.tag_resource(ResourceARN=live.arn,
                                                    Tags=tagging.as_pairs(new)))
        with self._lock:
            self._tagged_here.add(live.arn)

    def _remember(self, aws, name: str) -> None:
        with self._lock:
            self._tagged_here.add(aws.arn("cloudwatch", f"alarm:{name}"))

    def _request(self, desired: Desired, live: Live | None = None) -> dict[str, Any]:
        """The complete alarm: PutMetricAlarm resets whatever it is not sent, so properties
        under `ignore_changes` are sent as live has them."""
        state = dict(desired.state)
        if live is not None:
            state.update({k: live.state[k] for k in desired.ignore if k in live.state})
        statistic = "ExtendedStatistic" if _is_percentile(state["statistic"]) else "Statistic"
        return {
            "AlarmName": desired.name,
            **self.simple_request(state),
            "Dimensions": [{"Name": k, "Value": v} for k, v in sorted(state["dimensions"].items())],
            statistic: state["statistic"],
            "ActionsEnabled": True,
        }

    def _live(self, alarm: dict, tags: dict[str, str]) -> Live:
        state = self.simple_live(alarm)
        return Live(name=alarm["AlarmName"], arn=alarm["AlarmArn"], tags=tags, state={
            **state,
            "dimensions": {d["Name"]: d["Value"] for d in alarm.get("Dimensions") or []},
            "statistic": alarm.get("ExtendedStatistic") or alarm.get("Statistic"),
            "period": alarm.get("Period"),
            "datapoints_to_alarm": alarm.get("DatapointsToAlarm", state["evaluation_periods"]),
            "comparison": alarm.get("ComparisonOperator"),
            **{key: _sorted_actions(state[key]) for key in ACTION_LISTS},
            "description": state["description"] or None,
            "actions_enabled": alarm.get("ActionsEnabled", True),
        }, attributes={"arn": alarm["AlarmArn"], "name": alarm["AlarmName"]})


RESOURCE_TYPE = MetricAlarm
