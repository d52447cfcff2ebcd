"""CloudWatch pricing: metric alarms by resolution, dashboards, log ingestion and storage."""

from __future__ import annotations

from typing import Any

from awsprov.cost.catalogue import Prices
from awsprov.cost.model import CostComponent, fixed, priced
from awsprov.cost.usage import gigabytes, number

HIGH_RESOLUTION_BELOW_SECONDS = 60
DEFAULT_PERIOD = 300  # awsprov alarms default to a 5-minute period
STANDARD_STATISTICS = ("Sum", "Average", "Minimum", "Maximum", "SampleCount")

ALARM_USAGE_PROPERTIES: dict = {}
DASHBOARD_USAGE_PROPERTIES: dict = {}
LOG_GROUP_USAGE_PROPERTIES = {
    "ingested_gb": gigabytes("Log data ingested per month"),
    "stored_gb": gigabytes("Log data archived (compressed), at steady state"),
    "insights_scanned_gb": gigabytes("Data scanned by Logs Insights queries per month"),
}


def alarm_cost(props: dict[str, Any], usage: dict[str, Any],
               prices: Prices) -> list[CostComponent]:
    """One metric per alarm; a period under 60 s is a high-resolution alarm (3x). A
    percentile statistic costs the same as Average: AWS has no usage type for it."""
    period = int(props.get("period", DEFAULT_PERIOD))
    statistic = str(props.get("statistic", "Average"))
    notes = [f"period {period} s"] if period < HIGH_RESOLUTION_BELOW_SECONDS else []
    if statistic not in STANDARD_STATISTICS:
        notes.append(f"percentile (extended statistic) {statistic}: same price as Average")
    if period < HIGH_RESOLUTION_BELOW_SECONDS:
        return [fixed(prices, "cloudwatch.alarm.high_resolution",
                      "Alarm metric (high resolution)", 1, note="; ".join(notes))]
    return [fixed(prices, "cloudwatch.alarm.standard", "Alarm metric (standard resolution)", 1,
                  note="; ".join(notes))]


def dashboard_cost(props: dict[str, Any], usage: dict[str, Any],
                   prices: Prices) -> list[CostComponent]:
    return [fixed(prices, "cloudwatch.dashboard", "Dashboard", 1,
                  note="the account's first 3 dashboards are free (not applied)")]


def log_group_cost(props: dict[str, Any], usage: dict[str, Any],
                   prices: Prices) -> list[CostComponent]:
    retention = props.get("retention_days")
    kept = (f"kept {retention} days: at steady state about ingested_gb x {retention}/30, "
            "compressed") if retention else "never expires: storage grows every month"
    components = [
        priced(prices, "cloudwatch.logs.ingestion", "Ingestion", number(usage, "ingested_gb")),
        priced(prices, "cloudwatch.logs.storage", "Storage", number(usage, "stored_gb"),
               note=kept),
    ]
    if "insights_scanned_gb" in usage:
        components.append(priced(prices, "cloudwatch.logs.insights", "Logs Insights scans",
                                 number(usage, "insights_scanned_gb")))
    return components
