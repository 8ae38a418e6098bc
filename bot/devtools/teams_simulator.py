"""Plays Teams' side against the real app: builds Activity JSON as Teams sends it, signs it
with the fake connector's key (RS256, as the Bot Connector does) and posts it to
`/api/messages`. Used by the tests and `handoff demo --teams`."""

from __future__ import annotations

import html
import itertools
from dataclasses import dataclass
from typing import Any

import httpx

from bot.devtools.fake_teams import FakeConnector

Json = dict[str, Any]
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
SUPPORT = "19:support0a1b2c3d4e5f@thread.tacv2"
GENERAL = "19:general9f8e7d6c5b4a@thread.tacv2"
TEAM = "19:teamroot1234567890@thread.tacv2"


@dataclass(frozen=True)
class User:
    id: str
    name: str
    aad: str
    tz: str | None = None
    guest: bool = False

    def account(self) -> Json:
        account: Json = {"id": self.id, "name": self.name, "aadObjectId": self.aad}
        if self.guest:
            account["userRole"] = "guest"
        return account


ALICE = User("29:alice-1Xy", "Alice Andrews", "aad-alice", tz="Europe/London")
BOB = User("29:bob-2Zq", "Bob Brown", "aad-bob", tz="America/New_York")
CAROL = User("29:carol-3Wr", "Carol Chen", "aad-carol", tz="Asia/Singapore")
ERIN = User("29:erin-4Vs", "Erin Evans", "aad-erin")
JANE = User("29:jane-guest-5Ut", "Jane Customer", "aad-jane", guest=True)
OTHER_BOT = User("28:other-bot-app", "Helper Bot", "")


class TeamsSimulator:
    def __init__(
        self, http: httpx.AsyncClient, url: str, connector: FakeConnector, *, tenant: str = TENANT
    ) -> None:
        self.http = http
        self.url = url
        self.connector = connector
        self.tenant = tenant
        self._ids = itertools.count(1)
        self.bot = {"id": f"28:{connector.app_id}", "name": "Handoff"}

    def next_id(self) -> str:
        return str(1_800_000_000_000 + next(self._ids))

    def activity(self, kind: str, user: User, conversation: Json, **fields: Any) -> Json:
        activity: Json = {
            "type": kind,
            "id": self.next_id(),
            "timestamp": "2026-11-30T10:00:00.000Z",
            "serviceUrl": self.connector.service_url,
            "channelId": "msteams",
            "from": user.account(),
            "conversation": {"tenantId": self.tenant, **conversation},
            "recipient": dict(self.bot),
            "channelData": {"tenant": {"id": self.tenant}},
            "entities": [],
        }
        if user.tz:
            activity["entities"].append(
                {"type": "clientInfo", "locale": "en-US", "timezone": user.tz, "platform": "Web"}
            )
        activity.update(fields)
        return activity

    async def send(self, activity: Json, *, token: str | None = None) -> httpx.Response:
        bearer = token if token is not None else self.connector.activity_token()
        headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
        return await self.http.post(self.url, json=activity, headers=headers)

    # -- what people do --------------------------------------------------------------------

    async def post(
        self, user: User, text: str, *, channel: str = SUPPORT
    ) -> tuple[str, httpx.Response]:
        """A new top-level post in a channel; returns its message id."""
        activity = self.activity(
            "message",
            user,
            {"id": channel, "conversationType": "channel", "isGroup": True},
            text=f"<p>{html.escape(text)}</p>",
            textFormat="xml",
            channelData={
                "tenant": {"id": self.tenant},
                "team": {"id": TEAM},
                "channel": {"id": channel},
            },
        )
        return activity["id"], await self.send(activity)

    def mention_text(self, *users: User | Json) -> tuple[str, list[Json]]:
        parts, entities = [], []
        for who in users:
            account = who.account() if isinstance(who, User) else who
            text = f"<at>{html.escape(account['name'])}</at>"
            parts.append(text)
            entities.append({"type": "mention", "text": text, "mentioned": account})
        return " ".join(parts), entities

    async def command(
        self,
        user: User,
        words: str,
        *,
        owners: tuple[User, ...] = (),
        thread: str | None = None,
        channel: str = SUPPORT,
        personal: bool = False,
    ) -> httpx.Response:
        """`@Handoff <words>`; each `{owner}` in words becomes a mention of the next owner."""
        bot_text, entities = self.mention_text(self.bot)
        text = html.escape(words)
        for owner in owners:
            mention, more = self.mention_text(owner)
            text = text.replace("{owner}", mention, 1)
            entities += more
        if personal:
            self.connector.add_conversation(f"a:1:{user.id}")  # Teams made it at install
            conversation = {"id": f"a:1:{user.id}", "conversationType": "personal"}
            body = text
            entities = entities[1:]
        else:
            cid = f"{channel};messageid={thread}" if thread else channel
            conversation = {"id": cid, "conversationType": "channel", "isGroup": True}
            body = f"{bot_text} {text}"
        activity = self.activity("message", user, conversation, text=f"<p>{body}</p>")
        activity["entities"] = entities + activity["entities"]
        return await self.send(activity)

    async def click(
        self, user: User, verb: str, data: Json, *, conversation: str = SUPPORT
    ) -> httpx.Response:
        """A card button (Action.Execute): an adaptiveCard/action invoke."""
        activity = self.activity(
            "invoke",
            user,
            {"id": conversation, "conversationType": "channel"},
            name="adaptiveCard/action",
            value={
                "action": {"type": "Action.Execute", "verb": verb, "data": {**data, "verb": verb}}
            },
        )
        return await self.send(activity)

    def _extension(self, user: User, name: str, message: Json, data: Json | None) -> Json:
        value: Json = {
            "commandId": "findTheRightPerson",
            "commandContext": "message",
            "context": {"theme": "default"},
            "messagePayload": message,
        }
        if data is not None:
            value["data"] = data
        return self.activity(
            "invoke",
            user,
            {"id": SUPPORT, "conversationType": "channel"},
            name=name,
            value=value,
        )

    def message_payload(
        self, author: User, message_id: str, text: str, *, channel: str = SUPPORT
    ) -> Json:
        """What Teams sends of the message a message extension was opened on."""
        return {
            "id": message_id,
            "messageType": "message",
            "createdDateTime": "2026-11-30T09:00:00.000Z",
            "body": {"contentType": "html", "content": f"<p>{html.escape(text)}</p>"},
            "from": {"user": {"id": author.id, "displayName": author.name}},
            "linkToMessage": f"https://teams.microsoft.com/l/message/{channel}/{message_id}"
            f"?tenantId={self.tenant}&parentMessageId={message_id}",
        }

    async def find_the_right_person(self, user: User, message: Json) -> httpx.Response:
        """The "..." menu's Find the right person: the fetch-task invoke."""
        return await self.send(self._extension(user, "composeExtension/fetchTask", message, None))

    async def submit_handoff(self, user: User, message: Json, data: Json) -> httpx.Response:
        """The dialog's Hand off button: the submit-action invoke."""
        activity = self._extension(user, "composeExtension/submitAction", message, data)
        return await self.send(activity)
