"""SQLAlchemy models: the tables every replica shares. Schema changes go through migrations/."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, MappedColumn, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ID = BigInteger().with_variant(Integer(), "sqlite")  # SQLite autoincrements INTEGER keys only
# Id widths that hold Teams ids as well as Slack's (issue 13): user, tenant and activity ids;
# conversation ids, which carry `;messageid=...` for a thread; a rate limit's key.
PLATFORM_ID = 255
CONVERSATION_ID = 512
RATE_KEY = 640


def platform_column(*, primary_key: bool = False) -> MappedColumn[Any]:
    """The platform a team-scoped row belongs to: (platform, team_id) is its installation.
    Declared after a key's other columns so it comes last in the key (and team_id first)."""
    return mapped_column(
        String(16), primary_key=primary_key, default="slack", server_default="slack"
    )


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC, always hands back aware UTC (SQLite keeps no zone)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use aware UTC")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON()}  # noqa: RUF012


class ProcessedEvent(Base):
    """One row per Slack event seen: the de-duplication key for retries."""

    __tablename__ = "processed_events"
    team_id: Mapped[str] = mapped_column(String(PLATFORM_ID), primary_key=True)
    event_key: Mapped[str] = mapped_column(String(PLATFORM_ID), primary_key=True)
    platform: Mapped[str] = platform_column(primary_key=True)
    received_at: Mapped[datetime] = mapped_column(index=True)


class Person(Base):
    """Cached `users.info`: names, email, time zone, whether the account can own work."""

    __tablename__ = "people"
    team_id: Mapped[str] = mapped_column(String(PLATFORM_ID), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(PLATFORM_ID), primary_key=True)
    platform: Mapped[str] = platform_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    real_name: Mapped[str] = mapped_column(String(255), default="")
    email: Mapped[str | None] = mapped_column(String(255))
    tz: Mapped[str | None] = mapped_column(String(64))
    is_bot: Mapped[bool] = mapped_column(Boolean, default=False)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    fetched_at: Mapped[datetime]


class Request(Base):
    """A customer request: one message (channel + ts) someone must take care of."""

    __tablename__ = "requests"
    __table_args__ = (
        UniqueConstraint("team_id", "channel_id", "message_ts", "platform"),
        Index(None, "team_id", "channel_id", "status", "created_at"),
    )
    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(String(PLATFORM_ID))
    platform: Mapped[str] = platform_column()
    channel_id: Mapped[str] = mapped_column(String(CONVERSATION_ID))
    message_ts: Mapped[str] = mapped_column(String(PLATFORM_ID))
    thread_ts: Mapped[str] = mapped_column(String(CONVERSATION_ID))
    author_id: Mapped[str | None] = mapped_column(String(PLATFORM_ID))
    author_bot_id: Mapped[str | None] = mapped_column(String(PLATFORM_ID))
    customer_name: Mapped[str | None] = mapped_column(String(255))
    customer_email: Mapped[str | None] = mapped_column(String(255))
    customer_phone: Mapped[str | None] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text, default="")
    is_shared: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="open")
    owner_id: Mapped[str | None] = mapped_column(String(PLATFORM_ID))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Handoff(Base):
    """One hop of a request's chain: from a handler to an owner, until confirmed or closed."""

    __tablename__ = "handoffs"
    __table_args__ = (
        UniqueConstraint("request_id", "hop"),
        # At most one open hop per part of a request, whatever two replicas try at once.
        Index(
            "uq_handoffs_one_pending",
            "request_id",
            "part",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
        Index(None, "team_id", "status", "owner_id"),
        # What the ranking learns from: decided hops, newest first (issue 4).
        Index(None, "team_id", "closed_at"),
        # The tick's "what is due" query reads only open hops, by due time.
        Index(
            "ix_handoffs_due",
            "next_nudge_at",
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )
    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(String(PLATFORM_ID))
    platform: Mapped[str] = platform_column()
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"))
    hop: Mapped[int] = mapped_column(Integer)
    # Which part of a split request this hop carries (issue 18): each part is its own chain.
    part: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))
    handler_id: Mapped[str] = mapped_column(String(PLATFORM_ID))
    from_id: Mapped[str] = mapped_column(String(PLATFORM_ID))
    owner_kind: Mapped[str] = mapped_column(String(16))
    owner_id: Mapped[str] = mapped_column(String(PLATFORM_ID))
    note: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String(PLATFORM_ID))
    # Follow-up (issue 3): when the next nudge is due (None: no more), how many went out.
    next_nudge_at: Mapped[datetime | None]
    nudges_sent: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_nudged_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]
    # Set on a part's confirmed last hop when that part is resolved while others stay open.
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(String(PLATFORM_ID))


