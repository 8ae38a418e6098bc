"""What every dashboard page shares: the templates, the signed-in viewer (from the session
cookie), the CSRF check on forms, and the page headers (no framing, no outside scripts)."""

from __future__ import annotations

import csv
import hmac
import io
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from bot.flows.dashboard_link import Viewer, viewer_of
from bot.runtime import Runtime

HERE = Path(__file__).parent
COOKIE = "handoff_session"
templates = Jinja2Templates(directory=str(HERE / "templates"))
# Scripts and styles only from this app (the vendored files); uPlot sizes its canvas through
# element styles, hence 'unsafe-inline' for styles only.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' "
    "data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


class SignInNeeded(Exception):
    """No live session: the page says how to sign in from chat."""


class NotFound(Exception):
    """Not there, or not this viewer's to see: the same answer either way."""


def runtime_of(request: Request) -> Runtime:
    found: Runtime = request.app.state.runtime
    return found


async def current_viewer(request: Request) -> Viewer:
    runtime = runtime_of(request)
    async with runtime.db.uow() as uow:
        viewer = await viewer_of(uow, request.cookies.get(COOKIE, ""), now=runtime.clock())
    if viewer is None:
        raise SignInNeeded
    return viewer


SignedIn = Annotated[Viewer, Depends(current_viewer)]


def scope_of(viewer: Viewer) -> str | None:
    """Whose hops a viewer sees: None (everyone's) for an admin, else their own."""
    return None if viewer.admin else viewer.user_id


def may_edit_directory(request: Request, viewer: Viewer) -> bool:
    """The rule of `/handoff directory`: admins, or everyone with HANDOFF_DIRECTORY_EDITORS."""
    everyone = runtime_of(request).settings.handoff_directory_editors == "everyone"
    return viewer.admin or everyone


async def checked_csrf(request: Request, viewer: SignedIn) -> Viewer:
    """The form's (or htmx's header) CSRF token must be the session's."""
    sent = request.headers.get("x-csrf-token", "") or await form_field(request, "csrf")
    if not hmac.compare_digest(sent.encode(), viewer.csrf.encode()):
        raise Forbidden
    return viewer


async def form_fields(request: Request) -> dict[str, str]:
    """A url-encoded form's fields, the first value of each (our forms are small and have no
    files, so no multipart parser is needed)."""
    kind = request.headers.get("content-type", "")
    if not kind.startswith("application/x-www-form-urlencoded"):
        return {}
    body = (await request.body()).decode("utf-8", errors="replace")
    parsed = parse_qs(body, keep_blank_values=True, max_num_fields=20)
    return {key: values[0] for key, values in parsed.items()}


async def form_field(request: Request, name: str) -> str:
    return (await form_fields(request)).get(name, "")


class Forbidden(Exception):
    """A form without the session's CSRF token."""


Posted = Annotated[Viewer, Depends(checked_csrf)]


def page(
    request: Request,
    name: str,
    *,
    viewer: Viewer | None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """Render a template with what every page needs, and the security headers."""
    response = templates.TemplateResponse(
        request,
        name,
        {"viewer": viewer, "nav": request.url.path, **context},
        status_code=status_code,
    )
    return secured(response)


def secured(response: Response) -> Any:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"  # the sign-in token is in a URL
    response.headers["Cache-Control"] = "no-store"
    return response


FORMULA = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    """Customer text is hostile: a cell a spreadsheet would run as a formula is quoted."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA) else text


def csv_response(name: str, header: list[str], rows: list[list[object]]) -> Any:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([csv_cell(v) for v in row] for row in rows)
    return secured(
        Response(
            out.getvalue(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    )
