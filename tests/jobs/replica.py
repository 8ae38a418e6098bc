"""One replica of the bot's background loop, as `handoff serve` runs it, without the HTTP
server: `python -m tests.jobs.replica`, configured by the environment like `handoff`. The
multi-replica fault test starts several and kills them with SIGKILL."""

from __future__ import annotations

import asyncio
import logging

from bot.runtime import Runtime
from bot.settings import Settings


async def main() -> None:
    settings = Settings()
    logging.basicConfig(level=settings.handoff_log_level.upper())
    runtime = Runtime(settings)
    await runtime.start()  # ticks every HANDOFF_TICK_SECONDS, delivering the outbox
    try:
        await asyncio.Event().wait()
    finally:
        await runtime.stop()


if __name__ == "__main__":
    asyncio.run(main())
