"""Scoring a router on CLINC150 rows: top-1, top-3 and how often it names nobody; time per
suggestion; memory of a ranker with many past handoffs. Shared by `make bench-routing` and
the regression guard in tests/domain/test_routing_benchmark.py."""

from __future__ import annotations

import gc
import statistics
import time
import tracemalloc
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from benchmarks.routing.clinc import NOW, Hop, Row, owner_of
from bot.domain.ranking import Ranker, TopicEntry
from bot.domain.ranking_model import train


@dataclass(frozen=True)
class Score:
    rows: int
    top1: float
    top3: float
    nobody: float  # share of rows that got no suggestion at all


def score(ranker: Ranker, rows: Sequence[Row]) -> Score:
    top1 = top3 = nobody = 0
    for row in rows:
        named = [s.id for s in ranker.suggest(row.text, now=NOW, limit=3)]
        nobody += not named
        if row.domain:
            right = owner_of(row.domain)
            top1 += named[:1] == [right]
            top3 += right in named
    n = max(len(rows), 1)
    return Score(len(rows), top1 / n, top3 / n, nobody / n)


def trained(topics: Sequence[TopicEntry], hops: Sequence[Hop]) -> Ranker:
    """A ranker that learned `hops`, with its model trained on them, as the app has it once
    its fit has caught up (bot/slack/routing.py)."""
    ranker = Ranker(topics)
    ranker.learn(hops)
    if hops:
        ranker.use_model(train(ranker.examples(now=NOW)))
    return ranker


def latency(ranker: Ranker, rows: Sequence[Row]) -> dict[str, float]:
    """Median and p99 milliseconds of one `candidates` + `suggest`, as the app calls them:
    wall time, and this process's CPU time (what the router costs, whatever else the machine
    is running; the wall time of a loaded machine includes waiting for a core)."""
    wall, cpu = [], []
    for row in rows:
        began, used = time.perf_counter(), time.process_time()
        ranker.candidates(row.text, now=NOW)
        ranker.suggest(row.text, now=NOW, status={})
        wall.append((time.perf_counter() - began) * 1000)
        cpu.append((time.process_time() - used) * 1000)

    def p99(times: list[float]) -> float:
        return sorted(times)[min(len(times) - 1, int(len(times) * 0.99))]

    return {
        "median_ms": statistics.median(wall),
        "p99_ms": p99(wall),
        "cpu_median_ms": statistics.median(cpu),
        "cpu_p99_ms": p99(cpu),
    }


def learning(topics: Sequence[TopicEntry], hops: Sequence[Hop]) -> dict[str, float]:
    """CPU time of learning `hops` as the app does: hop by hop on the event loop (the
    learner and the index), then the examples' snapshot (on the loop), and building the
    examples and fitting the model (in the app: a worker thread builds them, a worker
    process fits; HANDOFF_ROUTING_FIT=thread fits in the thread)."""
    ranker = Ranker(topics)
    began = time.process_time()
    ranker.learn(hops)
    learned = time.process_time()
    later = ranker.examples_later(now=NOW)
    taken = time.process_time()
    train(later())
    fitted = time.process_time()
    return {
        "learn_ms_per_hop": (learned - began) * 1000 / max(len(hops), 1),
        "snapshot_ms": (taken - learned) * 1000,
        "fit_cpu_s": fitted - taken,
    }


def memory(topics: Sequence[TopicEntry], rows: Sequence[Row], *, handoffs: int) -> float:
    """MB held by a ranker that learned `handoffs` hops (row texts reused, each its own
    request, spread over 89 days), measured with tracemalloc."""
    hops = [
        Hop(
            number,
            number,
            "user",
            owner_of(rows[number % len(rows)].domain),
            "confirmed",
            NOW - timedelta(days=89 * number / handoffs),
            f"{rows[number % len(rows)].text} #{number // len(rows)}",
        )
        for number in range(1, handoffs + 1)
    ]
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    ranker = trained(topics, hops)
    ranker.suggest(rows[0].text, now=NOW)  # any lazily built structure counts too
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    del ranker
    return held / 1e6
