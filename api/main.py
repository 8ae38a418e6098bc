"""The FastAPI app. It owns the lifespan of the runtime (engine, Slack app, background loop).

Routes: /slack/events (Bolt), /healthz and /readyz, /metrics (Prometheus), the REST API
under /api (api/routes/, bearer token checked by api/auth.py), /docs (offline Swagger UI) and
the web dashboard under /dashboard (api/dashboard/, signed in from chat)."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from sqlalchemy import text
from starlette.exceptions import HTTPException as StarletteHTTPException

from api import dashboard, docs, prometheus
from api.auth import ApiAuth
from api.middleware import BodyLimit, SlackLatency
from api.responses import invalid_request, unreadable_body
from api.routes import directory, handoffs, health_metrics, history, requests
from bot import metrics
from bot.runtime import Runtime
from bot.settings import Settings
from bot.slack import inbound
from db.migrate import current_revision, head_revision

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, *, runtime: Runtime | None = None) -> FastAPI:
    runtime = runtime or Runtime(settings or Settings())
    slack = AsyncSlackRequestHandler(runtime.bolt) if runtime.bolt is not None else None

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(
        title="Handoff",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # api/docs.py serves it from vendored files (works offline)
        redoc_url=None,
        description="Warm handoffs of customer requests: the REST API (bearer token) and "
        "health. See README.md, section HTTP API.",
    )
    app.state.runtime = runtime
    # The last added runs first: the token is checked before a body is read.
    app.add_middleware(SlackLatency)
    app.add_middleware(BodyLimit)
    app.add_middleware(ApiAuth, runtime=runtime)
    app.add_exception_handler(StarletteHTTPException, unreadable_body)
    app.add_exception_handler(RequestValidationError, invalid_request)
    for module in (handoffs, requests, directory, history, health_metrics, prometheus):
        app.include_router(module.router)
    docs.install(app)
    dashboard.install(app)

    if slack is not None:
        _slack_routes(app, runtime, slack)

    @app.get("/healthz", tags=["health"])
    async def healthz() -> dict[str, str]:
        """The process is alive."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"])
    async def readyz() -> JSONResponse:
        """The database answers, its schema is at the migrations' head, and Slack accepts the
        bot token (asked at most every few minutes)."""
        try:
            async with runtime.db.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
                current = await conn.run_sync(current_revision)
        except Exception as error:
            return JSONResponse({"status": "unavailable", "database": str(error)[:200]}, 503)
        head = head_revision()
        if current != head:
            return JSONResponse(
                {"status": "migrations pending", "database_revision": current, "head": head}, 503
            )
        problem = await runtime.token_check.problem()
        if problem:
            return JSONResponse({"status": "unavailable", "slack": problem}, 503)
        return JSONResponse({"status": "ready", "database_revision": current})

    return app


def _slack_routes(app: FastAPI, runtime: Runtime, slack: AsyncSlackRequestHandler) -> None:
    """Slack's endpoints; absent when only the REST API is served (no Slack settings)."""

    @app.post("/slack/events", include_in_schema=False)
    async def slack_events(request: Request) -> Response:
        """One Request URL for events, slash commands, shortcuts and interactivity."""
        body = await request.body()
        refused = unsigned(request, body, runtime.settings.slack_signing_secret or "")
        if refused:
            metrics.SLACK_UNSIGNED.labels(reason=refused).inc()
            return JSONResponse({"error": "invalid request"}, status_code=401)
        try:
            inbound.read(body, request.headers)
        except inbound.Unreadable as error:
            return unreadable(error)
        return await slack.handle(request)  # Starlette keeps the body: it is not read twice

    if runtime.oauth is not None:

        @app.get("/slack/install", include_in_schema=False)
        async def slack_install(request: Request) -> Response:
            """The install page: Add to Slack, with a signed state in a cookie."""
            return await slack.handle(request)

        @app.get("/slack/oauth_redirect", include_in_schema=False)
        async def slack_oauth_redirect(request: Request) -> Response:
            """Slack's consent comes back here: the installation is stored, or refused."""
            return await slack.handle(request)


def unsigned(request: Request, body: bytes, secret: str) -> str | None:
    """Why the request is not Slack's (the metric's label), or None when it is."""
    timestamp = request.headers.get("x-slack-request-timestamp")
    signature = request.headers.get("x-slack-signature")
    if not timestamp or not signature:
        return "missing"
    ok = inbound.signed(
        secret, timestamp=timestamp, signature=signature, body=body, now=time.time()
    )
    return None if ok else "invalid"


def unreadable(error: inbound.Unreadable) -> Response:
    """400 with X-Slack-No-Retry: Slack would send the same bytes again, and a 2xx would tell
    a person who pressed a button or submitted a form that it worked (a 4xx shows them it
    did not). One line, no traceback: nothing in our code failed."""
    log.warning("unreadable signed request to /slack/events: %s", error)
    metrics.SLACK_UNREADABLE.labels(reason=error.reason).inc()
    return JSONResponse(
        {"error": f"unreadable request: {error.reason}"},
        status_code=400,
        headers={"X-Slack-No-Retry": "1"},
    )
