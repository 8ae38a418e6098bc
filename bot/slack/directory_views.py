"""Block Kit for the directory: the list modal and the topic form (builders and a reader)."""

from __future__ import annotations

import json
from typing import Any

from bot.domain.directory import (
    DESCRIPTION_LIMIT,
    KEYWORD_LIMIT,
    MAX_KEYWORDS,
    NAME_LIMIT,
    owner_kind,
)
from bot.slack.ids import Action
from bot.slack.ids import View as V
from bot.slack.mrkdwn import clip, escape
from db.models import Topic
from db.repositories.directory import StaleTopic

MAX_LISTED = 40  # two blocks a topic, within a modal's 100 blocks


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def _md(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def owner_text(token: str) -> str:
    kind = owner_kind(token)
    if kind == "user":
        return f"<@{token}>"
    if kind == "usergroup":
        return f"<!subteam^{token}>"
    return escape(token)  # an @handle, as written


def topic_text(topic: Topic, stale: StaleTopic | None) -> str:
    lines = [f"*{escape(topic.name)}*"]
    if topic.description:
        lines[0] += f": {escape(clip(topic.description, 150))}"
    owners = ", ".join(owner_text(o) for o in topic.owners or ()) or "_nobody_"
    line = f"Owners: {owners}"
    if topic.backup:
        line += f" · Backup: {owner_text(topic.backup)}"
    lines.append(line)
    if topic.keywords:
        lines.append("Keywords: " + escape(clip(", ".join(topic.keywords), 300)))
    if stale is not None:
        lines.append(
            f":warning: *Possibly stale:* its owners redirected {stale.redirects} of its "
            f"requests in the last 30 days (confirmed {stale.confirmations})."
        )
    return clip("\n".join(lines), 3000)


def directory_view(
    topics: list[Topic],
    *,
    stale: list[StaleTopic],
    can_edit: bool,
    file_state: dict[str, Any] | None,
    notice: str = "",
) -> dict[str, Any]:
    """Who owns what: every topic, stale ones flagged; edit controls for editors."""
    flagged = {s.topic_id: s for s in stale}
    blocks: list[dict[str, Any]] = []
    summary = f"{len(topics)} topic{'s' if len(topics) != 1 else ''}"
    if stale:
        summary += f", {len(stale)} possibly stale"
    context = [summary + "."]
    if file_state and file_state.get("path"):
        context.append(
            f"Loaded from `{escape(str(file_state['path']))}`; edits made here last until the "
            "file changes."
        )
    if not can_edit:
        context.append("Only admins can change the directory.")
    blocks.append({"type": "context", "elements": [_md(" ".join(context))]})
    if notice:
        blocks.append({"type": "section", "text": _md(notice)})
    if can_edit and file_state and file_state.get("error"):
        blocks.append(
            {
                "type": "section",
                "text": _md(
                    ":x: *The directory file was refused* (the directory is unchanged): "
                    + escape(clip(str(file_state["error"]), 500))
                ),
            }
        )
    if can_edit:
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": Action.DIRECTORY_ADD,
                        "text": _plain("Add a topic"),
                        "style": "primary",
                        "value": "add",
                    }
                ],
            }
        )
    ordered = sorted(topics, key=lambda t: t.id not in flagged)  # stable: directory order
    for topic in ordered[:MAX_LISTED]:
        section: dict[str, Any] = {
            "type": "section",
            "block_id": f"topic:{topic.id}",
            "text": _md(topic_text(topic, flagged.get(topic.id))),
        }
        if can_edit:
            section["accessory"] = {
                "type": "overflow",
                "action_id": Action.DIRECTORY_TOPIC,
                "options": [
                    {"text": _plain("Edit"), "value": f"edit:{topic.id}"},
                    {"text": _plain("Remove"), "value": f"remove:{topic.id}"},
                ],
            }
        blocks.append(section)
        blocks.append({"type": "divider"})
    if len(ordered) > MAX_LISTED:
        blocks.append(
            {
                "type": "context",
                "elements": [
                    _md(
                        f"…and {len(ordered) - MAX_LISTED} more. The whole directory: "
                        "`handoff directory export`, or `GET /api/directory`."
                    )
                ],
            }
        )
    if not topics:
        blocks.append(
            {
                "type": "section",
                "text": _md(
                    "The directory is empty. Add a topic for each kind of request (billing, "
                    "shipping, ...) with its owners and the words customers use for it, and "
                    "I'll suggest the right person."
                ),
            }
        )
    return {
        "type": "modal",
        "callback_id": V.DIRECTORY,
        "title": _plain("Who owns what"),
        "close": _plain("Done"),
        "blocks": blocks,
    }


