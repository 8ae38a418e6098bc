"""Flows: one module per user action (intake, hand off, confirm, redirect, resolve, cancel,
snooze, nudge now, tell the customer, teach).

A flow is what a person's action *means*, whichever chat platform it came from. It takes plain,
keyword-only inputs (ids, an `Owner`, the note, `now`, and what the adapter already looked up
outside any transaction, such as group membership or the matched directory topics), runs the
domain functions inside the caller's unit of work, says what follows through the `Notifier`
port, and returns a small result dataclass: what changed, and either what still has to be said
(as data: a lesson, an until-time) or a `Refusal` (a neutral problem code with its facts).

Rules that keep it platform-neutral (checked in CI by import contracts):
- a flow never imports a chat SDK (`slack_bolt`, `slack_sdk`, a Teams package) or `fastapi`,
  and holds no platform markup: the adapter renders the result (`bot/slack/messages.py`
  for private answers, `bot/slack/render.py` for the neutral messages of the outbox);
- a flow never commits: the adapter's unit of work does, once, before it acknowledges the
  platform (record, then acknowledge). A refused flow has rolled its own changes back, so the
  caller can still write its private answer in the same unit of work and commit.
"""
