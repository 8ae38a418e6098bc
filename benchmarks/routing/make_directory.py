"""How `directory.yaml` was written (2026-11-29, once, before any CLINC150 text was read): one
topic per domain, named after it; its keywords are the domain's intent NAMES as phrases
("report lost card") and each of their words on its own; its description is the domain's
name. Nothing else. Re-running it must reproduce the frozen file byte for byte (the README
records the hash); it is kept to show the rule, not to tune the directory.

    .venv/bin/python -m benchmarks.routing.make_directory < domains.json > directory.yaml
"""

from __future__ import annotations

import json
import sys

import yaml


def owner_of(domain: str) -> str:
    return "U" + domain.upper().replace("_", "")[:10]


def directory(domains: dict[str, list[str]]) -> dict[str, list[dict[str, object]]]:
    topics = []
    for domain, intents in domains.items():
        keywords: list[str] = []
        for intent in intents:
            phrase = intent.replace("_", " ")
            keywords.append(phrase)
            keywords.extend(phrase.split())
        topics.append(
            {
                "name": domain.replace("_", " ").capitalize(),
                "owners": [owner_of(domain)],
                "keywords": list(dict.fromkeys(keywords))[:50],
                "description": domain.replace("_", " "),
            }
        )
    return {"topics": topics}


if __name__ == "__main__":
    yaml.safe_dump(directory(json.load(sys.stdin)), sys.stdout, sort_keys=False, width=100)
