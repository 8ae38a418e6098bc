"""`handoff history import FILE`: the warm start from a helpdesk export (issue 16), kept out
of bot/cli.py so the command's parsing and its run stay together."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path
from typing import Any

from bot.cli_errors import command_parser
from bot.settings import Settings

MAX_SHOWN = 50  # bad rows listed; the count says how many more


def add_parser(sub: Any) -> None:
    history = command_parser(sub, "history", "teach the router from past tickets")
    verbs = history.add_subparsers(dest="verb", required=True, help="what to do with it")
    what = "import past tickets (CSV or JSON lines) as confirmed handoffs"
    load = command_parser(verbs, "import", what)
    load.add_argument("file", help="the export: text, owner, optional topic and date")
    load.add_argument("--team", default=None, help="workspace id (default: the bot's own)")
    load.add_argument(
        "--format",
        choices=("auto", "csv", "jsonl"),
        default="auto",
        help="the file's format (auto: JSON lines when it starts with {, else CSV)",
    )
    load.add_argument(
        "--mapping",
        choices=("auto", "handoff", "zendesk", "jira", "freshdesk", "hubspot"),
        default="auto",
        help="whose column names the file uses (auto: guessed from the header)",
    )
    load.add_argument("--dry-run", action="store_true", help="check and count; store nothing")


def _resolver(settings: Settings) -> Any:
    from bot.slack.owners import OfflineOwnerResolver, SlackOwnerResolver

    if not settings.slack_bot_token:
        return OfflineOwnerResolver()
    from slack_sdk.web.async_client import AsyncWebClient

    client = AsyncWebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url)
    return SlackOwnerResolver(client)


async def run(settings: Settings, args: argparse.Namespace, team: str) -> int:
    """0: every row imported (or already there); 1: some rows were bad and skipped; 2: the
    file or Slack failed and nothing was imported."""
    from bot.domain.history import import_history
    from bot.domain.history_file import HistoryFileError, parse_history
    from bot.jobs.clock import utcnow
    from bot.slack.people import SlackUnavailable
    from db.uow import Database

    try:
        text = await asyncio.to_thread(Path(args.file).read_text, encoding="utf-8")
        parsed = parse_history(text, format=args.format, mapping=args.mapping)
    except OSError as error:
        print(f"can't read {args.file}: {error.strerror or error}", file=sys.stderr)
        return 2
    except UnicodeDecodeError:
        print(f"{args.file}: not UTF-8 text. Nothing was imported.", file=sys.stderr)
        return 2
    except HistoryFileError as error:
        print(f"{args.file}: {error}. Nothing was imported.", file=sys.stderr)
        return 2
    db = Database.from_url(settings.database_url)
    try:
        report = await import_history(
            db.uow,
            _resolver(settings),
            parsed,
            team_id=team,
            source=f"file:{os.path.basename(args.file)}",
            now=utcnow(),
            dry_run=args.dry_run,
        )
    except SlackUnavailable as error:
        print(f"{args.file}: {error}. Nothing was imported.", file=sys.stderr)
        return 2
    finally:
        await db.dispose()
    print(f"{args.file} ({parsed.mapping} columns, {parsed.format}): {report.summary()}")
    for bad in report.bad[:MAX_SHOWN]:
        print(f"  line {bad.line}: {bad.reason}", file=sys.stderr)
    if len(report.bad) > MAX_SHOWN:
        print(f"  ... and {len(report.bad) - MAX_SHOWN} more bad rows", file=sys.stderr)
    return 1 if report.bad else 0
