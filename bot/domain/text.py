"""Text a database can store and a JSON encoder can write, whatever a client sent.

Slack's JSON may carry a lone surrogate (`"\\ud800"` decodes to one) or a NUL; PostgreSQL
refuses both in a text column, SQLite's driver refuses the first, and either way the request
they came with would be lost. They are never meant as text, so they are replaced (a surrogate
by U+FFFD, the mark for "a character was lost here") or dropped (NUL), never refused.
"""

from __future__ import annotations

import re
from typing import Any

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def storable(text: str) -> str:
    """`text` with lone surrogates replaced and NUL removed; the same object when clean."""
    # ASCII without NUL is clean: `isascii` is a flag CPython keeps on the string, and the
    # NUL test a memchr, where the regex walks every character (a digest's JSON is MBs).
    if text.isascii() and "\x00" not in text:
        return text
    if _UNSTORABLE.search(text) is None:
        return text
    return _UNSTORABLE.sub(lambda m: "" if m.group(0) == "\x00" else REPLACEMENT, text)


def storable_data(value: Any) -> Any:
    """`storable` applied to every string (keys included) of parsed JSON, at any depth.

    Iterative, so a deeply nested payload (Socket Mode has no depth guard of ours) can't
    overflow the stack. Containers are changed in place; the value itself is returned.
    """
    if isinstance(value, str):
        return storable(value)
    pending: list[Any] = [value]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            if any(isinstance(key, str) and storable(key) is not key for key in node):
                items = list(node.items())
                node.clear()
                node.update((storable(k) if isinstance(k, str) else k, v) for k, v in items)
            keys: Any = list(node)
        elif isinstance(node, list):
            keys = range(len(node))
        else:
            continue
        for key in keys:
            item = node[key]
            if isinstance(item, str):
                node[key] = storable(item)
            elif isinstance(item, dict | list):
                pending.append(item)
    return value
