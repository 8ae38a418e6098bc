"""Prometheus metrics of this process: every counter and histogram lives here.

Counters count committed changes only: the domain and the jobs register an increment with
`uow.after_commit`, so a change rolled back (a lost race, an error) is never counted. They are
per process: with several replicas, sum them in Prometheus. The gauges (open handoffs, outbox
rows waiting or dead, promises to customers by state, open customer checks) are read from the
shared database at scrape time, so every replica reports the same figure for them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

HANDOFFS_CREATED = Counter(
    "handoff_handoffs_created", "Handoffs (hops) opened, redirects included.", registry=REGISTRY
)
HANDOFFS_CONFIRMED = Counter(
    "handoff_handoffs_confirmed", "Handoffs the new owner confirmed.", registry=REGISTRY
)
HANDOFFS_REDIRECTED = Counter(
    "handoff_handoffs_redirected",
    "Handoffs passed on by their owner.",
    registry=REGISTRY,
)
NUDGES_SENT = Counter("handoff_nudges_sent", "Reminders written to the outbox.", registry=REGISTRY)
ESCALATIONS = Counter(
    "handoff_escalations", "Handoffs escalated to the handler for a new owner.", registry=REGISTRY
)
SLACK_API_ERRORS = Counter(
    "handoff_slack_api_errors",
    "Failed Slack Web API calls by the outbox dispatcher, by method and error code.",
    ["method", "error"],
    registry=REGISTRY,
)
SLACK_UNSIGNED = Counter(
    "handoff_slack_unsigned",
    "Requests to /slack/events refused with 401 before their body was read, by reason.",
    ["reason"],
    registry=REGISTRY,
)
SLACK_UNREADABLE = Counter(
    "handoff_slack_unreadable",
    "Signed requests to /slack/events whose body no listener could read (answered 400 with "
    "X-Slack-No-Retry), by reason.",
    ["reason"],
    registry=REGISTRY,
)
SLACK_EVENTS_LATENCY = Histogram(
    "handoff_slack_events_request_seconds",
    "Time to answer POST /slack/events (Slack wants an answer within 3 s).",
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0),
    registry=REGISTRY,
)
SLACK_EVENTS_RESPONSES = Counter(
    "handoff_slack_events_responses",
    "Answers to POST /slack/events by status class (2xx, 4xx, 5xx); an exception counts as 5xx.",
    ["status"],
    registry=REGISTRY,
)
TICK_LAST_SUCCESS = Gauge(
    "handoff_tick_last_success_timestamp_seconds",
    "When this process last finished a scheduler pass (Unix time); 0 before the first.",
    registry=REGISTRY,
)
OPEN_HANDOFFS = Gauge(
    "handoff_open_handoffs", "Handoffs waiting for their owner to confirm.", registry=REGISTRY
)
OUTBOX_PENDING = Gauge(
    "handoff_outbox_pending",
    "Outbox messages pending or sending.",
    registry=REGISTRY,
)
OUTBOX_DEAD = Gauge(
    "handoff_outbox_dead", "Messages the outbox gave up on (dead-lettered).", registry=REGISTRY
)
PROMISES = Gauge(
    "handoff_promises",
    "Promises to customers (issue 18), all workspaces, by state: open (time still running), "
    "kept (told in time), broken (the time ran out first). Replaced ones are not counted.",
    ["state"],
    registry=REGISTRY,
)
CUSTOMER_CHECKS_OPEN = Gauge(
    "handoff_customer_checks_open",
    "Customer checks not answered yet (asked, or to be asked), all workspaces.",
    registry=REGISTRY,
)
PROMISE_STATES = ("open", "kept", "broken")

TIME_TO_CONFIRM = Histogram(
    "handoff_time_to_confirm_seconds",
    "From a part's first handoff to its owner's confirmation, by part of the request (1 for "
    "a request that was not split).",
    ["part"],
    buckets=(60, 300, 900, 1800, 3600, 7200, 14400, 28800, 86400, 172800, 604800),
    registry=REGISTRY,
)


def confirmed_part(hop: Any, chain: Iterable[Any], *, now: datetime) -> Callable[[], None]:
    """The observation of a confirmation, to run after its commit: the time since the first
    hop of the confirmed hop's part (a redirect does not restart the customer's wait)."""
    started = min((h.created_at for h in chain if h.part == hop.part), default=hop.created_at)
    waited = max(0.0, (now - started).total_seconds())
    part = str(hop.part)
    return lambda: TIME_TO_CONFIRM.labels(part=part).observe(waited)
