"""Socket Mode: the same listeners over a websocket, for a laptop with no public URL."""

from __future__ import annotations

import asyncio

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

from bot.runtime import Runtime
from bot.settings import Settings


async def run_socket_mode(settings: Settings) -> int:
    if not settings.slack_app_token:
        print("SLACK_APP_TOKEN (xapp-...) is needed for Socket Mode.")
        return 2
    runtime = Runtime(settings)
    await runtime.start()
    handler = AsyncSocketModeHandler(runtime.bolt, settings.slack_app_token)
    try:
        await handler.start_async()
    except asyncio.CancelledError:
        pass
    finally:
        await runtime.stop()
    return 0
