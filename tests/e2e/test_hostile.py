"""A hostile corpus through every entry point of the real app, signed and unsigned.

Unsigned or wrongly signed: 401 before the body is read as text, and nothing written or sent.
Signed but unreadable (not UTF-8, JSON 3,000 levels deep, not JSON, not an object): a 400 that
tells Slack not to retry, one log line without a traceback, and a count by reason.
Signed and readable, whatever the text (lone surrogates, NUL, 40k characters, pings, zero-width
and bidi characters): never a 5xx, every request stored (bad code points replaced), no ping.
"""

from __future__ import annotations

import json
import logging
import time
from urllib.parse import quote

import httpx
import pytest
from slack_bolt.request.async_request import AsyncBoltRequest
from sqlalchemy import select

from bot import metrics
from bot.devtools.sandbox import SIGNING_SECRET, Sandbox
from bot.devtools.simulator import owner_state, sign, text_state
from bot.slack.ids import SHORTCUT_CALLBACK, Action
from bot.slack.ids import Block as B
from db.models import Handoff, Request, Topic
from db.uow import Database
from tests.api.conftest import AUTH, TEAM, TOKEN
from tests.e2e.test_escaping import MESSAGE_METHODS, PINGS, message_texts, strings
from tests.e2e.test_signing import FORGED, assert_nothing_happened, row_counts

PING_TEXT = (
    "<!channel> <!here> <!everyone> <!here|here> <@U_CAROL> <@U_CAROL|carol> "
    "<!subteam^S_BILLING|@billing> <!subteam^S_BILLING>"
)
# Each is a customer's or a colleague's text. A lone surrogate is what a JSON `"\ud800"` escape
# decodes to; PostgreSQL refuses it (and NUL) in a text column.
TEXTS = {
    "surrogates": "Charged twice \ud800 for \udfff invoice \udbff\ud7ff 1042",
    "nul": "Refund\x00 for invoice 1042, please\x00",
    "pings": f"Invoice 1042 {PING_TEXT}",
    "invisible": "Invoice\u200b 1042\u200c\u200d\u2060\ufeff \u202eevil\u202c \u2066x\u2069 \u061c",
    "long": ("Invoice 1042 was charged twice. " * 1300)[:40_000] + PING_TEXT,
}
SURROGATE = "\ud800"
# Deep enough that json.loads and any recursive walk of the result hit Python's recursion limit.
DEEP_OBJECT = '{"a":' * 3000 + "1" + "}" * 3000
DEEP_ARRAY = "[" * 3000 + "]" * 3000
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


def link(ts: str, channel: str = "C_SUPPORT") -> str:
    return f"<https://acme.slack.com/archives/{channel}/p{ts.replace('.', '')}>"


def form(fields: dict[str, str]) -> bytes:
    """A form body as Slack would send it; a lone surrogate goes out as the (invalid) UTF-8
    bytes it would take, the way a broken client would send it."""
    pairs = (f"{quote(k)}={quote(v.encode('utf-8', 'surrogatepass'))}" for k, v in fields.items())
    return "&".join(pairs).encode()


def command_fields(text: str, *, user: str = "U_ALICE") -> dict[str, str]:
    return {
        "token": "legacy",
        "team_id": "T0001",
        "channel_id": "C_SUPPORT",
        "user_id": user,
        "command": "/handoff",
        "text": text,
        "api_app_id": "A0001",
        "response_url": "http://127.0.0.1:9/response/x",
        "trigger_id": "trigger.hostile",
    }


def unreadable_bodies(sandbox: Sandbox) -> dict[str, tuple[bytes, str]]:
    """(body, content type) that no Slack parser can read, by the reason they are counted."""
    event = json.dumps(sandbox.sim.envelope({"type": "message", "channel": "C_SUPPORT"}))
    return {
        "not_utf8": (event.replace("C_SUPPORT", "C_\xff").encode("latin-1"), JSON),
        "not_utf8_form": (b"command=%2Fhandoff&text=caf\xe9 \xff", FORM),
        "too_deep": (DEEP_OBJECT.encode(), JSON),
        "too_deep_array": (DEEP_ARRAY.encode(), JSON),
        "too_deep_payload": (form({"payload": DEEP_OBJECT}), FORM),
        "not_json": (b'{"type": "event_callback", ', JSON),
        "not_json_payload": (form({"payload": "{not json"}), FORM),
        "not_an_object": (b'["event_callback"]', JSON),
        "not_an_object_payload": (form({"payload": '"block_actions"'}), FORM),
        "not_an_object_number": (b"1" * 5000, JSON),
    }


