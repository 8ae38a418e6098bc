"""`make bench-routing`: the router on CLINC150, cold and after learning, next to TF-IDF +
logistic regression on the same history. Writes docs/routing-benchmark.md and .json.

    .venv/bin/python -m benchmarks.routing [--quick]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.routing.anchor import tfidf_lr
from benchmarks.routing.clinc import DATASET, DIRECTORY, history, load, sample, topics
from benchmarks.routing.evaluate import latency, learning, memory, score, trained
from benchmarks.routing.report import markdown

SEED = 16
SIZES = (100, 1_000, 15_000)
DOCS = Path(__file__).resolve().parent.parent.parent / "docs"


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def run(quick: bool) -> dict[str, Any]:
    splits = load()
    directory = topics()
    test = splits.test[::5] if quick else splits.test
    oos = splits.oos_test[::5] if quick else splits.oos_test
    results: dict[str, Any] = {
        "directory_sha256": hashlib.sha256(DIRECTORY.read_bytes()).hexdigest(),
        "seed": SEED,
        "test_rows": len(test),
        "oos_rows": len(oos),
        "rows": [],
    }
    cold = trained(directory, [])
    for label, k, redirects in [("cold", 0, 0.0)] + [
        (f"k={k}{' +10% redirects' if r else ''}", k, r) for r in (0.0, 0.1) for k in SIZES
    ]:
        chosen = sample(splits.train, k=k, seed=SEED)
        ranker = trained(directory, history(chosen, seed=SEED, redirects=redirects)) if k else cold
        row: dict[str, Any] = {"history": label, "k": k, "redirects": redirects}
        on_test, on_oos = score(ranker, test), score(ranker, oos)
        row.update(
            top1=on_test.top1,
            top3=on_test.top3,
            test_nobody=on_test.nobody,
            oos_nobody=on_oos.nobody,
        )
        if k and not redirects:
            anchor, tuned = tfidf_lr(chosen, test), tfidf_lr(chosen, test, tuned=True)
            row.update(anchor_top1=anchor.top1, anchor_top3=anchor.top3)
            row.update(tuned_top1=tuned.top1, tuned_top3=tuned.top3)
        if k == max(SIZES) and not redirects:
            row.update(latency(ranker, test))
            row.update(learning(directory, history(chosen, seed=SEED)))
            row["load_average"] = os.getloadavg()[0]
        say(json.dumps(row))
        results["rows"].append(row)
    results["memory_mb_100k"] = memory(directory, splits.train, handoffs=100_000)
    say(f"memory with 100,000 handoffs: {results['memory_mb_100k']:.1f} MB")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="every 5th test row")
    args = parser.parse_args()
    if not (DATASET / "data_full.json").exists():
        raise SystemExit(f"CLINC150 not found at {DATASET}")
    results = run(args.quick)
    results["date"] = datetime.now(UTC).strftime("%Y-%m-%d")
    (DOCS / "routing-benchmark.json").write_text(json.dumps(results, indent=1) + "\n")
    (DOCS / "routing-benchmark.md").write_text(markdown(results))


if __name__ == "__main__":
    main()
