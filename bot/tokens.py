"""REST API tokens of a workspace (issue 13): random, shown once, stored as their SHA-256."""

from __future__ import annotations

import hashlib
import secrets

PREFIX = "hoff_"


def new_token() -> tuple[str, str]:
    """(the token to show once, its hash to store)."""
    token = PREFIX + secrets.token_urlsafe(32)
    return token, token_hash(token)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
