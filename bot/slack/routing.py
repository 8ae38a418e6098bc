"""Who should own this? The ranking (bot/domain/ranking.py) fed from the database and Slack.

One `Router` per process keeps a Ranker per workspace in memory: the directory is re-read
when it changes (a cheap count + newest-update probe), and past handoffs are learnt
incrementally (only hops decided since the last look); its trained model (issue 16) is
refitted off the event loop, after new history (at most every RETRAIN_EVERY seconds), and
the ranker answers with what it has meanwhile: one worker thread (for all workspaces) builds
the examples and hands them to a separate fit process (bot/fit_worker.py), so the fit does
not hold the interpreter against requests (HANDOFF_ROUTING_FIT=thread fits in the thread).
Who is away or deactivated is asked of Slack for the few candidates a message has, cached
for minutes, and given up on quickly:
suggestions must reach a modal inside Slack's 3 s.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable, Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import func, select

from bot.domain.directory import owner_kind
from bot.domain.ranking import MODEL_FROM, Ranker, Suggestion, TopicEntry
from bot.domain.ranking_model import Example, Model
from bot.domain.ranking_model import train as train_model
from bot.fit_worker import FitProcess, NoProcesses
from bot.fit_worker import available as processes_available
from bot.slack.api_errors import error_code
from bot.slack.clients import ClientFor, NotInstalled, client_source
from bot.slack.people import NOT_FOUND
from db.models import Topic
from db.uow import Database

log = logging.getLogger(__name__)

LEARN_WINDOW = timedelta(days=90)
# How often a workspace's ranker drops requests older than its window (ranking.WINDOW, 90
# days): they no longer count, but without this a bot running for years keeps them all.
FORGET_EVERY = timedelta(hours=1)
OVERLAP = timedelta(minutes=10)  # re-read recent hops: a slow transaction commits late
GROUPS_TTL = 600.0  # seconds usergroups.list is trusted
STATUS_TTL = 300.0  # seconds a person's away/active is trusted
LOOKUP_BUDGET = 1.2  # seconds for all away/active look-ups of one ranking
# A workspace's model is refitted after new history at most this often (seconds; a fit of
# 15,000 requests is about 1 s of CPU in the fit process). The first fit starts at once.
RETRAIN_EVERY = 300.0


AWAY_EMOJI = {
    ":palm_tree:",
    ":airplane:",
    ":beach_with_umbrella:",
    ":face_with_thermometer:",
    ":sick:",
    ":baby_bottle:",
    ":no_entry:",
    ":away:",
}
AWAY_WORDS = re.compile(
    r"\b(vacation|holiday|holidays|out of (the )?office|ooo|on leave|parental leave|"
    r"sick|off today|away|pto|annual leave)\b",
    re.IGNORECASE,
)


def says_away(profile: dict[str, Any], presence: str | None) -> bool:
    """Slack's status ("On holiday" :palm_tree:) or presence says the person is away."""
    expiration = profile.get("status_expiration") or 0
    status_live = not expiration or expiration > time.time()
    text, emoji = str(profile.get("status_text") or ""), str(profile.get("status_emoji") or "")
    if status_live and (emoji in AWAY_EMOJI or AWAY_WORDS.search(text)):
        return True
    return presence == "away"


@dataclass
class _Workspace:
    ranker: Ranker
    stamp: tuple[int, Any]  # (topics, newest update): the directory this ranker reflects
    learnt_until: datetime | None = None
    forgot_at: datetime | None = None
    handles: dict[str, str] = field(default_factory=dict)  # "@billing" -> S…
    imported: str = ""  # the imported history's stamp this ranker has learned
    trained_for: int = -1  # the ranker's `revision` the model was last fitted on
    trained_at: float | None = None  # time.monotonic() of the last fit's start
    training: asyncio.Task[None] | None = None
    failed: bool = False  # the last fit raised: the next waits retrain_every too


