"""The Slack app manifest: the command, the shortcut, events, and the least scopes that work."""

from __future__ import annotations

from typing import Any

from bot.slack.ids import COMMAND, SHORTCUT_CALLBACK

BOT_SCOPES = [
    "chat:write",  # cards, thread notes and DMs
    "commands",  # /handoff and the message shortcut
    "reactions:write",  # the "tracked" reaction on intake messages
    "channels:history",  # intake messages, and messages named by a link (public channels)
    "groups:history",  # the same in private channels the bot was invited to
    "channels:read",  # conversations.info: is a linked channel shared with a customer?
    "groups:read",
    "users:read",  # names and time zones of handlers and owners
    "users:read.email",  # the customer's email when the customer is a Slack user
    "usergroups:read",  # who is in @billing when a request is handed to a group
    "im:write",  # direct messages to owners and handlers; conversations.open finds a DM's id
    # Reading the bot's own DMs back: a post whose answer was lost is looked up by its tag
    # before it is sent again (channels:history and groups:history cover the channels).
    "im:history",
]
BOT_EVENTS = [
    "message.channels",
    "message.groups",
    "app_home_opened",
    # Uninstall means gone: delivery stops at once and the data is purged later.
    "app_uninstalled",
    "tokens_revoked",
]
EVENTS_PATH = "/slack/events"
REDIRECT_PATH = "/slack/oauth_redirect"
PLACEHOLDER = "https://handoff.example.com"


def base_url(url: str | None) -> str:
    """`https://host` from `https://host` or `https://host/slack/events` (older usage)."""
    return (url or PLACEHOLDER).rstrip("/").removesuffix(EVENTS_PATH)


def manifest(request_url: str | None = None, *, socket_mode: bool = False) -> dict[str, Any]:
    base = base_url(request_url)
    url = base + EVENTS_PATH
    command: dict[str, Any] = {
        "command": COMMAND,
        "description": "Hand a customer request to the right owner",
        "usage_hint": "@owner <message link> [note]   |   help",
        "should_escape": True,
    }
    settings: dict[str, Any] = {
        "event_subscriptions": {"bot_events": BOT_EVENTS},
        "interactivity": {"is_enabled": True},
        "org_deploy_enabled": False,
        "socket_mode_enabled": socket_mode,
        "token_rotation_enabled": False,
    }
    if not socket_mode:
        command["url"] = url
        settings["event_subscriptions"]["request_url"] = url
        settings["interactivity"]["request_url"] = url
    return {
        "display_information": {
            "name": "Handoff",
            "description": "Warm handoffs: nobody walks away until the new owner confirms.",
            "background_color": "#2c2d30",
        },
        "features": {
            "bot_user": {"display_name": "Handoff", "always_online": True},
            "app_home": {
                "home_tab_enabled": True,
                "messages_tab_enabled": True,
                "messages_tab_read_only_enabled": True,  # the bot reads no DMs
            },
            "slash_commands": [command],
            "shortcuts": [
                {
                    "name": "Find the right person",
                    "type": "message",
                    "callback_id": SHORTCUT_CALLBACK,
                    "description": "Hand this message to the person who can solve it",
                }
            ],
        },
        # The redirect serves installing from a link (many workspaces, GET /slack/install).
        "oauth_config": {"redirect_urls": [base + REDIRECT_PATH], "scopes": {"bot": BOT_SCOPES}},
        "settings": settings,
    }
