"""The `handoff` console command."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from bot import cli_history
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
    directory = sub.add_parser("directory", help="import or export the routing directory (YAML)")
    verbs = directory.add_subparsers(dest="verb", required=True)
    load = verbs.add_parser("import", help="replace the directory with a YAML file's topics")
    load.add_argument("file", help="the YAML file (see README: The routing directory)")
    load.add_argument("--team", default=None, help="workspace id (default: the bot's own)")
    dump = verbs.add_parser("export", help="print the directory as YAML")
    dump.add_argument("--team", default=None, help="workspace id (default: the bot's own)")
    cli_history.add_parser(sub)
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
    if args.command == "directory":
        logging.getLogger("alembic").setLevel(logging.WARNING)
        return asyncio.run(_directory(settings, args))
    if args.command == "history":
        logging.getLogger("alembic").setLevel(logging.WARNING)
        return asyncio.run(_history(settings, args))
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


async def _team(settings: Settings, given: str | None) -> str:
    """The workspace a directory command is about: --team, the bot token's, or the only one
    the database knows."""
    if given:
        return given
    if settings.slack_bot_token:
        from slack_sdk.web.async_client import AsyncWebClient

        client = AsyncWebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url)
        response = await client.auth_test()
        return str(response["team_id"])
    from sqlalchemy import select, union

    from db.models import Request, Topic
    from db.uow import Database

    db = Database.from_url(settings.database_url)
    try:
        async with db.uow() as uow:
            query = union(select(Topic.team_id), select(Request.team_id))
            teams = sorted({row[0] for row in (await uow.session.execute(query)).all()})
    finally:
        await db.dispose()
    if len(teams) != 1:
        raise SystemExit(
            "Which workspace? Pass --team T0123ABCD (or set SLACK_BOT_TOKEN); "
            f"the database knows {len(teams)} workspaces."
        )
    return teams[0]


async def _directory(settings: Settings, args: argparse.Namespace) -> int:
    from bot.domain.directory import DirectoryError, parse_yaml, to_yaml
    from bot.jobs.clock import utcnow
    from bot.jobs.directory_file import replace_directory
    from db.migrate import upgrade
    from db.repositories.directory import spec_of
    from db.uow import Database

    await upgrade(settings.database_url)
    team = await _team(settings, args.team)
    if args.verb == "import":
        try:
            text = await asyncio.to_thread(Path(args.file).read_text, encoding="utf-8")
            topics = parse_yaml(text)
        except OSError as error:
            print(f"can't read {args.file}: {error}", file=sys.stderr)
            return 2
        except (DirectoryError, UnicodeDecodeError) as error:
            print(f"{args.file}: {error}\nNothing was changed.", file=sys.stderr)
            return 2
        db = Database.from_url(settings.database_url)
        try:
            result = await replace_directory(
                db, team, topics, now=utcnow(), by=f"import:{os.path.basename(args.file)}"
            )
        finally:
            await db.dispose()
        print(f"{args.file}: {result} ({len(topics)} topics in workspace {team})")
        return 0
    db = Database.from_url(settings.database_url)
    try:
        async with db.uow() as uow:
            rows = await uow.directory.topics(team)
    finally:
        await db.dispose()
    sys.stdout.write(to_yaml(spec_of(row) for row in rows))
    return 0


async def _history(settings: Settings, args: argparse.Namespace) -> int:
    from db.migrate import upgrade

    await upgrade(settings.database_url)
    return await cli_history.run(settings, args, await _team(settings, args.team))


if __name__ == "__main__":
    sys.exit(main())
