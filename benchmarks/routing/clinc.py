"""CLINC150 as routing data (Larson et al., EMNLP-IJCNLP 2019, CC BY 3.0; see README.md):
its 10 domains are 10 departments with one owner each, `train` rows are confirmed handoffs,
`test` rows are new requests, `oos_test` rows are requests nobody should be suggested for."""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

from bot.domain.ranking import TopicEntry
from bot.domain.ranking_history import DecidedHop as Hop

HERE = Path(__file__).resolve().parent
DATASET = HERE.parent.parent.parent / "shared" / "datasets" / "clinc150"
DIRECTORY = HERE / "directory.yaml"
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
SPREAD_DAYS = 80  # history closes inside the ranker's 90-day window


@dataclass(frozen=True)
class Row:
    text: str
    domain: str  # '' for out of scope


@dataclass(frozen=True)
class Splits:
    train: tuple[Row, ...]
    test: tuple[Row, ...]
    oos_test: tuple[Row, ...]


def owner_of(domain: str) -> str:
    return "U" + domain.upper().replace("_", "")[:10]


def load(folder: Path = DATASET) -> Splits:
    data = json.loads((folder / "data_full.json").read_text())
    domains = json.loads((folder / "domains.json").read_text())
    domain_of = {intent: domain for domain, intents in domains.items() for intent in intents}

    def rows(split: str) -> tuple[Row, ...]:
        return tuple(Row(text, domain_of.get(intent, "")) for text, intent in data[split])

    return Splits(rows("train"), rows("test"), rows("oos_test"))


def topics(path: Path = DIRECTORY) -> list[TopicEntry]:
    spec = yaml.safe_load(path.read_text())
    return [
        TopicEntry(
            id=index + 1,
            name=topic["name"],
            owners=tuple(("user", owner) for owner in topic["owners"]),
            backup=None,
            keywords=tuple(topic["keywords"]),
            description=topic["description"],
        )
        for index, topic in enumerate(spec["topics"])
    ]


def sample(rows: Sequence[Row], *, k: int, seed: int) -> list[Row]:
    """`k` rows (all when k >= len), the same ones for the same seed."""
    return list(rows) if k >= len(rows) else random.Random(seed).sample(list(rows), k)


def history(
    chosen: Sequence[Row], *, seed: int, redirects: float = 0.0, now: datetime = NOW
) -> list[Hop]:
    """The rows handed to their domain's owner and confirmed, closed over the last
    SPREAD_DAYS. With `redirects`, that share of them went first to a wrong owner, who
    redirected it (a second hop on the same request)."""
    rng = random.Random(seed)
    owners = sorted({owner_of(row.domain) for row in chosen})
    made: list[Hop] = []
    for request_id, row in enumerate(chosen, start=1):
        closed = now - timedelta(days=rng.uniform(0, SPREAD_DAYS))
        right = owner_of(row.domain)
        if rng.random() < redirects:
            wrong = rng.choice([owner for owner in owners if owner != right])
            made.append(
                Hop(len(made) + 1, request_id, "user", wrong, "redirected", closed, row.text)
            )
        made.append(Hop(len(made) + 1, request_id, "user", right, "confirmed", closed, row.text))
    return made
