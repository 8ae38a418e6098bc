"""Links into Slack built from what we store: a request's message permalink."""

from __future__ import annotations

from typing import Protocol


class Posted(Protocol):
    """Where a request's message is: a stored Request, or a digest's view of one."""

    @property
    def channel_id(self) -> str: ...
    @property
    def message_ts(self) -> str: ...
    @property
    def thread_ts(self) -> str | None: ...


def permalink(base: str | None, request: Posted) -> str | None:
    """Slack's own permalink form, from the workspace URL that auth.test gives."""
    if not base:
        return None
    digits = request.message_ts.replace(".", "")
    link = f"{base.rstrip('/')}/archives/{request.channel_id}/p{digits}"
    if request.thread_ts and request.thread_ts != request.message_ts:
        link += f"?thread_ts={request.thread_ts}&cid={request.channel_id}"
    return link
