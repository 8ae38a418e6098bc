"""What every flow may answer besides success: a refusal, as a neutral problem code."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.domain.errors import HandoffError, Problem
from db.uow import UnitOfWork


@dataclass(frozen=True)
class Refusal:
    """A rule said no. The adapter words it (`problem` says which rule, `details` the facts
    the words need: whose turn it is, the status, a limit)."""

    problem: Problem
    details: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, error: HandoffError) -> Refusal:
        return cls(error.problem, dict(error.details))


async def refused(uow: UnitOfWork, error: HandoffError) -> Refusal:
    """Undo what the refused flow had already changed, so the caller's unit of work holds
    nothing half-written and can still carry the private answer."""
    await uow.rollback()
    return Refusal.of(error)
