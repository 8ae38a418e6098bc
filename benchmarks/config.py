"""How long and how hard each mode runs. `full` is what docs/benchmarks.md reports."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mode:
    name: str
    rate: float = 200.0  # the targets' arrival rate, requests/s
    warmup: float = 2.0  # seconds at that rate before the measured runs
    runs: int = 3  # measured open-loop runs; the median one (by p99) is reported
    duration: float = 4.0
    capacity_runs: int = 3  # closed-loop saturation runs; the median throughput is reported
    capacity_duration: float = 3.0
    concurrency: int = 16
    cpu_duration: float = 3.0  # one request at a time, for the server's CPU per request
    slack_latency_ms: float = 10.0  # the fake Slack's answer delay, every method
    shortcut_latency_ms: float = 50.0  # S3: views.open (and the rest) at 50 ms
    tick_sizes: tuple[int, ...] = (1_000, 10_000, 100_000)
    digest_handoffs: int = 10_000
    outbox_messages: int = 5_000
    outbox_channels: int = 500


MODES = {
    "full": Mode("full"),
    "quick": Mode(
        "quick",
        warmup=0.5,
        runs=1,
        duration=2.0,
        capacity_runs=1,
        capacity_duration=1.5,
        cpu_duration=2.0,
        tick_sizes=(1_000, 10_000),
        outbox_messages=500,
        outbox_channels=50,
    ),
    # For tests/test_benchmarks_smoke.py: proves the machinery runs, measures nothing.
    "smoke": Mode(
        "smoke",
        rate=20.0,
        warmup=0.0,
        runs=1,
        duration=0.5,
        capacity_runs=1,
        capacity_duration=0.5,
        concurrency=2,
        cpu_duration=0.3,
        slack_latency_ms=0.0,
        shortcut_latency_ms=0.0,
        tick_sizes=(200,),
        digest_handoffs=200,
        outbox_messages=20,
        outbox_channels=20,
    ),
}
