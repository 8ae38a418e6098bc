"""`make bench` (`python -m benchmarks.run`): every scenario on SQLite and PostgreSQL, then
docs/benchmarks.md and docs/benchmarks.json. `--quick` for a smoke run, `--only S1,S5` to
pick scenarios (a scenario's baselines always run with it, for its ratios)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.config import MODES
from benchmarks.procs import Children, Databases, Pinning
from benchmarks.report import markdown
from benchmarks.scenarios import Bench

BASELINES = ("B0", "B1", "B2")
HTTP = ("S1", "S2", "S2N", "S3", "S4")  # S2N: the issue's S2' (every owner new)
JOBS = ("S5", "S6", "S7")
ALL = BASELINES + HTTP + JOBS
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"


def chosen(only: str | None, *, baselines: bool = True) -> list[str]:
    if not only:
        return list(ALL)
    wanted = {part.strip().upper() for part in only.split(",") if part.strip()}
    unknown = wanted - set(ALL)
    if unknown:
        raise SystemExit(f"unknown scenarios: {', '.join(sorted(unknown))} (know {', '.join(ALL)})")
    if wanted & set(HTTP) and baselines:
        wanted |= set(BASELINES)
    return [s for s in ALL if s in wanted]


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> dict[str, Any]:
    mode = MODES[args.mode]
    pinning = Pinning()
    children = Children(pinning)
    databases = Databases(args.postgres_url)
    backends = [b for b in args.backends.split(",") if b]
    skipped: list[str] = []
    if "postgresql" in backends and not asyncio.run(databases.postgres_available()):
        backends.remove("postgresql")
        skipped.append(f"PostgreSQL: nothing answers at {args.postgres_url}")
    bench = Bench(mode, children, databases)
    results: list[dict[str, Any]] = []
    began = time.monotonic()
    say(pinning.note)
    try:
        for scenario in chosen(args.only, baselines=args.baselines):
            for backend in [None] if scenario in BASELINES else backends:
                say(f"{time.monotonic() - began:6.0f}s  {scenario} {backend or ''}")
                results.extend(_one(bench, scenario, backend))
                asyncio.run(databases.drop_all())
    finally:
        children.stop_all()
        asyncio.run(databases.drop_all())
        shutil.rmtree(databases.folder, ignore_errors=True)
        if not any("error" in row for row in results):  # else the logs say why
            shutil.rmtree(children.logs, ignore_errors=True)
    return {
        "mode": mode.name,
        "config": mode.__dict__,
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "wall_s": time.monotonic() - began,
        "pinning": pinning.note,
        "machine": f"{platform.machine()}, {len(_cpus())} CPUs, Python {platform.python_version()}",
        "skipped": skipped,
        "command": "make bench" + (" ARGS=--quick" if mode.name == "quick" else ""),
        "results": results,
    }


def _cpus() -> set[int]:
    return os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else {0}


def _one(bench: Bench, scenario: str, backend: str | None) -> list[dict[str, Any]]:
    row = {"scenario": scenario, "backend": backend or "-"}
    try:
        if scenario in BASELINES or scenario in HTTP:
            return [{**row, **bench.http(scenario, backend)}]
        assert backend is not None
        if scenario == "S5":
            return [{**row, **bench.tick(backend, size)} for size in bench.mode.tick_sizes]
        if scenario == "S6":
            return [{**row, **bench.digest(backend)}]
        return [{**row, **bench.outbox(backend)}]
    except Exception as error:  # one broken scenario must not lose the others' numbers
        say(f"  {scenario} failed: {error} (process logs in {bench.children.logs})")
        return [{**row, "error": str(error)[-2000:]}]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    parser.add_argument("--quick", dest="mode", action="store_const", const="quick")
    parser.add_argument("--mode", dest="mode", choices=sorted(MODES))
    parser.add_argument("--only", help="comma-separated scenarios, e.g. S1,S5")
    parser.add_argument(
        "--no-baselines",
        dest="baselines",
        action="store_false",
        help="with --only: skip the baselines (no ratios)",
    )
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES)
    parser.add_argument("--out", default="docs/benchmarks.md", help="the .json goes next to it")
    parser.add_argument(
        "--render", metavar="JSON", help="only rewrite the Markdown from an earlier run's JSON"
    )
    parser.set_defaults(mode="full")
    args = parser.parse_args(argv)
    out = Path(args.out)
    if args.render:
        out.write_text(markdown(json.loads(Path(args.render).read_text())))
        return 0
    report = run(args)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(report, indent=2, default=str) + "\n")
    out.write_text(markdown(report))
    say(f"wrote {out} and {out.with_suffix('.json')} in {report['wall_s']:.0f}s")
    return 1 if any("error" in row for row in report["results"]) else 0


if __name__ == "__main__":
    sys.exit(main())
