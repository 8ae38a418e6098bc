"""A stand-in for Slack's Web API on loopback: the demo runs against it, and so do the tests.

It keeps a small workspace (users, user groups, channels and their messages), answers the
methods the bot calls the way Slack does, records every call, and can be told to fail
(429 with Retry-After, 5xx, slow answers, a permanent error, an answer lost after the call
took effect) for fault-injection tests, one by one or at random (`Chaos`).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import math
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bot.devtools.loopback import LoopbackServer

Json = dict[str, Any]


@dataclass
class Call:
    method: str
    args: Json
    token: str = ""  # the bearer token it came with


@dataclass
class Grant:
    """What Slack's consent gives an app (oauth.v2.access): a workspace's (or an Enterprise
    Grid org's) bot token, rotating when `expires_in` is set."""

    team_id: str | None = "T0001"
    team_name: str = "Acme"
    enterprise_id: str | None = None
    expires_in: int | None = None  # seconds; set: the token rotates (a refresh token comes too)


@dataclass
class Fault:
    """`delay` waits before answering (and before doing anything). `lose` does the call, then
    loses its answer: "slow" answers `delay` seconds late (past the client's timeout), "cut"
    closes the connection without a word. With `channel`, it waits for a call to that one."""

    status: int = 200
    error: str | None = None
    retry_after: int | None = None
    delay: float = 0.0
    lose: str | None = None
    channel: str | None = None


@dataclass
class Chaos:
    """Random faults on chat.postMessage: `rate` of the calls fail, a quarter each as a 429
    (Retry-After 1-2 s), a 5xx, a slow answer after the post was made (`slow` seconds), and a
    connection cut after the post was made. At most `streak` faults in a row per message, so
    the run's length stays bounded."""

    rate: float = 0.3
    slow: float = 3.0
    streak: int = 2
    seed: int = 12
    injected: Counter[str] = field(default_factory=Counter)
    _rng: random.Random = field(init=False)
    _streaks: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def pick(self, message: str) -> Fault | None:
        if self._streaks[message] >= self.streak or self._rng.random() >= self.rate:
            self._streaks[message] = 0
            return None
        self._streaks[message] += 1
        kind = self._rng.choice(("ratelimited", "http_5xx", "lost_slow", "lost_cut"))
        self.injected[kind] += 1
        return {
            "ratelimited": Fault(
                status=429, error="ratelimited", retry_after=self._rng.choice((1, 2))
            ),
            "http_5xx": Fault(status=self._rng.choice((500, 502, 503))),
            "lost_slow": Fault(lose="slow", delay=self.slow),
            "lost_cut": Fault(lose="cut"),
        }[kind]


@dataclass
class FakeWorkspace:
    team_id: str = "T0001"
    team_domain: str = "acme"
    bot_user_id: str = "UBOT"
    bot_id: str = "BBOT"
    app_id: str = "A0HANDOFF"
    token: str = "xoxb-fake"
    users: dict[str, Json] = field(default_factory=dict)
    groups: dict[str, list[str]] = field(default_factory=dict)
    group_handles: dict[str, str] = field(default_factory=dict)  # group id -> handle
    presence: dict[str, str] = field(default_factory=dict)  # user id -> "away" (else active)
    channels: dict[str, Json] = field(default_factory=dict)
    messages: dict[str, dict[str, Json]] = field(default_factory=dict)

    def add_user(
        self,
        user_id: str,
        name: str,
        *,
        real_name: str | None = None,
        email: str | None = None,
        tz: str = "Europe/London",
        is_bot: bool = False,
        deleted: bool = False,
        is_admin: bool = False,
        is_owner: bool = False,
    ) -> None:
        self.users[user_id] = {
            "id": user_id,
            "team_id": self.team_id,
            "name": name,
            "real_name": real_name or name.title(),
            "tz": tz,
            "is_bot": is_bot,
            "deleted": deleted,
            "is_admin": is_admin,
            "is_owner": is_owner,
            "profile": {"real_name": real_name or name.title(), "email": email},
        }

    def add_group(self, group_id: str, handle: str, members: list[str]) -> None:
        self.groups[group_id] = list(members)
        self.group_handles[group_id] = handle

    def set_status(self, user_id: str, text: str, emoji: str = "") -> None:
        """What a person says in Slack, e.g. "On holiday" :palm_tree:."""
        profile = self.users[user_id]["profile"]
        profile.update(status_text=text, status_emoji=emoji, status_expiration=0)

    def add_channel(
        self, channel_id: str, name: str, *, shared: bool = False, member: bool = True
    ) -> None:
        self.channels[channel_id] = {
            "id": channel_id,
            "name": name,
            "is_channel": True,
            "is_ext_shared": shared,
            "is_shared": shared,
            "is_member": member,
        }
        self.messages.setdefault(channel_id, {})

    def add_message(self, channel_id: str, ts: str, text: str, **fields: Any) -> Json:
        message = {"type": "message", "ts": ts, "text": text, **fields}
        self.messages.setdefault(channel_id, {})[ts] = message
        return message


@dataclass
class PostLimit:
    """What a per-channel chat.postMessage limit did: 429s sent, and calls that came back to a
    channel before the Retry-After it was given had elapsed (a well-behaved client makes none).
    """

    interval: float
    rate_limited: int = 0
    before_retry_after: int = 0
    last_post: dict[str, float] = field(default_factory=dict)
    retry_at: dict[str, float] = field(default_factory=dict)

    def check(self, channel: str, now: float) -> int | None:
        """None to accept a post to `channel` now, else the Retry-After seconds to answer."""
        if now < self.retry_at.get(channel, 0.0):
            self.before_retry_after += 1
        wait = self.last_post.get(channel, -math.inf) + self.interval - now
        if wait > 0:
            self.rate_limited += 1
            retry_after = max(1, math.ceil(wait))
            self.retry_at[channel] = now + retry_after
            return retry_after
        self.last_post[channel] = now
        return None


class FakeSlack(LoopbackServer):
    """Run with `async with FakeSlack(workspace) as slack:`; `slack.api_url` for SLACK_API_URL.

    `latency` delays every Web API answer (seconds); `post_interval` enforces Slack's
    chat.postMessage limit per channel (e.g. 1.0: one a second), answering 429 with
    Retry-After beyond it, as `post_limit` counts.
    """

    def __init__(
        self,
        workspace: FakeWorkspace | None = None,
        *,
        latency: float = 0.0,
        post_interval: float | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        super().__init__(host=host, port=port)
        self.workspace = workspace or FakeWorkspace()
        self.latency = latency
        self.post_limit = PostLimit(post_interval) if post_interval else None
        self.calls: list[Call] = []
        self.faults: dict[str, list[Fault]] = {}
        self.chaos: Chaos | None = None
        # Every 429 this fake answered, by (method, channel for chat.postMessage): when its
        # Retry-After runs out, and how many calls came back to it before then.
        self.retry_at: dict[tuple[str, str], float] = {}
        self.before_retry_after = 0
        self.posted_at: list[tuple[float, Json]] = []  # (monotonic time, args) of each post
        self.views: dict[str, Json] = {}
        self.homes: dict[str, Json] = {}  # the Home tab each user sees (views.publish)
        self._ts = itertools.count(1)
        self._hashes = itertools.count(1)  # a view's hash: new on every change, as Slack's
        self.changed = asyncio.Event()
        # OAuth (many workspaces): what the next consent grants, the codes and refresh tokens
        # given out, and every extra bot token -> (team, enterprise) it speaks for.
        self.grant = Grant()
        self.redirect_uri = ""  # where the consent page sends the browser (the app's redirect)
        self.tokens: dict[str, tuple[str | None, str | None]] = {}
        self._codes: dict[str, Grant] = {}
        self._refresh: dict[str, Grant] = {}
        self._current_token = ""
        self._oauth_ids = itertools.count(1)

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.port}/api/"

    @property
    def response_url(self) -> str:
        """A command's response_url; what the app sends there is recorded as a call."""
        return f"http://{self.host}:{self.port}/response/command"

    @property
    def authorize_url(self) -> str:
        return f"http://{self.host}:{self.port}/oauth/v2/authorize"

    # -- lifecycle ---------------------------------------------------------------------------

    def routes(self, router: web.UrlDispatcher) -> None:
        router.add_post("/api/{method}", self._handle)
        router.add_get("/api/{method}", self._handle)
        router.add_post("/response/{key}", self._response_url)
        router.add_get("/oauth/v2/authorize", self._consent)

    # -- test helpers ------------------------------------------------------------------------

    def fail_next(self, method: str, *faults: Fault) -> None:
        self.faults.setdefault(method, []).extend(faults)

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def posted(self) -> list[Json]:
        """Messages that chat.postMessage accepted, in order."""
        return [c.args for c in self.calls_to("chat.postMessage")]

    def reset_calls(self) -> None:
        self.calls.clear()

    # -- the API -----------------------------------------------------------------------------

    async def _args(self, request: web.Request) -> Json:
        if request.content_type == "application/json":
            body = await request.json()
            return body if isinstance(body, dict) else {}
        args: Json = dict(request.query)
        if request.can_read_body:
            args.update(dict(await request.post()))
        for key in ("blocks", "view", "attachments"):
            if isinstance(args.get(key), str):
                with contextlib.suppress(ValueError):
                    args[key] = json.loads(args[key])
        return args

    @staticmethod
    def _limit_key(method: str, args: Json) -> tuple[str, str]:
        channel = str(args.get("channel") or "") if method == "chat.postMessage" else ""
        return method, channel

    def _ratelimited(self, method: str, args: Json, retry_after: int, **body: Any) -> web.Response:
        self.retry_at[self._limit_key(method, args)] = time.monotonic() + retry_after
        return web.json_response(
            {"ok": False, "error": "ratelimited", **body},
            status=429,
            headers={"Retry-After": str(retry_after)},
        )

    def _fault(self, method: str, args: Json) -> Fault | None:
        queue = self.faults.get(method) or []
        channel = args.get("channel")
        for n, fault in enumerate(queue):
            if fault.channel is None or fault.channel == channel:
                return queue.pop(n)
        if self.chaos is not None and method == "chat.postMessage":
            return self.chaos.pick(str(args.get("text") or ""))
        return None

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        args = await self._args(request)
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ")
        known = token == self.workspace.token or token in self.tokens
        if method != "oauth.v2.access" and (not auth.startswith("Bearer ") or not known):
            return web.json_response({"ok": False, "error": "invalid_auth"})
        if time.monotonic() < self.retry_at.get(self._limit_key(method, args), 0.0):
            self.before_retry_after += 1
        if self.latency:
            await asyncio.sleep(self.latency)
        if method == "chat.postMessage" and self.post_limit is not None:
            retry_after = self.post_limit.check(str(args.get("channel") or ""), time.monotonic())
            if retry_after is not None:
                self.calls.append(Call(f"{method}!ratelimited", args))
                return self._ratelimited(method, args, retry_after)
        fault = self._fault(method, args)
        if fault is not None and fault.lose is None:
            if fault.delay:
                await asyncio.sleep(fault.delay)
            if fault.status != 200 or fault.error:
                self.calls.append(Call(f"{method}!failed", args))
                if fault.status == 429 and fault.retry_after:
                    return self._ratelimited(method, args, fault.retry_after)
                headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after else {}
                if fault.status >= 500:
                    return web.Response(status=fault.status, text="upstream error", headers=headers)
                body = {"ok": False, "error": fault.error or "ratelimited"}
                return web.json_response(body, status=fault.status, headers=headers)
        self.calls.append(Call(method, args, token))
        handler = getattr(self, "api_" + method.replace(".", "_"), None)
        if handler is None:
            return web.json_response({"ok": False, "error": "unknown_method"})
        self._current_token = token
        result = handler(args)
        if method == "chat.postMessage" and result.get("ok"):
            self.posted_at.append((time.monotonic(), args))
        self.changed.set()
        if fault is not None and fault.lose == "cut":
            if request.transport is not None:
                request.transport.close()
            raise asyncio.CancelledError  # nothing more is written to the closed connection
        if fault is not None and fault.lose == "slow":
            await asyncio.sleep(fault.delay)
        return web.json_response(result)

    async def _response_url(self, request: web.Request) -> web.Response:
        self.calls.append(Call("response_url", await request.json()))
        return web.Response(text="ok")

    def _ok(self, **fields: Any) -> Json:
        return {"ok": True, **fields}

    def _error(self, error: str) -> Json:
        return {"ok": False, "error": error}

    def _next_ts(self) -> str:
        return f"1800000000.{next(self._ts):06d}"

    # -- OAuth ----------------------------------------------------------------------------------

    async def _consent(self, request: web.Request) -> web.Response:
        """Slack's consent page, already answered "Allow": back to the app with a code."""
        code = f"code-{next(self._oauth_ids)}"
        self._codes[code] = self.grant
        state = request.query.get("state", "")
        raise web.HTTPFound(f"{self.redirect_uri}?code={code}&state={state}")

    def _issue(self, grant: Grant) -> Json:
        token = f"xoxb-{grant.team_id or grant.enterprise_id}-{next(self._oauth_ids)}"
        self.tokens[token] = (grant.team_id, grant.enterprise_id)
        answer: Json = {"access_token": token, "token_type": "bot"}
        if grant.expires_in is not None:
            refresh = f"xoxe-{next(self._oauth_ids)}"
            self._refresh[refresh] = grant
            answer.update(refresh_token=refresh, expires_in=grant.expires_in)
        return answer

    def api_oauth_v2_access(self, args: Json) -> Json:
        """The code grant (once per code) and the refresh grant (once per refresh token)."""
        if args.get("grant_type") == "refresh_token":
            grant = self._refresh.pop(str(args.get("refresh_token")), None)
            return self._ok(**self._issue(grant)) if grant else self._error("invalid_refresh_token")
        grant = self._codes.pop(str(args.get("code")), None)
        if grant is None:
            return self._error("invalid_code")
        ws = self.workspace
        return self._ok(
            app_id=ws.app_id,
            scope="chat:write,commands",
            bot_user_id=ws.bot_user_id,
            team={"id": grant.team_id, "name": grant.team_name} if grant.team_id else None,
            enterprise={"id": grant.enterprise_id, "name": "Org"} if grant.enterprise_id else None,
            is_enterprise_install=grant.team_id is None,
            authed_user={"id": "U_ALICE"},
            **self._issue(grant),
        )

    def api_auth_test(self, _: Json) -> Json:
        ws = self.workspace
        team, enterprise = self.tokens.get(self._current_token, (ws.team_id, None))
        return self._ok(
            url=f"https://{ws.team_domain}.slack.com/",
            team="Acme",
            user="handoff",
            team_id=team,
            enterprise_id=enterprise,
            user_id=ws.bot_user_id,
            bot_id=ws.bot_id,
            app_id=ws.app_id,
            is_enterprise_install=team is None,
        )

    def api_users_info(self, args: Json) -> Json:
        user = self.workspace.users.get(str(args.get("user")))
        return self._ok(user=user) if user else self._error("user_not_found")

    def api_users_lookupByEmail(self, args: Json) -> Json:
        email = str(args.get("email") or "").casefold()
        for user in self.workspace.users.values():
            if str(user["profile"].get("email") or "").casefold() == email and email:
                return self._ok(user=user)
        return self._error("users_not_found")

    def api_users_list(self, args: Json) -> Json:
        """Paged like Slack's: `limit` users from the `cursor` (an offset here)."""
        users = list(self.workspace.users.values())
        start = int(str(args.get("cursor") or "0") or 0)
        limit = max(1, min(int(str(args.get("limit") or 200)), 1000))
        page = users[start : start + limit]
        cursor = str(start + limit) if start + limit < len(users) else ""
        return self._ok(members=page, response_metadata={"next_cursor": cursor})

    def api_usergroups_users_list(self, args: Json) -> Json:
        members = self.workspace.groups.get(str(args.get("usergroup")))
        return self._ok(users=members) if members is not None else self._error("no_such_subteam")

    def api_usergroups_list(self, _: Json) -> Json:
        groups = [
            {
                "id": group_id,
                "team_id": self.workspace.team_id,
                "handle": self.workspace.group_handles.get(group_id, group_id.lower()),
                "name": self.workspace.group_handles.get(group_id, group_id).title(),
                "date_delete": 0,
                "user_count": len(members),
            }
            for group_id, members in self.workspace.groups.items()
        ]
        return self._ok(usergroups=groups)

    def api_users_getPresence(self, args: Json) -> Json:
        user = str(args.get("user") or "")
        if user not in self.workspace.users:
            return self._error("user_not_found")
        return self._ok(presence=self.workspace.presence.get(user, "active"))

    def _conversation(self, channel: str) -> str | None:
        """A user id posts to the bot's DM with that user, as chat.postMessage does."""
        if channel.startswith(("U", "W")):
            if channel not in self.workspace.users:
                return None
            return "D" + channel[1:]
        if channel.startswith("D"):
            return channel
        info = self.workspace.channels.get(channel)
        return channel if info and info.get("is_member", True) else None

    def api_chat_postMessage(self, args: Json) -> Json:
        channel = self._conversation(str(args.get("channel") or ""))
        if channel is None:
            return self._error("channel_not_found")
        if not args.get("text") and not args.get("blocks"):
            return self._error("no_text")
        ts = self._next_ts()
        message = {
            "type": "message",
            "ts": ts,
            "user": self.workspace.bot_user_id,
            "bot_id": self.workspace.bot_id,
            "text": args.get("text", ""),
            "blocks": args.get("blocks"),
        }
        if args.get("thread_ts"):
            message["thread_ts"] = args["thread_ts"]
        if isinstance(args.get("metadata"), dict):
            message["metadata"] = args["metadata"]
        self.workspace.messages.setdefault(channel, {})[ts] = message
        return self._ok(channel=channel, ts=ts, message=message)

    def api_chat_update(self, args: Json) -> Json:
        channel, ts = str(args.get("channel") or ""), str(args.get("ts") or "")
        stored = self.workspace.messages.get(channel, {}).get(ts)
        if stored is None:
            return self._error("message_not_found")
        stored.update(text=args.get("text", stored.get("text")), blocks=args.get("blocks"))
        return self._ok(channel=channel, ts=ts, text=stored["text"])

    def api_chat_postEphemeral(self, args: Json) -> Json:
        if self._conversation(str(args.get("channel") or "")) is None:
            return self._error("channel_not_found")
        return self._ok(message_ts=self._next_ts())

    def api_reactions_add(self, args: Json) -> Json:
        channel, ts = str(args.get("channel") or ""), str(args.get("timestamp") or "")
        message = self.workspace.messages.get(channel, {}).get(ts)
        if message is None:
            return self._error("message_not_found")
        reactions = message.setdefault("reactions", [])
        if args.get("name") in reactions:
            return self._error("already_reacted")
        reactions.append(args.get("name"))
        return self._ok()

    def _open_view(self, args: Json) -> Json:
        view = args.get("view") or {}
        view_id = f"V{next(self._ts):08d}"
        stored = {**view, "id": view_id, "hash": f"{view_id}.{next(self._hashes)}"}
        self.views[view_id] = stored
        return self._ok(view=stored)

    def api_views_open(self, args: Json) -> Json:
        if not args.get("trigger_id"):
            return self._error("invalid_trigger_id")
        return self._open_view(args)

    def api_views_push(self, args: Json) -> Json:
        return self.api_views_open(args)

    def api_views_update(self, args: Json) -> Json:
        view_id = str(args.get("view_id") or "")
        if view_id not in self.views:
            return self._error("not_found")
        if args.get("hash") and args["hash"] != self.views[view_id].get("hash"):
            return self._error("hash_conflict")  # the view changed since that hash was read
        new_hash = f"{view_id}.{next(self._hashes)}"
        self.views[view_id] = {**(args.get("view") or {}), "id": view_id, "hash": new_hash}
        return self._ok(view=self.views[view_id])

    def api_views_publish(self, args: Json) -> Json:
        user = str(args.get("user_id") or "")
        if user not in self.workspace.users:
            return self._error("user_not_found" if user else "invalid_arguments")
        result = self._open_view(args)
        self.homes[user] = result["view"]
        return result

    def _history(self, channel: str) -> dict[str, Json] | None:
        if channel.startswith("D"):  # the bot's DM with a user: readable once it exists
            return self.workspace.messages.get(channel, {})
        info = self.workspace.channels.get(channel)
        if info is None:
            return None
        return self.workspace.messages.get(channel, {}) if info.get("is_member", True) else None

    def _window(self, args: Json, messages: list[Json]) -> Json:
        """Slack's paging: newest first, between `oldest` and `latest`, `limit` a page."""
        inclusive = str(args.get("inclusive", "")).lower() in ("1", "true")
        oldest, latest = float(args.get("oldest") or 0), float(args.get("latest") or math.inf)

        def inside(ts: float) -> bool:
            if inclusive:
                return oldest <= ts <= latest
            return oldest < ts < latest or (ts == latest == oldest)

        found = sorted(
            (m for m in messages if inside(float(m["ts"]))), key=lambda m: -float(m["ts"])
        )
        if str(args.get("include_all_metadata", "")).lower() not in ("1", "true"):
            found = [{k: v for k, v in m.items() if k != "metadata"} for m in found]
        start = int(args.get("cursor") or 0)
        limit = int(args.get("limit") or 100)
        page = found[start : start + limit]
        more = start + limit < len(found)
        return self._ok(
            messages=page,
            has_more=more,
            response_metadata={"next_cursor": str(start + limit) if more else ""},
        )

    def _unreadable(self, channel: str) -> Json:
        return self._error(
            "channel_not_found" if channel not in self.workspace.channels else "not_in_channel"
        )

    def api_conversations_history(self, args: Json) -> Json:
        """Top-level messages only: thread replies are conversations.replies' (as in Slack)."""
        channel = str(args.get("channel") or "")
        messages = self._history(channel)
        if messages is None:
            return self._unreadable(channel)
        top = [m for m in messages.values() if m.get("thread_ts", m["ts"]) == m["ts"]]
        return self._window(args, top)

    def api_conversations_replies(self, args: Json) -> Json:
        """A thread: its parent and replies (messages a test added without `thread_ts` count
        as in any thread, as the link tests expect)."""
        channel, parent = str(args.get("channel") or ""), str(args.get("ts") or "")
        messages = self._history(channel)
        if messages is None:
            return self._unreadable(channel)
        thread = [m for m in messages.values() if m.get("thread_ts", parent) == parent]
        return self._window(args, thread)

    def api_conversations_open(self, args: Json) -> Json:
        users = str(args.get("users") or "")
        channel = self._conversation(users) if "," not in users else None
        if channel is None:
            return self._error("user_not_found")
        self.workspace.messages.setdefault(channel, {})
        return self._ok(channel={"id": channel})

    def api_conversations_info(self, args: Json) -> Json:
        info = self.workspace.channels.get(str(args.get("channel") or ""))
        return self._ok(channel=info) if info else self._error("channel_not_found")
