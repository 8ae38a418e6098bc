"""Plays Slack's side of the Request URL: builds the payloads Slack sends, signs them with the
signing secret, and POSTs them to `/slack/events`. Used by the demo and by the tests."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import secrets
import time
from typing import Any
from urllib.parse import urlencode

import httpx

Json = dict[str, Any]


def sign(secret: str, timestamp: str, body: str | bytes) -> str:
    """Slack's v0 signature. `body` may be bytes: a test can sign a body that is not UTF-8."""
    raw = body.encode() if isinstance(body, str) else body
    base = f"v0:{timestamp}:".encode() + raw
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def owner_state(user_id: str | None) -> Json:
    return {"type": "users_select", "selected_user": user_id}


def text_state(value: str | None) -> Json:
    return {"type": "plain_text_input", "value": value}


class SlackSimulator:
    def __init__(
        self,
        http: httpx.AsyncClient,
        url: str,
        *,
        signing_secret: str,
        team_id: str = "T0001",
        api_app_id: str = "A0001",
        enterprise_id: str | None = None,
        response_url: str = "http://127.0.0.1:9/response/x",
    ) -> None:
        self.response_url = response_url  # where a command's late answer goes
        self.enterprise_id = enterprise_id  # an org-wide install's org (Enterprise Grid)
        self.http = http
        self.url = url
        self.secret = signing_secret
        self.team_id = team_id
        self.api_app_id = api_app_id
        self._ids = itertools.count(1)
        # Slack's event ids are unique across the whole platform: two simulators for one
        # workspace (two "replicas" in a test) must not look like retries of each other.
        self._run = secrets.token_hex(3).upper()

    async def post(
        self,
        body: str | bytes,
        *,
        content_type: str,
        timestamp: int | None = None,
        signature: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        stamp = str(timestamp if timestamp is not None else int(time.time()))
        all_headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": signature or sign(self.secret, stamp, body),
            **(headers or {}),
        }
        content = body.encode() if isinstance(body, str) else body
        return await self.http.post(self.url, content=content, headers=all_headers)

    async def post_json(self, payload: Json, **kwargs: Any) -> httpx.Response:
        return await self.post(json.dumps(payload), content_type="application/json", **kwargs)

    async def post_form(self, fields: dict[str, str], **kwargs: Any) -> httpx.Response:
        return await self.post(
            urlencode(fields), content_type="application/x-www-form-urlencoded", **kwargs
        )

    async def post_interaction(self, payload: Json, **kwargs: Any) -> httpx.Response:
        return await self.post_form({"payload": json.dumps(payload)}, **kwargs)

    def envelope(
        self, event: Json, *, event_id: str | None = None, is_ext_shared_channel: bool = False
    ) -> Json:
        return {
            "token": "legacy",
            "team_id": self.team_id,
            "api_app_id": self.api_app_id,
            "type": "event_callback",
            "event": event,
            "event_id": event_id or f"Ev{self._run}{next(self._ids):06d}",
            "event_time": int(time.time()),
            "is_ext_shared_channel": is_ext_shared_channel,
            "authorizations": [self._authorization()],
            **({"enterprise_id": self.enterprise_id} if self.enterprise_id else {}),
        }

    def _authorization(self) -> Json:
        if not self.enterprise_id:
            return {"team_id": self.team_id, "user_id": "UBOT", "is_bot": True}
        return {
            "enterprise_id": self.enterprise_id,
            "team_id": None,  # an org-wide install: the token is the org's
            "user_id": "UBOT",
            "is_bot": True,
            "is_enterprise_install": True,
        }

    async def event(
        self,
        event: Json,
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        is_ext_shared_channel: bool = False,
    ) -> httpx.Response:
        headers = {}
        if retry_num is not None:
            headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"}
        envelope = self.envelope(
            event, event_id=event_id, is_ext_shared_channel=is_ext_shared_channel
        )
        return await self.post_json(envelope, headers=headers)

    async def message(
        self,
        channel: str,
        ts: str,
        text: str,
        *,
        user: str | None = None,
        bot_id: str | None = None,
        username: str | None = None,
        event_id: str | None = None,
        **fields: Any,
    ) -> httpx.Response:
        event: Json = {
            "type": "message",
            "channel": channel,
            "ts": ts,
            "event_ts": ts,
            "text": text,
            "channel_type": "channel",
            **fields,
        }
        if user:
            event["user"] = user
        if bot_id:
            event.update(subtype="bot_message", bot_id=bot_id, username=username or "bot")
        return await self.event(event, event_id=event_id)

    async def command(
        self, text: str, *, user: str, channel: str = "C_SUPPORT", command: str = "/handoff"
    ) -> httpx.Response:
        return await self.post_form(
            {
                "token": "legacy",
                "team_id": self.team_id,
                "team_domain": "acme",
                "channel_id": channel,
                "channel_name": "support",
                "user_id": user,
                "user_name": user.lower(),
                "command": command,
                "text": text,
                "api_app_id": self.api_app_id,
                "response_url": self.response_url,
                "trigger_id": f"trigger.{next(self._ids)}",
            }
        )

    async def click(
        self,
        action_id: str,
        value: str,
        *,
        user: str,
        channel: str,
        message_ts: str = "1800000000.000001",
        thread_ts: str | None = None,
    ) -> httpx.Response:
        message: Json = {"type": "message", "ts": message_ts, "text": ""}
        if thread_ts:
            message["thread_ts"] = thread_ts
        return await self.post_interaction(
            {
                "type": "block_actions",
                "team": {"id": self.team_id, "domain": "acme"},
                "user": {"id": user, "team_id": self.team_id},
                "api_app_id": self.api_app_id,
                "trigger_id": f"trigger.{next(self._ids)}",
                "container": {
                    "type": "message",
                    "message_ts": message_ts,
                    "channel_id": channel,
                    "is_ephemeral": False,
                },
                "channel": {"id": channel},
                "message": message,
                "actions": [
                    {
                        "type": "button",
                        "action_id": action_id,
                        "block_id": "b",
                        "value": value,
                        "action_ts": str(time.time()),
                    }
                ],
            }
        )

    async def act_in_view(
        self,
        action_id: str,
        *,
        user: str,
        view: Json,
        value: str | None = None,
        selected: str | None = None,
    ) -> httpx.Response:
        """A button (`value`) or a menu choice (`selected`) inside a modal the bot opened."""
        action: Json = {"action_id": action_id, "block_id": "b", "action_ts": str(time.time())}
        if selected is not None:
            action.update(type="overflow", selected_option={"value": selected})
        else:
            action.update(type="button", value=value or "")
        return await self.post_interaction(
            {
                "type": "block_actions",
                "team": {"id": self.team_id, "domain": "acme"},
                "user": {"id": user, "team_id": self.team_id},
                "api_app_id": self.api_app_id,
                "trigger_id": f"trigger.{next(self._ids)}",
                "container": {"type": "view", "view_id": view.get("id")},
                "view": {**view, "team_id": self.team_id},
                "actions": [action],
            }
        )

    async def submit(self, view: Json, values: dict[str, Json], *, user: str) -> httpx.Response:
        """Submit a modal the bot opened, with `values` as {block_id: element state}."""
        state = {"values": {block: {"value": element} for block, element in values.items()}}
        return await self.post_interaction(
            {
                "type": "view_submission",
                "team": {"id": self.team_id, "domain": "acme"},
                "user": {"id": user, "team_id": self.team_id},
                "api_app_id": self.api_app_id,
                "trigger_id": f"trigger.{next(self._ids)}",
                "view": {**view, "state": state, "team_id": self.team_id},
            }
        )

    async def shortcut(
        self,
        callback_id: str,
        *,
        user: str,
        channel: str,
        message: Json,
    ) -> httpx.Response:
        return await self.post_interaction(
            {
                "type": "message_action",
                "callback_id": callback_id,
                "team": {"id": self.team_id, "domain": "acme"},
                "user": {"id": user, "team_id": self.team_id},
                "channel": {"id": channel},
                "message": message,
                "message_ts": message.get("ts"),
                "trigger_id": f"trigger.{next(self._ids)}",
                "api_app_id": self.api_app_id,
                "response_url": "http://127.0.0.1:9/response/x",
            }
        )
