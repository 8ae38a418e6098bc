"""The FastAPI app. It owns the lifespan of the runtime (engine, Slack app, background loop).

Routes: /slack/events (Bolt), /healthz and /readyz, /metrics (Prometheus), and the REST API
under /api (api/routes/, bearer token checked by api/auth.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from sqlalchemy import text
from starlette.exceptions import HTTPException as StarletteHTTPException

from api import prometheus
from api.auth import ApiAuth
from api.middleware import BodyLimit, SlackLatency
from api.responses import unreadable_body
from api.routes import directory, handoffs, health_metrics, history, requests
from bot.runtime import Runtime
from bot.settings import Settings
from db.migrate import current_revision, head_revision


def create_app(settings: Settings | None = None, *, runtime: Runtime | None = None) -> FastAPI:
    runtime = runtime or Runtime(settings or Settings())
    slack = AsyncSlackRequestHandler(runtime.bolt)

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
        description="Warm handoffs of customer requests: the REST API (bearer token) and "
        "health. See README.md, section HTTP API.",
    )
    app.state.runtime = runtime
    # The last added runs first: the token is checked before a body is read.
    app.add_middleware(SlackLatency)
    app.add_middleware(BodyLimit)
    app.add_middleware(ApiAuth, runtime=runtime)
    app.add_exception_handler(StarletteHTTPException, unreadable_body)
    for module in (handoffs, requests, directory, history, health_metrics, prometheus):
        app.include_router(module.router)

    @app.post("/slack/events", include_in_schema=False)
    async def slack_events(request: Request) -> Response:
        """One Request URL for events, slash commands, shortcuts and interactivity."""
        # slack_sdk's verifier calls int() on this header and raises on anything else: a 500
        # (and a logged "listener failed") for what is just an unsigned request.
        if not request.headers.get("x-slack-request-timestamp", "0").isdigit():
            return JSONResponse({"error": "invalid request"}, status_code=401)
        return await slack.handle(request)

    @app.get("/healthz", tags=["health"])
    async def healthz() -> dict[str, str]:
        """The process is alive."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"])
    async def readyz() -> JSONResponse:
        """The database answers and its schema is at the migrations' head."""
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
        return JSONResponse({"status": "ready", "database_revision": current})

    return app
