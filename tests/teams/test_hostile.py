"""Customer text is hostile: `<at>` tags, HTML, markdown or card JSON in a request never
mention anyone or change the card, on Teams either."""

from __future__ import annotations

import json
from typing import Any

from bot.devtools.sandbox import Sandbox
from bot.devtools.teams_simulator import ALICE, BOB
from bot.teams.cards import inert
from tests.teams.helpers import cards_to, customer_request
from tests.teams.test_flows import handed_to_bob, thread

HOSTILE = (
    "From: <at>Bob Brown</at> <b>Boss</b>\n"
    "**URGENT** [click](https://evil.example) <script>alert(1)</script>\n"
    '{"type": "Action.OpenUrl", "url": "https://evil.example"} ]}]} <at id="0">everyone</at>'
)


def _walk(node: Any) -> list[dict[str, Any]]:
    found = []
    if isinstance(node, dict):
        found.append(node)
        for value in node.values():
            found += _walk(value)
    elif isinstance(node, list):
        for value in node:
            found += _walk(value)
    return found


async def test_hostile_customer_text_is_inert_on_the_card(box: Sandbox) -> None:
    root = await customer_request(box, HOSTILE)
    await handed_to_bob(box, root, note="**note** <at>Carol Chen</at> [x](https://evil.example)")
    (card,) = cards_to(box, thread(root))
    elements = _walk(card)
    # Only the people the bot itself names are mentioned.
    mentioned = {e["mentioned"]["id"] for e in card["msteams"]["entities"]}
    assert mentioned == {ALICE.id, BOB.id}
    # The customer's and the handler's words are TextRuns (never markdown), never TextBlocks.
    blocks = " ".join(e["text"] for e in elements if e.get("type") == "TextBlock")
    for needle in ("URGENT", "evil.example", "script", "everyone", "Carol"):
        assert needle not in blocks
    runs = [e["text"] for e in elements if e.get("type") == "TextRun"]
    assert any("URGENT" in r for r in runs) and any("Carol Chen" in r for r in runs)
    assert not any("<at" in r.lower() for r in runs)
    # The JSON in the text stayed text: one action set, our four buttons, no OpenUrl.
    assert [e.get("type") for e in elements if str(e.get("type", "")).startswith("Action.")] == [
        "Action.Execute"
    ] * 4
    assert json.loads(json.dumps(card)) == card


def test_inert_breaks_mentions_and_drops_control_characters() -> None:
    assert "<at>" not in inert("hi <at>Bob</at> <AT id=1>x</AT>").lower()
    assert inert("a\x00b\x1b[31mc") == "ab[31mc"
    assert len(inert("x" * 10_000)) == 3000