TOPIC_BLOCKS = ("name", "owners", "groups", "backup", "keywords", "description")


def _input(
    block_id: str, label: str, element: dict[str, Any], *, optional: bool, hint: str = ""
) -> dict[str, Any]:
    block: dict[str, Any] = {
        "type": "input",
        "block_id": block_id,
        "label": _plain(label),
        "element": {**element, "action_id": "value"},
        "optional": optional,
    }
    if hint:
        block["hint"] = _plain(hint)
    return block


def topic_form(topic: Topic | None, *, root_view_id: str) -> dict[str, Any]:
    """Add or edit a topic. Users are picked; user groups are named by @handle."""
    users = [o for o in (topic.owners if topic else []) or [] if owner_kind(o) == "user"]
    groups = [o for o in (topic.owners if topic else []) or [] if owner_kind(o) != "user"]

    def text(initial: str, *, limit: int, multiline: bool = False) -> dict[str, Any]:
        element: dict[str, Any] = {
            "type": "plain_text_input",
            "max_length": limit,
            "multiline": multiline,
        }
        if initial:
            element["initial_value"] = initial[:limit]
        return element

    owners_element: dict[str, Any] = {"type": "multi_users_select", "max_selected_items": 10}
    if users:
        owners_element["initial_users"] = users
    backup_element: dict[str, Any] = {"type": "users_select"}
    backup = topic.backup if topic else None
    backup_is_user = bool(backup) and owner_kind(backup or "") == "user"
    if backup and backup_is_user:
        backup_element["initial_user"] = backup
    blocks = [
        _input(
            "name",
            "Topic",
            text(topic.name if topic else "", limit=NAME_LIMIT),
            optional=False,
            hint="For example: Billing",
        ),
        _input("owners", "Owners", owners_element, optional=True),
        _input(
            "groups",
            "Owner user groups",
            text(", ".join(groups), limit=300),
            optional=True,
            hint="Handles such as @billing, separated by commas. Name people, groups, or both.",
        ),
        _input("backup", "Backup (while the owners are away)", backup_element, optional=True),
        _input(
            "keywords",
            "Keywords",
            text(", ".join(topic.keywords or []) if topic else "", limit=KEYWORD_LIMIT * 20),
            optional=True,
            hint=f"Words customers use, separated by commas (up to {MAX_KEYWORDS}): "
            "invoice, refund, charged",
        ),
        _input(
            "description",
            "Description",
            text(topic.description if topic else "", limit=DESCRIPTION_LIMIT),
            optional=True,
            hint="One line: Invoices, refunds and failed payments",
        ),
    ]
    metadata = {"topic_id": topic.id if topic else None, "root": root_view_id}
    if backup and not backup_is_user:
        metadata["backup"] = backup  # a group backup (from the file) is kept as it is
    return {
        "type": "modal",
        "callback_id": V.DIRECTORY_TOPIC,
        "title": _plain("Edit topic" if topic else "Add a topic"),
        "submit": _plain("Save"),
        "close": _plain("Back"),
        "blocks": blocks,
        "private_metadata": json.dumps(metadata),
    }


def remove_form(topic: Topic, *, root_view_id: str) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": V.DIRECTORY_REMOVE,
        "title": _plain("Remove topic"),
        "submit": _plain("Remove"),
        "close": _plain("Back"),
        "blocks": [
            {
                "type": "section",
                "text": _md(
                    f"Remove *{escape(topic.name)}* from the directory? Open handoffs are not "
                    "affected; I'll just stop suggesting its owners for it."
                ),
            }
        ],
        "private_metadata": json.dumps({"topic_id": topic.id, "root": root_view_id}),
    }


def read_topic_form(view: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(topic data in the directory format, metadata) from a submitted topic form."""
    values: dict[str, dict[str, Any]] = (view.get("state") or {}).get("values") or {}

    def element(block_id: str) -> dict[str, Any]:
        return (values.get(block_id) or {}).get("value") or {}

    try:
        metadata = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        metadata = {}
    metadata = metadata if isinstance(metadata, dict) else {}
    groups = [g.strip() for g in str(element("groups").get("value") or "").split(",") if g.strip()]
    groups = [g if g.startswith("@") or owner_kind(g) == "usergroup" else "@" + g for g in groups]
    data: dict[str, Any] = {
        "name": element("name").get("value") or "",
        "owners": list(element("owners").get("selected_users") or []) + groups,
        "keywords": str(element("keywords").get("value") or ""),
        "description": element("description").get("value") or "",
    }
    backup = element("backup").get("selected_user") or metadata.get("backup")
    if backup:
        data["backup"] = backup
    return data, metadata
