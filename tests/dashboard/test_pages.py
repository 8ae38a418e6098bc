"""The dashboard's pages on seeded data, over HTTP against the real app: the overview's
figures, the requests list's filters and CSV, a request's story, the people page's actions,
the directory; an admin sees the workspace, anyone else what involves them, and no session
reaches another workspace's data."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.devtools.sandbox import Sandbox
from bot.flows.dashboard_link import issue_link
from db.models import Handoff
from db.uow import Database
from tests.api.conftest import OTHER_TEAM, add_followup
from tests.dashboard.helpers import (
    dashboard_sandbox,
    get,
    link_from_chat,
    post,
    signed_in,
    spend,
    token_of,
)
from tests.dashboard.seed import OTHER_SECRET, Seeded, profiles, seed

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


@pytest.fixture
async def box(db: Database, database_url: str) -> AsyncIterator[Sandbox]:
    async with dashboard_sandbox(database_url, clock=lambda: NOW) as sandbox:
        yield sandbox


@pytest.fixture
async def seeded(db: Database, box: Sandbox) -> Seeded:
    await profiles(db, NOW)
    return await seed(db, NOW)


def row(html: str, header: str) -> str:
    """The cells after a row header, as text."""
    rest = html.split(f'<th scope="row">{header}</th>', 1)[1]
    return rest.split("</tr>", 1)[0]


async def test_the_admin_overview_has_each_figure_as_a_chart_and_a_table(
    box: Sandbox, seeded: Seeded
) -> None:
    page = await get(box, "/dashboard", await signed_in(box, "U_ALICE"))
    assert page.status_code == 200
    html = page.text
    for chart in ("open-age", "confirm-weeks", "outcomes", "hops"):
        assert f'data-chart="{chart}-data"' in html and f'id="{chart}-data"' in html
    assert "<td>1</td>" in row(html, "Under a day")  # Bob's, 2 h old
    assert "<td>1</td>" in row(html, "1-3 days")  # Carol's
    assert "<td>1</td>" in row(html, "Older")  # Erin's, 5 days
    assert "<td>1</td>" in row(html, "escalated")
    assert "<td>1</td>" in row(html, "redirected")
    assert "<td>1</td>" in row(html, "2")  # the refund had two hops
    assert html.count('<th scope="row">20') == 12  # twelve weeks, dated 2026-...
    assert "Carol Chen" in html and "Billing" in html  # slowest owners and topics
    assert "Shipping</a>: passed on 3 times" in html  # stale topic
    assert "channel_not_found" in html  # dead letter, admins only
    assert OTHER_SECRET not in html


async def test_someone_who_is_not_an_admin_sees_only_their_own_figures(
    box: Sandbox, seeded: Seeded
) -> None:
    html = (await get(box, "/dashboard", await signed_in(box, "U_BOB"))).text
    assert "Showing what involves you" in html
    assert "<td>1</td>" in row(html, "Under a day")
    assert "<td>0</td>" in row(html, "1-3 days")  # Carol's is not Bob's
    assert "<td>0</td>" in row(html, "Older")
    assert "Messages not delivered" not in html and "channel_not_found" not in html


async def test_the_requests_list_filters_and_exports_what_it_shows(
    box: Sandbox, seeded: Seeded
) -> None:
    cookies = await signed_in(box, "U_ALICE")

    async def shown(query: str) -> str:
        response = await get(box, f"/dashboard/requests?{query}", cookies)
        assert response.status_code == 200, response.text
        return response.text

    everything = await shown("")
    assert "15 request(s)" in everything and OTHER_SECRET not in everything
    assert "&lt;script&gt;" in everything and "<script>alert" not in everything
    assert "1 request(s)" in (await shown("q=PASSWORD"))
    assert "Password reset" in (await shown("q=password&status=handed_off&age=today"))
    assert "1 request(s)" in (await shown("channel=C_SHARED"))
    carol = await shown("owner=U_CAROL")
    assert "The API answers 500" in carol and "Password reset" not in carol
    billing = await shown(f"topic={seeded.billing_topic}")
    assert "1 request(s)" in billing and "charged twice" in billing
    older = await shown("age=older&status=handed_off")
    assert "shipping is late" in older and "1 request(s)" in older

    bad = await get(box, "/dashboard/requests?status=lost&owner=bob;drop", cookies)
    assert bad.status_code == 400 and "status must be one of" in bad.text
    assert "owner must be a Slack id" in bad.text

    exported = await get(box, "/dashboard/requests.csv?channel=C_SHARED", cookies)
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.text)))
    assert rows[0][:3] == ["id", "created_at", "status"] and len(rows) == 2
    assert rows[1][-1].startswith("'=HYPERLINK")  # a spreadsheet won't run the customer's text
    full = list(csv.reader(io.StringIO((await get(box, "/dashboard/requests.csv", cookies)).text)))
    assert len(full) == 16 and all(OTHER_SECRET not in r for r in full)


async def test_a_request_story_shows_each_hop_who_when_why_and_the_thread(
    box: Sandbox, seeded: Seeded
) -> None:
    page = await get(box, f"/dashboard/requests/{seeded.refund}", await signed_in(box, "U_ALICE"))
    assert page.status_code == 200
    html = page.text
    assert "Jane Doe" in html and "charged twice" in html
    assert "<strong>Erin Evans</strong> passed it on to" in html
    assert "Why: Refunds are Bob&#39;s" in html and "Alice Andrews stayed on the hook" in html
    assert "Bob Brown" in html and "confirmed" in html and "Reminders sent: 1" in html
    assert "/archives/C_SUPPORT/p1700000000" in html  # back to the chat thread


async def test_no_session_reaches_another_workspace_or_someone_elses_request(
    db: Database, box: Sandbox, seeded: Seeded
) -> None:
    async with db.uow() as uow:  # a session of T0002's admin, as its own chat would make
        link = await issue_link(
            uow,
            platform="slack",
            team_id=OTHER_TEAM,
            user_id="U_X",
            admin=True,
            base_url=box.base_url,
            now=NOW,
        )
        await uow.commit()
    spent = await spend(box, token_of(link))
    other = {"handoff_session": spent.cookies["handoff_session"]}
    for path in (f"/dashboard/requests/{seeded.refund}", f"/dashboard/requests/{seeded.today}"):
        assert (await get(box, path, other)).status_code == 404
    listed = (await get(box, "/dashboard/requests", other)).text
    assert OTHER_SECRET in listed and "charged twice" not in listed
    assert "Password reset" not in (await get(box, "/dashboard/requests.csv", other)).text
    assert "Password reset" not in (await get(box, "/dashboard/people", other)).text

    admin = await signed_in(box, "U_ALICE")
    assert (await get(box, f"/dashboard/requests/{seeded.other_team}", admin)).status_code == 404

    bob = await signed_in(box, "U_BOB")  # not an admin: only what involves him
    mine = (await get(box, "/dashboard/requests", bob)).text
    assert "Password reset" in mine and "charged twice" in mine
    assert "The API answers 500" not in mine and "shipping is late" not in mine
    assert (await get(box, f"/dashboard/requests/{seeded.two_days}", bob)).status_code == 404
    assert (await get(box, f"/dashboard/requests/{seeded.today}", bob)).status_code == 200


async def test_the_people_page_confirms_through_the_same_flow_with_the_csrf_token(
    db: Database, box: Sandbox, seeded: Seeded
) -> None:
    bob = await signed_in(box, "U_BOB")
    page = await get(box, "/dashboard/people", bob)
    assert "Password reset link never arrives" in page.text
    csrf = page.text.split('"X-CSRF-Token": "', 1)[1].split('"', 1)[0]
    async with db.uow() as uow:
        hop = (
            await uow.session.scalars(
                select(Handoff).where(Handoff.owner_id == "U_BOB", Handoff.status == "pending")
            )
        ).one()
    path = f"/dashboard/handoffs/{hop.id}/confirm"
    assert (await post(box, path, bob)).status_code == 403  # no CSRF token: nothing happens
    async with db.uow() as uow:
        assert (await uow.handoffs.get("T0001", hop.id)).status == "pending"  # type: ignore[union-attr]

    done = await post(box, path, bob, {"csrf": csrf})
    assert done.status_code == 200 and "Confirmed" in done.text
    async with db.uow() as uow:
        assert (await uow.handoffs.get("T0001", hop.id)).status == "confirmed"  # type: ignore[union-attr]
    again = await post(box, path, bob, {"csrf": csrf})
    assert 'role="alert"' in again.text  # the rules refuse it the second time, in words

    erin_hop = f"/dashboard/handoffs/{hop.id + 1}/confirm"  # not Bob's to confirm
    refused = await post(box, erin_hop, bob, {"csrf": csrf})
    assert 'role="alert"' in refused.text


async def test_the_directory_page_shows_owners_rates_and_the_stale_flag(
    box: Sandbox, seeded: Seeded
) -> None:
    html = (await get(box, "/dashboard/directory", await signed_in(box, "U_BOB"))).text
    assert "Billing" in html and "Bob Brown" in html and "Carol Chen" in html
    assert "100% of 1" in html  # Billing: its owner confirmed the one he decided
    shipping = html.split("Shipping", 1)[1].split("</tr>", 1)[0]
    assert "possibly stale" in shipping and "0% of 3" in shipping


async def test_docs_and_every_script_are_served_by_the_app(box: Sandbox) -> None:
    docs = await get(box, "/docs", None)
    assert docs.status_code == 200
    assert "/dashboard/static/vendor/swagger-ui-dist/swagger-ui-bundle.js" in docs.text
    assert "cdn." not in docs.text and "unpkg" not in docs.text
    for path in (
        "/dashboard/static/vendor/swagger-ui-dist/swagger-ui-bundle.js",
        "/dashboard/static/vendor/swagger-ui-dist/swagger-ui.css",
        "/dashboard/static/vendor/htmx/htmx.min.js",
        "/dashboard/static/vendor/uplot/uPlot.iife.min.js",
        "/dashboard/static/charts.js",
        "/dashboard/static/dashboard.css",
    ):
        assert (await get(box, path, None)).status_code == 200, path
    page = await get(box, "/dashboard", None)
    assert "http" not in page.text.split("<body", 1)[0].replace("http-equiv", "")


async def test_admins_edit_the_directory_with_the_same_checks_as_the_api(
    db: Database, box: Sandbox, seeded: Seeded
) -> None:
    bob = await signed_in(box, "U_BOB")
    bob_page = await get(box, "/dashboard/directory", bob)
    assert "Edit the directory" not in bob_page.text
    bob_csrf = bob_page.text.split('"X-CSRF-Token": "', 1)[1].split('"', 1)[0]
    fields = {"name": "Returns", "owners": "U_CAROL", "keywords": "return, exchange"}
    refused = await post(box, "/dashboard/directory/topics", bob, {**fields, "csrf": bob_csrf})
    assert refused.status_code == 403

    alice = await signed_in(box, "U_ALICE")
    page = await get(box, "/dashboard/directory", alice)
    csrf = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    assert "Edit Billing" in page.text
    # The forms are drawn once, in the page, not in its <title> too (a browser shows that
    # as text in the tab).
    assert "<title>Directory · Handoff dashboard</title>" in page.text
    assert page.text.count('id="edit"') == 1 and page.text.count("<summary>Add a topic") == 1

    added = await post(box, "/dashboard/directory/topics", alice, {**fields, "csrf": csrf})
    assert added.status_code == 303
    bad = {"name": "Billing", "owners": "bob", "csrf": csrf}
    wrong = await post(box, f"/dashboard/directory/topics/{seeded.billing_topic}", alice, bad)
    assert wrong.status_code == 422 and "is not a user id" in wrong.text
    taken = {"name": "returns", "owners": "U_BOB", "csrf": csrf}
    clash = await post(box, f"/dashboard/directory/topics/{seeded.billing_topic}", alice, taken)
    assert clash.status_code == 422 and "already exists" in clash.text
    change = {"name": "Billing", "owners": "U_BOB, @billing", "backup": "", "csrf": csrf}
    changed = await post(box, f"/dashboard/directory/topics/{seeded.billing_topic}", alice, change)
    assert changed.status_code == 303

    async with db.uow() as uow:
        topics = {t.name: t for t in await uow.directory.topics("T0001")}
    assert topics["Returns"].owners == ["U_CAROL"] and topics["Returns"].keywords == [
        "return",
        "exchange",
    ]
    assert topics["Billing"].owners == ["U_BOB", "@billing"] and topics["Billing"].backup is None
    assert topics["Billing"].updated_by == "dashboard:U_ALICE"

    remove = f"/dashboard/directory/topics/{topics['Returns'].id}/remove"
    assert (await post(box, remove, alice, {"csrf": csrf})).status_code == 422  # box not ticked
    assert (await post(box, remove, alice, {"csrf": csrf, "confirm": "yes"})).status_code == 303
    async with db.uow() as uow:
        assert "Returns" not in {t.name for t in await uow.directory.topics("T0001")}


async def test_every_list_exports_csv_and_the_overview_exports_json(
    box: Sandbox, seeded: Seeded
) -> None:
    bob = await signed_in(box, "U_BOB")
    people = list(csv.reader(io.StringIO((await get(box, "/dashboard/people.csv", bob)).text)))
    assert people[0][0] == "list" and [r[0] for r in people[1:]] == ["waiting on me"]
    assert people[1][-1] == "Password reset link never arrives"
    topics = list(csv.reader(io.StringIO((await get(box, "/dashboard/directory.csv", bob)).text)))
    assert [r[0] for r in topics] == ["topic", "Billing", "Shipping"]
    figures = (await get(box, "/dashboard/overview.json", bob)).json()
    assert figures["charts"]["open-age"]["rows"] == [
        ["Under a day", "1"],
        ["1-3 days", "0"],
        ["Older", "0"],
    ]
    assert figures["dead_letters"] == 0  # Bob is not an admin
    assert (await get(box, "/dashboard/overview.json", None)).status_code == 401


async def test_two_clicks_on_one_link_sign_in_once(box: Sandbox) -> None:
    import asyncio

    token = token_of(await link_from_chat(box, "U_BOB"))
    answers = await asyncio.gather(*(spend(box, token) for _ in range(4)))
    assert sorted(a.status_code for a in answers) == [303, 410, 410, 410]


async def test_a_request_story_shows_its_promise_to_the_customer_and_its_check(
    box: Sandbox, db: Database, seeded: Seeded
) -> None:
    story = await get(box, f"/dashboard/requests/{seeded.refund}", await signed_in(box, "U_ALICE"))
    assert "Promises and checks" not in story.text  # none made: no empty panel
    async with db.uow() as uow:
        hops = await uow.handoffs.chain(seeded.refund)
    confirmed = hops[-1].id
    by = datetime(2026, 11, 12, 15, 0, tzinfo=UTC)
    await add_followup(db, hops[0].id, by=by, status="replaced", recipient="U_ERIN")
    await add_followup(db, confirmed, by=by, status="broken", closed=by, recipient="U_ALICE")
    await add_followup(db, confirmed, kind="check", recipient="U_ALICE")
    html = (
        await get(box, f"/dashboard/requests/{seeded.refund}", await signed_in(box, "U_ALICE"))
    ).text
    assert "Promises and checks" in html
    assert "Alice Andrews promised the customer an answer by" in html
    assert "2026-11-12 15:00 UTC" in html and "<em>broken</em>" in html
    assert "Erin Evans promised" not in html  # a replaced promise is not listed
    assert "Customer check, asking Alice Andrews" in html and "<em>asked</em>" in html


async def test_the_people_page_says_what_was_promised_to_the_customer(
    box: Sandbox, db: Database, seeded: Seeded
) -> None:
    bob = await signed_in(box, "U_BOB")
    assert "promised" not in (await get(box, "/dashboard/people", bob)).text
    async with db.uow() as uow:
        (hop,) = await uow.handoffs.chain(seeded.today)  # open on Bob, handed off by Alice
    await add_followup(db, hop.id, by=datetime(2026, 12, 1, 15, 0, tzinfo=UTC))
    html = (await get(box, "/dashboard/people", bob)).text
    assert "The customer was promised an answer by <strong>2026-12-01 15:00 UTC</strong>" in html
    alice = (await get(box, "/dashboard/people", await signed_in(box, "U_ALICE"))).text
    assert "2026-12-01 15:00 UTC" in alice  # the handler, who is waiting on Bob, sees it too
