"""Handoff: a Slack bot for warm handoffs that stay open until the new owner confirms."""
