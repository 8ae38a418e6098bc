"""The `handoff` console command."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from datetime import UTC, datetime

from bot.settings import Settings


def _parse_now(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"not an ISO time: {value!r}") from error
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="handoff", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the HTTP app (POST /slack/events, /healthz)")
    serve.add_argument("--host", default="0.0.0.0")
    serve.add_argument("--port", type=int, default=3000)
    serve.add_argument(
        "--no-migrate", action="store_true", help="don't upgrade the database to head on start"
    )
    sub.add_parser("socket", help="run over Socket Mode (SLACK_APP_TOKEN), no public URL")
    sub.add_parser("migrate", help="upgrade the database to the latest schema")
    tick = sub.add_parser("tick", help="run one scheduler pass (for cron) and exit")
    tick.add_argument("--now", type=_parse_now, default=None, help="ISO time, default now")
    demo = sub.add_parser("demo", help="play the whole story locally, no Slack workspace")
    demo.add_argument(
        "--database-url", default=None, help="default: a fresh SQLite file in a temporary folder"
    )
    manifest = sub.add_parser("manifest", help="print the Slack app manifest (JSON)")
    manifest.add_argument("--url", default=None, help="public URL of POST /slack/events")
    manifest.add_argument("--socket-mode", action="store_true")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "manifest":
        from bot.slack.manifest import manifest

        print(json.dumps(manifest(args.url, socket_mode=args.socket_mode), indent=2))
        return 0
    if args.command == "demo":
        from bot.devtools.demo import run_demo

        return asyncio.run(run_demo(args.database_url))
    settings = Settings()
    logging.basicConfig(
        level=settings.handoff_log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    from db.migrate import upgrade

    if args.command == "migrate":
        asyncio.run(upgrade(settings.database_url))
        print("database is at the latest schema")
        return 0
    if not settings.slack_configured:
        print(
            "SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET are not set. See README.md, or run "
            "`handoff demo` to watch the bot work without a workspace.",
            file=sys.stderr,
        )
        return 2
    if args.command == "serve":
        import uvicorn

        from api.main import create_app

        if not args.no_migrate:
            asyncio.run(upgrade(settings.database_url))
        uvicorn.run(
            create_app(settings),
            host=args.host,
            port=args.port,
            log_level=settings.handoff_log_level.lower(),
        )
        return 0
    if args.command == "socket":
        from bot.socket import run_socket_mode

        asyncio.run(upgrade(settings.database_url))
        return asyncio.run(run_socket_mode(settings))
    if args.command == "tick":
        return asyncio.run(_tick(settings, args.now))
    return 2


async def _tick(settings: Settings, now: datetime | None) -> int:
    from bot.runtime import Runtime

    runtime = Runtime(settings)
    try:
        report = await runtime.tick(now)
    finally:
        await runtime.stop()
    nudges, delivery, digests = report.nudges, report.delivery, report.digests
    print(
        f"tick: nudged {nudges.nudged}, escalated {nudges.escalated}, "
        f"sent {delivery.sent}, retrying {delivery.retried}, dead {delivery.dead}, "
        f"digests {digests.team}, personal digests {digests.personal}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
