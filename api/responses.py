"""Error bodies of the REST API, in FastAPI's own shapes, and their OpenAPI descriptions."""

from __future__ import annotations

import re
from typing import Any

from fastapi import Request, Response
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from bot.domain.text import storable


class Problem(BaseModel):
    detail: str


class FieldError(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class ValidationProblem(BaseModel):
    detail: list[FieldError]


def problem(status: int, detail: str, *, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status, headers=headers)


def invalid(loc: list[str | int], msg: str, kind: str = "value_error") -> JSONResponse:
    """A 422 naming the field, as FastAPI's own validation errors do."""
    return JSONResponse({"detail": [{"loc": loc, "msg": msg, "type": kind}]}, status_code=422)


_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def loc_of(path: str) -> list[str | int]:
    """`body.topics[2].owners[0]` -> ["body", "topics", 2, "owners", 0]."""
    loc: list[str | int] = []
    for name, index in _PART.findall(path):
        loc.append(int(index) if index else name)
    return loc


def _doc(model: type[BaseModel], text: str) -> dict[str, Any]:
    return {"model": model, "description": text}


UNAUTHORIZED = {
    401: _doc(Problem, "No bearer token, or not the right one."),
    503: _doc(Problem, "HANDOFF_API_TEAM is unset and Slack did not say which workspace."),
}
NOT_FOUND = {404: _doc(Problem, "No such id in this workspace.")}
INVALID = {
    422: _doc(ValidationProblem, "A parameter or a body field is not valid; `loc` names it.")
}
TOO_LARGE = {413: _doc(Problem, "The body is over 1 MB.")}
CONFLICT = {409: _doc(Problem, "Another topic already has this name.")}


async def unreadable_body(request: Request, error: Exception) -> Response:
    """FastAPI answers 400 to a body it cannot decode (not UTF-8, say); the API promises a
    422 naming the body for anything malformed."""
    assert isinstance(error, StarletteHTTPException)
    if error.status_code == 400:
        return invalid(["body"], "the body is not valid JSON text", "json_invalid")
    return await http_exception_handler(request, error)


async def invalid_request(request: Request, error: Exception) -> Response:
    """FastAPI's 422 without the `input` it echoes back: that input can be bytes that are not
    UTF-8 or text with a lone surrogate, which its encoder turned into a 500, and a client
    knows what it sent."""
    assert isinstance(error, RequestValidationError)
    detail = [
        {
            "loc": [storable(p) if isinstance(p, str) else p for p in item.get("loc", ())],
            "msg": storable(str(item.get("msg", ""))),
            "type": str(item.get("type", "")),
        }
        for item in error.errors()
    ]
    return JSONResponse({"detail": detail}, status_code=422)
