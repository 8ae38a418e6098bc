"""The web dashboard of handoff health (issue 17): server-rendered pages (Jinja2), htmx for
the few interactive parts, uPlot charts, every file served by the app (static/vendor/).

Pages: /dashboard (overview), /dashboard/requests (+ .csv) and /dashboard/requests/{id} (a
request's story), /dashboard/people, /dashboard/directory. Sign-in: a one-time link from chat
(`/handoff dashboard`), then a session cookie; see bot/flows/dashboard_link.py."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from api.dashboard import (
    directory_edit,
    directory_page,
    overview,
    people,
    requests_pages,
    sign_in,
)
from api.dashboard.web import HERE, Forbidden, NotFound, SignInNeeded, page


def install(app: FastAPI) -> None:
    """Mount the dashboard's pages, its static files and its error pages on the app."""
    for module in (sign_in, overview, requests_pages, people, directory_page, directory_edit):
        app.include_router(module.router)
    app.mount("/dashboard/static", StaticFiles(directory=HERE / "static"), name="dashboard-static")

    async def sign_in_needed(request: Request, _: Exception) -> Response:
        return page(request, "sign_in_needed.html", viewer=None, status_code=401)

    async def not_found(request: Request, _: Exception) -> Response:
        return page(request, "not_found.html", viewer=None, status_code=404)

    async def forbidden(request: Request, _: Exception) -> Response:
        reason = "This form is out of date (its security token doesn't match). Reload the page."
        return page(request, "refused.html", viewer=None, reason=reason, status_code=403)

    app.add_exception_handler(SignInNeeded, sign_in_needed)
    app.add_exception_handler(NotFound, not_found)
    app.add_exception_handler(Forbidden, forbidden)