class Router:
    def __init__(
        self,
        db: Database,
        client: AsyncWebClient | ClientFor,
        clock: Callable[[], datetime],
        trainer: Callable[[list[Example]], Model | None] | None = None,
        fit: str = "process",
    ) -> None:
        self.db = db
        # "process": fitted in a separate process, started on the first fit; "thread" (or a
        # `trainer` given, or no processes on this platform): in the worker thread below.
        self.fit_process = (
            FitProcess() if trainer is None and fit == "process" and processes_available() else None
        )
        self.trainer = trainer or (self.fit_process.fit if self.fit_process else train_model)
        self.retrain_every = RETRAIN_EVERY
        self._closing = False
        # One fit at a time, whichever workspace: its own thread, so a burst of fits (every
        # workspace after a restart) neither takes every core nor starves the default
        # executor that others use (Teams token checks, SQLite).
        self._fits = ThreadPoolExecutor(max_workers=1, thread_name_prefix="routing-fit")
        self.client_for = client_source(client)  # each workspace's own installation
        self.clock = clock
        self._workspaces: dict[str, _Workspace] = {}
        self._groups: dict[str, tuple[float, dict[str, str]]] = {}
        self._status: dict[tuple[str, str], tuple[float, str]] = {}
        self._lock = asyncio.Lock()
        self._started: dict[str, int] = {}  # per workspace: refreshes begun
        self._finished: dict[str, int] = {}  # per workspace: the newest one that finished

    # -- user groups ---------------------------------------------------------------------------

    async def group_handles(self, team_id: str) -> dict[str, str]:
        """`@handle` -> group id, from usergroups.list (cached; stale copy if Slack fails)."""
        cached = self._groups.get(team_id)
        if cached and time.monotonic() - cached[0] < GROUPS_TTL:
            return cached[1]
        try:
            client = await self.client_for(team_id)
            response = await client.usergroups_list(include_disabled=False)
        except (SlackApiError, aiohttp.ClientError, TimeoutError, NotInstalled) as error:
            log.warning("usergroups.list failed (%s); group handles unresolved", error)
            return cached[1] if cached else {}
        handles = {
            f"@{str(group.get('handle') or '').lower()}": str(group["id"])
            for group in response.get("usergroups") or []
            if isinstance(group, dict) and group.get("id") and group.get("handle")
        }
        self._groups[team_id] = (time.monotonic(), handles)
        return handles

    def _resolve(self, token: str, handles: dict[str, str]) -> tuple[str, str] | None:
        kind = owner_kind(token)
        if kind == "handle":
            group = handles.get(token.lower())
            return ("usergroup", group) if group else None
        return (kind, token)

    def entries(self, topics: list[Topic], handles: dict[str, str]) -> list[TopicEntry]:
        """Directory rows with owners resolved; an unknown @handle is left out (and logged)."""
        result = []
        for topic in topics:
            owners = []
            for token in topic.owners or ():
                resolved = self._resolve(token, handles)
                if resolved is None:
                    log.warning("topic %r: no user group %s", topic.name, token)
                elif resolved not in owners:
                    owners.append(resolved)
            backup = self._resolve(topic.backup, handles) if topic.backup else None
            result.append(
                TopicEntry(
                    id=topic.id,
                    name=topic.name,
                    owners=tuple(owners),
                    backup=backup,
                    keywords=tuple(topic.keywords or ()),
                    description=topic.description or "",
                )
            )
        return result

    # -- the ranker ----------------------------------------------------------------------------

    async def ranker(self, team_id: str) -> Ranker:
        """This workspace's ranker, with the directory as it is now and every hop decided.

        Callers that arrive while a refresh runs share the next one: it starts after they
        asked, so what it read is at least as new as their call (a burst of shortcuts costs
        two refreshes, not one each, and waits for no queue of them)."""
        wanted = self._started.get(team_id, 0) + 1  # the first refresh to start from now on
        async with self._lock:  # one rebuild at a time; the others wait and reuse it
            workspace = self._workspaces.get(team_id)
            if workspace is not None and self._finished.get(team_id, 0) >= wanted:
                return workspace.ranker
            number = self._started[team_id] = self._started.get(team_id, 0) + 1
            ranker = await self._refresh(team_id)
            self._finished[team_id] = number
            return ranker

    async def _refresh(self, team_id: str) -> Ranker:
        """One transaction: the directory's stamp (its topics only when it changed), the
        import's stamp and the hops decided since the last look."""
        now = self.clock()
        workspace = self._workspaces.get(team_id)
        since = now - LEARN_WINDOW
        if workspace is not None and workspace.learnt_until is not None:
            since = max(since, workspace.learnt_until - OVERLAP)
        async with self.db.uow() as uow:
            stamp_row = (
                await uow.session.execute(
                    select(func.count(Topic.id), func.max(Topic.updated_at)).where(
                        Topic.team_id == team_id
                    )
                )
            ).one()
            stamp = (int(stamp_row[0]), stamp_row[1])
            imported = await uow.history.stamp(team_id)
            changed = workspace is None or workspace.stamp != stamp
            topics = await uow.directory.topics(team_id) if changed else None
            hops = await uow.directory.decided_hops(team_id, since=since)
            if imported != (workspace.imported if workspace is not None else ""):
                # An import here or on another replica: its tickets count as confirmed hops.
                hops += await uow.history.learnable(team_id, since=now - LEARN_WINDOW)
        if topics is not None:
            handles = await self.group_handles(team_id) if _has_handles(topics) else {}
            entries = self.entries(topics, handles)
            if workspace is None:
                workspace = _Workspace(Ranker(entries), stamp)
                self._workspaces[team_id] = workspace
            else:  # the directory changed: what was learned from past hops still holds
                workspace.ranker = workspace.ranker.with_topics(entries)
                workspace.stamp = stamp
        assert workspace is not None
        workspace.ranker.learn(hops)  # rows learned before are skipped
        workspace.learnt_until = now
        workspace.imported = imported
        if workspace.forgot_at is None or now - workspace.forgot_at >= FORGET_EVERY:
            workspace.ranker.forget_before(now=now)
            workspace.forgot_at = now
        self._retrain(team_id, workspace, now)
        return workspace.ranker

    def _retrain(self, team_id: str, workspace: _Workspace, now: datetime) -> None:
        """Refit the model off the event loop when history changed since the last fit (and
        the last fit started long enough ago). The examples are copied here, so the worker
        thread reads nothing the loop mutates; the fitted model is swapped in on the loop."""
        ranker = workspace.ranker
        if workspace.trained_for == ranker.revision or workspace.training is not None:
            return
        started = time.monotonic()
        last = workspace.trained_at
        waits = ranker.model is not None or workspace.failed  # a first fit is not kept waiting
        if waits and last is not None and started - last < self.retrain_every:
            return
        workspace.trained_for = ranker.revision
        if ranker.learned < MODEL_FROM:  # too little to trust: the learner answers alone
            if ranker.model is not None:
                ranker.use_model(None)
            return
        examples = ranker.examples_later(now=now)
        workspace.trained_at = started
        workspace.training = asyncio.create_task(self._fit(team_id, workspace, examples))

    def _fit_now(self, examples: Callable[[], list[Example]]) -> Model | None:
        """In the worker thread: the examples, then the fit, here or in the fit process
        (None: too few to trust)."""
        made = examples()
        if len(made) < MODEL_FROM:
            return None
        try:
            return self.trainer(made)
        except NoProcesses as error:  # from now on in this thread, as before processes
            log.warning("no routing fit process (%s); fitting in a thread", error)
            self.fit_process, self.trainer = None, train_model
            return train_model(made)

    async def _fit(
        self, team_id: str, workspace: _Workspace, examples: Callable[[], list[Example]]
    ) -> None:
        try:
            loop = asyncio.get_running_loop()
            model = await loop.run_in_executor(self._fits, self._fit_now, examples)
        except Exception:  # the model it had keeps answering; the next change tries again
            if self._closing:
                log.info("routing model for %s: fit abandoned, shutting down", team_id)
            else:
                log.exception("routing model for %s not refitted", team_id)
            workspace.trained_for = -1
            workspace.failed = True
        else:
            workspace.failed = False
            workspace.ranker.use_model(model)  # the ranker now, even if the directory moved
        finally:
            workspace.training = None

    async def close(self) -> None:
        """Stop the fit process (a fit under way is abandoned) and the worker thread."""
        self._closing = True
        if self.fit_process is not None:
            await asyncio.get_running_loop().run_in_executor(None, self.fit_process.close)
            # The abandoned fit's task ends at once (its worker is gone): let it, so no task
            # is left pending when the loop closes. A fit in the thread can't be stopped.
            fits = [w.training for w in self._workspaces.values() if w.training is not None]
            if fits:
                await asyncio.wait(fits, timeout=5)
        self._fits.shutdown(wait=False, cancel_futures=True)

    async def settled(self, team_id: str) -> None:
        """Wait for a refit under way in this workspace (tests, and a clean shutdown)."""
        workspace = self._workspaces.get(team_id)
        task = workspace.training if workspace is not None else None
        if task is not None:
            await asyncio.shield(task)

    def forget(self, team_id: str) -> None:
        """The directory changed here: re-read it on next use, keeping what was learned
        (other replicas notice through the stamp)."""
        workspace = self._workspaces.get(team_id)
        if workspace is not None:
            workspace.stamp = (-1, None)

    # -- away / deactivated --------------------------------------------------------------------

    async def _status_of(self, team_id: str, user_id: str) -> str:
        cached = self._status.get((team_id, user_id))
        if cached and time.monotonic() - cached[0] < STATUS_TTL:
            return cached[1]
        try:
            # Fresh, not the 12-hour profile cache: a status ("On holiday") changes daily.
            client = await self.client_for(team_id)
            info, presence = await asyncio.gather(
                client.users_info(user=user_id),
                client.users_getPresence(user=user_id),
            )
        except SlackApiError as error:
            if error_code(error) not in NOT_FOUND:
                log.info("no presence for %s (%s); taken as active", user_id, error)
                return "active"
            status = "deactivated"
        except (aiohttp.ClientError, TimeoutError, NotInstalled) as error:
            log.info("no presence for %s (%s); taken as active", user_id, error)
            return "active"
        else:
            user = info.get("user") or {}
            if user.get("deleted") or user.get("is_bot"):
                status = "deactivated"
            elif says_away(user.get("profile") or {}, presence.get("presence")):
                status = "away"
            else:
                status = "active"
        self._status[(team_id, user_id)] = (time.monotonic(), status)
        return status

    async def statuses(self, team_id: str, user_ids: Collection[str]) -> dict[str, str]:
        """user id -> active | away | deactivated; whoever Slack doesn't answer for in time
        is taken as active (a suggestion, not a decision: the handler still picks)."""
        ids = list(dict.fromkeys(user_ids))
        tasks = {uid: asyncio.ensure_future(self._status_of(team_id, uid)) for uid in ids}
        if not tasks:
            return {}
        done, pending = await asyncio.wait(tasks.values(), timeout=LOOKUP_BUDGET)
        for task in pending:
            task.cancel()
        return {uid: task.result() for uid, task in tasks.items() if task in done}

    # -- the one call listeners make -----------------------------------------------------------

    async def suggest(
        self, team_id: str, text: str, *, exclude: Collection[str] = (), limit: int = 3
    ) -> list[Suggestion]:
        ranker = await self.ranker(team_id)
        now = self.clock()
        users = [cid for kind, cid in ranker.candidates(text, now=now) if kind == "user"]
        status = await self.statuses(team_id, [u for u in users if u not in exclude])
        return ranker.suggest(text, now=now, status=status, limit=limit, exclude=exclude)


def _has_handles(topics: list[Topic]) -> bool:
    tokens = [t for topic in topics for t in (*(topic.owners or ()), topic.backup or "")]
    return any(token.startswith("@") for token in tokens)


async def topics_of_hop(deps: Any, team_id: str, handoff_id: int) -> list[TopicEntry]:
    """The directory topics a hop's request matches (looked up before the transaction that
    records the decision, so no lock is held while ranking). [] when unknown."""
    router = getattr(deps, "router", None)
    if router is None:
        return []
    async with deps.db.uow() as uow:
        hop = await uow.handoffs.get(team_id, handoff_id)
        request = await uow.requests.get(team_id, hop.request_id) if hop else None
    if request is None:
        return []
    try:
        ranker = await router.ranker(team_id)
        return list(ranker.topics_for(request.text))
    except Exception:  # the decision must go through even if the directory can't be read
        log.exception("directory unavailable for %s", team_id)
        return []
