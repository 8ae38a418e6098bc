"""Teams' Transport: renders an outbox row at delivery and sends it to the Bot Connector.

Where: the tenant's service URL (learnt from its activities); a thread is the channel's
conversation id plus `;messageid=<root>`; a person is their 1:1 chat with the bot (created with
POST /v3/conversations the first time, then remembered). An update is a PUT of the activity
its dependency posted. Microsoft's rules live here: 429 with Retry-After, 412/5xx/timeouts
retried, a refused token fetched again, the permanent errors (bot removed from the team,
conversation not found, user blocked the bot) dead-lettered.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx

from bot.domain.messages import Audience, Op
from bot.jobs.transport import Outcome
from bot.teams.auth import BotToken
from bot.teams.render import RenderError, people_in, render
from db.models import OutboxMessage
from db.uow import Database

log = logging.getLogger(__name__)
Json = dict[str, Any]
RETRIED = {408, 412, 500, 502, 503, 504}
UNKNOWN_OUTCOME = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)


class Undeliverable(Exception):
    """No way to reach the conversation (no service URL known, the 1:1 refused)."""


class TeamsTransport:
    platform = "teams"

    def __init__(
        self,
        *,
        db: Database,
        token: BotToken,
        http: httpx.AsyncClient,
        clock: Callable[[], datetime],
    ) -> None:
        self.db = db
        self.token = token
        self.http = http
        self.clock = clock

    # -- where ---------------------------------------------------------------------------

    async def service_url(self, tenant: str) -> str:
        async with self.db.uow() as uow:
            ref = await uow.teams.get(tenant)
        if ref is None:
            raise Undeliverable(f"no service URL known for tenant {tenant}")
        return ref.service_url.rstrip("/")

    async def open_direct(self, team_id: str, user_id: str) -> str:
        """The 1:1 chat with a person: remembered, else created (the app must be installed
        for them, which Teams does for everyone in a team the app is in)."""
        async with self.db.uow() as uow:
            ref = await uow.teams.get(team_id, user_id)
        if ref is not None and ref.conversation_id:
            return ref.conversation_id
        base = await self.service_url(team_id)
        body = {
            "isGroup": False,
            "bot": {"id": f"28:{self.token.app_id}"},
            "members": [{"id": user_id}],
            "tenantId": team_id,
            "channelData": {"tenant": {"id": team_id}},
        }
        response = await self._call("POST", f"{base}/v3/conversations", body)
        if response.status_code >= 300:
            raise _Failed(response)
        conversation_id = str(response.json()["id"])
        async with self.db.uow() as uow:
            await uow.teams.seen(
                team_id,
                user_id,
                service_url=base,
                conversation_id=conversation_id,
                now=self.clock(),
            )
            await uow.commit()
        return conversation_id

    async def _conversation(self, row: OutboxMessage) -> str:
        if row.audience == Audience.DIRECT:
            return await self.open_direct(row.team_id, row.channel or "")
        request = (row.facts or {}).get("request") or {}
        root = request.get("thread_ts") or request.get("message_ts")
        if row.audience == Audience.THREAD and root and ";" not in (row.channel or ""):
            return f"{row.channel};messageid={root}"
        return row.channel or ""

    # -- delivery ------------------------------------------------------------------------

    async def deliver(self, row: OutboxMessage, *, parent: OutboxMessage | None) -> Outcome:
        if row.method == Op.REACT:  # a bot cannot react to a message in Teams
            return Outcome("skipped", error="Teams bots cannot add reactions")
        try:
            activity = render(row, await self._names(row))
        except (RenderError, KeyError, TypeError, ValueError) as error:
            return Outcome("dead", error=f"not rendered: {error}"[:500])
        try:
            base = await self.service_url(row.team_id)
            if row.method == Op.UPDATE:
                if parent is None or not parent.result_channel or not parent.result_ts:
                    return Outcome("dead", error="the message it updates was not sent")
                conversation, activity_id = parent.result_channel, parent.result_ts
                url = f"{base}/v3/conversations/{conversation}/activities/{activity_id}"
                response = await self._call("PUT", url, {**activity, "id": activity_id})
            else:
                conversation = await self._conversation(row)
                url = f"{base}/v3/conversations/{conversation}/activities"
                response = await self._call("POST", url, activity)
        except Undeliverable as error:
            return Outcome("dead", error=str(error)[:500])
        except _Failed as failed:
            return self._failed(failed.response)
        except UNKNOWN_OUTCOME as error:
            return Outcome(
                "retry",
                error=f"{type(error).__name__}: {error}"[:500],
                unknown=row.method != Op.UPDATE,
                lost=True,
            )
        if response.status_code >= 300:
            return self._failed(response)
        sent_id = str((response.json() or {}).get("id") or "")
        return Outcome("sent", channel=conversation, ts=sent_id or None)

    async def _names(self, row: OutboxMessage) -> dict[str, str]:
        ids = people_in(row.facts or {})
        if not ids:
            return {}
        async with self.db.uow() as uow:
            found = {}
            for user_id in ids:
                person = await uow.people.get(row.team_id, user_id, platform="teams")
                if person is not None:
                    found[user_id] = person.real_name or person.name
        return found

    async def _call(self, method: str, url: str, body: Json) -> httpx.Response:
        response = await self.http.request(
            method, url, json=body, headers={"Authorization": f"Bearer {await self.token.get()}"}
        )
        if response.status_code == 401:  # a token revoked or rotated early: fetch it again
            self.token.forget()
        return response

    def _failed(self, response: httpx.Response) -> Outcome:
        status = response.status_code
        code = _code(response)
        if status == 429:
            return Outcome("ratelimited", error=code, wait=_retry_after(response))
        if status in RETRIED or status == 401 or status >= 500:
            return Outcome("retry", error=f"{status} {code}", wait=_retry_after(response, None))
        return Outcome("dead", error=f"{status} {code}")


class _Failed(Exception):
    def __init__(self, response: httpx.Response) -> None:
        super().__init__(response.status_code)
        self.response = response


def _code(response: httpx.Response) -> str:
    try:
        error = (response.json() or {}).get("error") or {}
    except ValueError:
        return response.reason_phrase or "error"
    return str(error.get("code") or response.reason_phrase or "error")[:200]


def _retry_after(response: httpx.Response, default: float | None = 1.0) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value else default
    except ValueError:
        return default
