"""`handoff demo` tells the whole story in readable text: the card, the redirect, the confirm."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.devtools.demo import run_demo


def calls(out: str) -> dict[str, list[str]]:
    """Each printed Web API call (`  → headline`) with the lines it said, by headline.

    A headline that repeats keeps every occurrence's lines, joined in order."""
    found: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in out.splitlines():
        if line.startswith("  → "):
            current = found.setdefault(line[4:].rstrip(":"), [])
        elif line.startswith("      ") and current is not None:
            current.append(line.strip())
        else:
            current = None
    return found


@pytest.fixture
async def demo_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    code = await run_demo(f"sqlite:///{tmp_path / 'demo.db'}")
    out = capsys.readouterr().out
    assert code == 0, out
    return out


async def test_demo_shows_the_card_redirect_and_confirmation(demo_output: str) -> None:
    said = calls(demo_output)
    assert "reactions.add :inbox_tray: on #support" in said

    to_erin = " ".join(said["DM to @erin"])
    assert "@alice handed a customer request to @erin" in to_erin
    assert "Customer: Jane Doe" in to_erin
    assert "(jane@customer.example · +1 415 555 0100)" in to_erin
    assert "[I've got it] [Not me: suggest someone] [Resolved] [Cancel handoff]" in to_erin

    assert 'views.open: the "Suggest someone" form' in said
    to_bob = " ".join(said["DM to @bob"])
    assert "@erin redirected a customer request to @bob" in to_bob
    assert "Why @bob Refunds are Bob's" in to_bob

    confirmed = " ".join(said["chat.update of the card in #support, changed"])
    assert "+ :white_check_mark: @bob owns this since" in confirmed
    assert "- [I've got it]" in confirmed
    to_alice = " ".join(said["DM to @alice"])
    assert "@bob confirmed they own the request from Jane Doe" in to_alice
    assert "/handoff answered (only Alice sees it): :handshake: Handed to @erin" in demo_output
    assert demo_output.rstrip().splitlines()[-1].startswith("Done: @bob owns Jane Doe's request")


async def test_demo_shows_slack_markup_as_a_person_reads_it(demo_output: str) -> None:
    said = calls(demo_output)
    card = said["chat.postMessage to #support (thread 1700000000.000100)"]
    # Slack delivers the customer's "&" as &amp;; the card must not escape it a second time.
    assert (
        "> I was charged twice for my March invoice (Pro plan & add-ons), please refund one."
        in card
    )
    # The note says "INV-0312 & up"; the bot escapes it to &amp; for Slack, the demo shows "&".
    assert "Note" in card and "invoice INV-0312 & up." in " ".join(card)
    for raw in ("&amp;", "&lt;", "&gt;", "<@U", "<#C", "<!date", "*Customer:*"):
        assert raw not in demo_output


async def test_demo_shows_the_customer_check(demo_output: str) -> None:
    """Issue 18: a working day after Bob confirmed, Alice is asked; *Not yet* reminds Bob."""
    said = calls(demo_output)
    to_alice = " ".join(said["DM to @alice"])
    assert "Did @bob reach Jane Doe?" in to_alice and "[Yes, it's handled] [Not yet]" in to_alice
    to_bob = " ".join(said["DM to @bob"])
    assert "@alice says Jane Doe hasn't heard from you yet" in to_bob
    assert "jane@customer.example · +1 415 555 0100" in to_bob


async def test_demo_shows_a_split_request_with_every_part_and_owner(demo_output: str) -> None:
    split = demo_output[demo_output.index("\n7. ") :]
    assert "Split into 2 parts" in split
    assert "handed part 1 of a customer request to @bob" in split
    assert "handed part 2 of a customer request to @erin" in split
    assert "1. @bob: refund the shipping (waiting for them to confirm)" in split
    assert "+ 2. @erin: send a new parcel (confirmed)" in split  # Bob's card, redrawn
    assert "@bob has refund the shipping and @erin has send a new parcel" in split
    assert "Sam Lee's request is split" in split


async def test_demo_shows_the_follow_up_and_the_digests(demo_output: str) -> None:
    """The rest of the story: Bob, who hasn't confirmed his part, is reminded in his working
    hours and Alice is told how it stands; the next morning the team digest and Alice's own
    digest list what still waits."""
    reminded = demo_output[demo_output.index("\n9. ") : demo_output.index("\n10. ")]
    said = calls(reminded)
    to_bob = " ".join(said["DM to @bob"])
    assert ":alarm_clock: Reminder 1:" in to_bob and "[Remind me in 1 hour]" in to_bob
    assert "Still waiting on @bob to confirm part 1" in " ".join(said["DM to @alice"])
    # In his working hours (mon-fri 09:00-18:00), in his own time zone, whenever it runs.
    local = re.search(r"(\d\d):(\d\d) for Bob in New York, in his working hours", reminded)
    assert local is not None, reminded
    assert "09:00" <= local.group(0)[:5] <= "18:00", reminded

    morning = calls(demo_output[demo_output.index("\n10. ") :])
    team = " ".join(morning["chat.postMessage to #general"])
    assert ":sunrise: Handoff digest" in team and "1 unconfirmed handoff" in team
    assert "part 1 of 2: refund the shipping · @bob (from @alice)" in team
    assert "You handed off, not yet confirmed (1)" in " ".join(morning["DM to @alice"])


async def test_demo_answers_of_several_lines_stay_under_their_headline(demo_output: str) -> None:
    who = demo_output[demo_output.index("\n5. ") : demo_output.index("\n6. ")]
    lines = who.strip().splitlines()
    # The last answer: on a busy machine the ack says it is looking, and the answer follows.
    answered = max(i for i, line in enumerate(lines) if "/handoff who answered" in line)
    assert len(lines) > answered + 1
    for line in lines[answered + 1 :]:
        assert line.startswith("      "), who
