"""App Home as data: what a person's Home shows (HomeData), as the facts of a neutral HOME
outbox row, and back.

The view is gathered in the transaction that changed something and rendered at delivery
(bot/slack/render.py), so what Slack shows is the state as of that commit. The rows in the
lists are snapshots: the Block Kit builders read them through the same attribute names.
"""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from typing import Any

from pydantic import TypeAdapter

from bot.domain.messages import Facts, hop_facts, request_facts
from bot.slack.home_blocks import ApiTokenItem, HomeData
from bot.workspace import WorkspaceSettings
from db.repositories.home import HomeItem, Listing

_SETTINGS = TypeAdapter(WorkspaceSettings)
_TOKENS = TypeAdapter(tuple[ApiTokenItem, ...])
_MOMENTS = ("created_at", "closed_at", "escalated_at")
LISTS = ("waiting_on_you", "you_wait_on", "confirmed", "to_check")
EMPTY = {"items": [], "total": 0}  # a list a row written before it existed does not have


def _moment(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _item(item: HomeItem) -> Facts:
    hop = item.handoff
    moments = {"created_at": _moment(hop.created_at), "escalated_at": _moment(hop.escalated_at)}
    return {
        "hop": {**hop_facts(hop), **moments},
        "request": request_facts(item.request),
        "promise": item.promise,
        "check_id": item.check_id,
    }


def home_facts(data: HomeData) -> Facts:
    """Everything the Home view says, as JSON-ready data."""
    return {
        "user_id": data.user_id,
        **{
            name: {
                "items": [_item(item) for item in getattr(data, name).items],
                "total": getattr(data, name).total,
            }
            for name in LISTS
        },
        "personal_digest": data.personal_digest,
        "settings": None
        if data.settings is None
        else _SETTINGS.dump_python(data.settings, mode="json"),
        "notice": data.notice,
        "api_tokens": (
            None if data.api_tokens is None else _TOKENS.dump_python(data.api_tokens, mode="json")
        ),
    }


def _snapshot(values: dict[str, Any]) -> Any:
    row = dict(values)
    for name in _MOMENTS:
        if row.get(name):
            row[name] = datetime.fromisoformat(row[name])
    return SimpleNamespace(**row)


def _listing(values: dict[str, Any]) -> Listing:
    items = [
        HomeItem(
            _snapshot(i["hop"]),
            _snapshot(i["request"]),
            promise=i.get("promise"),
            check_id=i.get("check_id"),
        )
        for i in values["items"]
    ]
    return Listing(items, int(values["total"]))


def home_data_of(facts: Facts, *, workspace_url: str | None) -> HomeData:
    settings, tokens = facts.get("settings"), facts.get("api_tokens")
    return HomeData(
        user_id=facts["user_id"],
        waiting_on_you=_listing(facts["waiting_on_you"]),
        you_wait_on=_listing(facts["you_wait_on"]),
        confirmed=_listing(facts["confirmed"]),
        to_check=_listing(facts.get("to_check") or EMPTY),
        personal_digest=bool(facts["personal_digest"]),
        settings=None if settings is None else _SETTINGS.validate_python(settings),
        workspace_url=workspace_url,
        notice=facts.get("notice"),
        api_tokens=None if tokens is None else _TOKENS.validate_python(tokens),
    )
