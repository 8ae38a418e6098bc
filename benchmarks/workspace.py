"""The benchmarks' Slack workspace: who and what the fake Slack knows, and the ids every
process agrees on (the load generator, the server's settings, the seeders)."""

from __future__ import annotations

from bot.devtools.fake_slack import FakeWorkspace

SIGNING_SECRET = "bench-signing-secret"
TEAM = "T0001"
INTAKE = "C_INTAKE"
PEOPLE = 1000  # S6 wants 1,000 people
LINK_CHANNELS = 100  # /handoff links spread over channels: the fake's history scan stays short
LINK_MESSAGES = 200  # per link channel: 20,000 distinct requests to hand off
OUT_CHANNELS = 500  # S7: 5,000 messages as 500 channels x 10 (1 message/s per channel)
ACTOR = "U0000"
NEW_PEOPLE = 20_000  # S2': owners nobody has handed to before, one per request


def new_owner(i: int) -> str:
    """S2': the i-th request's owner, seen by the bot for the first time (wraps after 20,000)."""
    return f"UN{i % NEW_PEOPLE:05d}"


def user_id(n: int) -> str:
    return f"U{n:04d}"


def link_channel(n: int) -> str:
    return f"C_LINK{n:03d}"


def out_channel(n: int) -> str:
    return f"C_OUT{n:03d}"


def link_ts(n: int) -> str:
    return f"1700000000.{n:06d}"


def link_target(i: int) -> tuple[str, str]:
    """The i-th message a /handoff links to (channel, ts); wraps after 20,000."""
    i %= LINK_CHANNELS * LINK_MESSAGES
    return link_channel(i % LINK_CHANNELS), link_ts(i // LINK_CHANNELS)


def bench_workspace() -> FakeWorkspace:
    ws = FakeWorkspace(team_id=TEAM)
    zones = ("Europe/London", "America/New_York", "Asia/Singapore", "UTC")
    for n in range(PEOPLE):
        ws.add_user(user_id(n), f"user{n}", email=f"user{n}@acme.example", tz=zones[n % 4])
    for n in range(NEW_PEOPLE):
        ws.add_user(new_owner(n), f"new{n}", email=f"new{n}@acme.example", tz=zones[n % 4])
    ws.add_user("UBOT", "handoff", real_name="Handoff", is_bot=True)
    ws.add_channel(INTAKE, "intake")
    for c in range(LINK_CHANNELS):
        channel = link_channel(c)
        ws.add_channel(channel, f"link-{c}")
        for m in range(LINK_MESSAGES):
            ws.add_message(
                channel,
                link_ts(m),
                f"From: Customer {m} <mailto:c{m}@customer.example|c{m}@customer.example>\n"
                "I was charged twice",
                bot_id="B_MAIL",
                username="Email",
            )
    for c in range(OUT_CHANNELS):
        ws.add_channel(out_channel(c), f"out-{c}")
    return ws
