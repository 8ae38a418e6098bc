"""The benchmark harness runs end to end on a tiny load: server, fake Slack and load generator
as processes, a tick and an outbox drain. It proves the machinery, not any speed."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks.run import main


def test_the_harness_runs_and_writes_its_report(tmp_path: Path) -> None:
    out = tmp_path / "benchmarks.md"

    status = main(
        [
            "--mode=smoke",
            "--backends=sqlite",
            "--only=S1,S5,S7",
            "--no-baselines",
            f"--out={out}",
        ]
    )

    report = json.loads(out.with_suffix(".json").read_text())
    rows = {row["scenario"]: row for row in report["results"]}
    assert status == 0, [row.get("error") for row in report["results"]]
    assert set(rows) == {"S1", "S5", "S7"}
    assert rows["S1"]["runs"][0]["ok"] > 0
    assert "handoffs" in rows["S5"]["plan"]
    assert rows["S7"]["lost"] == 0
    assert "| S1 intake message event | sqlite |" in out.read_text()
