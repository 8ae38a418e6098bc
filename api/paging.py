"""Query parameters shared by the listings: Slack ids, periods, cursors, page sizes."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Path, Query
from pydantic import AfterValidator

from db.repositories.listing import Key

MAX_PAGE = 100
MAX_ID = 2**63 - 1  # BIGINT; a larger id could not exist (and would upset the driver)

SlackId = Annotated[
    str | None,
    Query(
        pattern=r"^[A-Za-z0-9_]{1,32}$",
        description="A Slack id (U…, S…, C…).",
    ),
]
RowId = Annotated[int, Path(ge=1, le=MAX_ID)]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description=f"At most {MAX_PAGE}.")]
Cursor = Annotated[
    str | None,
    Query(max_length=200, description="`next_cursor` of the previous page."),
]
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)


def _in_range(value: datetime | None) -> datetime | None:
    """Aware UTC, within years 1970-9000 (so a period's arithmetic never overflows)."""
    if value is None:
        return None
    try:
        when = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError as error:
        raise ValueError("date out of range") from error
    if not EARLIEST <= when < LATEST:
        raise ValueError("date must be between 1970 and 9000")
    return when


Since = Annotated[
    datetime | None,
    Query(description="At or after this time (ISO 8601; UTC when no offset is given)."),
    AfterValidator(_in_range),
]
Until = Annotated[
    datetime | None,
    Query(description="Before this time (ISO 8601; UTC when no offset is given)."),
    AfterValidator(_in_range),
]


class BadCursor(ValueError):
    pass


def encode_cursor(created_at: datetime, row_id: int) -> str:
    raw = json.dumps([created_at.astimezone(UTC).isoformat(), row_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> Key | None:
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at, row_id = json.loads(raw)
        when = _in_range(datetime.fromisoformat(at))
        if not isinstance(row_id, int) or isinstance(row_id, bool) or not 0 < row_id <= MAX_ID:
            raise BadCursor
    except (ValueError, TypeError, OverflowError, binascii.Error) as error:
        raise BadCursor from error
    assert when is not None
    return when, row_id