class HandoffEvent(Base):
    """The timeline of a request: created, handed off, confirmed, redirected, resolved..."""

    __tablename__ = "handoff_events"
    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(String(PLATFORM_ID))
    platform: Mapped[str] = platform_column()
    request_id: Mapped[int] = mapped_column(
        ForeignKey("requests.id", ondelete="CASCADE"), index=True
    )
    handoff_id: Mapped[int | None] = mapped_column(ForeignKey("handoffs.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[str | None] = mapped_column(String(PLATFORM_ID))
    detail: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime]


class Followup(Base):
    """A scheduled follow-up on one hop (issue 18), claimed by the tick like a nudge:
    `promise`: the handler promised the customer an answer by `due_at`; `check`: after a
    confirmation, ask the handler whether the owner reached the customer.

    `next_at` is when the tick acts next (None: waiting for an answer, or finished);
    `status` is open until the promise is kept or broken, or the check is answered."""

    __tablename__ = "followups"
    __table_args__ = (
        # One open promise and one open check per hop, whatever two replicas try at once.
        Index(
            "uq_followups_one_open",
            "handoff_id",
            "kind",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
        Index(
            "ix_followups_due",
            "next_at",
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
        Index(None, "team_id", "status", "closed_at"),
    )
    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(String(PLATFORM_ID))
    platform: Mapped[str] = platform_column()
    request_id: Mapped[int] = mapped_column(
        ForeignKey("requests.id", ondelete="CASCADE"), index=True
    )
    handoff_id: Mapped[int] = mapped_column(ForeignKey("handoffs.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # promise | check
    recipient_id: Mapped[str] = mapped_column(String(PLATFORM_ID))  # who is reminded or asked
    due_at: Mapped[datetime | None]  # a promise's deadline
    next_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default="open")
    sent: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_by: Mapped[str | None] = mapped_column(String(PLATFORM_ID))
    created_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]


class OutboxMessage(Base):
    """A message to deliver, written in the transaction that decided it (see architecture)."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index(None, "status", "next_attempt_at"),
        Index(None, "channel", "status"),
    )
    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(String(PLATFORM_ID))
    # Which platform's transport delivers it, and what it says: a neutral message `kind`
    # whose `facts` (a snapshot taken when it was decided) that platform renders at delivery.
    # `slack_call` rows carry a pre-rendered Web API call in `payload` instead.
    platform: Mapped[str] = mapped_column(String(16), default="slack", server_default="slack")
    kind: Mapped[str] = mapped_column(String(48), default="slack_call", server_default="slack_call")
    audience: Mapped[str | None] = mapped_column(String(16))
    facts: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The operation: a Web API method for `slack_call` rows; post/update/react for neutral ones.
    method: Mapped[str] = mapped_column(String(64))
    # The conversation it goes to (a channel, or a user id for a DM): messages to one
    # conversation are delivered in the order they were written.
    channel: Mapped[str | None] = mapped_column(String(CONVERSATION_ID))
    payload: Mapped[dict[str, Any]]
    ref: Mapped[str | None] = mapped_column(String(PLATFORM_ID), index=True)
    # A chat.update of a message this row's dependency posted: its channel and ts fill in.
    depends_on: Mapped[int | None] = mapped_column(ForeignKey("outbox.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    lease_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    result_channel: Mapped[str | None] = mapped_column(String(CONVERSATION_ID))
    result_ts: Mapped[str | None] = mapped_column(String(PLATFORM_ID))
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    # An earlier attempt may have reached Slack without its answer coming back (a timeout, a
    # cut connection, a sender that died holding the lease): look for the message's tag in
    # the conversation before posting it again.
    maybe_sent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))


class RateLimit(Base):
    """Slack said 429: nothing goes to this method (and channel) before `not_before`.

    Kept in the database so that every replica waits, not only the one that was told.
    `key` is the method, or `chat.postMessage:<channel>` (Slack limits posts per channel).
    """

    __tablename__ = "rate_limits"
    team_id: Mapped[str] = mapped_column(String(PLATFORM_ID), primary_key=True)
    key: Mapped[str] = mapped_column(String(RATE_KEY), primary_key=True)
    platform: Mapped[str] = platform_column(primary_key=True)
    not_before: Mapped[datetime]


class Topic(Base):
    """A line of the routing directory: who owns what (issue 4)."""

    __tablename__ = "topics"
    __table_args__ = (UniqueConstraint("team_id", "name_key", "platform"),)
    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(String(PLATFORM_ID))
    platform: Mapped[str] = platform_column()
    name: Mapped[str] = mapped_column(String(80))
    name_key: Mapped[str] = mapped_column(String(80))  # casefolded: names are unique that way
    # Each owner is a user id (U…/W…), a user-group id (S…) or a group handle ("@billing").
    owners: Mapped[list[str]] = mapped_column(JSON, default=list)
    backup: Mapped[str | None] = mapped_column(String(PLATFORM_ID))
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    description: Mapped[str] = mapped_column(Text, default="")
    # The directory's order: a tie between topics goes to the one listed first (issue 16).
    position: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    updated_by: Mapped[str | None] = mapped_column(String(PLATFORM_ID))


class RoutingHistory(Base):
    """A past ticket imported from a helpdesk export (issue 16): who took a request like this.
    The router learns these as confirmed hops, so a new team's suggestions start warm."""

    __tablename__ = "routing_history"
    __table_args__ = (
        UniqueConstraint(
            "team_id", "dedupe_key", "platform"
        ),  # the same file imported twice adds nothing
        Index(None, "team_id", "happened_at"),
    )
    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(String(PLATFORM_ID))
    platform: Mapped[str] = platform_column()
    text: Mapped[str] = mapped_column(Text)
    owner_kind: Mapped[str] = mapped_column(String(16))  # 'user' | 'usergroup'
    owner_id: Mapped[str] = mapped_column(String(PLATFORM_ID))
    topic: Mapped[str | None] = mapped_column(String(80))
    happened_at: Mapped[datetime]  # the ticket's date, or the import's when it had none
    imported_at: Mapped[datetime]
    source: Mapped[str] = mapped_column(String(200))
    dedupe_key: Mapped[str] = mapped_column(String(64))


class TopicSignal(Base):
    """A listed owner confirmed or redirected a request that matched their topic: the
    evidence for "this topic's owner keeps passing its requests on" (a stale directory)."""

    __tablename__ = "topic_signals"
    __table_args__ = (
        UniqueConstraint("handoff_id", "topic_id"),
        Index(None, "team_id", "topic_id", "at"),
    )
    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(String(PLATFORM_ID))
    platform: Mapped[str] = platform_column()
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"))
    handoff_id: Mapped[int] = mapped_column(ForeignKey("handoffs.id", ondelete="CASCADE"))
    owner_id: Mapped[str] = mapped_column(String(PLATFORM_ID))
    kind: Mapped[str] = mapped_column(String(16))  # confirmed | redirected
    at: Mapped[datetime]


class Lesson(Base):
    """ "Next time, Billing requests can go straight to @bob": told once per person and topic
    per 30 days."""

    __tablename__ = "lessons"
    team_id: Mapped[str] = mapped_column(String(PLATFORM_ID), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(PLATFORM_ID), primary_key=True)
    topic_key: Mapped[str] = mapped_column(String(80), primary_key=True)
    platform: Mapped[str] = platform_column(primary_key=True)
    taught_at: Mapped[datetime]


class WorkspaceState(Base):
    """Small per-workspace facts every replica must agree on (e.g. which directory file
    version was imported)."""

    __tablename__ = "workspace_state"
    team_id: Mapped[str] = mapped_column(String(PLATFORM_ID), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    platform: Mapped[str] = platform_column(primary_key=True)
    value: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime]


class Preference(Base):
    """A person's own choices (issue 5): e.g. no personal morning digest."""

    __tablename__ = "preferences"
    team_id: Mapped[str] = mapped_column(String(PLATFORM_ID), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(PLATFORM_ID), primary_key=True)
    platform: Mapped[str] = platform_column(primary_key=True)
    personal_digest: Mapped[bool] = mapped_column(
        Boolean, default=True, server_default=text("true")
    )
    updated_at: Mapped[datetime]


class DigestRun(Base):
    """A digest claimed for one local day (issue 5): the row exists once per workspace, kind
    (`team` to a channel, `personal` to a person) and target, so however many processes tick,
    each digest is written to the outbox once, in the transaction that inserted this row."""

    __tablename__ = "digest_runs"
    team_id: Mapped[str] = mapped_column(String(PLATFORM_ID), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    target: Mapped[str] = mapped_column(String(CONVERSATION_ID), primary_key=True)
    local_day: Mapped[date] = mapped_column(Date, primary_key=True)
    platform: Mapped[str] = platform_column(primary_key=True)
    claimed_at: Mapped[datetime]
    items: Mapped[int] = mapped_column(Integer, default=0)  # 0: an all-clear, or skipped


class Workspace(Base):
    """One installation (issue 13): a Slack workspace (or Teams tenant) the bot serves.

    `uninstalled_at` is set when Slack says the app was removed: delivery to it stops at once,
    and its data is purged once HANDOFF_PURGE_AFTER has passed (a re-install before then
    clears it and finds everything as it was)."""

    __tablename__ = "workspaces"
    platform: Mapped[str] = mapped_column(String(16), primary_key=True, default="slack")
    team_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    enterprise_id: Mapped[str | None] = mapped_column(String(255))
    installed_at: Mapped[datetime]
    uninstalled_at: Mapped[datetime | None] = mapped_column(index=True)


class ApiToken(Base):
    """A REST API token of one workspace (issue 13): only its SHA-256 is kept, the token itself
    is shown once when it is created."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(16), default="slack")
    team_id: Mapped[str] = mapped_column(String(255), index=True)
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class TeamsReference(Base):
    """Where to reach a Teams tenant (`user_id` '') or one of its people (their 1:1 chat with
    the bot): learnt from the activities received, kept for proactive messages."""

    __tablename__ = "teams_references"
    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    service_url: Mapped[str] = mapped_column(String(512))
    conversation_id: Mapped[str | None] = mapped_column(String(512))
    aad_object_id: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime]


class DashboardLink(Base):
    """A one-time sign-in link to the web dashboard (issue 17): only its SHA-256 is kept; it
    works once (`used_at`) and until `expires_at`."""

    __tablename__ = "dashboard_links"
    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    platform: Mapped[str] = platform_column()
    team_id: Mapped[str] = mapped_column(String(255), index=True)
    user_id: Mapped[str] = mapped_column(String(255))
    admin: Mapped[bool] = mapped_column(Boolean, default=False)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class DashboardSession(Base):
    """A browser signed in to the dashboard: the cookie's SHA-256, whose it is, its CSRF token."""

    __tablename__ = "dashboard_sessions"
    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    platform: Mapped[str] = platform_column()
    team_id: Mapped[str] = mapped_column(String(255), index=True)
    user_id: Mapped[str] = mapped_column(String(255))
    admin: Mapped[bool] = mapped_column(Boolean, default=False)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


# slack_sdk's OAuth tables join this MetaData (they need Base, hence the late import).
from db import slack_oauth  # noqa: E402, F401
