"""The baselines' apps, served by uvicorn like `handoff serve` is:
B0 a bare route that answers 200; B1 the same plus Slack's signature check of the body;
B2 a bare Bolt AsyncApp behind FastAPI whose only listener acks."""

from __future__ import annotations

from fastapi import FastAPI, Request, Response
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from benchmarks.workspace import SIGNING_SECRET
from bot.settings import Settings


def b0() -> FastAPI:
    app = FastAPI()

    @app.post("/slack/events")
    async def events(request: Request) -> Response:
        await request.body()
        return Response(status_code=200)

    return app


def b1() -> FastAPI:
    app = FastAPI()
    verifier = SignatureVerifier(SIGNING_SECRET)

    @app.post("/slack/events")
    async def events(request: Request) -> Response:
        body = await request.body()
        if not verifier.is_valid_request(body, dict(request.headers)):
            return Response(status_code=401)
        return Response(status_code=200)

    return app


def b2() -> FastAPI:
    # The runner says where the fake Slack is through the environment, as for `serve`.
    settings = Settings()
    client = AsyncWebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url)
    bolt = AsyncApp(client=client, signing_secret=SIGNING_SECRET, process_before_response=True)

    async def only_ack(ack: AsyncAck) -> None:
        await ack()

    bolt.event("message")(only_ack)
    handler = AsyncSlackRequestHandler(bolt)
    app = FastAPI()

    @app.post("/slack/events")
    async def events(request: Request) -> Response:
        return await handler.handle(request)

    return app
