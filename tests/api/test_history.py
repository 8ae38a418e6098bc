"""The warm start over HTTP: helpdesk exports posted to `/api/history` teach `/handoff who`
before the first handoff; bad rows come back by line; nothing is half-imported."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.devtools.fake_slack import Fault
from bot.devtools.sandbox import Sandbox
from bot.domain.ranking_reasons import ConfirmedSimilar
from bot.slack.routing import Router
from db.models import RoutingHistory
from db.uow import Database
from tests.api.conftest import AUTH, TEAM, TOKEN
from tests.e2e.helpers import rows
from tests.e2e.test_directory import load_directory

FIXTURES = Path(__file__).parent.parent / "fixtures" / "history"
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
EXCHANGE = "who the customer wants to exchange shoes for a larger size"
CSV = {"Content-Type": "text/csv"}


@pytest.fixture
async def box(db: Database, database_url: str) -> AsyncIterator[Sandbox]:
    async with Sandbox(
        database_url, handoff_api_token=TOKEN, handoff_api_team=TEAM, clock=lambda: NOW
    ) as sandbox:
        sandbox.http.headers.update(AUTH)
        await load_directory(db)
        yield sandbox


async def post(box: Sandbox, name: str, query: str = "", **headers: str) -> dict:
    body = (FIXTURES / name).read_bytes()
    response = await box.http.post(f"/api/history{query}", content=body, headers=headers or CSV)
    assert response.status_code == 200, response.text
    return response.json()


async def who(box: Sandbox, words: str = EXCHANGE) -> list[str]:
    answer = (await box.sim.command(words, user="U_ALICE")).json()["text"]
    return answer.splitlines()


async def test_a_zendesk_export_teaches_who_to_ask_and_twice_adds_nothing(
    box: Sandbox, db: Database
) -> None:
    assert "I don't know yet" in (await who(box))[0]  # the live ranker is built, empty
    report = await post(box, "zendesk.csv")
    assert report == {
        "rows": 4,
        "imported": 3,
        "duplicates": 0,
        "too_old": 1,  # June: outside the 90 days the router counts
        "bad": [],
        "dry_run": False,
    }
    lines = await who(box)
    assert lines[1] == "1. <@U_ERIN>: confirmed 2 similar requests in the last 90 days", lines
    again = await post(box, "zendesk.csv")
    assert (again["imported"], again["duplicates"], again["too_old"]) == (0, 3, 1)
    stored = await rows(db, RoutingHistory)
    assert len(stored) == 3 and {r.source for r in stored} == {"api:api"}
    assert {(r.owner_kind, r.owner_id) for r in stored} == {("user", "U_ERIN"), ("user", "U_BOB")}


async def test_another_replica_learns_an_import_on_its_next_suggestion(
    box: Sandbox, db: Database
) -> None:
    replica = Router(db, box.runtime.client, lambda: NOW)
    assert await replica.suggest(TEAM, EXCHANGE) == []
    await post(box, "hubspot.csv")
    (first, *_) = await replica.suggest(TEAM, EXCHANGE)
    assert first.id == "U_ERIN" and ConfirmedSimilar(1, days=90) in first.reasons


@pytest.mark.parametrize(
    ("name", "mapping", "count"),
    [("jira.csv", "jira", 2), ("freshdesk.csv", "freshdesk", 2), ("hubspot.csv", "hubspot", 2)],
)
async def test_each_helpdesk_export_imports_whole(
    box: Sandbox, name: str, mapping: str, count: int
) -> None:
    report = await post(box, name, f"?mapping={mapping}")
    assert (report["imported"], report["bad"]) == (count, [])
    assert "1. <@U_ERIN>: confirmed 1 similar request" in "\n".join(await who(box))


async def test_json_lines_resolve_mentions_ids_and_handles(box: Sandbox, db: Database) -> None:
    report = await post(box, "handoff.jsonl", **{"Content-Type": "application/x-ndjson"})
    assert (report["imported"], report["bad"]) == (3, [])
    stored = sorted(await rows(db, RoutingHistory), key=lambda r: r.id)
    assert [r.owner_id for r in stored] == ["U_ERIN", "U_BOB", "U_ERIN"]
    assert stored[2].happened_at == NOW  # undated: counted from the import
    assert stored[0].topic == "Returns" and stored[1].topic is None


async def test_bad_rows_are_reported_by_line_and_the_good_ones_imported(
    box: Sandbox, db: Database
) -> None:
    report = await post(box, "bad_rows.csv")
    assert report["imported"] == 2 and report["rows"] == 8
    bad = {row["line"]: row["reason"] for row in report["bad"]}
    assert sorted(bad) == [3, 4, 5, 6, 7, 8]
    assert "no text" in bad[3]
    assert bad[4] == "owner 'nobody@acme.example': no Slack user has this e-mail"
    assert bad[5] == "owner 'U_DAVE': is deactivated in Slack"
    assert "'last tuesday' is not a date" in bad[6]
    assert "no owner" in bad[7]
    assert "in the future" in bad[8]
    stored = await rows(db, RoutingHistory)
    assert sorted(r.text for r in stored) == [
        "Exchange boots for a larger size",
        "Exchange socks for\na larger size",
    ]


async def test_a_dry_run_counts_and_stores_nothing(box: Sandbox, db: Database) -> None:
    report = await post(box, "zendesk.csv", "?dry_run=true")
    assert (report["imported"], report["dry_run"]) == (3, True)
    assert await rows(db, RoutingHistory) == []
    assert "I don't know yet" in (await who(box))[0]


@pytest.mark.parametrize(
    ("body", "query", "status", "says"),
    [
        (b"", "", 422, "the body is empty"),
        (b"title,person\nrefund,U_BOB\n", "", 422, "can't tell which columns"),
        (b"text,owner\n\xff\xfe,U_BOB\n", "", 422, "not UTF-8"),
        (b'text,owner\n"refund,U_BOB\n', "", 422, "line 2"),
        (b"text,owner\nrefund,U_BOB\n", "?mapping=servicenow", 422, "mapping"),
        (b"text,owner\nrefund,U_BOB\n", "?format=xml", 422, "format"),
    ],
)
async def test_a_file_that_cant_be_read_is_a_422_with_the_reason(
    box: Sandbox, db: Database, body: bytes, query: str, status: int, says: str
) -> None:
    response = await box.http.post(f"/api/history{query}", content=body, headers=CSV)
    assert response.status_code == status, response.text
    assert says in str(response.json()["detail"])
    assert await rows(db, RoutingHistory) == []


async def test_without_the_token_nothing_is_read(box: Sandbox, db: Database) -> None:
    response = await box.http.post(
        "/api/history",
        content=(FIXTURES / "zendesk.csv").read_bytes(),
        headers={**CSV, "Authorization": "Bearer wrong"},
    )
    assert response.status_code == 401
    assert await rows(db, RoutingHistory) == []


async def test_slack_down_during_the_look_ups_imports_nothing(box: Sandbox, db: Database) -> None:
    box.slack.fail_next("users.lookupByEmail", Fault(status=500))
    response = await box.http.post(
        "/api/history", content=(FIXTURES / "bad_rows.csv").read_bytes(), headers=CSV
    )
    assert response.status_code == 503, response.text
    assert "nothing was imported" in response.json()["detail"]
    assert await rows(db, RoutingHistory) == []


async def test_text_a_database_would_refuse_is_a_bad_row_not_a_500(
    box: Sandbox, db: Database
) -> None:
    body = (
        '{"text": "refund \\ud800 please", "owner": "U_BOB"}\n'
        '{"text": "refund", "owner": "U_BOB", "topic": "Bil\\u0000ling"}\n'
        '{"text": "refund again", "owner": "U_BOB"}\n'
    )
    response = await box.http.post(
        "/api/history?source=nightly", content=body.encode(), headers={"Content-Type": "text/plain"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["bad"] == [
        {"line": 1, "reason": "the row is not valid Unicode text"},
        {"line": 2, "reason": "the row contains a NUL character"},
    ]
    (row,) = await rows(db, RoutingHistory)
    assert (row.text, row.source) == ("refund again", "api:nightly")
    bad_source = await box.http.post("/api/history?source=a%00b", content=body.encode())
    assert bad_source.status_code == 422


async def test_a_rate_limited_look_up_waits_as_told_and_imports(box: Sandbox, db: Database) -> None:
    box.slack.fail_next("users.lookupByEmail", Fault(status=429, retry_after=1))
    report = await post(box, "bad_rows.csv")
    assert report["imported"] == 2
    assert len(box.slack.calls_to("users.lookupByEmail!failed")) == 1
