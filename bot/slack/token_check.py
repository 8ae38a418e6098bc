"""Is the bot token any good? Asked of Slack (auth.test) for /readyz and at start, and
remembered a while, so a load balancer polling /readyz every second costs Slack nothing."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)
GOOD_FOR = 300.0  # seconds; a token revoked meanwhile shows within five minutes
BAD_FOR = 30.0  # a refused token is asked about again soon: someone may be fixing it


class TokenCheck:
    def __init__(
        self,
        client: AsyncWebClient,
        *,
        clock: Callable[[], float] = time.monotonic,
        good_for: float = GOOD_FOR,
        bad_for: float = BAD_FOR,
    ) -> None:
        self.client = client
        self.clock = clock
        self.good_for, self.bad_for = good_for, bad_for
        self._problem: str | None = None
        self._until: float | None = None
        self._lock = asyncio.Lock()

    async def problem(self) -> str | None:
        """Why Slack refuses the bot token (None: it accepts it, or could not be asked)."""
        if self._fresh():
            return self._problem
        async with self._lock:  # many /readyz at once: one auth.test
            if not self._fresh():
                self._problem = await self._ask()
                wait = self.bad_for if self._problem else self.good_for
                self._until = self.clock() + wait
        return self._problem

    def _fresh(self) -> bool:
        return self._until is not None and self.clock() < self._until

    async def _ask(self) -> str | None:
        if self.client.token is None:  # installed from a link: each token is checked on use
            return None
        try:
            await self.client.auth_test()
        except SlackApiError as error:
            code = error.response.get("error") or f"http_{error.response.status_code}"
            problem = f"Slack refused SLACK_BOT_TOKEN ({code})"
            log.error("%s: check the Bot User OAuth Token (xoxb-…) of the app", problem)
            return problem
        except (OSError, TimeoutError) as error:
            # Slack unreachable is not this replica's fault: it stays ready, and says so.
            log.warning("auth.test could not reach Slack: %r", error)
            return None
        return None
