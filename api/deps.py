"""FastAPI dependencies of the REST API routes: the runtime and the caller's workspace."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Security

from api.auth import bearer, workspace
from api.responses import INVALID, UNAUTHORIZED
from bot.runtime import Runtime


def runtime(request: Request) -> Runtime:
    app_runtime: Runtime = request.app.state.runtime
    return app_runtime


Team = Annotated[str, Depends(workspace)]
Rt = Annotated[Runtime, Depends(runtime)]


def api_router(tag: str) -> APIRouter:
    """A router under /api whose routes need the bearer token (checked by ApiAuth; declared
    here so OpenAPI shows it)."""
    return APIRouter(
        prefix="/api",
        tags=[tag],
        dependencies=[Security(bearer)],
        responses={**UNAUTHORIZED, **INVALID},
    )
