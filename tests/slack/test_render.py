"""Slack's renderer covers every neutral message kind, and renders a snapshot the way the
Block Kit builders render the rows it was taken from."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain.messages import Audience, Kind, Op, snapshot
from bot.slack import blocks
from bot.slack.render import BUILDERS, duration, render
from db.models import Handoff, OutboxMessage, Request

T = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)


def test_every_neutral_kind_has_a_slack_rendering() -> None:
    assert set(Kind) - set(BUILDERS) == {Kind.SLACK_CALL}  # rendered as it is


def test_durations_read_as_before() -> None:
    assert duration(timedelta(hours=3, minutes=20, seconds=59)) == "3 h 20 min"
    assert duration(timedelta(days=2, hours=4)) == "2 days 4 h"


def test_a_card_from_its_snapshot_is_the_card_of_the_rows() -> None:
    request = Request(
        id=7,
        team_id="T1",
        channel_id="C1",
        message_ts="1700000000.000100",
        thread_ts="1700000000.000100",
        customer_name="Jane <@U_EVIL>",
        customer_email="jane@example.com",
        customer_phone=None,
        text="charged *twice*",
        is_shared=False,
        status="open",
    )
    hop = Handoff(
        id=3,
        team_id="T1",
        request_id=7,
        hop=1,
        handler_id="U_A",
        from_id="U_A",
        owner_kind="user",
        owner_id="U_B",
        note="tried a refund",
        reason=None,
        status="confirmed",
        closed_at=T,
        closed_by="U_B",
        nudges_sent=0,
    )
    row = OutboxMessage(
        team_id="T1",
        platform="slack",
        kind=Kind.CARD.value,
        audience=Audience.THREAD.value,
        method=Op.POST.value,
        channel="C1",
        payload={},
        facts={
            **snapshot(request, hop, [hop], direct=False),
            "context": {"workspace_url": "https://acme.slack.com/"},
        },
    )
    call = render(row)
    expected = blocks.handoff_card(
        request,
        hop,
        [hop],
        permalink="https://acme.slack.com/archives/C1/p1700000000000100",
        direct=False,
    )
    assert call.method == "chat.postMessage"
    assert call.payload == dict(
        expected,
        channel="C1",
        thread_ts="1700000000.000100",
        unfurl_links=False,
        unfurl_media=False,
    )
