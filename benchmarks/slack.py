"""The fake Slack as its own process: `python -m benchmarks.slack --port P [--latency-ms L]
[--post-interval 1]`. `GET /bench/stats` answers what the S7 checks need."""

from __future__ import annotations

import argparse
import asyncio
import collections
from typing import Any

from aiohttp import web

from benchmarks.workspace import bench_workspace
from bot.devtools.fake_slack import FakeSlack


def stats(slack: FakeSlack) -> dict[str, Any]:
    posted = [c.args for c in slack.calls if c.method == "chat.postMessage"]
    texts = collections.Counter(str(args.get("text")) for args in posted)
    limit = slack.post_limit
    return {
        "calls": collections.Counter(c.method for c in slack.calls),
        "posted": len(posted),
        "distinct_posted": len(texts),
        "rate_limited": limit.rate_limited if limit else 0,
        "before_retry_after": limit.before_retry_after if limit else 0,
    }


async def serve(port: int, latency: float, post_interval: float | None) -> None:
    slack = FakeSlack(bench_workspace(), latency=latency, post_interval=post_interval, port=port)
    await slack.start()
    app = web.Application()

    async def handle(_: web.Request) -> web.Response:
        return web.json_response(stats(slack))

    app.router.add_get("/bench/stats", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port + 1).start()
    print("ready", flush=True)
    await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True, help="the API; stats on port + 1")
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--post-interval", type=float, default=None)
    args = parser.parse_args()
    asyncio.run(serve(args.port, args.latency_ms / 1000, args.post_interval))


if __name__ == "__main__":
    main()
