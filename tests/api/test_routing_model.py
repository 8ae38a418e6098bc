"""The router's trained model in the app (issue 16, bot/slack/routing.py): fitted in a worker
thread while suggestions keep being answered, refitted after new history at most every
`retrain_every` seconds, dropped when the history it was fitted on is forgotten, kept when
a refit fails, and the same on two replicas that read the same history at different times.
History comes in through the real `POST /api/history`, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import threading
import time
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot import fit_worker
from bot.devtools.sandbox import Sandbox
from bot.domain import ranking
from bot.domain.ranking_model import Example, Model, train
from bot.fit_worker import FitProcess, WorkerDied
from bot.slack import routing
from bot.slack.routing import Router
from db.uow import Database
from tests.api.conftest import AUTH, TEAM, TOKEN
from tests.api.test_history import EXCHANGE, NOW, post
from tests.e2e.test_directory import load_directory

PROBES = (EXCHANGE, "the courier lost the parcel", "refund a double charge", "hello there")


@pytest.fixture(autouse=True)
def small_histories(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fixtures' few tickets stand for the hundreds a model needs in production."""
    monkeypatch.setattr(ranking, "MODEL_FROM", 2)
    monkeypatch.setattr(routing, "MODEL_FROM", 2)


@pytest.fixture
async def box(db: Database, database_url: str) -> AsyncIterator[Sandbox]:
    async with Sandbox(
        database_url, handoff_api_token=TOKEN, handoff_api_team=TEAM, clock=lambda: NOW
    ) as sandbox:
        sandbox.http.headers.update(AUTH)
        await load_directory(db)
        yield sandbox


class Trainer:
    """`train`, counted, in whatever thread calls it; optionally held at a gate or failing."""

    def __init__(self) -> None:
        self.gate: threading.Event | None = None
        self.fail = False
        self.threads: list[int] = []
        self.names: list[str] = []
        self.sizes: list[int] = []

    def __call__(self, examples: list[Example]) -> Model | None:
        self.threads.append(threading.get_ident())
        self.names.append(threading.current_thread().name)
        self.sizes.append(len(examples))
        if self.gate is not None and not self.gate.wait(10):
            raise TimeoutError("the test never opened the gate")
        if self.fail:
            raise MemoryError("no room to fit")
        return train(examples)


async def test_suggestions_are_answered_while_the_model_is_fitted_in_a_worker_thread(
    box: Sandbox, db: Database
) -> None:
    trainer = Trainer()
    trainer.gate = threading.Event()
    router = Router(db, box.runtime.client, lambda: NOW, trainer=trainer)
    await post(box, "zendesk.csv")
    first = await asyncio.wait_for(router.suggest(TEAM, EXCHANGE), 5)
    assert first[0].id == "U_ERIN"  # the learner answers: no model yet
    for _ in range(200):
        if trainer.threads:
            break
        await asyncio.sleep(0.01)
    assert trainer.threads and trainer.threads[0] != threading.get_ident()
    assert trainer.names[0].startswith("routing-fit")  # its own thread, not the default pool
    ranker = await router.ranker(TEAM)
    assert ranker.model is None
    again = await asyncio.wait_for(router.suggest(TEAM, EXCHANGE), 5)  # the fit still held
    assert again == first
    assert trainer.sizes == [3]  # one fit at a time: the second call did not start another
    trainer.gate.set()
    await asyncio.wait_for(router.settled(TEAM), 10)
    assert ranker.model is not None and ranker.model.examples == 3
    assert (await router.suggest(TEAM, EXCHANGE))[0].id == "U_ERIN"


async def test_new_history_is_fitted_again_at_most_every_retrain_every(
    box: Sandbox, db: Database
) -> None:
    trainer = Trainer()
    router = Router(db, box.runtime.client, lambda: NOW, trainer=trainer)
    router.retrain_every = 3600
    await post(box, "zendesk.csv")
    await router.suggest(TEAM, EXCHANGE)
    await router.settled(TEAM)
    await router.suggest(TEAM, EXCHANGE)  # nothing new: no refit
    await post(box, "hubspot.csv", "?mapping=hubspot")
    await router.suggest(TEAM, EXCHANGE)  # new history, but the last fit was just now
    await router.settled(TEAM)
    assert trainer.sizes == [3]
    router.retrain_every = 0
    await router.suggest(TEAM, EXCHANGE)
    await router.settled(TEAM)
    assert trainer.sizes == [3, 5]
    assert (await router.ranker(TEAM)).model.examples == 5  # type: ignore[union-attr]


