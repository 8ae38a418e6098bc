"""Why the domain refused something. Adapters turn the code into words for people."""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class Problem(StrEnum):
    NO_OWNER = "no_owner"
    UNKNOWN_USER = "unknown_user"
    UNKNOWN_GROUP = "unknown_group"
    OWNER_IS_BOT = "owner_is_bot"
    OWNER_DEACTIVATED = "owner_deactivated"
    SELF_HANDOFF = "self_handoff"
    REQUEST_RESOLVED = "request_resolved"
    ALREADY_PENDING = "already_pending"
    NOT_PENDING = "not_pending"
    NOT_OWNER = "not_owner"
    NOT_IN_CHAIN = "not_in_chain"
    BACK_IN_CHAIN = "back_in_chain"
    REASON_REQUIRED = "reason_required"
    NOTE_TOO_LONG = "note_too_long"
    UNKNOWN_HANDOFF = "unknown_handoff"
    UNKNOWN_REQUEST = "unknown_request"
    # A split (issue 18): more parts than allowed, a part with nothing in it, one owner twice.
    TOO_MANY_PARTS = "too_many_parts"
    EMPTY_PART = "empty_part"
    SAME_OWNER_TWICE = "same_owner_twice"
    UNKNOWN_PART = "unknown_part"


class HandoffError(Exception):
    """A rule said no. `details` carries what the message needs (ids, statuses, limits)."""

    def __init__(self, problem: Problem, **details: Any) -> None:
        super().__init__(problem.value)
        self.problem = problem
        self.details = details
