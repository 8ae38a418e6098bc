"""The unit of work: one transaction per request, interaction or job. Only it commits."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from db.engine import make_engine, make_sessionmaker
from db.repositories.dashboard import DashboardRepository
from db.repositories.dashboard_reads import DashboardReadRepository
from db.repositories.digests import DigestRepository
from db.repositories.directory import DirectoryRepository
from db.repositories.events import ProcessedEventRepository, TimelineRepository
from db.repositories.followups import FollowupRepository
from db.repositories.handoffs import HandoffRepository
from db.repositories.health import HealthRepository
from db.repositories.history import HistoryRepository
from db.repositories.home import HomeRepository
from db.repositories.listing import ListingRepository
from db.repositories.outbox import OutboxRepository
from db.repositories.people import PeopleRepository
from db.repositories.preferences import PreferencesRepository
from db.repositories.requests import RequestRepository
from db.repositories.retention import RetentionRepository
from db.repositories.teams import TeamsReferenceRepository
from db.repositories.workspaces import ApiTokenRepository, WorkspaceRepository


class UnitOfWork:
    """Repositories sharing one session; `commit()` makes their changes visible at once."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.seen = ProcessedEventRepository(session)
        self.people = PeopleRepository(session)
        self.requests = RequestRepository(session)
        self.handoffs = HandoffRepository(session)
        self.followups = FollowupRepository(session)
        self.timeline = TimelineRepository(session)
        self.outbox = OutboxRepository(session)
        self.directory = DirectoryRepository(session)
        self.history = HistoryRepository(session)
        self.listing = ListingRepository(session)
        self.health = HealthRepository(session)
        self.preferences = PreferencesRepository(session)
        self.digests = DigestRepository(session)
        self.home = HomeRepository(session)
        self.retention = RetentionRepository(session)
        self.workspaces = WorkspaceRepository(session)
        self.api_tokens = ApiTokenRepository(session)
        self.teams = TeamsReferenceRepository(session)
        self.dashboard = DashboardRepository(session)
        self.dashboard_reads = DashboardReadRepository(session)
        self._after_commit: list[Callable[[], object]] = []
        self._before_commit: dict[str, Callable[[], Awaitable[None]]] = {}

    def after_commit(self, action: Callable[[], object]) -> None:
        """Run `action` once this unit of work has committed (e.g. count a metric), never if
        it is rolled back or abandoned."""
        self._after_commit.append(action)

    def before_commit(self, key: str, make: Callable[[], Any]) -> Any:
        """The hook registered under `key` (made by `make()` on first use): an async callable
        run once, just before the next commit, so it sees the transaction's final state (App
        Home views are rendered this way, once per person per transaction)."""
        if key not in self._before_commit:
            self._before_commit[key] = make()
        return self._before_commit[key]

    def defer_writes(self) -> None:
        """For a batch job: outbox rows `put` and timeline events added from now on are kept
        as values and written by `commit` with one INSERT per table (per chunk), not as ORM
        objects flushed one by one. Queries before the commit do not see them."""
        self.outbox.deferred = True
        self.timeline.deferred = True

    def defer_timeline(self) -> None:
        """`defer_writes` for timeline events only: a request path whose outbox rows must
        keep the order they were added in (a card, then the notes that depend on it) still
        writes its events with one Core INSERT at the commit."""
        self.timeline.deferred = True

    async def _write_deferred(self) -> None:
        await self.outbox.write_deferred()
        await self.timeline.write_deferred()

    async def commit(self) -> None:
        await self._write_deferred()
        while self._before_commit:
            hooks = list(self._before_commit.values())
            self._before_commit.clear()
            for hook in hooks:
                await hook()
            await self._write_deferred()
        await self.session.commit()
        actions, self._after_commit = self._after_commit, []
        for action in actions:
            action()

    async def rollback(self) -> None:
        self._before_commit.clear()
        self.outbox.discard_deferred()
        self.timeline.discard_deferred()
        await self.session.rollback()
        self._after_commit.clear()


class Database:
    """The engine and the factory for units of work."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.sessions: async_sessionmaker[Any] = make_sessionmaker(engine)

    @classmethod
    def from_url(cls, url: str) -> Database:
        return cls(make_engine(url))

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @asynccontextmanager
    async def uow(self) -> AsyncIterator[UnitOfWork]:
        """A unit of work; whatever was not committed when the block ends is rolled back.

        Closing the session (rather than rolling it back) leaves the rows it loaded readable
        after the block, detached, as they were read.
        """
        async with self.sessions() as session:
            yield UnitOfWork(session)

    async def dispose(self) -> None:
        await self.engine.dispose()
