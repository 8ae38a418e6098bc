"""Schemathesis against /openapi.json, in process: generated requests (valid and not) to every
route, with the token. No answer may be a 5xx or break the schema the API publishes."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import Case
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.python.asgi import shutdown_lifespans
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import text

from api.main import create_app
from bot.domain.directory import TopicSpec
from bot.settings import Settings
from db.models import Base
from db.uow import Database
from tests.api.conftest import AUTH, T0, TEAM, TOKEN, Hop, add_followup, add_story

EXAMPLES = 25  # per operation and mode: 10 operations, ~500 calls per backend
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


async def _seed(url: str) -> None:
    """A few rows, so that small ids hit real handoffs, requests and topics."""
    db = Database.from_url(url)
    try:
        async with db.engine.begin() as conn:
            for table in reversed(Base.metadata.sorted_tables):
                await conn.execute(text(f"DELETE FROM {table.name}"))
        for n in range(3):
            built = await add_story(
                db,
                created=T0 + timedelta(hours=n),
                hops=[Hop("U_ERIN", "redirected", took=timedelta(minutes=5)), Hop("U_BOB")],
            )
            # Promises and a check, so that stories answer with them (schema conformance).
            await add_followup(db, built.hop_ids[0], by=T0, status="replaced", closed=T0)
            await add_followup(db, built.hop_ids[1], by=T0 + timedelta(days=1))
            await add_followup(db, built.hop_ids[1], kind="check", status="done", closed=T0)
        async with db.uow() as uow:
            await uow.directory.add(TEAM, TopicSpec("Billing", ("U_BOB",)), now=T0, by=None)
            await uow.commit()
    finally:
        await db.dispose()


def _app(url: str) -> FastAPI:
    return create_app(
        Settings(
            _env_file=None,  # type: ignore[call-arg]
            slack_bot_token="xoxb-unused",
            slack_signing_secret="unused",
            slack_api_url="http://127.0.0.1:9/api/",  # nothing listens: no call leaves
            database_url=url,
            handoff_api_token=TOKEN,
            handoff_api_team=TEAM,
            handoff_tick_seconds=3600,
        )
    )


def test_api_answers_within_its_schema(database_url: str) -> None:
    """Every operation, with valid and with invalid data (a bounded, repeatable sample)."""
    asyncio.run(_seed(database_url))
    schema = schemathesis.openapi.from_asgi("/openapi.json", _app(database_url))
    calls = 0
    failures: list[str] = []

    def run(case: Case) -> None:
        nonlocal calls
        calls += 1
        case.call_and_validate(headers=AUTH, checks=CHECKS)

    try:
        for result in schema.get_all_operations():
            operation = result.ok()
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                test = settings(
                    max_examples=EXAMPLES,
                    deadline=None,
                    derandomize=True,
                    database=None,
                    suppress_health_check=list(HealthCheck),
                )(given(case=operation.as_strategy(generation_mode=mode))(run))
                try:
                    test()
                except Unsatisfiable:  # nothing to break: no parameters (GET /healthz)
                    assert mode is GenerationMode.NEGATIVE
                except (Exception, BaseExceptionGroup) as error:  # report all, not the first
                    failures.append(f"{operation.label} ({mode}): {error}")
    finally:
        shutdown_lifespans()  # the app's engine closes before the next backend's run
    print(f"schemathesis: {calls} calls")
    assert not failures, "\n\n".join(failures)
    assert calls >= 100
