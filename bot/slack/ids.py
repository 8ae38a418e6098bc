"""Every action_id and callback_id the app uses, in one place."""

from __future__ import annotations

from enum import StrEnum


class Action(StrEnum):
    CONFIRM = "handoff_confirm"
    REDIRECT = "handoff_redirect"
    RESOLVE = "handoff_resolve"
    CANCEL = "handoff_cancel"
    TELL_CUSTOMER = "handoff_tell_customer"
    OPEN_THREAD = "handoff_open_thread"
    SNOOZE = "handoff_snooze"
    DIRECTORY_ADD = "directory_add"
    DIRECTORY_TOPIC = "directory_topic"
    NUDGE_NOW = "handoff_nudge_now"  # App Home: the handler asks for a reminder now
    HOME_DIGEST = "home_personal_digest"  # App Home: turn my morning digest on or off
    HOME_SETTINGS = "home_edit_settings"  # App Home: admins open the workspace settings
    HOME_REVOKE_TOKEN = "home_revoke_api_token"  # App Home: admins revoke a REST API token
    SPLIT = "handoff_split"  # the card: hand another part of the request to someone else
    ADD_PART = "handoff_add_part"  # the shortcut's form: one more owner and note
    PROMISE = "handoff_promise"  # the card: promise the customer an answer by a time
    PROMISE_TOLD = "handoff_promise_told"  # the promise reminder: the customer was told
    CHECK_YES = "handoff_check_yes"  # the customer check: the owner reached them
    CHECK_NOT_YET = "handoff_check_not_yet"  # the customer check: not yet


class View(StrEnum):
    HANDOFF = "handoff_modal"
    SHORTCUT = "find_the_right_person_modal"
    REDIRECT = "redirect_modal"
    DIRECTORY = "directory_modal"
    DIRECTORY_TOPIC = "directory_topic_modal"
    DIRECTORY_REMOVE = "directory_remove_modal"
    SETTINGS = "workspace_settings_modal"
    SPLIT = "split_part_modal"
    PROMISE = "promise_modal"


class Block(StrEnum):
    REQUEST = "request"
    OWNER = "owner"
    NOTE = "note"
    REASON = "reason"
    BACK_OK = "back_ok"
    SUGGESTIONS = "suggestions"
    PROMISE = "promise"


SHORTCUT_CALLBACK = "find_the_right_person"
COMMAND = "/handoff"
