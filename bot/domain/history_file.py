"""Past tickets from a file (issue 16): CSV or JSON lines, in our own columns or a helpdesk's
export (Zendesk, Jira Service Management, Freshdesk, HubSpot). Pure: text in, rows and bad
rows out, each bad row with its line and why. Whole-file problems (no text column, not a CSV)
raise HistoryFileError: then nothing is imported."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

TEXT_LIMIT = 4000  # the ranking reads words; a whole e-mail thread adds nothing past this
TOPIC_LIMIT = 80
MAX_ROWS = 50_000
FORMATS = ("csv", "jsonl")


@dataclass(frozen=True)
class Columns:
    """Which columns make a row's text, owner, topic and date, by the names a product's
    export uses (compared ignoring case and spacing). The first owner column with a value
    wins; the text is every text column with a value, one per line."""

    text: tuple[str, ...]
    owner: tuple[str, ...]
    topic: tuple[str, ...] = ()
    date: tuple[str, ...] = ()


# Column names as the products' CSV exports write them (see README: Warm start).
MAPPINGS: dict[str, Columns] = {
    "handoff": Columns(("text",), ("owner",), ("topic",), ("date",)),
    "zendesk": Columns(
        ("Subject", "Description"),
        ("Assignee email", "Assignee"),
        ("Group",),
        ("Created at", "Solved at"),
    ),
    "jira": Columns(
        ("Summary", "Description"),
        ("Assignee", "Assignee Id"),
        ("Request Type", "Customer Request Type", "Component/s"),
        ("Created", "Resolved"),
    ),
    "freshdesk": Columns(
        ("Subject", "Description"),
        ("Agent", "Agent email"),
        ("Group",),
        ("Created time", "Resolved time"),
    ),
    "hubspot": Columns(
        ("Ticket name", "Ticket description"),
        ("Ticket owner", "Ticket owner email"),
        ("Category", "Pipeline"),
        ("Create date", "Close date"),
    ),
}
MAPPING_NAMES = (*MAPPINGS, "auto")


class HistoryFileError(ValueError):
    """The file as a whole can't be read: nothing of it is imported."""


@dataclass(frozen=True)
class HistoryRow:
    line: int  # where the row starts in the file (1-based; a CSV header is line 1)
    text: str
    owner: str  # as written: U…, <@U…>, S…, an e-mail, @handle or a name
    topic: str | None
    happened_at: datetime | None  # None: the file gave no date


@dataclass(frozen=True)
class BadRow:
    line: int
    reason: str


@dataclass
class ParsedHistory:
    format: str
    mapping: str
    rows: list[HistoryRow]
    bad: list[BadRow]


def _key(name: str) -> str:
    return " ".join(str(name).replace("_", " ").split()).casefold()


def choose_mapping(columns: list[str], wanted: str = "auto") -> str:
    """The mapping whose text and owner columns the file has; `wanted` unless it is auto."""
    present = {_key(column) for column in columns}
    if wanted != "auto":
        if wanted not in MAPPINGS:
            raise HistoryFileError(
                f"unknown mapping {wanted!r}; use one of {', '.join(MAPPING_NAMES)}"
            )
        missing = _missing(MAPPINGS[wanted], present)
        if missing:
            raise HistoryFileError(f"no {missing} column for the {wanted} mapping")
        return wanted
    # Several products call their columns "Description" or "Assignee": the mapping that
    # knows most of the file's columns wins (the first listed on a tie).
    fits = [
        (-_known(columns_of, present), index, name)
        for index, (name, columns_of) in enumerate(MAPPINGS.items())
        if not _missing(columns_of, present)
    ]
    if fits:
        return min(fits)[2]
    shown = ", ".join(repr(c) for c in columns[:8]) or "none"
    raise HistoryFileError(
        f"can't tell which columns hold the text and the owner (columns: {shown}); name them "
        "'text' and 'owner', or pass --mapping zendesk|jira|freshdesk|hubspot"
    )


def _known(columns: Columns, present: set[str]) -> int:
    names = (*columns.text, *columns.owner, *columns.topic, *columns.date)
    return sum(_key(name) in present for name in names)


def _missing(columns: Columns, present: set[str]) -> str | None:
    if not any(_key(c) in present for c in columns.text):
        return f"text ({' or '.join(repr(c) for c in columns.text)})"
    if not any(_key(c) in present for c in columns.owner):
        return f"owner ({' or '.join(repr(c) for c in columns.owner)})"
    return None


def _value(record: Mapping[str, Any], names: tuple[str, ...]) -> list[str]:
    values = []
    for name in names:
        value = record.get(_key(name))
        if value is None or isinstance(value, dict | list):
            continue
        text = str(value).strip()
        if text:
            values.append(text)
    return values


_DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%d/%b/%y %I:%M %p",  # Jira: 03/Nov/26 2:22 PM
    "%d/%b/%Y %I:%M %p",
)


def parse_date(value: str) -> datetime:
    """ISO 8601 (with or without a zone; none means UTC), `… UTC`, or Jira's 03/Nov/26 2:22
    PM. Raises ValueError."""
    text = re.sub(r"\s+(UTC|GMT|Z)$", "", value.strip(), flags=re.IGNORECASE)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        for pattern in _DATE_FORMATS:
            try:
                moment = datetime.strptime(text, pattern)
                break
            except ValueError:
                continue
        else:
            raise ValueError(value) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _unstorable(values: list[str]) -> str | None:
    """Why a database would refuse this text (JSON can carry both), else None."""
    for value in values:
        if "\x00" in value:
            return "contains a NUL character"
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "is not valid Unicode text"
    return None


def _row(line: int, record: Mapping[str, Any], columns: Columns) -> HistoryRow | BadRow:
    cells = [_value(record, names) for names in (columns.text, columns.owner, columns.topic)]
    if (why := _unstorable([value for cell in cells for value in cell])) is not None:
        return BadRow(line, f"the row {why}")
    text = "\n".join(cells[0])
    if not text:
        return BadRow(line, "no text (the request's subject or description)")
    owners = cells[1]
    if not owners:
        return BadRow(line, "no owner (who took the request)")
    topics = cells[2]
    topic = " ".join(topics[0].split())[:TOPIC_LIMIT] if topics else None
    dates = _value(record, columns.date)
    happened_at = None
    if dates:
        try:
            happened_at = parse_date(dates[0])
        except ValueError:
            return BadRow(
                line, f"{dates[0][:40]!r} is not a date (use 2026-11-03 or 2026-11-03T14:22:00Z)"
            )
    return HistoryRow(line, text[:TEXT_LIMIT], owners[0][:255], topic, happened_at)


def _csv_records(text: str) -> tuple[list[str], Iterator[tuple[int, dict[str, Any]]]]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
    except csv.Error as error:
        raise HistoryFileError(f"line 1: not a CSV header ({error})") from error
    if not header:
        raise HistoryFileError("the file is empty: a CSV needs a header line")

    def records() -> Iterator[tuple[int, dict[str, Any]]]:
        keys = [_key(name) for name in header]
        while True:
            line = reader.line_num + 1
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                raise HistoryFileError(f"line {line}: the CSV is broken here ({error})") from error
            if not any(v.strip() for v in values):
                continue
            record: dict[str, Any] = {}
            for key, value in zip(keys, values, strict=False):
                if value.strip():  # a repeated column name: its first filled value counts
                    record.setdefault(key, value)
            yield line, record

    return header, records()


def _json_records(text: str) -> tuple[list[BadRow], list[tuple[int, dict[str, Any]]]]:
    bad, good = [], []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            data = json.loads(raw)
        except ValueError as error:
            bad.append(BadRow(number, f"not JSON ({error.args[0][:60]})"))
            continue
        if not isinstance(data, dict):
            bad.append(BadRow(number, "each line must be a JSON object"))
            continue
        good.append((number, {_key(k): v for k, v in data.items()}))
    return bad, good


def detect_format(text: str) -> str:
    return "jsonl" if text.lstrip().startswith("{") else "csv"


def parse_history(text: str, *, format: str = "auto", mapping: str = "auto") -> ParsedHistory:
    """Every row of the file: good ones to import, bad ones with their line and reason."""
    text = text.removeprefix("\ufeff")  # Excel's UTF-8 CSVs start with a BOM
    chosen = detect_format(text) if format == "auto" else format
    if chosen not in FORMATS:
        raise HistoryFileError(f"unknown format {format!r}; use csv, jsonl or auto")
    bad: list[BadRow] = []
    if chosen == "csv":
        header, records = _csv_records(text)
        columns = choose_mapping(header, mapping)
        listed: Iterator[tuple[int, dict[str, Any]]] | list[tuple[int, dict[str, Any]]] = records
    else:
        bad, listed = _json_records(text)
        seen = list(dict.fromkeys(k for _, record in listed for k in record))
        if not listed:
            raise HistoryFileError("no JSON object in the file")
        columns = choose_mapping(seen, mapping)
    rows: list[HistoryRow] = []
    for count, (line, record) in enumerate(listed, start=1):
        if count > MAX_ROWS:
            raise HistoryFileError(f"more than {MAX_ROWS:,} rows; split the file")
        result = _row(line, record, MAPPINGS[columns])
        (bad if isinstance(result, BadRow) else rows).append(result)  # type: ignore[arg-type]
    bad.sort(key=lambda row: row.line)
    return ParsedHistory(chosen, columns, rows, bad)
