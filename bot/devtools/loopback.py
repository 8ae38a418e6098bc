"""What every fake server here shares: an aiohttp app on loopback that a test starts (on a
free port unless given one), uses with `async with`, and stops without waiting for calls
it left hanging."""

from __future__ import annotations

from typing import Self

from aiohttp import web


class LoopbackServer:
    """A subclass adds its routes in `routes`; `port` is the real one once started."""

    def __init__(self, *, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None

    def routes(self, router: web.UrlDispatcher) -> None:
        raise NotImplementedError

    async def start(self) -> Self:
        app = web.Application()
        self.routes(app.router)
        # In-flight handlers (a hung call a test left behind) must not hold up shutdown.
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *_: object) -> None:
        await self.stop()
