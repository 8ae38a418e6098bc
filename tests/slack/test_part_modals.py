"""The split forms, built and read without Slack: "Add another part" grows the shortcut form
up to 5 parts, keeping what was typed (the block ids stay), and the extra parts are read back."""

from __future__ import annotations

from typing import Any

from bot.slack import modals, part_modals
from bot.slack.ids import Action


def block_ids(view: dict[str, Any]) -> list[str]:
    return [str(b.get("block_id")) for b in view["blocks"]]


def test_add_another_part_grows_the_form_to_five_parts_then_stops() -> None:
    view: dict[str, Any] | None = modals.shortcut_modal("Refund and parcel", {"ts": "1.2"}, [])
    assert view is not None and Action.ADD_PART in str(view["blocks"])
    for number in range(2, 6):
        assert view is not None
        view = part_modals.with_another_part(view)
        assert view is not None
        ids = block_ids(view)
        assert f"part_owner_{number}" in ids and f"part_note_{number}" in ids
        assert ids.index("note") < ids.index("part_owner_2")  # the first part stays first
    assert view is not None
    assert Action.ADD_PART not in str(view["blocks"])  # five parts: no more button
    assert part_modals.with_another_part(view) is None
    assert view["private_metadata"] == '{"ts": "1.2"}'


def test_only_the_shortcut_form_grows() -> None:
    assert part_modals.with_another_part({"callback_id": "other", "blocks": []}) is None


def test_extra_parts_are_read_with_their_text_escaped() -> None:
    values = {
        "part_owner_2": {"value": {"selected_user": "U_ERIN"}},
        "part_note_2": {"value": {"value": "parcel <b> & box"}},
        "part_owner_3": {"value": {"selected_user": None}},
    }
    assert part_modals.extra_parts({"state": {"values": values}}) == [
        (2, "U_ERIN", "parcel &lt;b&gt; &amp; box"),
        (3, None, ""),
    ]
