"""A digest is stored with the lines its renderers show and the counts of the rest
(`kept_team`, `kept_personal`): what Slack and Teams draw from the stored row is what they
would draw from the whole digest, "and N more" included, and the row stays small."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot.domain.digest import (
    PERSONAL_KEPT,
    TEAM_UNHANDLED_KEPT,
    TEAM_WAITING_KEPT,
    PersonalDigest,
    kept_personal,
    kept_team,
    personal_digests,
    personal_digests_kept,
)
from bot.domain.messages import (
    Kind,
    personal_digest_facts,
    personal_digest_of,
    team_digest_facts,
    team_digest_of,
)
from bot.slack import digest_blocks
from bot.teams.digests import digest_card
from db.models import OutboxMessage
from db.uow import Database
from tests.jobs.test_digest import TEAM, TUE_9, add_hop, posts, run, text_of
from tests.slack.test_digest_blocks import BASE, NOW, digest, hop, open_request

NAMES = {"U_ALICE": "Alice", "U_BOB": "Bob", "U_CAROL": "Carol"}


def stored_team(d: Any) -> Any:
    """The team digest as its outbox row carries it, and as a renderer reads it back."""
    return team_digest_of(json.loads(json.dumps(team_digest_facts(kept_team(d)))))


def stored_personal(d: PersonalDigest) -> PersonalDigest:
    return personal_digest_of(json.loads(json.dumps(personal_digest_facts(kept_personal(d)))))


def big_team() -> Any:
    # 45 waiting, oldest first, escalations among the cut ones too; 20 with no handoff.
    waiting = [hop(n, escalated=n % 4 == 0, nudges_sent=n % 6) for n in range(1, 46)]
    unhandled = [open_request(n) for n in range(1, 21)]
    return digest(waiting=waiting, unhandled=unhandled)


def big_personal() -> PersonalDigest:
    mine = [hop(n) for n in range(1, 15)]
    theirs = [
        hop(n, owner_id="U_CAROL", handler_id="U_BOB", escalated=n == 30) for n in range(20, 45)
    ]
    return PersonalDigest("T0001", "U_BOB", NOW, mine, theirs)


def test_a_stored_team_digest_keeps_the_shown_lines_and_counts_the_rest() -> None:
    whole = big_team()
    stored = stored_team(whole)
    assert [h.handoff_id for h in stored.waiting] == [
        h.handoff_id for h in whole.waiting[:TEAM_WAITING_KEPT]
    ]
    assert len(stored.unhandled) == TEAM_UNHANDLED_KEPT
    assert (stored.waiting_count, stored.unhandled_count) == (45, 20)
    assert stored.escalated == whole.escalated == 11  # counted over all 45, not the 30 kept
    assert stored.oldest == whole.oldest
    assert stored.problems == whole.problems and not stored.is_empty


def test_slack_draws_the_same_team_digest_from_the_stored_row() -> None:
    whole = big_team()
    for app_id in ("A0HANDOFF", None):
        kept = digest_blocks.team_digest(stored_team(whole), workspace_url=BASE, app_id=app_id)
        full = digest_blocks.team_digest(whole, workspace_url=BASE, app_id=app_id)
        assert kept == full
    text = json.dumps(full)
    assert "45 unconfirmed handoffs" in text and "11 escalated" in text
    assert "and 15 more" in text and "20 requests with no handoff" in text


def test_teams_draws_the_same_team_digest_from_the_stored_row() -> None:
    whole = big_team()
    kept = digest_card(Kind.TEAM_DIGEST, team_digest_facts(kept_team(whole)), NAMES)
    full = digest_card(Kind.TEAM_DIGEST, team_digest_facts(whole), NAMES)
    assert kept == full
    text = json.dumps(full)
    assert "(45)" in text and "and 35 more" in text and "(20)" in text


def test_both_platforms_draw_the_same_personal_digest_from_the_stored_row() -> None:
    whole = big_personal()
    stored = stored_personal(whole)
    assert (len(stored.to_confirm), len(stored.handed_off)) == (PERSONAL_KEPT, PERSONAL_KEPT)
    assert (stored.to_confirm_count, stored.handed_off_count) == (14, 25)
    slack = digest_blocks.personal_digest(stored, workspace_url=BASE, app_id="A0HANDOFF")
    assert slack == digest_blocks.personal_digest(whole, workspace_url=BASE, app_id="A0HANDOFF")
    text = json.dumps(slack)
    assert "14 handoffs waiting on you" in text and "25 you handed off" in text
    assert "and 4 more" in text and "and 15 more" in text
    kept = digest_card(Kind.PERSONAL_DIGEST, personal_digest_facts(kept_personal(whole)), NAMES)
    assert kept == digest_card(Kind.PERSONAL_DIGEST, personal_digest_facts(whole), NAMES)
    assert "(14)" in json.dumps(kept) and "and 15 more" in json.dumps(kept)


def test_a_row_queued_before_the_counts_were_stored_draws_as_it_did() -> None:
    """A digest row written before this change (still pending at the deploy, or dead and
    retried) carries every line and no `*_total` key: it is drawn from its whole lists, as
    it was then, on both platforms."""
    whole, mine = big_team(), big_personal()
    team = json.loads(json.dumps(team_digest_facts(whole)))
    personal = json.loads(json.dumps(personal_digest_facts(mine)))
    for facts, keys in (
        (team, ("waiting_total", "escalated_total", "unhandled_total")),
        (personal, ("to_confirm_total", "handed_off_total")),
    ):
        for key in keys:
            del facts["digest"][key]  # as the old row has it: no key at all
    old_team, old_personal = team_digest_of(team), personal_digest_of(personal)
    assert (old_team.waiting_count, old_team.escalated, old_team.unhandled_count) == (45, 11, 20)
    assert (old_personal.to_confirm_count, old_personal.handed_off_count) == (14, 25)
    for app_id in ("A0HANDOFF", None):
        assert digest_blocks.team_digest(
            old_team, workspace_url=BASE, app_id=app_id
        ) == digest_blocks.team_digest(stored_team(whole), workspace_url=BASE, app_id=app_id)
        assert digest_blocks.personal_digest(
            old_personal, workspace_url=BASE, app_id=app_id
        ) == digest_blocks.personal_digest(stored_personal(mine), workspace_url=BASE, app_id=app_id)
    assert digest_card(Kind.TEAM_DIGEST, team, NAMES) == digest_card(
        Kind.TEAM_DIGEST, team_digest_facts(kept_team(whole)), NAMES
    )
    assert digest_card(Kind.PERSONAL_DIGEST, personal, NAMES) == digest_card(
        Kind.PERSONAL_DIGEST, personal_digest_facts(kept_personal(mine)), NAMES
    )


def test_a_short_digest_is_stored_whole() -> None:
    whole = digest()
    assert stored_team(whole).waiting == whole.waiting
    assert stored_team(whole).waiting_count == 3
    small = PersonalDigest("T0001", "U_BOB", NOW, [hop(1)], [])
    assert stored_personal(small).to_confirm == small.to_confirm


async def test_the_digest_pass_stores_the_shown_lines_and_says_how_many_more(
    db: Database,
) -> None:
    async with db.uow() as uow:
        for n in range(1, 41):  # Alice handed 40 requests to Bob; her morning is TUE_9
            created = TUE_9 - timedelta(hours=100 - n)
            await add_hop(uow, n, owner="U_BOB", handler="U_ALICE", created=created)
        await uow.commit()
    report = await run(db, TUE_9)
    assert (report.team, report.personal) == (1, 1)  # Bob's morning is later (New York)
    async with db.uow() as uow:
        rows = (await uow.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    team = next(r for r in rows if r.kind == "team_digest")
    personal = next(r for r in rows if r.kind == "personal_digest")
    assert team.facts is not None and personal.facts is not None
    assert len(team.facts["digest"]["waiting"]) == TEAM_WAITING_KEPT
    assert team.facts["digest"]["waiting_total"] == 40
    assert len(personal.facts["digest"]["handed_off"]) == PERSONAL_KEPT
    assert personal.facts["digest"]["handed_off_total"] == 40
    (channel,) = await posts(db, "C_DIGEST")
    assert "40 unconfirmed handoffs (oldest waiting 4 days 3 h)" in channel["text"]
    assert "…and 10 more" in text_of(channel)
    assert "*Customer 1*" in text_of(channel) and "*Customer 31*" not in text_of(channel)
    (alice,) = await posts(db, "U_ALICE")
    assert "40 you handed off, not yet confirmed" in alice["text"]
    assert "and 30 more" in json.dumps(alice)


async def test_the_database_cut_personal_lists_equal_the_cut_whole_digests(db: Database) -> None:
    """Without the team digest's read (no channel, or sent already), a personal pass reads
    each person's oldest lines and counts from the database: the same digests as cutting
    the whole ones, in chunks of people too."""
    async with db.uow() as uow:
        for n in range(1, 26):  # Alice handed 25 to Bob
            created = TUE_9 - timedelta(hours=200 - 3 * n)
            await add_hop(uow, n, owner="U_BOB", handler="U_ALICE", created=created)
        for n in range(26, 38):  # Carol handed 12 to Alice, interleaved in time
            created = TUE_9 - timedelta(hours=200 - 5 * (n - 25))
            await add_hop(uow, n, owner="U_ALICE", handler="U_CAROL", created=created)
        await add_hop(uow, 38, owner="U_GROUP", handler="U_ALICE", created=TUE_9, kind="group")
        await add_hop(uow, 39, owner="U_ALICE", handler="U_BOB", created=TUE_9, status="confirmed")
        await uow.commit()
    people = {"U_ALICE", "U_BOB", "U_CAROL", "U_NOBODY"}
    async with db.uow() as uow:
        whole = personal_digests(TEAM, await uow.digests.waiting(TEAM), now=NOW, for_users=people)
        lists = await uow.digests.personal_lists(TEAM, people, keep=PERSONAL_KEPT)
        chunked = personal_digests_kept(
            TEAM,
            [
                line
                for group in (["U_ALICE"], ["U_BOB", "U_CAROL", "U_NOBODY"])
                for line in await uow.digests.personal_lists(TEAM, set(group), keep=PERSONAL_KEPT)
            ],
            now=NOW,
        )
    read = personal_digests_kept(TEAM, lists, now=NOW)
    assert read == {user: kept_personal(d) for user, d in whole.items()} == chunked
    alice = read["U_ALICE"]
    assert (alice.to_confirm_count, alice.handed_off_count) == (12, 26)  # the group's too
    assert [h.customer for h in alice.to_confirm] == [f"Customer {n}" for n in range(26, 36)]
    assert set(read) == {"U_ALICE", "U_BOB", "U_CAROL"}
