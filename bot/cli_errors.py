"""Mistakes an operator makes (a bad setting, a database that isn't there or isn't migrated)
said in one or two plain lines, instead of a traceback."""

from __future__ import annotations

import argparse
import socket
import sqlite3
from collections.abc import Iterator
from typing import Any

from pydantic import ValidationError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

# asyncpg's errors for "can't connect" (by name: asyncpg is imported only for PostgreSQL).
ASYNCPG_CONNECT_ERRORS = {
    "InvalidCatalogNameError",  # no such database
    "InvalidAuthorizationSpecificationError",
    "InvalidPasswordError",
    "CannotConnectNowError",
    "TooManyConnectionsError",
    "ConnectionDoesNotExistError",
}


def command_parser(sub: Any, name: str, text: str) -> argparse.ArgumentParser:
    """A (sub)command's parser, with its help text as its description, that also takes
    --debug after the command (`handoff history import F --debug`). SUPPRESS keeps it from
    undoing a --debug given before the command."""
    parser: argparse.ArgumentParser = sub.add_parser(
        name, help=text, description=text[0].upper() + text[1:] + "."
    )
    parser.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks of errors"
    )
    return parser


class OperatorError(Exception):
    """Something the person running `handoff` can fix; the message says what and how."""


def shown_url(url: str) -> str:
    """The database URL without its password, to name the database in a message."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


# A setting whose name has one of these is a credential: named in a message, never shown.
SECRET_WORDS = ("token", "secret", "password")


def settings_problem(error: ValidationError) -> str:
    """One line per refused setting, with the value as given so the operator sees the typo,
    except where the value is a credential: a token, secret or password is named without
    its value, a database URL is shown without its password, and a check of several settings
    together (its input is all of them) gets its message alone."""
    lines = []
    for item in error.errors():
        message = str(item["msg"]).removeprefix("Value error, ")
        if not item["loc"]:  # a rule over several settings: its input is all of them
            lines.append(message)  # (secrets included), so only the message is said
            continue
        name = str(item["loc"][0])
        lines.append(f"{name.upper()}{_shown_value(name, item.get('input'))}: {message}")
    return "\n".join(lines) + "\nFix it in the environment or in .env (see .env.example)."


def _shown_value(name: str, value: object) -> str:
    if any(word in name.lower() for word in SECRET_WORDS):
        return " (value not shown)"
    if name.lower() == "database_url" and isinstance(value, str):
        return f"={shown_url(value)!r}"
    return f"={value!r}"


def database_problem(error: BaseException, url: str) -> str | None:
    """What went wrong reaching the database, or None when `error` is not about that (a
    bug, say a constraint violated, stays a traceback: it is not the operator's to fix)."""
    for cause in _chain(error):
        reason = _unreachable(cause)
        if reason is not None:
            return (
                f"can't use the database {shown_url(url)}: {reason}.\n"
                "Check DATABASE_URL, and that the database server runs and is reachable."
            )
    return None


def _unreachable(cause: BaseException) -> str | None:
    if isinstance(cause, ConnectionRefusedError):
        return "nothing answers at that address"
    if isinstance(cause, ConnectionError | socket.gaierror | TimeoutError):
        return str(cause).split("] ", 1)[-1] or type(cause).__name__
    if isinstance(cause, sqlite3.OperationalError) and "unable to open" in str(cause):
        return str(cause)
    if type(cause).__name__ in ASYNCPG_CONNECT_ERRORS and type(cause).__module__.startswith(
        "asyncpg"
    ):
        return str(cause).splitlines()[0]
    return None


def _chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__
