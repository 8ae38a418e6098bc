"""The API and its figures on requests whose customer data retention has removed."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from bot.devtools.sandbox import Sandbox
from bot.jobs.retention import Retention, apply_retention
from db.models import Request
from db.repositories.retention import REDACTED
from db.uow import Database
from tests.api.conftest import NOW, T0, Hop, add_story

H = timedelta(hours=1)


async def test_stories_lists_and_metrics_work_on_redacted_requests(
    api: Sandbox, db: Database
) -> None:
    built = await add_story(
        db,
        created=T0,
        hops=[
            Hop("U_ERIN", "redirected", took=H),
            Hop("U_BOB", "confirmed", after=H, took=2 * H, reason="Refunds are Bob's"),
        ],
        status="resolved",
    )
    async with db.uow() as uow:
        await uow.session.execute(
            update(Request)
            .where(Request.id == built.request_id)
            .values(customer_email="jane@customer.example", updated_at=T0 + 4 * H)
        )
        await uow.commit()
    period = {"since": (T0 - H).isoformat(), "until": NOW.isoformat()}
    metrics_before = (await api.http.get("/api/metrics", params=period)).json()

    report = await apply_retention(db, Retention(closed=timedelta(days=2)), now=NOW)

    assert report.redacted == 1
    story = await api.http.get(f"/api/requests/{built.request_id}")
    assert story.status_code == 200, story.text
    body = story.json()
    assert "Jane Doe" not in story.text and "jane@" not in story.text
    assert body["request"]["text"] == REDACTED
    assert [hop["owner_id"] for hop in body["chain"]] == ["U_ERIN", "U_BOB"]
    assert "Refunds are Bob's" in story.text  # why it was passed on is about us, not them
    hop = await api.http.get(f"/api/handoffs/{built.hop_ids[1]}")
    assert hop.status_code == 200 and "jane@" not in hop.text and "Jane Doe" not in hop.text
    listed = (await api.http.get("/api/requests")).json()["items"]
    assert [r["text"] for r in listed] == [REDACTED]
    assert (await api.http.get("/api/metrics", params=period)).json() == metrics_before