REASONS = {
    "not_utf8": "not_utf8",
    "not_utf8_form": "not_utf8",
    "too_deep": "too_deep",
    "too_deep_array": "too_deep",
    "too_deep_payload": "too_deep",
    "not_json": "not_json",
    "not_json_payload": "not_json",
    "not_an_object": "not_an_object",
    "not_an_object_payload": "not_an_object",
    "not_an_object_number": "not_json",  # past Python's 4,300-digit limit for int()
}


async def post_raw(
    sandbox: Sandbox, body: bytes, content_type: str, headers: dict[str, str]
) -> httpx.Response:
    # As bytes: a header Slack never sends ("²") is not ASCII.
    raw = {k: v.encode("latin-1") for k, v in {"Content-Type": content_type, **headers}.items()}
    return await sandbox.http.post("/slack/events", content=body, headers=raw)


def unreadable_count(reason: str) -> float:
    labels = {"reason": reason}
    return metrics.REGISTRY.get_sample_value("handoff_slack_unreadable_total", labels) or 0.0


async def test_unsigned_or_forged_hostile_bodies_get_401_and_change_nothing(
    sandbox: Sandbox, db: Database
) -> None:
    before = await row_counts(db)
    stamp = str(int(time.time()))
    bodies = {
        **unreadable_bodies(sandbox),
        "surrogate_event": (
            json.dumps(sandbox.sim.envelope({"type": "message", "text": SURROGATE})).encode(),
            JSON,
        ),
        "long": (json.dumps({"text": TEXTS["long"]}).encode(), JSON),
        "pings": (form(command_fields(PING_TEXT)), FORM),
    }
    header_sets = {
        "forged": {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": FORGED},
        "no signature": {"X-Slack-Request-Timestamp": stamp},
        "no timestamp": {"X-Slack-Signature": FORGED},
        "nothing": {},
        # Digits to str.isdigit(), not to int(): "²" once made a 500.
        "superscript timestamp": {"X-Slack-Request-Timestamp": "\xb2", "X-Slack-Signature": FORGED},
        "huge timestamp": {"X-Slack-Request-Timestamp": "9" * 5000, "X-Slack-Signature": FORGED},
    }
    statuses = {}
    for body_name, (body, content_type) in bodies.items():
        for header_name, headers in header_sets.items():
            response = await post_raw(sandbox, body, content_type, headers)
            statuses[f"{body_name} / {header_name}"] = response.status_code
            assert "Traceback" not in response.text
    # Signed right, but with a secret that is not ours, or too long ago.
    old = str(int(time.time()) - 6 * 60)
    for body_name, (body, content_type) in bodies.items():
        for label, secret, at in (("other secret", "other", stamp), ("stale", SIGNING_SECRET, old)):
            signed = {"X-Slack-Request-Timestamp": at, "X-Slack-Signature": sign(secret, at, body)}
            response = await post_raw(sandbox, body, content_type, signed)
            statuses[f"{body_name} / {label}"] = response.status_code

    assert {name: s for name, s in statuses.items() if s != 401} == {}
    await assert_nothing_happened(sandbox, db, before)


async def test_signed_unreadable_bodies_get_400_no_retry_and_are_counted_once(
    sandbox: Sandbox, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    before = await row_counts(db)
    counts = {reason: unreadable_count(reason) for reason in set(REASONS.values())}
    caplog.set_level(logging.INFO)

    answers = {}
    for name, (body, content_type) in unreadable_bodies(sandbox).items():
        response = await sandbox.sim.post(body, content_type=content_type)
        answers[name] = (response.status_code, response.headers.get("x-slack-no-retry"))
        assert REASONS[name] in response.json()["error"], response.text

    assert answers == {name: (400, "1") for name in answers}
    for reason in set(REASONS.values()):
        expected = counts[reason] + sum(1 for r in REASONS.values() if r == reason)
        assert unreadable_count(reason) == expected, reason
    records = [r for r in caplog.records if "unreadable" in r.getMessage()]
    assert len(records) == len(answers)
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"
    await assert_nothing_happened(sandbox, db, before)


async def test_a_lone_surrogate_in_a_customer_message_is_stored_replaced_not_lost(
    sandbox: Sandbox, db: Database
) -> None:
    """Fault 2: PostgreSQL refused the insert, the answer was 500 and Slack's retries failed
    the same way, so the request was lost."""
    text = TEXTS["surrogates"]
    sandbox.slack.workspace.add_message("C_SUPPORT", "1700000000.000100", text, user="U_JANE")
    response = await sandbox.sim.message("C_SUPPORT", "1700000000.000100", text, user="U_JANE")

    assert response.status_code == 200
    async with db.uow() as uow:
        (request,) = (await uow.session.scalars(select(Request))).all()
    assert request.text == "Charged twice \ufffd for \ufffd invoice \ufffd\ud7ff 1042"


async def test_socket_mode_payloads_are_cleaned_like_http_ones(
    sandbox: Sandbox, db: Database
) -> None:
    """Socket Mode hands Bolt a parsed payload and never passes through the HTTP route."""
    text = TEXTS["surrogates"]
    ts = "1700000000.000100"
    sandbox.slack.workspace.add_message("C_SUPPORT", ts, text, user="U_JANE")
    event = {"type": "message", "channel": "C_SUPPORT", "user": "U_JANE", "text": text, "ts": ts}
    command = command_fields(f"who {text}")
    bolt = sandbox.runtime.bolt

    received = await bolt.async_dispatch(
        AsyncBoltRequest(mode="socket_mode", body=sandbox.sim.envelope(event))
    )
    answered = await bolt.async_dispatch(AsyncBoltRequest(mode="socket_mode", body=command))

    assert (received.status, answered.status) == (200, 200)
    async with db.uow() as uow:
        (request,) = (await uow.session.scalars(select(Request))).all()
    assert request.text == "Charged twice \ufffd for \ufffd invoice \ufffd\ud7ff 1042"
    answer = json.loads(answered.body)["text"]
    assert "Charged twice \ufffd for \ufffd" in answer and SURROGATE not in answer


class Exchanges:
    """Every answer the app gave, by what was asked, for one look at all of them."""

    def __init__(self) -> None:
        self.responses: dict[str, httpx.Response] = {}

    def add(self, label: str, response: httpx.Response) -> httpx.Response:
        self.responses[label] = response
        return response

    def server_errors(self) -> dict[str, int]:
        return {k: r.status_code for k, r in self.responses.items() if r.status_code >= 500}


async def through_slack(sandbox: Sandbox, db: Database, name: str, text: str, n: int) -> Exchanges:
    """`text` as a customer message, an email forwarder's sender, a /handoff note and words,
    a shortcut's message, a modal's note and reason, a button value and App Home's tab."""
    sim, ws, seen = sandbox.sim, sandbox.slack.workspace, Exchanges()
    ts, mail_ts, other_ts = (
        f"17000000{n:02d}.000100",
        f"17000000{n:02d}.000200",
        f"1700000{n:03d}.1",
    )
    ws.add_message("C_SUPPORT", ts, text, user="U_JANE")
    seen.add(f"{name}: message", await sim.message("C_SUPPORT", ts, text, user="U_JANE"))
    mail = f"From: {text}\n{text}"
    ws.add_message("C_SUPPORT", mail_ts, mail, bot_id="B_MAIL", username=text)
    seen.add(
        f"{name}: email",
        await sim.message("C_SUPPORT", mail_ts, mail, bot_id="B_MAIL", username=text),
    )
    home = {"type": "app_home_opened", "user": "U_ALICE", "channel": "D_ALICE", "tab": text}
    seen.add(f"{name}: app home", await sim.event(home))
    # No listener of its own: the catch-all acknowledges it, whatever it says.
    mention = {"type": "app_mention", "user": "U_JANE", "channel": "C_SUPPORT", "text": text}
    seen.add(f"{name}: app mention", await sim.event({**mention, "ts": f"{ts}1"}))
    for label, typed in (
        ("handoff", f"<@U_BOB|bob> {link(ts)} {text}"),
        ("handoff short note", f"<@U_BOB|bob> {link(mail_ts)} {text[:1000]}"),
        ("who", f"who {text}"),
        ("directory", f"directory {text}"),
        ("help", f"help {text}"),
        ("unrecognised", text),
    ):
        body = form(command_fields(typed))
        seen.add(f"{name}: /handoff {label}", await sim.post(body, content_type=FORM))
    await sandbox.settle()

    message = ws.add_message("C_GENERAL", other_ts, text, user="U_JANE")
    shortcut = await sim.shortcut(
        SHORTCUT_CALLBACK, user="U_ALICE", channel="C_GENERAL", message=message
    )
    seen.add(f"{name}: shortcut", shortcut)
    await sandbox.settle()
    if shortcut.status_code == 200 and sandbox.slack.calls_to("views.open"):
        view = {**sandbox.slack.calls_to("views.open")[-1].args["view"], "id": "V_SHORTCUT"}
        values = {B.OWNER: owner_state("U_BOB"), B.NOTE: text_state(text[:2000])}
        seen.add(f"{name}: shortcut form", await sim.submit(view, values, user="U_ALICE"))
    await sandbox.settle()

    async with db.uow() as uow:
        pending = await uow.session.scalars(select(Handoff).where(Handoff.status == "pending"))
        hop = pending.first()
    if hop is not None:
        clicked = await sim.click(Action.REDIRECT, str(hop.id), user="U_BOB", channel="C_SUPPORT")
        seen.add(f"{name}: redirect button", clicked)
        view = sandbox.slack.calls_to("views.open")[-1].args["view"]
        values = {B.OWNER: owner_state("U_ERIN"), B.REASON: text_state(text[:1000])}
        seen.add(f"{name}: redirect form", await sim.submit(view, values, user="U_BOB"))
    seen.add(
        f"{name}: button value",
        await sim.click(Action.CONFIRM, text[:2000], user="U_BOB", channel="C_SUPPORT"),
    )
    seen.add(
        f"{name}: digit-like button value",
        await sim.click(Action.CONFIRM, "\xb2", user="U_BOB", channel="C_SUPPORT"),
    )
    await sandbox.settle()
    return seen


def sent_texts(sandbox: Sandbox, exchanges: list[Exchanges]) -> list[str]:
    sent = [c for c in sandbox.slack.calls if c.method in MESSAGE_METHODS]
    answers = [
        str(r.json().get("text") or "")
        for e in exchanges
        for r in e.responses.values()
        if r.headers.get("content-type", "").startswith(JSON) and isinstance(r.json(), dict)
    ]
    return [t for c in sent for t in message_texts(c.args)] + answers


async def test_hostile_text_through_every_slack_entry_point_is_stored_and_never_pings(
    sandbox: Sandbox, db: Database
) -> None:
    exchanges = [
        await through_slack(sandbox, db, name, text, n)
        for n, (name, text) in enumerate(TEXTS.items(), start=1)
    ]

    assert {k: v for e in exchanges for k, v in e.server_errors().items()} == {}
    for e in exchanges:
        for label, response in e.responses.items():
            if label.endswith((": message", ": email", ": /handoff handoff short note")):
                assert response.status_code == 200, (label, response.text)
    pings = sorted({m.group(0) for t in sent_texts(sandbox, exchanges) for m in PINGS.finditer(t)})
    assert pings == [], f"customer or colleague markup sent unescaped: {pings}"
    for call in sandbox.slack.calls:
        assert "link_names" not in call.args and "parse" not in call.args, call

    # Cleaned at the boundary, not only in the database: what the bot sends back (the form
    # quoting the shortcut's message, say) carries no lone surrogate either.
    sent = [t for c in sandbox.slack.calls for t in strings(c.args)]
    assert [t for t in sent if any("\ud800" <= ch <= "\udfff" for ch in t)] == []

    async with db.uow() as uow:
        requests = (await uow.session.scalars(select(Request))).all()
        notes = [h.note for h in (await uow.session.scalars(select(Handoff))).all()]
    # Two per text from the intake channel, one per text from the shortcut: none lost.
    assert len(requests) == 3 * len(TEXTS)
    stored = [r.text for r in requests] + [r.customer_name or "" for r in requests] + notes
    assert not [s for s in stored if SURROGATE in s or "\x00" in s or "\udfff" in s]
    assert any("Charged twice \ufffd for \ufffd" in s for s in stored)
    assert any("Refund for invoice 1042, please" in s for s in stored)


async def test_hostile_text_in_the_directory_form_is_stored_or_refused_never_a_5xx(
    db: Database, database_url: str
) -> None:
    async with Sandbox(database_url, handoff_admins=["U_ALICE"]) as box:
        answers: dict[str, int] = {}
        for name, text in TEXTS.items():
            assert (await box.sim.command("directory", user="U_ALICE")).status_code == 200
            root = {**box.slack.calls_to("views.open")[-1].args["view"], "id": "V_ROOT"}
            await box.sim.act_in_view("directory_add", user="U_ALICE", view=root, value="add")
            form = box.slack.calls_to("views.push")[-1].args["view"]
            values = {
                "name": text_state(f"{name} {text[:60]}"),
                "owners": {"type": "multi_users_select", "selected_users": ["U_ERIN"]},
                "keywords": text_state(f"refund, {text[:500]}"),
                "description": text_state(text[:200]),
            }
            answers[name] = (await box.sim.submit(form, values, user="U_ALICE")).status_code
            # The same text as a user group's handle: refused on its field, in words.
            groups = {**values, "groups": text_state(text[:100])}
            refused = await box.sim.submit(form, groups, user="U_ALICE")
            answers[f"{name} as a group"] = refused.status_code
            assert refused.status_code != 200 or "groups" in refused.json()["errors"]
            await box.settle()
        assert {k: s for k, s in answers.items() if s != 200} == {}
        async with db.uow() as uow:
            stored = [t.name for t in (await uow.session.scalars(select(Topic))).all()]
        assert "surrogates Charged twice \ufffd for \ufffd invoice \ufffd\ud7ff 1042" in stored
        sent = [t for c in box.slack.calls for t in strings(c.args)]
        pings = sorted({m.group(0) for t in sent for m in PINGS.finditer(t)})
        assert pings == [], f"a topic's text sent as markup: {pings}"


async def test_hostile_bodies_on_the_rest_api_get_4xx_never_5xx(
    db: Database, database_url: str
) -> None:
    async with Sandbox(database_url, handoff_api_token=TOKEN, handoff_api_team=TEAM) as box:
        before = await row_counts(db)
        answers: dict[str, int] = {}
        topic = {"name": "Billing", "owners": ["U_BOB"], "keywords": ["refund"]}
        for name, (body, content_type) in unreadable_bodies(box).items():
            for method, path in (("POST", "/api/directory/topics"), ("PUT", "/api/directory")):
                for auth in ("token", "no token"):
                    headers = {"Content-Type": content_type, **(AUTH if auth == "token" else {})}
                    response = await box.http.request(method, path, content=body, headers=headers)
                    answers[f"{method} {path} {name} {auth}"] = response.status_code
        for name, text in TEXTS.items():
            hostile = {**topic, "name": text[:80], "description": text[:200]}
            body = json.dumps(hostile).encode()
            response = await box.http.post(
                "/api/directory/topics", content=body, headers={**AUTH, "Content-Type": JSON}
            )
            answers[f"topic named {name}"] = response.status_code
            raw = quote(text[:500].encode("utf-8", "surrogatepass"))
            for path in ("/api/requests", "/api/handoffs"):
                for param in ("owner", "channel", "cursor", "status"):
                    response = await box.http.get(f"{path}?{param}={raw}", headers=AUTH)
                    answers[f"GET {path}?{param}={name}"] = response.status_code

        assert {k: s for k, s in answers.items() if s >= 500} == {}
        assert {k: s for k, s in answers.items() if "no token" in k and s != 401} == {}
        # A topic whose name is NUL or a lone surrogate is refused whole: nothing half-written.
        assert answers["topic named surrogates"] == 422 and answers["topic named nul"] == 422
        after = await row_counts(db)
        assert {t: n for t, n in after.items() if n != before[t] and t != "topics"} == {}
