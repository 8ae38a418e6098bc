"""Suggestions while the model is refitted back to back, the fit in a thread of this process
(HANDOFF_ROUTING_FIT=thread) against the fit process (bot/fit_worker.py, the default), with
all 15,000 CLINC150 `train` rows as history. Rounds alternate between the modes (and a
round with no fit), so a loaded machine slows them alike; medians of the rounds' figures.

    .venv/bin/python -m benchmarks.routing.during_fit [--rounds 5] [--rows 600]

Wall time per suggestion (median, p99), CPU of the suggesting thread alone
(`time.thread_time`: in thread mode `process_time` would count the fit too), CPU the fit
costs this process per fit (in process mode: pickling the examples, unpickling the model),
the worker's memory (VmHWM from /proc) and the time to a first model from a cold worker."""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from benchmarks.routing.clinc import NOW, Row, history, load, sample, topics
from benchmarks.routing.evaluate import trained
from bot.domain.ranking import Ranker
from bot.domain.ranking_model import Example, train
from bot.fit_worker import FitProcess


def p99(times: list[float]) -> float:
    return sorted(times)[min(len(times) - 1, int(len(times) * 0.99))]


def suggestions(ranker: Ranker, rows: Sequence[Row]) -> dict[str, float]:
    wall, cpu = [], []
    for row in rows:
        began, used = time.perf_counter(), time.thread_time()
        ranker.candidates(row.text, now=NOW)
        ranker.suggest(row.text, now=NOW, limit=3)
        wall.append((time.perf_counter() - began) * 1000)
        cpu.append((time.thread_time() - used) * 1000)
    return {
        "median_ms": statistics.median(wall),
        "p99_ms": p99(wall),
        "cpu_median_ms": statistics.median(cpu),
    }


def during(
    ranker: Ranker,
    rows: Sequence[Row],
    fit: Callable[[list[Example]], Any] | None,
    examples: list[Example],
) -> dict[str, float]:
    """Suggest `rows` while another thread calls `fit(examples)` back to back."""
    stop, fits, fit_cpu = threading.Event(), [0], [0.0]

    def refit() -> None:
        assert fit is not None
        while not stop.is_set():
            used = time.thread_time()
            fit(examples)
            fit_cpu[0] += time.thread_time() - used
            fits[0] += 1

    worker = threading.Thread(target=refit) if fit is not None else None
    if worker is not None:
        worker.start()
        time.sleep(0.3)  # the first fit is under way
    figures = suggestions(ranker, rows)
    stop.set()
    if worker is not None:
        worker.join()
        figures["fit_cpu_here_s"] = fit_cpu[0] / max(fits[0], 1)
    return figures


def rss_mb(pid: int) -> dict[str, float]:
    fields = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = int(value.split()[0]) / 1024
    return fields


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--rows", type=int, default=600)
    args = parser.parse_args()
    splits = load()
    ranker = trained(topics(), history(sample(splits.train, k=15_000, seed=16), seed=16))
    examples = ranker.examples(now=NOW)
    rows = splits.test[:: max(1, len(splits.test) // args.rows)][: args.rows]
    worker = FitProcess()
    began = time.perf_counter()
    worker.fit(examples)
    first = time.perf_counter() - began
    began = time.perf_counter()
    train(examples)
    in_thread = time.perf_counter() - began
    modes: dict[str, Callable[[list[Example]], Any] | None] = {
        "no fit": None,
        "thread": train,
        "process": worker.fit,
    }
    results: dict[str, list[dict[str, float]]] = {mode: [] for mode in modes}
    for _ in range(args.rounds):
        for mode, fit in modes.items():
            results[mode].append(during(ranker, rows, fit, examples))
    assert worker.pid is not None
    memory = rss_mb(worker.pid)
    worker.close()
    print(f"{len(examples)} examples, {len(rows)} suggestions a round, {args.rounds} rounds")
    for mode, rounds in results.items():
        keys = rounds[0].keys()
        print(
            f"{mode:8}",
            "  ".join(f"{k} {statistics.median(r[k] for r in rounds):.2f}" for k in keys),
        )
    print(f"fit process: first model {first:.1f} s from cold (start, imports, fit, return);")
    print(f"  a fit in this process {in_thread:.1f} s; worker memory {memory}")


if __name__ == "__main__":
    main()
