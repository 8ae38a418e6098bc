"""Bolt listeners, one module per kind of thing Slack sends; `register_all` wires them."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.slack.context import Deps
from bot.slack.listeners import (
    actions,
    api_tokens,
    commands,
    directory,
    events,
    followups,
    home,
    installs,
    parts,
    settings,
    shortcuts,
    views,
)


def register_all(app: AsyncApp, deps: Deps) -> None:
    events.register(app, deps)  # first: message events are most of what Slack sends
    commands.register(app, deps)
    shortcuts.register(app, deps)
    actions.register(app, deps)
    views.register(app, deps)
    parts.register(app, deps)
    followups.register(app, deps)
    directory.register(app, deps)
    home.register(app, deps)  # before events: app_home_opened is matched ahead of the catch-all
    settings.register(app, deps)
    installs.register(app, deps)  # before events' catch-all
    api_tokens.register(app, deps)
    events.register_fallback(app)  # last: a catch-all that acknowledges the rest
