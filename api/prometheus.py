"""GET /metrics: the process's Prometheus metrics, with the database gauges read at scrape
time (cheap counts: open handoffs, the outbox, and follow-ups by kind and state)."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.exc import SQLAlchemyError

from bot import metrics
from bot.runtime import Runtime

log = logging.getLogger(__name__)
router = APIRouter()


@router.get("/metrics", include_in_schema=False)
async def prometheus_metrics(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    try:
        async with runtime.db.uow() as uow:
            open_handoffs = await uow.health.open_handoffs()
            pending, dead = await uow.health.outbox_counts()
            followups: dict[tuple[str, str], int] | None = await uow.followups.counts(None)
    except (SQLAlchemyError, OSError) as error:  # the counters are still worth a scrape
        log.warning("metrics: database gauges unavailable: %s", error)
        open_handoffs = pending = dead = -1
        followups = None
    for state in metrics.PROMISE_STATES:
        count = followups.get(("promise", state), 0) if followups is not None else -1
        metrics.PROMISES.labels(state=state).set(count)
    checks = followups.get(("check", "open"), 0) if followups is not None else -1
    metrics.CUSTOMER_CHECKS_OPEN.set(checks)
    metrics.OPEN_HANDOFFS.set(open_handoffs)
    metrics.OUTBOX_PENDING.set(pending)
    metrics.OUTBOX_DEAD.set(dead)
    return Response(generate_latest(metrics.REGISTRY), media_type=CONTENT_TYPE_LATEST)
