"""A stand-in for Microsoft's Bot Connector on loopback: the tests and `demo --teams` use it.

It serves what the bot reads and calls, the way Microsoft does: the OpenID metadata and the
JWKS (its own RSA key) that inbound tokens are checked against, a client-credentials token
endpoint whose access token is itself a JWT, and the connector's `/v3/conversations` (create a
1:1, post an activity, update one). It records every call and can be told to fail (429 with
Retry-After, 5xx, a permanent error such as a conversation the bot was removed from). Tests
sign inbound activities with `sign_activity_token` as Bot Framework does (RS256, issuer
https://api.botframework.com, audience = the app id, the `serviceurl` claim).
"""

from __future__ import annotations

import itertools
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import jwt
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa

from bot.devtools.loopback import LoopbackServer

Json = dict[str, Any]
ISSUER = "https://api.botframework.com"
KEY_ID = "fake-connector-key"


@dataclass
class Call:
    method: str  # GET, POST, PUT
    path: str
    body: Json
    token: str = ""
    accepted: bool = False  # answered 2xx (a refused call is recorded too)


@dataclass
class Fault:
    """The next matching call answers `status` (with an error `code`, and Retry-After)."""

    status: int
    code: str = "ServiceError"
    retry_after: int | None = None


@dataclass
class Conversation:
    id: str
    activities: dict[str, Json] = field(default_factory=dict)  # activity id -> last body


