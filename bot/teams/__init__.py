"""The Microsoft Teams adapter: verify and parse Bot Framework activities, call a flow, render
Adaptive Cards, deliver through the outbox (docs/teams.md)."""
