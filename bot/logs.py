"""The one logging set-up of every command: plain lines or JSON (HANDOFF_LOG_FORMAT), at
HANDOFF_LOG_LEVEL, for the app, Bolt, Alembic and uvicorn alike."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Alembic logs seven lines a run about its plugins; nobody running `handoff` needs them.
QUIET = {"alembic.runtime.plugins": logging.WARNING}
UVICORN = ("uvicorn", "uvicorn.error", "uvicorn.access")


class JsonFormatter(logging.Formatter):
    """One JSON object a line, the fields log collectors look for."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class _DropAlembicPreamble(logging.Filter):
    """Alembic names its dialect and DDL mode whenever it opens the database, even only to
    read the schema's revision; "Running upgrade …" lines still pass."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(("Context impl", "Will assume"))


class _DropBoltTokenWarning(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN from the environment by itself and then warns that the
    client we give it wins; that client is made from the very same token."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != warning_client_prioritized_and_token_skipped()


def setup_logging(level: str, fmt: str = "text") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name, quiet in QUIET.items():
        logging.getLogger(name).setLevel(max(quiet, root.level))
    _filter("slack_bolt.AsyncApp", _DropBoltTokenWarning())
    _filter("alembic.runtime.migration", _DropAlembicPreamble())
    # uvicorn's own loggers write through the root handler, so they share the format.
    for name in UVICORN:
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True


def _filter(name: str, new: logging.Filter) -> None:
    logger = logging.getLogger(name)
    if not any(type(old) is type(new) for old in logger.filters):
        logger.addFilter(new)
