"""deploy/: the Grafana dashboard and the Prometheus alerts parse, and every metric they name
is one our exporter (GET /metrics, bot/metrics.py) exports."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml
from prometheus_client import Metric

from bot import metrics

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
NAME = re.compile(r"\bhandoff_[a-z0-9_]+\b")
SUFFIXES = {
    "counter": ("_total", "_created"),
    "gauge": ("",),
    "histogram": ("_bucket", "_count", "_sum", "_created"),
}


def exported() -> set[str]:
    """Every series name the registry can expose, labelled or not, observed or not."""
    names: set[str] = set()
    family: Metric
    for family in metrics.REGISTRY.collect():
        names |= {family.name + suffix for suffix in SUFFIXES[family.type]}
    return names


def expressions_of_dashboard() -> list[str]:
    board = json.loads((DEPLOY / "grafana" / "handoff.json").read_text())
    return [t["expr"] for p in board["panels"] for t in p["targets"]]


def rules() -> list[dict[str, object]]:
    spec = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())
    return [rule for group in spec["groups"] for rule in group["rules"]]


def test_the_exporter_knows_the_new_series_the_alerts_need() -> None:
    names = exported()
    assert "handoff_tick_last_success_timestamp_seconds" in names
    assert "handoff_slack_events_responses_total" in names
    assert "handoff_outbox_pending" in names
    assert {"handoff_promises", "handoff_customer_checks_open"} <= names


def test_the_grafana_dashboard_is_json_with_panels_over_our_metrics() -> None:
    board = json.loads((DEPLOY / "grafana" / "handoff.json").read_text())
    assert board["uid"] == "handoff" and board["panels"]
    ids = [p["id"] for p in board["panels"]]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    used = {n for e in expressions_of_dashboard() for n in NAME.findall(e)}
    assert used, "the dashboard names no handoff metric"
    assert used <= exported(), f"not exported: {sorted(used - exported())}"


def test_the_alerts_cover_what_the_issue_asks_and_name_only_exported_metrics() -> None:
    found = rules()
    names = {str(r["alert"]) for r in found}
    assert {
        "HandoffOutboxBacklogGrowing",
        "HandoffDeadLetters",
        "HandoffTickNotRunning",
        "HandoffSlackEvents5xx",
        "HandoffPromisesBroken",
    } <= names
    for rule in found:
        expr = str(rule["expr"])
        assert expr.count("(") == expr.count(")"), f"unbalanced: {expr}"
        used = set(NAME.findall(expr))
        assert used, f"{rule['alert']} names no handoff metric"
        assert used <= exported(), f"{rule['alert']}: not exported {sorted(used - exported())}"
        assert "summary" in rule["annotations"]  # type: ignore[operator]
