"""Whatever is typed after /handoff, the person gets an answer: a handoff, a form, or words
that say what to do. Never a server error, never silence."""

from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.devtools.sandbox import Sandbox
from bot.slack.ids import Action
from db.models import Handoff, Request
from db.uow import Database

TS = "1700000000.000100"
LINK = "<https://acme.slack.com/archives/C_SUPPORT/p1700000000000100>"
SECRET_LINK = "https://x.slack.com/archives/C_SECRET/p1700000000000999"
OWNERS = [
    "<@U_BOB|bob>",
    "<@U_BOB>",
    "<!subteam^S_BILLING|@billing>",
    "<!subteam^S_EMPTY|@nobody>",
    "<@U_ALICE|alice>",  # the person typing: a self-handoff
    "<@U_DAVE|dave>",  # deactivated
    "<@U_HELPER|helperbot>",  # a bot
    "<@U_NOBODY|ghost>",  # not in the workspace
]
LINKS = [
    LINK,
    "https://acme.slack.com/archives/C_SUPPORT/p1700000000000100",
    f"<https://acme.slack.com/archives/C_SUPPORT/p1700000000000100?thread_ts={TS}&amp;cid=C_SUPPORT>",
    SECRET_LINK,
    "<https://acme.slack.com/archives/C_SUPPORT/p1700000000000555>",  # no such message
    "<https://acme.slack.com/archives/C_NOPE/p1700000000000100>",  # no such channel
    "<https://example.com/archives/C_SUPPORT/p1700000000000100>",
    "<https://acme.slack.com/team/U_BOB>",
]
FRAGMENTS = [
    *OWNERS,
    *LINKS,
    "@bob",
    "help",
    "HELP",
    "?",
    "<",
    ">",
    "&",
    "&amp;",
    "&lt;",
    "<>",
    "<!channel>",
    "<!here|here>",
    "<#C_SUPPORT|support>",
    "<mailto:jane@customer.example|jane@customer.example>",
    "refund 💸 für Jane — 請",
    "nul\x00byte",
]

long_text = st.builds(
    lambda unit, times: unit * times,
    st.sampled_from(["a", "é", "💸", "<", "&", "x y ", LINK + " "]),
    st.integers(min_value=4001, max_value=4600),
).map(lambda text: text[:4600])
long_url = st.integers(min_value=4001, max_value=4600).map(
    lambda n: "https://example.com/" + "a" * n
)
piece = st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=24), long_text, long_url)
free_form = st.lists(piece, max_size=6).map(" ".join)
well_formed = st.builds(
    lambda owner, link, note, swap: f"{link} {owner} {note}" if swap else f"{owner} {link} {note}",
    st.sampled_from(OWNERS),
    st.sampled_from(LINKS),
    st.one_of(st.text(max_size=40), long_text, st.sampled_from(FRAGMENTS), long_url),
    st.booleans(),
)
part_note = st.one_of(
    st.text(max_size=30), st.sampled_from(FRAGMENTS), st.sampled_from(["", " ", ";", ":"])
)
part = st.builds(
    lambda owner, colon, note: f"{owner}{colon}{note}",
    st.sampled_from([*OWNERS, "@erin", "<@U_ERIN|erin>", "<@U_CAROL>"]),
    st.sampled_from([": ", ":", " : ", " "]),
    part_note,
)
# The part syntax (issue 18): `<link> @bob: the refund; @carol: the parcel`, up to 7 parts.
split_up = st.builds(
    lambda link, parts, sep: f"{link} " + sep.join(parts),
    st.sampled_from(LINKS),
    st.lists(part, min_size=1, max_size=7),
    st.sampled_from(["; ", ";", " ; ", ";;"]),
)
command_text = st.one_of(free_form, well_formed, split_up, st.sampled_from(["", " ", "help"]))


async def counts(db: Database) -> tuple[int, int]:
    async with db.uow() as uow:
        handoffs = (await uow.session.execute(select(func.count()).select_from(Handoff))).scalar()
        requests = (await uow.session.execute(select(func.count()).select_from(Request))).scalar()
    return int(handoffs or 0), int(requests or 0)


async def customer_request(sandbox: Sandbox) -> None:
    """Once per sandbox: the customer's message exists in #support and is tracked."""
    if TS in sandbox.slack.workspace.messages.get("C_SUPPORT", {}):
        return
    sandbox.slack.workspace.add_message("C_SUPPORT", TS, "I was charged twice", user="U_JANE")
    response = await sandbox.sim.message("C_SUPPORT", TS, "I was charged twice", user="U_JANE")
    assert response.status_code == 200


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(text=command_text)
@example(text=f"{LINK} <@U_BOB|bob>: the refund; <@U_ERIN|erin>: the parcel")
@example(text=f"{LINK} <@U_BOB|bob>: the refund; <@U_ERIN|erin>: the parcel")  # again
@example(text=f"{LINK} " + "; ".join(f"<@U_{n}>: thing" for n in "ABCDEF"))
async def test_any_handoff_text_gets_a_handoff_a_form_or_an_explanation(
    sandbox: Sandbox, db: Database, text: str
) -> None:
    await customer_request(sandbox)
    handoffs_before, requests_before = await counts(db)
    forms_before = len(sandbox.slack.calls_to("views.open"))

    response = await sandbox.sim.command(text, user="U_ALICE")

    assert response.status_code == 200, response.text
    handoffs, requests = await counts(db)
    forms = len(sandbox.slack.calls_to("views.open"))
    answer = response.json() if response.content else {}
    assert requests == requests_before  # the only message that can be linked is tracked
    if handoffs > handoffs_before:
        added = handoffs - handoffs_before
        if added == 1:
            assert "Handed to" in answer["text"]
        else:  # a split: one hop a part, all named in the answer
            assert 2 <= added <= 5 and f"Split into {added} parts" in answer["text"]
        async with db.uow() as uow:
            new = (
                await uow.session.scalars(select(Handoff).order_by(Handoff.id.desc()).limit(added))
            ).all()
            request = await uow.requests.get(new[0].team_id, new[0].request_id)
        assert request is not None
        assert (request.channel_id, request.message_ts) == ("C_SUPPORT", TS)
        assert all(h.handler_id == "U_ALICE" and h.status == "pending" for h in new)
        assert all(h.owner_id in ("U_BOB", "S_BILLING", "U_ERIN", "U_CAROL") for h in new)
        assert len({h.owner_id for h in new}) == added  # never one owner twice
        # Free the request for the next example, as the handler would: cancel the handoffs.
        for hop in new:
            cancel = await sandbox.sim.click(
                Action.CANCEL, str(hop.id), user="U_ALICE", channel="C_SUPPORT"
            )
            assert cancel.status_code == 200
    elif forms > forms_before:
        assert forms == forms_before + 1  # the pick-a-request form; the ack may be empty
    else:
        assert answer.get("response_type") == "ephemeral", answer
        assert answer.get("text", "").strip(), answer
        assert len(answer["text"]) <= 4000, "Slack truncates answers past 4,000 characters"
