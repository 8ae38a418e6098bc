"""The overview's figures, read through the repositories and computed by bot/domain/dashboard.py,
then shaped for the page: each chart's series (for uPlot) and the same numbers as a table."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.domain import dashboard
from bot.domain.digest import DeadLetter
from bot.flows.dashboard_link import Viewer
from db.repositories.directory import StaleTopic
from db.uow import UnitOfWork

DEAD_LETTER_WINDOW = timedelta(days=7)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Chart:
    """One chart: uPlot's data (x first) and series, and the table a screen reader reads."""

    id: str
    title: str
    question: str  # what the chart answers, said above it
    kind: str  # bars | lines
    labels: list[str]
    series: list[dict[str, Any]]
    data: list[list[float | None]]
    columns: list[str]
    rows: list[list[str]]

    def spec(self) -> dict[str, Any]:
        return {"kind": self.kind, "labels": self.labels, "series": self.series, "data": self.data}


@dataclass
class OverviewPage:
    charts: list[Chart]
    slowest_owners: list[dashboard.Slow]
    slowest_topics: list[dashboard.Slow]
    stale: list[StaleTopic]
    dead_total: int
    dead_top: list[DeadLetter]
    names: dict[str, str] = field(default_factory=dict)


def _bars(chart_id: str, title: str, question: str, counts: list[tuple[str, int]]) -> Chart:
    labels = [label for label, _ in counts]
    values: list[float | None] = [float(n) for _, n in counts]
    return Chart(
        id=chart_id,
        title=title,
        question=question,
        kind="bars",
        labels=labels,
        series=[{"label": "count"}],
        data=[[float(i) for i in range(len(labels))], values],
        columns=["", "Count"],
        rows=[[label, str(n)] for label, n in counts],
    )


def _weeks_chart(weeks: list[dashboard.Week]) -> Chart:
    def shown(value: float | None) -> str:
        return "–" if value is None else f"{value:g} h"

    return Chart(
        id="confirm-weeks",
        title="Time to confirm, per week",
        question="Are owners confirming faster or slower? (median and 90th percentile, hours)",
        kind="lines",
        labels=[w.start.strftime("%d %b") for w in weeks],
        series=[{"label": "median (h)"}, {"label": "90th percentile (h)"}],
        data=[
            [(w.start - EPOCH).total_seconds() for w in weeks],
            [w.median_hours for w in weeks],
            [w.p90_hours for w in weeks],
        ],
        columns=["Week from", "Confirmed", "Median", "90th percentile"],
        rows=[
            [
                w.start.strftime("%Y-%m-%d"),
                str(w.confirmed),
                shown(w.median_hours),
                shown(w.p90_hours),
            ]
            for w in weeks
        ],
    )


async def names_of(uow: UnitOfWork, team_id: str, user_ids: Iterable[str]) -> dict[str, str]:
    """Display names from the profile cache (whatever its age); no Slack call per page."""
    wanted = sorted({u for u in user_ids if u})
    if not wanted:
        return {}
    people = await uow.people.fresh_since(team_id, wanted, EPOCH)
    return {p.user_id: p.real_name or p.name or p.user_id for p in people}


async def overview_page(uow: UnitOfWork, viewer: Viewer, *, now: datetime) -> OverviewPage:
    involving = None if viewer.admin else viewer.user_id
    since = now - dashboard.WINDOW
    hops = await uow.dashboard_reads.hops(viewer.team_id, since=since, involving=involving)
    waits = await uow.dashboard_reads.topic_waits(viewer.team_id, since=since, involving=involving)
    figures = dashboard.overview(hops, waits, now)
    stale = await uow.directory.stale_topics(viewer.team_id, now=now)
    dead_total, dead_top = 0, []
    if viewer.admin:  # delivery failures are the operators' business, not every member's
        dead_total, dead_top = await uow.digests.dead_letters(
            viewer.team_id, since=now - DEAD_LETTER_WINDOW
        )
    charts = [
        _bars(
            "open-age",
            "Open handoffs by age",
            "How long have the handoffs still waiting for an owner been waiting?",
            figures.open_by_age,
        ),
        _weeks_chart(figures.weeks),
        _bars(
            "outcomes",
            "How handoffs went (12 weeks)",
            "Of the handoffs made, how many were confirmed, passed on, or escalated?",
            figures.outcomes,
        ),
        _bars(
            "hops",
            "Hops per request (12 weeks)",
            "How often does a request bounce before someone owns it?",
            figures.hops_per_request,
        ),
    ]
    owners = [s.label for s in figures.slowest_owners if s.kind == "user"]
    return OverviewPage(
        charts=charts,
        slowest_owners=figures.slowest_owners,
        slowest_topics=figures.slowest_topics,
        stale=stale,
        dead_total=dead_total,
        dead_top=dead_top,
        names=await names_of(uow, viewer.team_id, owners),
    )