class FakeConnector(LoopbackServer):
    """`async with FakeConnector(app_id) as teams:`; `teams.service_url` is the activities'
    serviceUrl, `teams.metadata_url` and `teams.login_url` the two endpoint settings."""

    def __init__(self, app_id: str, *, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(host=host, port=port)
        self.app_id = app_id
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.calls: list[Call] = []
        self.faults: list[Fault] = []
        self.conversations: dict[str, Conversation] = {}
        self.blocked: set[str] = set()  # conversations whose user blocked the bot
        self.removed: set[str] = set()  # conversations the bot was removed from
        self._ids = itertools.count(1)
        self.tokens_issued = 0

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def service_url(self) -> str:
        return f"{self.base}/teams/"

    @property
    def metadata_url(self) -> str:
        return f"{self.base}/v1/.well-known/openidconfiguration"

    @property
    def login_url(self) -> str:
        return f"{self.base}/botframework.com/oauth2/v2.0/token"

    def routes(self, router: web.UrlDispatcher) -> None:
        router.add_get("/v1/.well-known/openidconfiguration", self._metadata)
        router.add_get("/v1/.well-known/keys", self._keys)
        router.add_post("/botframework.com/oauth2/v2.0/token", self._token)
        router.add_post("/teams/v3/conversations", self._create)
        router.add_post("/teams/v3/conversations/{cid}/activities", self._post)
        router.add_put("/teams/v3/conversations/{cid}/activities/{aid}", self._put)

    # -- test helpers ------------------------------------------------------------------------

    def add_conversation(self, conversation_id: str) -> None:
        self.conversations.setdefault(conversation_id, Conversation(conversation_id))

    def fail_next(self, *faults: Fault) -> None:
        self.faults.extend(faults)

    def sent(self, method: str = "POST") -> list[Call]:
        """Activities posted (or, with "PUT", updated) and accepted, in order."""
        return [
            c for c in self.calls if c.method == method and "/activities" in c.path and c.accepted
        ]

    def sent_to(self, conversation_id: str) -> list[Json]:
        return [
            c.body
            for c in self.sent()
            if c.path.split("/conversations/")[1].split("/")[0] == conversation_id
        ]

    def sign(self, claims: Json, *, key: rsa.RSAPrivateKey | None = None, kid: str = KEY_ID) -> str:
        return jwt.encode(claims, key or self.key, algorithm="RS256", headers={"kid": kid})

    def activity_token(
        self,
        *,
        audience: str | None = None,
        service_url: str | None = None,
        issuer: str = ISSUER,
        expires_in: int = 3600,
        key: rsa.RSAPrivateKey | None = None,
    ) -> str:
        """An inbound token as the Bot Connector signs it."""
        now = int(time.time())
        claims = {
            "iss": issuer,
            "aud": audience or self.app_id,
            "serviceurl": service_url or self.service_url,
            "nbf": now - 5,
            "iat": now - 5,
            "exp": now + expires_in,
        }
        return self.sign(claims, key=key)

    # -- the endpoints -----------------------------------------------------------------------

    async def _metadata(self, _: web.Request) -> web.Response:
        return web.json_response(
            {
                "issuer": ISSUER,
                "authorization_endpoint": f"{self.base}/authorize",
                "jwks_uri": f"{self.base}/v1/.well-known/keys",
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            }
        )

    async def _keys(self, _: web.Request) -> web.Response:
        jwk = jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        jwk.update(kid=KEY_ID, use="sig", alg="RS256", endorsements=["msteams"])
        return web.json_response({"keys": [jwk]})

    async def _token(self, request: web.Request) -> web.Response:
        form = await request.post()
        self.calls.append(Call("POST", request.path, {k: str(v) for k, v in form.items()}))
        if form.get("client_id") != self.app_id or not form.get("client_secret"):
            return web.json_response(
                {"error": "invalid_client", "error_description": "AADSTS7000215"}, status=401
            )
        self.tokens_issued += 1
        now = int(time.time())
        access = self.sign(
            {
                "aud": "https://api.botframework.com",
                "appid": self.app_id,
                "iat": now,
                "exp": now + 3600,
            }
        )
        return web.json_response(
            {"token_type": "Bearer", "expires_in": 3600, "access_token": access}
        )

    def _record(self, request: web.Request, body: Json) -> Call:
        auth = request.headers.get("Authorization", "")
        call = Call(request.method, request.path, body, auth.removeprefix("Bearer "))
        self.calls.append(call)
        return call

    def _refusal(self, call: Call, conversation_id: str | None) -> web.Response | None:
        if not call.token:
            return _error(401, "Unauthorized", "no token")
        try:
            jwt.decode(
                call.token,
                self.key.public_key(),
                algorithms=["RS256"],
                audience="https://api.botframework.com",
            )
        except jwt.InvalidTokenError as error:
            return _error(401, "Unauthorized", str(error))
        if self.faults:
            fault = self.faults.pop(0)
            headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after else None
            return _error(fault.status, fault.code, "injected", headers=headers)
        if conversation_id is not None and _root(conversation_id) in self.removed:
            return _error(
                403, "BotNotInConversationRoster", "The bot is not part of the conversation roster."
            )
        if conversation_id in self.blocked:
            return _error(
                403, "ConversationBlockedByUser", "User blocked the conversation with the bot."
            )
        if conversation_id is not None and _root(conversation_id) not in self.conversations:
            return _error(404, "ConversationNotFound", "Conversation not found.")
        return None

    async def _create(self, request: web.Request) -> web.Response:
        body = await request.json()
        call = self._record(request, body)
        refused = self._refusal(call, None)
        if refused is not None:
            return refused
        member = (body.get("members") or [{}])[0].get("id", "")
        conversation_id = f"a:1:{member}"
        self.add_conversation(conversation_id)
        return web.json_response({"id": conversation_id}, status=201)

    async def _post(self, request: web.Request) -> web.Response:
        body = await request.json()
        call = self._record(request, body)
        cid = request.match_info["cid"]
        refused = self._refusal(call, cid)
        if refused is not None:
            return refused
        activity_id = str(1_700_000_000_000 + next(self._ids))
        self.conversations[_root(cid)].activities[activity_id] = body
        call.accepted = True
        return web.json_response({"id": activity_id}, status=201)

    async def _put(self, request: web.Request) -> web.Response:
        body = await request.json()
        call = self._record(request, body)
        cid, aid = request.match_info["cid"], request.match_info["aid"]
        refused = self._refusal(call, cid)
        if refused is not None:
            return refused
        activities = self.conversations[_root(cid)].activities
        if aid not in activities:
            return _error(404, "ActivityNotFound", "Activity not found.")
        activities[aid] = body
        call.accepted = True
        return web.json_response({"id": aid})


def _root(conversation_id: str) -> str:
    """A channel thread's id is the channel's plus `;messageid=<root>`."""
    return conversation_id.split(";", 1)[0]


def _error(
    status: int, code: str, message: str, *, headers: dict[str, str] | None = None
) -> web.Response:
    return web.json_response(
        {"error": {"code": code, "message": message}}, status=status, headers=headers
    )


def new_id() -> str:
    return str(uuid.uuid4())
