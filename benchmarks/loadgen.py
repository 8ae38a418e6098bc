"""The load generator, in its own process: `python -m benchmarks.loadgen '<json plan>'`.

Open loop for latency: request i is due at start + i / rate whatever happened to the
earlier ones, and its latency is measured from that due time, so a stalled server shows up
as latency instead of as fewer requests (no coordinated omission). Saturation throughput is
measured separately, closed loop with a fixed number of connections. Prints JSON.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from benchmarks.payloads import Payloads, Prepared
from benchmarks.procs import cpu_seconds

TIMEOUT = 10.0
GRACE = 3.0  # seconds after a run's last send before what is unanswered counts as lost
SETTLE = 120.0
DRAIN = 1.0  # seconds for the server to deliver its outbox around the CPU phase
WARM_REQUESTS = 20  # sent (and not counted) before the CPU phase: first-use imports, caches
QUIET_SHARE = 0.05  # the CPU phase starts once the server uses less than this of a core...
QUIET_WINDOW = 0.5  # ...over this many seconds (its start-up work: first tick, warm-up)
QUIET_LIMIT = 60.0  # seconds to wait for that at most (then measured anyway, and said so)


@dataclass
class Plan:
    url: str
    kind: str
    rate: float
    warmup: float
    runs: int
    duration: float
    capacity_runs: int
    capacity_duration: float
    concurrency: int = 16
    pause: float = 0.5
    server_pid: int = 0  # when set, a last phase measures the server's CPU per request
    cpu_duration: float = 3.0


@dataclass
class Sample:
    latencies: list[float] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)

    def add(self, status: str, latency: float) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1
        self.latencies.append(latency)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _send(session: aiohttp.ClientSession, url: str, request: Prepared) -> str:
    try:
        async with session.post(url, data=request.body, headers=request.headers) as response:
            await response.read()
            return str(response.status)
    except (aiohttp.ClientError, TimeoutError) as error:
        return type(error).__name__


class LoadGenerator:
    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.payloads = Payloads()
        self.next_index = 0

    async def _batch(self, count: int) -> list[Prepared]:
        start, self.next_index = self.next_index, self.next_index + count
        return [await self.payloads.build(self.plan.kind, i) for i in range(start, start + count)]

    async def open_loop(self, session: aiohttp.ClientSession, seconds: float) -> dict[str, Any]:
        count = max(1, round(self.plan.rate * seconds))
        requests = await self._batch(count)
        sample = Sample()
        loop = asyncio.get_running_loop()
        start = loop.time() + 0.05

        async def one(request: Prepared, due: float) -> None:
            status = await _send(session, self.plan.url, request)
            sample.add(status, loop.time() - due)

        tasks = []
        for i, request in enumerate(requests):
            due = start + i / self.plan.rate
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(request, due)))
        # An overloaded server would otherwise keep the run going for as long as its backlog
        # lasts: what is unanswered GRACE seconds after the last send counts as a request
        # that took at least that long (so p99 and max become lower bounds).
        _, late = await asyncio.wait(tasks, timeout=GRACE)
        for task in late:
            task.cancel()
        elapsed = loop.time() - start
        for i in range(len(late)):
            sample.add("unanswered", elapsed - i / self.plan.rate)
        lat = sample.latencies
        ok = sample.statuses.get("200", 0)
        return {
            "sent": count,
            "ok": ok,
            "unanswered": len(late),
            "statuses": sample.statuses,
            "offered_rate": self.plan.rate,
            "achieved_rate": ok / elapsed,
            "p50_ms": 1000 * percentile(lat, 0.50),
            "p99_ms": 1000 * percentile(lat, 0.99),
            "max_ms": 1000 * max(lat),
            "over_1s": sum(1 for x in lat if x > 1.0),
        }

    async def settle(self, session: aiohttp.ClientSession) -> None:
        """After an overloaded run: one request, answered once the server's backlog is
        worked off, so the next run does not measure the last one's leftovers."""
        index, self.next_index = self.next_index, self.next_index + 1
        request = await self.payloads.build(self.plan.kind, index)
        with contextlib.suppress(aiohttp.ClientError, TimeoutError):
            async with session.post(
                self.plan.url,
                data=request.body,
                headers=request.headers,
                timeout=aiohttp.ClientTimeout(total=SETTLE),
            ) as response:
                await response.read()

    async def closed_loop(self, session: aiohttp.ClientSession, seconds: float) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        done: dict[str, int] = {}

        async def worker() -> None:
            while loop.time() < deadline:
                index, self.next_index = self.next_index, self.next_index + 1
                request = await self.payloads.build(self.plan.kind, index)
                status = await _send(session, self.plan.url, request)
                if loop.time() <= deadline:
                    done[status] = done.get(status, 0) + 1

        await asyncio.gather(*(worker() for _ in range(self.plan.concurrency)))
        return {"statuses": done, "throughput": done.get("200", 0) / seconds}

    async def run(self) -> dict[str, Any]:
        plan = self.plan
        connector = aiohttp.TCPConnector(limit=256)
        timeout = aiohttp.ClientTimeout(total=TIMEOUT)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            # First, on a server with no backlog: later phases overload it, and what it still
            # works off after them would be counted against the requests of this phase.
            cpu = await self.cpu_per_request(session) if plan.server_pid else None
            warmup = await self.open_loop(session, plan.warmup) if plan.warmup else None
            if warmup and warmup["unanswered"]:
                await self.settle(session)
            runs = []
            for _ in range(plan.runs):
                await asyncio.sleep(plan.pause)
                runs.append(await self.open_loop(session, plan.duration))
                if runs[-1]["unanswered"]:
                    await self.settle(session)
                    if len(runs) >= 2:  # overloaded twice: more runs would say the same
                        break
            capacity = []
            for _ in range(plan.capacity_runs):
                await asyncio.sleep(plan.pause)
                capacity.append(await self.closed_loop(session, plan.capacity_duration))
        return {"warmup": warmup, "runs": runs, "capacity": capacity, "cpu_ms_per_request": cpu}

    async def quiet(self) -> bool:
        """Wait until the server is idle: what it does once at start (the first tick, the
        ranker warm-up, imports on first use) is not a request's cost. False: it never was."""
        loop = asyncio.get_running_loop()
        give_up = loop.time() + QUIET_LIMIT
        while loop.time() < give_up:
            before = cpu_seconds(self.plan.server_pid)
            await asyncio.sleep(QUIET_WINDOW)
            after = cpu_seconds(self.plan.server_pid)
            if before is None or after is None:
                return False
            if after - before < QUIET_SHARE * QUIET_WINDOW:
                return True
        return False

    async def cpu_per_request(self, session: aiohttp.ClientSession) -> float | None:
        """The server's CPU time per request, one request at a time (so every one is
        answered and none waits in a backlog), its outbox delivered: /proc's user + system
        time over the phase and a second after it, divided by the requests answered. It
        starts after a few requests of the same kind and once the server is idle, so that
        what a process does once (start-up, first use) is not counted per request."""
        for _ in range(WARM_REQUESTS):
            index, self.next_index = self.next_index, self.next_index + 1
            await _send(session, self.plan.url, await self.payloads.build(self.plan.kind, index))
        await asyncio.sleep(DRAIN)
        if not await self.quiet():
            print("loadgen: the server never went idle before the CPU phase", file=sys.stderr)
        before = cpu_seconds(self.plan.server_pid)
        loop = asyncio.get_running_loop()
        deadline, answered = loop.time() + self.plan.cpu_duration, 0
        while loop.time() < deadline:
            index, self.next_index = self.next_index, self.next_index + 1
            request = await self.payloads.build(self.plan.kind, index)
            answered += await _send(session, self.plan.url, request) == "200"
        await asyncio.sleep(DRAIN)
        after = cpu_seconds(self.plan.server_pid)
        if before is None or after is None or not answered:
            return None
        return 1000 * (after - before) / answered


def main() -> None:
    plan = Plan(**json.loads(sys.argv[1]))
    began = time.monotonic()
    result = asyncio.run(LoadGenerator(plan).run())
    result["wall_s"] = time.monotonic() - began
    print(json.dumps(result))


if __name__ == "__main__":
    main()
