"""Customer and colleague text is shown, never acted on: no @channel, no stray mentions, no
double-escaped `&amp;amp;`, in anything the bot sends to Slack."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from sqlalchemy import select

from bot.devtools.sandbox import Sandbox
from bot.devtools.simulator import owner_state, text_state
from bot.slack.ids import Action
from bot.slack.ids import Block as B
from db.models import Handoff
from db.uow import Database

MESSAGE_METHODS = ("chat.postMessage", "chat.update", "chat.postEphemeral")

# As Slack delivers a customer's message: what they typed as `&`, `<`, `>` arrives as entities,
# and what Slack turned into markup (an @channel, a mention, a group) arrives raw.
CUSTOMER_TS = "1700000000.000100"
CUSTOMER_TEXT = (
    "Hello <!channel> <!here> <!everyone>, ask <@U_CAROL> or <@U_CAROL|carol> or "
    "<!subteam^S_BILLING|@billing>. Tom &amp; Jerry say 1 &lt; 2 &gt; 0 and &lt;b&gt;bold&lt;/b&gt;"
)
# An email forwarder (a bot) whose From line carries a name with an ampersand and a ping.
EMAIL_TS = "1700000000.000300"
EMAIL_TEXT = (
    "From: Tom &amp; Jerry <!here> <mailto:tj@customer.example|tj@customer.example>\n"
    "<!everyone> my order &lt;1042&gt; never came"
)
# A /handoff note as Slack sends command text (escaping on): markup raw, `&<>` as entities.
NOTE = (
    "R&amp;D says <!channel> <!here|here> <!everyone> <@U_CAROL|carol> "
    "<!subteam^S_BILLING|@billing> &lt;urgent&gt;"
)
# A redirect reason typed in a modal: plain_text_input values arrive as typed, unescaped.
REASON = "Carol & co know <!here> <@U_CAROL> <!subteam^S_BILLING> <b>billing</b>"

# Markup that pings someone, in any form Slack accepts (`<!here|here>`, `<@U_CAROL|carol>`).
PINGS = re.compile(r"<!(?:channel|here|everyone)\b|<@U_CAROL\b|<!subteam\^S_BILLING\b")


def link(ts: str) -> str:
    return f"<https://acme.slack.com/archives/C_SUPPORT/p{ts.replace('.', '')}>"


def strings(value: Any) -> Iterator[str]:
    """Every string anywhere in a payload: text objects, fields, contexts, buttons."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def message_texts(payload: dict[str, Any]) -> list[str]:
    """The top-level text and every string in the blocks: what Slack renders."""
    return [str(payload.get("text") or ""), *strings(payload.get("blocks") or [])]


async def test_customer_and_colleague_text_never_pings_anyone_and_is_escaped_once(
    sandbox: Sandbox, db: Database
) -> None:
    sim, slack = sandbox.sim, sandbox.slack
    slack.workspace.add_message("C_SUPPORT", CUSTOMER_TS, CUSTOMER_TEXT, user="U_JANE")
    slack.workspace.add_message("C_SUPPORT", EMAIL_TS, EMAIL_TEXT, bot_id="B_MAIL")
    assert (await sim.message("C_SUPPORT", CUSTOMER_TS, CUSTOMER_TEXT, user="U_JANE")).is_success
    email = await sim.message("C_SUPPORT", EMAIL_TS, EMAIL_TEXT, bot_id="B_MAIL", username="Mail")
    assert email.is_success
    answers: list[dict[str, Any]] = []
    for ts in (CUSTOMER_TS, EMAIL_TS):
        response = await sim.command(f"<@U_BOB|bob> {link(ts)} {NOTE}", user="U_ALICE")
        assert response.status_code == 200
        answers.append(response.json())
    assert all("Handed to <@U_BOB>" in a["text"] for a in answers)
    # Refusals that quote what was typed back to the person who typed it.
    for text in ("<!channel> please", f"@bob {link(CUSTOMER_TS)}", "<https://x.example/&amp;>"):
        response = await sim.command(text, user="U_ALICE")
        assert response.status_code == 200
        answers.append(response.json())
    await sandbox.settle()

    async with db.uow() as uow:
        hops = {h.request_id: h for h in (await uow.session.scalars(select(Handoff))).all()}
    first, second = sorted(hops.values(), key=lambda h: h.id)
    assert (
        await sim.click(Action.CONFIRM, str(first.id), user="U_BOB", channel="C_SUPPORT")
    ).is_success
    await sim.click(Action.REDIRECT, str(second.id), user="U_BOB", channel="C_SUPPORT")
    redirect_view = slack.calls_to("views.open")[-1].args["view"]
    submitted = await sim.submit(
        redirect_view,
        {B.OWNER: owner_state("U_ERIN"), B.REASON: text_state(REASON)},
        user="U_BOB",
    )
    assert submitted.status_code == 200 and "errors" not in submitted.text
    # A second confirm: the refusal goes out as an ephemeral, through the outbox.
    await sim.click(Action.CONFIRM, str(first.id), user="U_BOB", channel="C_SUPPORT")
    await sandbox.settle()

    sent = [c for c in slack.calls if c.method in MESSAGE_METHODS]
    assert {c.method for c in sent} == set(MESSAGE_METHODS)
    texts = [t for c in sent for t in message_texts(c.args)] + [a["text"] for a in answers]
    everything = "\n".join(texts)

    pings = sorted({m.group(0) for t in texts for m in PINGS.finditer(t)})
    assert pings == [], f"customer or colleague markup sent unescaped: {pings}"
    for call in slack.calls:
        assert "link_names" not in call.args and "parse" not in call.args, call
    # The text did reach Slack, reading as typed: what the customer or a colleague typed as
    # `&`, `<`, `>` is escaped exactly once. (Slack's own markup in it, the pings above, may be
    # shown as words such as "@channel", but never as markup.)
    assert "> Hello " in everything  # the customer's message, quoted in the card
    assert "Tom &amp; Jerry say 1 &lt; 2 &gt; 0" in everything
    assert "&lt;b&gt;bold&lt;/b&gt;" in everything
    assert "Tom &amp; Jerry" in everything  # the forwarded email's sender, as the customer name
    assert "my order &lt;1042&gt; never came" in everything
    assert "R&amp;D says" in everything and "&lt;urgent&gt;" in everything  # the /handoff note
    # The modal reason was typed into a plain-text box: all of it is text, shown as typed.
    assert "Carol &amp; co know &lt;!here&gt; &lt;@U_CAROL&gt;" in everything
    assert "&lt;b&gt;billing&lt;/b&gt;" in everything
    # ... never twice (`&amp;amp;` shows the reader "&amp;").
    assert not re.search(r"&amp;(?:amp|lt|gt);", everything), re.findall(
        r".{0,30}&amp;(?:amp|lt|gt);.{0,30}", everything
    )
    # ... and the mentions the bot composes from ids still work.
    assert "<@U_BOB>" in everything and "<@U_ALICE>" in everything and "<@U_ERIN>" in everything
