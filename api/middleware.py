"""ASGI middleware: the 1 MB body limit, and the latency histogram of /slack/events."""

from __future__ import annotations

import time

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.responses import problem
from bot import metrics

MAX_BODY = 1024 * 1024


class _TooLarge(HTTPException):
    """Raised from `receive`: FastAPI passes an HTTPException raised while it reads the body
    through (any other error there becomes a 400), and the route's exception handler turns
    it into the 413; the middleware answers it itself if it gets this far."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the body is over {limit // 1024} KB")


class BodyLimit:
    """413 for a body over `limit` bytes: at once when Content-Length says so, else as soon as
    the streamed body passes the limit (a chunked upload has no Content-Length)."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length" and (not value.isdigit() or int(value) > self.limit):
                await self._refuse(scope, receive, send)
                return
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _TooLarge(self.limit)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except _TooLarge:
            if started:
                raise
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        await problem(413, f"the body is over {self.limit // 1024} KB")(scope, receive, send)


class SlackLatency:
    """Observe how long POST /slack/events takes to answer, and with which status class."""

    def __init__(self, app: ASGIApp, path: str = "/slack/events") -> None:
        self.app = app
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") != self.path:
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500  # an exception before the answer started is a 5xx to Slack

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            metrics.SLACK_EVENTS_LATENCY.observe(time.perf_counter() - start)
            metrics.SLACK_EVENTS_RESPONSES.labels(status=f"{status // 100}xx").inc()
