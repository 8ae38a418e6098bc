"""The `handoff` console command."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import traceback
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from pydantic import ValidationError

from bot import cli_history, cli_teams, cli_workspace
from bot.cli_errors import (
    OperatorError,
    command_parser,
    database_problem,
    settings_problem,
    shown_url,
)
from bot.logs import setup_logging
from bot.settings import Settings


def _parse_now(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"not an ISO time: {value!r}") from error
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


DESCRIPTION = """\
Handoff: warm handoffs of customer requests in Slack and Microsoft Teams.

Settings come from the environment or a .env file (see .env.example and README.md).
Start with `handoff demo` (or `handoff demo --teams`) to watch the bot work without a
workspace."""

EPILOG = """\
A mistake in a setting or an unreachable database is said in a line or two, with exit
status 2; --debug (or HANDOFF_LOG_LEVEL=debug) shows the traceback as well."""


def _version() -> str:
    try:
        return metadata.version("handoff")
    except metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="handoff",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"handoff {_version()}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    sub = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", help="one of these:"
    )
    serve = command_parser(
        sub,
        "serve",
        "run the HTTP app (POST /slack/events, POST /api/messages for Teams, /healthz, "
        "/readyz, /api, /dashboard)",
    )
    serve.add_argument(
        "--host", default="0.0.0.0", help="address to listen on (default: %(default)s)"
    )
    serve.add_argument(
        "--port", type=int, default=3000, help="port to listen on (default: %(default)s)"
    )
    serve.add_argument(
        "--no-migrate", action="store_true", help="don't upgrade the database to head on start"
    )
    socket_mode = "run over Socket Mode (needs SLACK_APP_TOKEN); no public URL needed"
    command_parser(sub, "socket", socket_mode)
    migrate = "upgrade the database to the latest schema (needs only DATABASE_URL)"
    command_parser(sub, "migrate", migrate)
    tick = command_parser(
        sub,
        "tick",
        "run one scheduler pass and exit, printing what it did (for cron; run migrate first)",
    )
    tick.add_argument(
        "--now", type=_parse_now, default=None, help="ISO time to run at (default: now)"
    )
    demo = command_parser(sub, "demo", "play the whole story locally against a fake Slack")
    demo.add_argument(
        "--database-url",
        default=None,
        help="database to play in (default: a fresh SQLite file in a temporary folder)",
    )
    demo.add_argument(
        "--teams",
        action="store_true",
        help="play it on Microsoft Teams (a fake Bot Connector) instead of Slack",
    )
    directory = command_parser(sub, "directory", "import or export the routing directory (YAML)")
    verbs = directory.add_subparsers(
        dest="verb", required=True, metavar="VERB", help="import or export"
    )
    load = command_parser(verbs, "import", "replace the directory with a YAML file's topics")
    load.add_argument("file", help="the YAML file (see README: The routing directory)")
    load.add_argument(
        "--team", default=None, help="workspace id (default: the bot token's, or the only one)"
    )
    dump = command_parser(verbs, "export", "print the directory as YAML")
    dump.add_argument(
        "--team", default=None, help="workspace id (default: the bot token's, or the only one)"
    )
    cli_history.add_parser(sub)
    cli_workspace.add_parsers(sub)
    manifest = command_parser(sub, "manifest", "print the Slack app manifest (JSON)")
    manifest.add_argument(
        "--url",
        default=None,
        help="the app's public URL, https://your.host (events go to /slack/events, installs "
        "come back to /slack/oauth_redirect)",
    )
    manifest.add_argument(
        "--socket-mode", action="store_true", help="a manifest for Socket Mode instead"
    )
    cli_teams.add_parser(sub, handoff_version=_version())
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(argv)
    except BrokenPipeError:
        # `handoff manifest | head`: the reader has gone, which is no error of the command.
        # Python's advice: point stdout at devnull, so the exit's flush can't fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def _main(argv: list[str] | None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "manifest":
        from bot.slack.manifest import manifest

        if args.url is None:
            print(
                "handoff: warning: no --url given; the manifest says https://handoff.example.com "
                "for the Request URL and the OAuth redirect URL. Give --url https://your.host.",
                file=sys.stderr,
            )
        print(json.dumps(manifest(args.url, socket_mode=args.socket_mode), indent=2))
        return 0
    if args.command == "teams-package":
        return cli_teams.run(args)
    if args.command == "demo" and args.teams:
        from bot.devtools.demo_teams import run_teams_demo

        return asyncio.run(run_teams_demo(args.database_url))
    if args.command == "demo":
        from bot.devtools.demo import run_demo

        return asyncio.run(run_demo(args.database_url))
    try:
        settings = Settings()
    except ValidationError as error:
        return _refuse(settings_problem(error), error, debug=args.debug)
    debug = args.debug or settings.handoff_log_level.lower() == "debug"
    setup_logging("DEBUG" if args.debug else settings.handoff_log_level, settings.log_format)
    try:
        return _command(settings, args)
    except OperatorError as error:
        return _refuse(str(error), error, debug=debug)
    except Exception as error:
        problem = database_problem(error, settings.database_url)
        if problem is None:
            raise
        return _refuse(problem, error, debug=debug)


def _refuse(message: str, error: BaseException, *, debug: bool) -> int:
    if debug and isinstance(error, ValidationError):
        # Where it was refused, not pydantic's message: that repeats every input, secrets too.
        print("Traceback (most recent call last):", file=sys.stderr)
        traceback.print_tb(error.__traceback__)
    elif debug:
        traceback.print_exception(error)
    print(f"handoff: {message}", file=sys.stderr)
    return 2


def _command(settings: Settings, args: argparse.Namespace) -> int:
    from db.engine import missing_sqlite_file
    from db.migrate import upgrade

    if _in_memory(settings.database_url):
        raise OperatorError(
            f"DATABASE_URL={settings.database_url!r} names no database file, and a database in "
            "memory is gone when the command exits.\n"
            "Name a file (sqlite:///./handoff.db), or use postgresql://…"
        )
    missing = missing_sqlite_file(settings.database_url)
    if missing and not Path(missing).parent.is_dir():
        # Said here: aiosqlite's failure to open it also prints a thread's traceback.
        raise OperatorError(
            f"the folder of the database {missing} (DATABASE_URL) does not exist.\n"
            "Create it, or point DATABASE_URL at a folder that does."
        )

    if args.command == "migrate":
        asyncio.run(upgrade(settings.database_url))
        print("database is at the latest schema")
        return 0
    if args.command == "directory":
        return asyncio.run(_directory(settings, args))
    if args.command == "history":
        return asyncio.run(_history(settings, args))
    if args.command in ("workspace", "api-token"):
        asyncio.run(_require_schema(settings.database_url))
        return asyncio.run(cli_workspace.run(settings, args))
    if args.command == "socket" and not settings.slack_app_token:
        raise OperatorError(
            "SLACK_APP_TOKEN (xapp-…, with connections:write) is needed for Socket Mode.\n"
            "Create one under Basic Information → App-Level Tokens, or run `handoff serve`."
        )
    rest_only = args.command == "serve" and settings.handoff_api_token is not None
    # Teams alone is served by `serve` and `tick` (the runtime needs no Slack for it);
    # Socket Mode is Slack's.
    teams_only = args.command != "socket" and settings.teams_configured
    if not settings.slack_configured and not teams_only and not rest_only:
        raise OperatorError(missing_chat_settings(settings))
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
            log_config=None,  # bot/logs.py set up uvicorn's loggers in the app's format
        )
        return 0
    if args.command == "socket":
        from bot.socket import run_socket_mode

        asyncio.run(upgrade(settings.database_url))
        return asyncio.run(run_socket_mode(settings))
    if args.command == "tick":
        asyncio.run(_require_schema(settings.database_url))
        return asyncio.run(_tick(settings, args.now))
    return 2


def _in_memory(database_url: str) -> bool:
    """`sqlite://`, `sqlite:///` or `sqlite:///:memory:`: SQLite with no file."""
    scheme, _, rest = database_url.partition("://")
    if scheme.split("+", 1)[0] != "sqlite":
        return False
    path = rest.removeprefix("/").split("?", 1)[0]
    return path in ("", ":memory:")


def missing_chat_settings(settings: Settings) -> str:
    """What is missing for `serve`, `socket` or `tick` to talk to a chat platform: only the
    settings that are really not set, so a half-done setup is told its next step."""
    if settings.slack_bot_token or settings.slack_oauth:
        return (
            "SLACK_SIGNING_SECRET is not set: Slack's requests can't be verified without it "
            "(Basic Information → App Credentials → Signing Secret)."
        )
    if settings.slack_signing_secret:
        return (
            "SLACK_BOT_TOKEN (xoxb-…, on the app's Install App page) is not set, nor "
            "SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and SLACK_STATE_SECRET to install from a link."
        )
    return (
        "SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET are not set (nor TEAMS_APP_ID and "
        "TEAMS_APP_PASSWORD).\nSee README.md, or run `handoff demo` to watch the bot work "
        "without a workspace."
    )


async def _require_schema(database_url: str) -> None:
    """Refuse to work on a database that isn't at the latest schema (a cron `tick` before
    the first `migrate`, or after an upgrade of the code), without creating one."""
    from db.engine import missing_sqlite_file
    from db.migrate import head_revision, schema_revision

    missing = missing_sqlite_file(database_url)
    if missing:
        raise OperatorError(
            f"there is no database at {missing} (DATABASE_URL) yet.\n"
            "Run `handoff migrate` first, or set DATABASE_URL to the bot's database."
        )
    current, head = await schema_revision(database_url), head_revision()
    if current != head:
        at = "has no schema" if current is None else f"is at schema {current}, not {head}"
        raise OperatorError(
            f"the database {shown_url(database_url)} {at}.\n"
            "Run `handoff migrate` first (and again after each upgrade of Handoff)."
        )


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
    kept = report.retention
    pruned = kept.event_keys + kept.outbox + kept.digest_runs + kept.home_viewers
    if pruned or kept.redacted:
        print(f"retention: pruned {pruned} bookkeeping rows, redacted {kept.redacted} requests")
    return 0


async def _team(settings: Settings, given: str | None) -> str:
    """The workspace a directory command is about: --team, the bot token's, or the only one
    the database knows."""
    if given:
        return given
    if settings.slack_bot_token:
        from slack_sdk.errors import SlackApiError
        from slack_sdk.web.async_client import AsyncWebClient

        client = AsyncWebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url)
        try:
            response = await client.auth_test()
        except SlackApiError as error:
            raise OperatorError(
                f"Slack refused SLACK_BOT_TOKEN ({error.response.get('error')}).\n"
                "Check the token, or pass --team T0123ABCD instead."
            ) from error
        return str(response["team_id"])
    from db.engine import missing_sqlite_file
    from db.uow import Database

    teams: list[str] = []
    if not missing_sqlite_file(settings.database_url):
        db = Database.from_url(settings.database_url)
        try:
            async with db.uow() as uow:
                teams = await uow.directory.known_teams()
        finally:
            await db.dispose()
    if len(teams) != 1:
        raise OperatorError(
            "Which workspace? Pass --team T0123ABCD (or set SLACK_BOT_TOKEN); "
            f"the database knows {len(teams)} workspaces."
        )
    return teams[0]


async def _directory(settings: Settings, args: argparse.Namespace) -> int:
    if args.verb == "import":
        return await _import(settings, args.file, args.team)
    from bot.domain.directory import to_yaml
    from db.engine import missing_sqlite_file
    from db.repositories.directory import spec_of
    from db.uow import Database

    missing = missing_sqlite_file(settings.database_url)
    if missing:
        raise OperatorError(
            f"there is no database at {missing} (DATABASE_URL), so no directory to export.\n"
            "Set DATABASE_URL to the bot's database, or create one: handoff directory import FILE"
        )
    team = await _team(settings, args.team)
    await _require_schema(settings.database_url)
    db = Database.from_url(settings.database_url)
    try:
        async with db.uow() as uow:
            rows = await uow.directory.topics(team)
    finally:
        await db.dispose()
    sys.stdout.write(to_yaml(spec_of(row) for row in rows))
    return 0


async def _import(settings: Settings, path: str, given_team: str | None) -> int:
    """The file is read and checked, and the workspace known, before the database is touched:
    a mistake leaves no trace (not even an empty ./handoff.db)."""
    from bot.domain.directory import DirectoryError, parse_yaml
    from bot.jobs.clock import utcnow
    from bot.jobs.directory_file import replace_directory
    from db.migrate import upgrade
    from db.uow import Database

    try:
        text = await asyncio.to_thread(Path(path).read_text, encoding="utf-8")
        topics = parse_yaml(text)
    except OSError as error:
        raise OperatorError(f"can't read {path}: {error.strerror or error}") from error
    except (DirectoryError, UnicodeDecodeError) as error:
        raise OperatorError(f"{path}: {error}\nNothing was changed.") from error
    team = await _team(settings, given_team)
    await upgrade(settings.database_url)
    db = Database.from_url(settings.database_url)
    try:
        result = await replace_directory(
            db, team, topics, now=utcnow(), by=f"import:{os.path.basename(path)}"
        )
    finally:
        await db.dispose()
    print(f"{path}: {result} ({len(topics)} topics in workspace {team})")
    return 0


def _readable(path: str) -> None:
    """Raises OSError when `path` can't be opened for reading."""
    with open(path, "rb"):
        pass


async def _history(settings: Settings, args: argparse.Namespace) -> int:
    from db.migrate import upgrade

    try:  # before the database is made: a wrong path leaves no empty ./handoff.db behind
        await asyncio.to_thread(_readable, args.file)
    except OSError as error:
        print(f"can't read {args.file}: {error.strerror or error}", file=sys.stderr)
        return 2
    await upgrade(settings.database_url)
    return await cli_history.run(settings, args, await _team(settings, args.team))


if __name__ == "__main__":
    sys.exit(main())
