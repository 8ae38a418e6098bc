"""`handoff workspace purge T…` and `handoff api-token create|list|revoke` (issue 13): the
operator's side of installations, kept out of bot/cli.py with their parsing."""

from __future__ import annotations

import argparse
from typing import Any

from bot.cli_errors import OperatorError, command_parser
from bot.jobs.clock import utcnow
from bot.jobs.purge import purge_workspace
from bot.settings import Settings
from bot.tokens import new_token
from db.uow import Database


def add_parsers(sub: Any) -> None:
    workspace = command_parser(sub, "workspace", "manage installed workspaces")
    verbs = workspace.add_subparsers(dest="verb", required=True, help="what to do")
    purge = command_parser(
        verbs, "purge", "delete every row of a workspace now (requests, handoffs, directory, ...)"
    )
    purge.add_argument("team", help="the workspace id, T…")

    tokens = command_parser(sub, "api-token", "REST API tokens of a workspace")
    verbs = tokens.add_subparsers(dest="verb", required=True, help="what to do")
    create = command_parser(verbs, "create", "create a token (shown once, stored hashed)")
    create.add_argument("--team", required=True, help="the workspace it reads, T…")
    create.add_argument("--name", required=True, help="what it is for, e.g. ci")
    listing = command_parser(verbs, "list", "list a workspace's tokens (names, never the tokens)")
    listing.add_argument("--team", required=True, help="the workspace, T…")
    revoke = command_parser(verbs, "revoke", "revoke a token by its number (from list)")
    revoke.add_argument("--team", required=True, help="the workspace, T…")
    revoke.add_argument("id", type=int, help="the token's number, from list")


async def run(settings: Settings, args: argparse.Namespace) -> int:
    db = Database.from_url(settings.database_url)
    try:
        if args.command == "workspace":
            deleted = await purge_workspace(db, args.team)
            total = sum(deleted.values())
            detail = ", ".join(f"{n} {table}" for table, n in sorted(deleted.items()))
            print(
                f"workspace {args.team} purged: {total} rows" + (f" ({detail})" if detail else "")
            )
            return 0
        return await _tokens(db, args)
    finally:
        await db.dispose()


async def _tokens(db: Database, args: argparse.Namespace) -> int:
    team = args.team.strip()
    if not team:
        raise OperatorError("--team must name a workspace id (T…)")
    async with db.uow() as uow:
        if args.verb == "create":
            name = args.name.strip()
            if not name or len(name) > 80:
                raise OperatorError("--name must be 1 to 80 characters")
            token, digest = new_token()
            row = await uow.api_tokens.add(team, name=name, token_hash=digest, now=utcnow())
            await uow.commit()
            print(token)
            print(f"API token {row.id} ({name}) for {team}: shown once, keep it now.")
            return 0
        if args.verb == "list":
            for row in await uow.api_tokens.of_team(team):
                state = f"revoked {row.revoked_at:%Y-%m-%d}" if row.revoked_at else "active"
                print(f"{row.id}\t{row.name}\tcreated {row.created_at:%Y-%m-%d}\t{state}")
            return 0
        if not await uow.api_tokens.revoke(team, args.id, now=utcnow()):
            raise OperatorError(f"no active API token {args.id} in workspace {team}")
        await uow.commit()
        print(f"API token {args.id} of {team} revoked")
        return 0
