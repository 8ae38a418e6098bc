"""The routing directory over HTTP: read it, replace it whole (the YAML file's format, as
JSON), or add, change and remove one topic. Every change goes through the directory's one
format (`topics_from_data`), so the API accepts exactly what the file accepts."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Response
from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from sqlalchemy.exc import IntegrityError

from api.deps import Rt, Team, api_router
from api.paging import RowId
from api.responses import CONFLICT, NOT_FOUND, TOO_LARGE, invalid, loc_of, problem
from bot.domain.directory import DirectoryError, TopicSpec, topic_from_data, topics_from_data
from db.models import Topic
from db.repositories.directory import spec_of

router = api_router("directory")
BY = "api"  # Topic.updated_by for changes made through the API
READ_ONLY = {"id", "updated_at", "updated_by"}


def _storable(value: str) -> str:
    """Text a database can store: no NUL, no lone surrogate (JSON allows both)."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        raise ValueError("is not valid Unicode text") from error
    return value


Text = Annotated[str, AfterValidator(_storable)]


class TopicFields(BaseModel):
    model_config = ConfigDict(extra="forbid")
    owners: list[Text] | Text | None = Field(
        default=None, description="User ids (U…), user-group ids (S…) or handles (@billing)."
    )
    backup: Text | None = None
    keywords: list[Text] | Text | None = None
    description: Text | None = None


class TopicIn(TopicFields):
    """One topic, as written in the directory file."""

    name: Text


class TopicPatch(TopicFields):
    """The fields to change; the others stay as they are."""

    name: Text | None = None


class TopicInFile(TopicIn):
    """A topic of `PUT /api/directory`. `id`, `updated_at`, `updated_by` are what GET returns;
    they are ignored, so a GET can be edited and PUT back."""

    id: int | None = None
    updated_at: str | None = None
    updated_by: str | None = None


class DirectoryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    topics: list[TopicInFile]


class TopicOut(BaseModel):
    id: int
    name: str
    owners: list[str]
    backup: str | None
    keywords: list[str]
    description: str
    updated_at: str
    updated_by: str | None


class DirectoryOut(BaseModel):
    topics: list[TopicOut]


class DirectoryChange(DirectoryOut):
    added: int
    changed: int
    removed: int


def _out(topic: Topic) -> TopicOut:
    spec = spec_of(topic)
    return TopicOut(
        id=topic.id,
        name=spec.name,
        owners=list(spec.owners),
        backup=spec.backup,
        keywords=list(spec.keywords),
        description=spec.description,
        updated_at=topic.updated_at.isoformat(),
        updated_by=topic.updated_by,
    )


def _data(model: BaseModel, *, exclude: set[str] | None = None) -> dict[str, Any]:
    return model.model_dump(exclude_unset=True, exclude=exclude)


def _bad(error: DirectoryError, prefix: str = "") -> Response:
    return invalid(loc_of(prefix + error.path) or ["body"], error.message)


def _conflict(name: str) -> Response:
    return problem(409, f"a topic named {name!r} already exists")


@router.get("/directory", response_model=DirectoryOut)
async def get_directory(team: Team, runtime: Rt) -> DirectoryOut:
    """Every topic, in the directory's order (a tie in the ranking goes to the first)."""
    async with runtime.db.uow() as uow:
        topics = await uow.directory.topics(team)
    return DirectoryOut(topics=[_out(topic) for topic in topics])


@router.put("/directory", response_model=DirectoryChange, responses={**TOO_LARGE, **CONFLICT})
async def put_directory(body: DirectoryIn, team: Team, runtime: Rt) -> DirectoryChange | Response:
    """Make the directory exactly this (`{"topics": [...]}`, the file's format). Topics are
    matched by name, so one that stays keeps its id. Duplicate names are a 422."""
    data = {"topics": [_data(topic, exclude=READ_ONLY) for topic in body.topics]}
    try:
        specs = topics_from_data(data)
    except DirectoryError as error:
        return _bad(error, "body.")
    now = runtime.clock()
    async with runtime.db.uow() as uow:
        try:
            added, changed, removed = await uow.directory.replace(team, specs, now=now, by=BY)
            await uow.commit()
        except IntegrityError:  # another replace or add raced this one
            return problem(409, "the directory changed meanwhile; try again")
        topics = await uow.directory.topics(team)
    return DirectoryChange(
        topics=[_out(t) for t in topics], added=added, changed=changed, removed=removed
    )


async def _save(
    runtime: Rt, team: str, spec: TopicSpec, topic_id: int | None
) -> TopicOut | Response:
    now = runtime.clock()
    async with runtime.db.uow() as uow:
        same_name = await uow.directory.by_name(team, spec.name)
        if same_name is not None and same_name.id != topic_id:
            return _conflict(spec.name)
        try:
            if topic_id is None:
                topic = await uow.directory.add(team, spec, now=now, by=BY)
            else:
                found = await uow.directory.get(team, topic_id)
                if found is None:
                    return problem(404, f"no topic {topic_id}")
                topic = found
                await uow.directory.update(topic, spec, now=now, by=BY)
            await uow.commit()
        except IntegrityError:
            return _conflict(spec.name)
    return _out(topic)


@router.post(
    "/directory/topics",
    response_model=TopicOut,
    status_code=201,
    responses={**TOO_LARGE, **CONFLICT},
)
async def add_topic(body: TopicIn, team: Team, runtime: Rt) -> TopicOut | Response:
    """A new topic. A name already used (ignoring case and spacing) is a 409."""
    try:
        spec = topic_from_data(_data(body), "body")
    except DirectoryError as error:
        return _bad(error)
    return await _save(runtime, team, spec, None)


@router.patch(
    "/directory/topics/{topic_id}",
    response_model=TopicOut,
    responses={**NOT_FOUND, **TOO_LARGE, **CONFLICT},
)
async def change_topic(
    topic_id: RowId, body: TopicPatch, team: Team, runtime: Rt
) -> TopicOut | Response:
    """Change some fields of a topic; `null` clears `backup`, `keywords` or `description`."""
    async with runtime.db.uow() as uow:
        topic = await uow.directory.get(team, topic_id)
    if topic is None:
        return problem(404, f"no topic {topic_id}")
    merged = {**spec_of(topic).as_dict(), **_data(body)}
    try:
        spec = topic_from_data(merged, "body")
    except DirectoryError as error:
        return _bad(error)
    return await _save(runtime, team, spec, topic_id)


@router.delete(
    "/directory/topics/{topic_id}",
    status_code=204,
    response_class=Response,
    responses=NOT_FOUND,
)
async def remove_topic(topic_id: RowId, team: Team, runtime: Rt) -> Response:
    """Remove a topic (its stale-topic signals go with it)."""
    async with runtime.db.uow() as uow:
        removed = await uow.directory.remove(team, topic_id)
        await uow.commit()
    if not removed:
        return problem(404, f"no topic {topic_id}")
    return Response(status_code=204)
