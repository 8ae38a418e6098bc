"""Who may do what to a handoff, and which owners and texts are refused."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from bot.domain import rules
from bot.domain.errors import HandoffError, Problem
from bot.domain.rules import (
    check_new_owner,
    check_text,
    may_cancel,
    may_confirm,
    may_redirect,
    may_resolve,
    people_in_chain,
)
from bot.domain.types import Owner, PersonInfo


@dataclass
class Hop:
    """Implements rules.Hop: a hop's people and status, without a database."""

    handler_id: str
    from_id: str
    owner_kind: str
    owner_id: str
    status: str = rules.PENDING


ACTOR = "U_ALICE"
BOT = "U_BOT"
BOB = Owner(kind="user", id="U_BOB")
BOB_PERSON = PersonInfo(user_id="U_BOB", real_name="Bob")


def refused(owner: Owner | None, person: PersonInfo | None) -> HandoffError:
    with pytest.raises(HandoffError) as caught:
        check_new_owner(owner, person, actor_id=ACTOR, bot_user_id=BOT)
    return caught.value


# --- check_new_owner ---------------------------------------------------------------------


def test_new_owner_who_is_an_active_person_passes() -> None:
    assert check_new_owner(BOB, BOB_PERSON, actor_id=ACTOR, bot_user_id=BOT) == BOB


def test_new_owner_missing_is_no_owner() -> None:
    assert refused(None, None).problem is Problem.NO_OWNER


def test_new_owner_who_is_the_actor_is_a_self_handoff() -> None:
    me = Owner(kind="user", id=ACTOR)
    assert refused(me, PersonInfo(user_id=ACTOR)).problem is Problem.SELF_HANDOFF


def test_new_owner_nobody_knows_is_unknown_user() -> None:
    error = refused(BOB, None)
    assert error.problem is Problem.UNKNOWN_USER
    assert error.details == {"user_id": "U_BOB"}


def test_new_owner_that_is_a_bot_account_is_refused() -> None:
    owner = Owner(kind="user", id="U_ZAPIER")
    error = refused(owner, PersonInfo(user_id="U_ZAPIER", is_bot=True))
    assert error.problem is Problem.OWNER_IS_BOT
    assert error.details == {"user_id": "U_ZAPIER"}


def test_new_owner_that_is_this_bot_is_refused_even_if_its_profile_says_person() -> None:
    owner = Owner(kind="user", id=BOT)
    assert refused(owner, PersonInfo(user_id=BOT)).problem is Problem.OWNER_IS_BOT


def test_new_owner_whose_account_is_deactivated_is_refused() -> None:
    error = refused(BOB, PersonInfo(user_id="U_BOB", deleted=True))
    assert error.problem is Problem.OWNER_DEACTIVATED
    assert error.details == {"user_id": "U_BOB"}


def test_new_owner_that_is_a_group_passes_without_a_person() -> None:
    group = Owner(kind="usergroup", id="S_BILLING")
    assert check_new_owner(group, None, actor_id=ACTOR, bot_user_id=BOT) == group


# --- check_text --------------------------------------------------------------------------


def test_text_is_stripped() -> None:
    assert check_text("  call her back \n") == "call her back"


def test_text_at_the_note_limit_passes() -> None:
    note = "x" * rules.NOTE_LIMIT
    assert check_text(note) == note


def test_text_surrounding_whitespace_does_not_count_towards_the_limit() -> None:
    note = "x" * rules.NOTE_LIMIT
    assert check_text(f"   {note}\n\n") == note


def test_text_over_the_note_limit_is_refused_with_limit_and_length() -> None:
    with pytest.raises(HandoffError) as caught:
        check_text("x" * (rules.NOTE_LIMIT + 1))
    assert caught.value.problem is Problem.NOTE_TOO_LONG
    assert caught.value.details == {"limit": rules.NOTE_LIMIT, "length": rules.NOTE_LIMIT + 1}


def test_text_over_a_given_limit_is_refused() -> None:
    assert check_text("x" * rules.REASON_LIMIT, limit=rules.REASON_LIMIT)
    with pytest.raises(HandoffError) as caught:
        check_text("x" * (rules.REASON_LIMIT + 1), limit=rules.REASON_LIMIT)
    assert caught.value.details["limit"] == rules.REASON_LIMIT


