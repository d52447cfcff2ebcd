"""SNS topic and SQS queue pricing."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

from awsprov.cost.catalogue import Prices
from awsprov.cost.model import CostComponent, priced
from awsprov.cost.usage import COUNT, number, per_month

# Subscription protocol → the delivery price it is billed at.
DELIVERY_GROUPS = {"http": "http", "https": "http", "email": "email", "email-json": "email",
                   "sqs": "sqs", "lambda": "sqs", "firehose": "firehose",
                   "application": "application", "sms": "sms"}
CHUNK_KB = 64

TOPIC_USAGE_PROPERTIES = {
    "publishes_per_month": per_month("Publish requests (each 64 KB chunk counts as one)"),
    "deliveries": {"type": "object", "additionalProperties": False,
                   "description": "Deliveries per month by protocol; default: every publish "
                                  "to every subscription of that protocol",
                   "properties": {p: {**COUNT, "description": f"{p} deliveries per month"}
                                  for p in DELIVERY_GROUPS}},
}
QUEUE_USAGE_PROPERTIES = {
    "requests_per_month": per_month("API requests (send, receive incl. empty receives, "
                                    "delete, change visibility)"),
    "message_size_kb": {**COUNT, "description": "Average payload; each 64 KB chunk is billed "
                                                "as one request"},
}


def topic_cost(props: dict[str, Any], usage: dict[str, Any],
               prices: Prices) -> list[CostComponent]:
    publishes = number(usage, "publishes_per_month")
    fifo = bool(props.get("fifo"))
    components = [priced(prices, "sns.fifo.publishes" if fifo else "sns.publishes",
                         "Publishes", publishes,
                         note="FIFO payload charges are not modelled" if fifo else "")]
    subscribed = Counter(DELIVERY_GROUPS.get(s.get("protocol"), s.get("protocol"))
                         for s in props.get("subscriptions") or [])
    given: dict[str, float] = {}
    for protocol, count in (usage.get("deliveries") or {}).items():
        group = DELIVERY_GROUPS[protocol]
        given[group] = given.get(group, 0.0) + float(count)
    for group in sorted(set(subscribed) | set(given)):
        if group == "sms":
            components[0].note = "SMS is priced by destination country: not estimated"
            continue
        if group in given:
            amount, note = given[group], ""
        elif publishes is not None:
            amount = publishes * subscribed[group]
            note = (f"every publish to {subscribed[group]} subscription(s); filter policies "
                    "lower it")
        else:
            amount, note = None, ""
        components.append(priced(prices, f"sns.deliveries.{group}", f"Deliveries ({group})",
                                 amount, note=note))
    return components


def queue_cost(props: dict[str, Any], usage: dict[str, Any],
               prices: Prices) -> list[CostComponent]:
    fifo = bool(props.get("fifo")) or str(props.get("name", "")).endswith(".fifo")
    requests = number(usage, "requests_per_month")
    size = number(usage, "message_size_kb")
    note = ""
    if requests is not None and size is not None and size > CHUNK_KB:
        chunks = math.ceil(size / CHUNK_KB)
        requests *= chunks
        note = f"{size:g} KB messages: {chunks} billed requests each"
    return [priced(prices, "sqs.requests.fifo" if fifo else "sqs.requests.standard",
                   "Requests (FIFO)" if fifo else "Requests", requests, note=note)]
