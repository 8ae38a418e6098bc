"""Admins edit the directory on its page: add, change or remove a topic. Every change goes
through the directory's one format (`topic_from_data`), so the page accepts exactly what the
API and the file accept; a mistake is shown next to the form, nothing is saved."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.exc import IntegrityError

from api.dashboard.directory_page import directory_page
from api.dashboard.web import (
    Forbidden,
    NotFound,
    Posted,
    form_fields,
    may_edit_directory,
    runtime_of,
    secured,
)
from bot.domain.directory import DirectoryError, TopicSpec, topic_from_data
from bot.flows.dashboard_link import Viewer

router = APIRouter(include_in_schema=False)
FIELDS = ("name", "owners", "backup", "keywords", "description")
BY_PREFIX = "dashboard:"  # Topic.updated_by: who changed it, and where


async def _spec(request: Request) -> TopicSpec:
    fields = await form_fields(request)
    data = {key: fields.get(key, "").strip() for key in FIELDS}
    if any("\x00" in value for value in data.values()):
        raise DirectoryError("must not contain NUL characters", "topic")
    data = {key: value for key, value in data.items() if value or key in ("name", "owners")}
    return topic_from_data(data, "topic")


async def _saved(request: Request, viewer: Viewer, topic_id: int | None) -> Response:
    if not may_edit_directory(request, viewer):
        raise Forbidden
    try:
        spec = await _spec(request)
    except DirectoryError as error:
        return await directory_page(request, viewer, problem=(topic_id, str(error)))
    problem = await _store(request, viewer, spec, topic_id)
    if problem:  # shown after the unit of work ended: the page reads in one of its own
        return await directory_page(request, viewer, problem=(topic_id, problem))
    return secured(RedirectResponse("/dashboard/directory", status_code=303))


async def _store(
    request: Request, viewer: Viewer, spec: TopicSpec, topic_id: int | None
) -> str | None:
    """Add or change the topic; what is wrong, or None when it is saved."""
    runtime = runtime_of(request)
    now, by = runtime.clock(), BY_PREFIX + viewer.user_id
    taken = f"a topic named {spec.name!r} already exists"
    async with runtime.db.uow() as uow:
        same = await uow.directory.by_name(viewer.team_id, spec.name)
        if same is not None and same.id != topic_id:
            return taken
        if topic_id is None:
            await uow.directory.add(viewer.team_id, spec, now=now, by=by)
        else:
            topic = await uow.directory.get(viewer.team_id, topic_id)
            if topic is None:
                raise NotFound
            await uow.directory.update(topic, spec, now=now, by=by)
        try:
            await uow.commit()
        except IntegrityError:  # another edit took the name meanwhile
            return taken
    return None


@router.post("/dashboard/directory/topics")
async def add_topic(request: Request, viewer: Posted) -> Response:
    return await _saved(request, viewer, None)


@router.post("/dashboard/directory/topics/{topic_id}")
async def change_topic(request: Request, topic_id: int, viewer: Posted) -> Response:
    return await _saved(request, viewer, topic_id)


@router.post("/dashboard/directory/topics/{topic_id}/remove")
async def remove_topic(request: Request, topic_id: int, viewer: Posted) -> Response:
    if not may_edit_directory(request, viewer):
        raise Forbidden
    if (await form_fields(request)).get("confirm") != "yes":  # the box says "yes, remove it"
        problem = "tick the box to confirm the removal"
        return await directory_page(request, viewer, problem=(topic_id, problem))
    runtime = runtime_of(request)
    async with runtime.db.uow() as uow:
        if not await uow.directory.remove(viewer.team_id, topic_id):
            raise NotFound
        await uow.commit()
    return secured(RedirectResponse("/dashboard/directory", status_code=303))
