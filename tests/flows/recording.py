"""A real Notifier for flow tests: it writes down what a flow asked to be said (the message
kind and the ids it is about) instead of saying it, so a test can assert on who is told what."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from db.models import Handoff, Request


@dataclass(frozen=True)
class Said:
    kind: str
    request_id: int
    handoff_id: int | None = None
    reach: tuple[str, ...] = ()


class RecordingNotifier:
    def __init__(self) -> None:
        self.said: list[Said] = []

    def kinds(self) -> list[str]:
        return [said.kind for said in self.said]

    async def request_tracked(self, request: Request) -> None:
        self.said.append(Said("tracked", request.id))

    async def handoff_opened(
        self, request: Request, handoff: Handoff, chain: list[Handoff], *, reach: tuple[str, ...]
    ) -> None:
        self.said.append(Said("opened", request.id, handoff.id, reach))

    async def handoff_confirmed(
        self, request: Request, handoff: Handoff, chain: list[Handoff]
    ) -> None:
        self.said.append(Said("confirmed", request.id, handoff.id))

    async def handoff_redirected(
        self,
        request: Request,
        previous: Handoff,
        handoff: Handoff,
        chain: list[Handoff],
        *,
        reach: tuple[str, ...],
    ) -> None:
        self.said.append(Said("redirected", request.id, handoff.id, reach))

    async def handoff_closed(
        self,
        request: Request,
        handoff: Handoff | None,
        chain: list[Handoff],
        *,
        actor_id: str,
        parts_closed: Sequence[int] = (),
    ) -> None:
        self.said.append(Said("closed", request.id, handoff.id if handoff else None))

    # Flows never nudge (the tick does); these complete the port.
    async def parts_changed(
        self, request: Request, chain: list[Handoff], *, besides: Sequence[int]
    ) -> None:
        """Only a split adding parts to a request handed off before says this."""

    async def nudge(
        self,
        request: Request,
        handoff: Handoff,
        chain: list[Handoff],
        *,
        waited: object,
        handler_at: datetime,
    ) -> None:
        self.said.append(Said("nudge", request.id, handoff.id))

    async def escalate(
        self,
        request: Request,
        handoff: Handoff,
        chain: list[Handoff],
        *,
        waited: object,
        handler_at: datetime,
        backup: object = None,
    ) -> None:
        self.said.append(Said("escalate", request.id, handoff.id))

    async def lesson(self, hop: Handoff, *, topic: str) -> None:
        self.said.append(Said("lesson", hop.request_id, hop.id))
