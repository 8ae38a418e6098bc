"""What Slack sends, checked before Bolt touches it, and made storable once Bolt has it.

Bolt's Starlette adapter decodes the body as UTF-8 before it checks the signature, and parses
JSON with no depth limit: a body anyone can send (not UTF-8, or nested 1,000 levels deep) made
a 500 with a traceback. So the HTTP route checks the v0 signature over the raw bytes first
(`signed`), then reads the body the way Bolt will (`read`), and only then hands it to Bolt.
`clean_payload` is a Bolt middleware, so Socket Mode, which bypasses the route, gets it too.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Awaitable, Callable, Mapping
from itertools import accumulate
from typing import Any
from urllib.parse import parse_qsl

from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_internals import build_async_context
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.request.internals import build_normalized_headers, extract_content_type
from slack_bolt.response import BoltResponse

from bot.domain.text import storable, storable_data

MAX_AGE = 5 * 60  # seconds either way, as Slack and Bolt allow
# Slack's deepest payloads (rich text in a message event, a modal's state) nest about 15
# levels; Python's json module and recursive walks of the result fail near 1,000.
MAX_DEPTH = 100
_TIMESTAMP = re.compile(r"[0-9]{1,12}")  # not str.isdigit(): it says yes to "²", int() says no
# A string, or an unterminated one to the end of the text: without the optional closing
# quote, each `\"` of an unterminated string starts a new scan to the end (quadratic).
# DOTALL: JSON lets a backslash escape any character, as far as where the string ends goes.
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


class Unreadable(ValueError):
    """A signed body no listener could read; `reason` is the metric's label."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def signed(
    secret: str, *, timestamp: str | None, signature: str | None, body: bytes, now: float
) -> bool:
    """Slack's v0 signature over the raw bytes, within five minutes of `now`."""
    if not timestamp or not signature or not _TIMESTAMP.fullmatch(timestamp):
        return False
    if abs(now - int(timestamp)) > MAX_AGE:
        return False
    base = b"v0:" + timestamp.encode() + b":" + body
    expected = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace"))


def read(body: bytes, headers: Mapping[str, str]) -> dict[str, Any]:
    """The payload, parsed by Bolt's own rules (JSON, a form, or a form's `payload` field).

    Raises Unreadable for anything Bolt would fail on: a 500 there, for Slack's retries to
    meet again.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise Unreadable("not_utf8", f"byte {error.start} is not UTF-8") from None
    content_type = extract_content_type(build_normalized_headers(dict(headers)))
    payload: Any
    if not text:
        payload = {}
    elif content_type == "application/json" or text.startswith("{"):
        payload = _json(text)
    elif "payload" in text:  # Bolt's test, to the letter: interactivity is a form with JSON
        field = dict(parse_qsl(text, keep_blank_values=True)).get("payload")
        payload = {} if field is None else _json(field)
    else:
        payload = dict(parse_qsl(text, keep_blank_values=True))
    if not isinstance(payload, dict):
        raise Unreadable("not_an_object", f"the payload is a JSON {type(payload).__name__}")
    try:  # what Bolt does next with it, before any listener can catch an error
        build_async_context(AsyncBoltContext(), payload)
    except Exception as error:
        raise Unreadable("unexpected_shape", type(error).__name__) from None
    return payload


def json_depth(text: str) -> int:
    """How deep the brackets of JSON `text` nest, ignoring those inside strings."""
    brackets = _NOT_BRACKET.sub("", _JSON_STRING.sub("", text))
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


def _json(text: str) -> Any:
    depth = json_depth(text)
    if depth > MAX_DEPTH:
        raise Unreadable("too_deep", f"JSON nested {depth} levels (at most {MAX_DEPTH})")
    try:
        return json.loads(text)
    except ValueError as error:  # JSONDecodeError, and ints past Python's 4,300 digits
        raise Unreadable("not_json", str(error)[:100]) from None


async def clean_payload(
    req: AsyncBoltRequest, next: Callable[[], Awaitable[BoltResponse]]
) -> BoltResponse:
    """Every string of the payload made storable before any listener reads it: requests,
    notes, modal fields, names and outbox messages all come from here."""
    req.body = storable_data(req.body)
    for key, value in list(req.context.items()):
        if isinstance(value, str):
            req.context[key] = storable(value)
    return await next()