# --- who may do what ---------------------------------------------------------------------

# Alice handed to Bob, Bob redirected to Carol: the hop Carol is asked about.
REDIRECTED_TO_CAROL = Hop(
    handler_id="U_ALICE", from_id="U_BOB", owner_kind="user", owner_id="U_CAROL"
)
TO_GROUP = Hop(
    handler_id="U_ALICE", from_id="U_ALICE", owner_kind="usergroup", owner_id="S_BILLING"
)

# (actor, in_group, may_confirm, may_redirect, may_cancel) on REDIRECTED_TO_CAROL
USER_HOP = [
    pytest.param("U_CAROL", False, True, True, False, id="owner"),
    pytest.param("U_BOB", False, False, True, True, id="handler-of-this-hop"),
    pytest.param("U_ALICE", False, False, True, True, id="original-handler"),
    pytest.param("U_MALLORY", False, False, False, False, id="stranger"),
    pytest.param("U_MALLORY", True, False, False, False, id="group-flag-ignored-for-user-hop"),
]


@pytest.mark.parametrize(("actor", "in_group", "confirm", "redirect", "cancel"), USER_HOP)
def test_rights_on_a_hop_to_a_person(
    actor: str, in_group: bool, confirm: bool, redirect: bool, cancel: bool
) -> None:
    hop = REDIRECTED_TO_CAROL
    assert may_confirm(hop, actor, in_group=in_group) is confirm
    assert may_redirect(hop, actor, in_group=in_group) is redirect
    assert may_cancel(hop, actor) is cancel


GROUP_HOP = [
    pytest.param("U_GINA", True, True, True, False, id="group-member"),
    pytest.param("U_GINA", False, False, False, False, id="not-a-member"),
    pytest.param("S_BILLING", False, False, False, False, id="group-id-as-actor"),
    pytest.param("U_ALICE", False, False, True, True, id="handler"),
]


@pytest.mark.parametrize(("actor", "in_group", "confirm", "redirect", "cancel"), GROUP_HOP)
def test_rights_on_a_hop_to_a_group(
    actor: str, in_group: bool, confirm: bool, redirect: bool, cancel: bool
) -> None:
    assert may_confirm(TO_GROUP, actor, in_group=in_group) is confirm
    assert may_redirect(TO_GROUP, actor, in_group=in_group) is redirect
    assert may_cancel(TO_GROUP, actor) is cancel


CHAIN = [
    Hop("U_ALICE", "U_ALICE", "user", "U_BOB", rules.REDIRECTED),
    Hop("U_ALICE", "U_BOB", "usergroup", "S_BILLING", rules.REDIRECTED),
    REDIRECTED_TO_CAROL,
]


@pytest.mark.parametrize(
    ("actor", "request_owner", "in_group", "allowed"),
    [
        pytest.param("U_ALICE", None, False, True, id="original-handler"),
        pytest.param("U_BOB", None, False, True, id="earlier-owner-and-redirector"),
        pytest.param("U_CAROL", None, False, True, id="current-owner"),
        pytest.param("U_GINA", None, True, True, id="member-of-a-group-in-the-chain"),
        pytest.param("U_DAN", "U_DAN", False, True, id="confirmed-owner-of-the-request"),
        pytest.param("U_MALLORY", None, False, False, id="stranger"),
        pytest.param("U_MALLORY", "U_DAN", False, False, id="stranger-with-an-owner-set"),
    ],
)
def test_who_may_resolve(
    actor: str, request_owner: str | None, in_group: bool, allowed: bool
) -> None:
    assert may_resolve(CHAIN, actor, request_owner=request_owner, in_group=in_group) is allowed


def test_nobody_but_the_request_owner_may_resolve_a_request_without_hops() -> None:
    assert may_resolve([], "U_DAN", request_owner="U_DAN", in_group=False)
    assert not may_resolve([], "U_ALICE", request_owner=None, in_group=True)


def test_people_in_chain_are_every_handler_redirector_and_owner() -> None:
    assert people_in_chain(CHAIN) == {"U_ALICE", "U_BOB", "S_BILLING", "U_CAROL"}


def test_people_in_an_empty_chain_is_nobody() -> None:
    assert people_in_chain([]) == set()