async def test_a_failed_fit_keeps_the_model_it_had_and_the_next_change_tries_again(
    box: Sandbox, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    trainer = Trainer()
    router = Router(db, box.runtime.client, lambda: NOW, trainer=trainer)
    router.retrain_every = 0
    await post(box, "zendesk.csv")
    await router.suggest(TEAM, EXCHANGE)
    await router.settled(TEAM)
    ranker = await router.ranker(TEAM)
    model = ranker.model
    assert model is not None
    trainer.fail = True
    await post(box, "hubspot.csv", "?mapping=hubspot")
    with caplog.at_level(logging.ERROR, logger="bot.slack.routing"):
        answered = await router.suggest(TEAM, EXCHANGE)
        await router.settled(TEAM)
    assert "routing model for T" in caplog.text and "MemoryError" in caplog.text
    assert ranker.model is model  # the old one still answers
    assert answered[0].id == "U_ERIN"
    trainer.fail = False
    await router.suggest(TEAM, EXCHANGE)  # nothing new learned, but the failed fit is owed
    await router.settled(TEAM)
    assert trainer.sizes == [3, 5, 5]
    assert ranker.model is not model and ranker.model.examples == 5  # type: ignore[union-attr]


async def test_a_fit_that_keeps_failing_is_retried_at_most_every_retrain_every(
    box: Sandbox, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """No model yet and the fit fails (every time, say a bad row): each suggestion must not
    start another fit in the worker thread; the next try waits like a refit does."""
    trainer = Trainer()
    trainer.fail = True
    router = Router(db, box.runtime.client, lambda: NOW, trainer=trainer)
    router.retrain_every = 3600
    await post(box, "zendesk.csv")
    with caplog.at_level(logging.ERROR, logger="bot.slack.routing"):
        for _ in range(5):
            answered = await router.suggest(TEAM, EXCHANGE)
            await router.settled(TEAM)
    assert answered and answered[0].id == "U_ERIN"  # the learner and directory still answer
    assert trainer.sizes == [3]
    assert (await router.ranker(TEAM)).model is None
    router.retrain_every = 0
    trainer.fail = False
    await router.suggest(TEAM, EXCHANGE)
    await router.settled(TEAM)
    assert trainer.sizes == [3, 3]
    assert (await router.ranker(TEAM)).model is not None


async def test_forgotten_history_takes_the_model_fitted_on_it_along(
    box: Sandbox, db: Database
) -> None:
    now = [NOW]
    trainer = Trainer()
    router = Router(db, box.runtime.client, lambda: now[0], trainer=trainer)
    router.retrain_every = 0
    await post(box, "zendesk.csv")
    await router.suggest(TEAM, EXCHANGE)
    await router.settled(TEAM)
    ranker = await router.ranker(TEAM)
    assert ranker.model is not None
    now[0] = NOW + timedelta(days=100)  # every ticket is older than the 90-day window
    await router.suggest(TEAM, EXCHANGE)
    await router.settled(TEAM)
    assert ranker.learned == 0 and ranker.model is None
    assert trainer.sizes == [3]  # nothing left to fit on: dropped, not refitted


async def test_two_replicas_reading_history_at_different_times_fit_the_same_model(
    box: Sandbox, db: Database
) -> None:
    early, late = (Router(db, box.runtime.client, lambda: NOW) for _ in range(2))
    try:
        early.retrain_every = 0
        await post(box, "zendesk.csv")
        await early.suggest(TEAM, EXCHANGE)  # fits on 3, then on 5 below
        await early.settled(TEAM)
        await post(box, "hubspot.csv", "?mapping=hubspot")
        for replica in (early, late):
            await replica.suggest(TEAM, EXCHANGE)
            await replica.settled(TEAM)
        one, other = (await early.ranker(TEAM)).model, (await late.ranker(TEAM)).model
        assert one is not None and other is not None and one is not other
        assert one.examples == other.examples == 5
        for text in PROBES:
            assert one.probabilities(text) == other.probabilities(text)
            assert await early.suggest(TEAM, text) == await late.suggest(TEAM, text)
    finally:
        for replica in (early, late):
            await replica.close()  # each fitted in its own process


# -- the fit process (bot/fit_worker.py): the default outside tests that pass a trainer -------


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with contextlib.suppress(ChildProcessError):  # reaped already, or not ours to reap
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    return True


async def test_the_fit_process_fits_the_model_the_thread_would(box: Sandbox, db: Database) -> None:
    router = Router(db, box.runtime.client, lambda: NOW)
    try:
        assert router.fit_process is not None
        await post(box, "zendesk.csv")
        await router.suggest(TEAM, EXCHANGE)
        await router.settled(TEAM)
        ranker = await router.ranker(TEAM)
        pid = router.fit_process.pid
        assert pid is not None and pid != os.getpid() and alive(pid)
        ours = os.getpriority(os.PRIO_PROCESS, 0)
        assert os.getpriority(os.PRIO_PROCESS, pid) == min(19, ours + 10)  # background work
        assert ranker.model is not None and ranker.model.examples == 3
        here = train(ranker.examples(now=NOW))
        assert here is not None
        for text in PROBES:
            assert ranker.model.probabilities(text) == here.probabilities(text)
    finally:
        await router.close()
    assert not alive(pid)  # closed with the router: no process left behind


async def test_a_fit_process_killed_between_fits_is_replaced_at_the_next_fit(
    box: Sandbox, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """Killed while idle (out of memory, say): the next fit sees it gone and starts another,
    so no fit is lost (a kill during a fit is the next test)."""
    router = Router(db, box.runtime.client, lambda: NOW)
    router.retrain_every = 0
    try:
        assert router.fit_process is not None
        await post(box, "zendesk.csv")
        await router.suggest(TEAM, EXCHANGE)
        await router.settled(TEAM)
        ranker = await router.ranker(TEAM)
        model, pid = ranker.model, router.fit_process.pid
        assert model is not None and pid is not None
        os.kill(pid, signal.SIGKILL)
        for _ in range(500):
            if router.fit_process.pid is None:  # reaped: it is seen to be gone
                break
            await asyncio.sleep(0.01)
        await post(box, "hubspot.csv", "?mapping=hubspot")
        with caplog.at_level(logging.INFO, logger="bot.slack.routing"):
            answered = await router.suggest(TEAM, EXCHANGE)
            await router.settled(TEAM)
        assert "not refitted" not in caplog.text
        assert answered[0].id == "U_ERIN"
        assert ranker.model is not model and ranker.model.examples == 5  # type: ignore[union-attr]
        assert router.fit_process.pid not in (None, pid)
    finally:
        await router.close()


def test_a_fit_process_killed_mid_fit_raises_and_the_next_fit_starts_another() -> None:
    examples = [Example(f"refund the double charge {n}", ("user", "U_ERIN")) for n in range(50)] + [
        Example(f"the courier lost parcel {n}", ("user", "U_FINN")) for n in range(50)
    ]
    worker = FitProcess()
    try:
        pids: list[int] = []

        def kill_when_started() -> None:
            for _ in range(500):
                if (pid := worker.pid) is not None:
                    pids.append(pid)
                    os.kill(pid, signal.SIGKILL)  # still importing scikit-learn: mid-fit
                    return
                time.sleep(0.002)

        killer = threading.Thread(target=kill_when_started)
        killer.start()
        with pytest.raises(WorkerDied):
            worker.fit(examples)
        killer.join()
        assert pids and not alive(pids[0])
        model = worker.fit(examples)
        assert model is not None and worker.pid not in (None, pids[0])
        assert model.probabilities("refund") == train(examples).probabilities("refund")  # type: ignore[union-attr]
    finally:
        worker.close()
    assert worker.pid is None


async def test_the_fit_process_stops_with_the_app(db: Database, database_url: str) -> None:
    async with Sandbox(
        database_url, handoff_api_token=TOKEN, handoff_api_team=TEAM, clock=lambda: NOW
    ) as sandbox:
        sandbox.http.headers.update(AUTH)
        await load_directory(db)
        router = sandbox.runtime.deps.router
        assert router is not None and router.fit_process is not None
        await post(sandbox, "zendesk.csv")
        await router.suggest(TEAM, EXCHANGE)
        await router.settled(TEAM)
        assert (await router.ranker(TEAM)).model is not None
        pid = router.fit_process.pid
        assert pid is not None and alive(pid)
    assert not alive(pid)


async def test_handoff_routing_fit_thread_keeps_the_fit_in_the_thread(
    db: Database, database_url: str
) -> None:
    async with Sandbox(
        database_url,
        handoff_api_token=TOKEN,
        handoff_api_team=TEAM,
        handoff_routing_fit="thread",
        clock=lambda: NOW,
    ) as sandbox:
        sandbox.http.headers.update(AUTH)
        await load_directory(db)
        router = sandbox.runtime.deps.router
        assert router is not None and router.fit_process is None
        await post(sandbox, "zendesk.csv")
        await router.suggest(TEAM, EXCHANGE)
        await router.settled(TEAM)
        model = (await router.ranker(TEAM)).model
        assert model is not None and model.examples == 3  # fitted, with no process


async def test_closing_the_router_mid_fit_abandons_it_quietly(
    box: Sandbox, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    router = Router(db, box.runtime.client, lambda: NOW)
    await post(box, "zendesk.csv")
    with caplog.at_level(logging.INFO, logger="bot.slack.routing"):
        await router.suggest(TEAM, EXCHANGE)  # the first fit starts: a cold worker, ~1 s
        workspace = router._workspaces[TEAM]
        task = workspace.training
        assert task is not None and not task.done()
        await router.close()
    assert task.done() and workspace.training is None  # nothing left pending for the loop
    assert (await router.ranker(TEAM)).model is None
    assert "fit abandoned, shutting down" in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert router.fit_process is not None and router.fit_process.pid is None


def test_an_idle_fit_process_exits_and_the_next_fit_starts_another() -> None:
    """Its memory (scikit-learn, a fit's data) is held only while fits come. A fit that comes
    near the idle exit never goes to the leaving worker: no fit is lost to the race."""
    examples = [Example("refund the double charge", ("user", "U_ERIN"))] * 3 + [
        Example("the courier lost the parcel", ("user", "U_FINN"))
    ] * 3
    worker = FitProcess(idle=6.0)  # the parent starts afresh after 1 s (6 - STALE)
    try:
        assert worker.fit(examples) is not None
        first = worker._process
        assert first is not None and worker.pid is not None
        time.sleep(1.2)  # inside the worker's 6 s, past the parent's 1 s
        assert worker.fit(examples) is not None  # sent to a new worker, not the old one
        second = worker._process
        assert second is not None and second.pid != first.pid
        assert first.wait(5) is not None  # the first was let go
        deadline = time.monotonic() + 15
        while second.poll() is None:  # left idle, the second leaves by itself
            assert time.monotonic() < deadline, "the idle worker did not exit"
            time.sleep(0.1)
        assert worker.pid is None
        assert worker.fit(examples) is not None and worker.pid not in (None, second.pid)
    finally:
        worker.close()


def test_a_fit_that_raises_in_the_worker_raises_here_and_the_worker_is_replaced() -> None:
    """MemoryError, say: reported to the router (which logs it and keeps its model), and the
    worker, whose state is not to be trusted after it, is replaced for the next fit."""
    good = [Example("refund the double charge", ("user", "U_ERIN"))] * 3 + [
        Example("the courier lost the parcel", ("user", "U_FINN"))
    ] * 3
    bad = [*good, Example(None, ("user", "U_FINN"))]  # type: ignore[arg-type]
    worker = FitProcess()
    try:
        assert worker.fit(good) is not None
        first = worker.pid
        with pytest.raises(AttributeError):  # the vectoriser can't lowercase None
            worker.fit(bad)
        assert worker.pid is None and first is not None and not alive(first)
        assert worker.fit(good) is not None and worker.pid not in (None, first)
    finally:
        worker.close()


async def test_where_no_process_can_be_started_the_fit_falls_back_to_the_thread(
    box: Sandbox, db: Database, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def refused(*args: object, **kwargs: object) -> None:
        raise PermissionError("fork refused by the sandbox")

    monkeypatch.setattr(fit_worker.subprocess, "Popen", refused)
    router = Router(db, box.runtime.client, lambda: NOW)
    try:
        assert router.fit_process is not None
        await post(box, "zendesk.csv")
        with caplog.at_level(logging.WARNING, logger="bot.slack.routing"):
            await router.suggest(TEAM, EXCHANGE)
            await router.settled(TEAM)
        assert "no routing fit process" in caplog.text and "fork refused" in caplog.text
        assert router.fit_process is None  # from now on in the thread
        model = (await router.ranker(TEAM)).model
        assert model is not None and model.examples == 3  # this fit was not lost
    finally:
        await router.close()
