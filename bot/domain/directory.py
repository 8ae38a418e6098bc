"""The routing directory: who owns what. Topics, their checks, and the YAML/JSON format.

One format everywhere: the `HANDOFF_DIRECTORY_FILE`, `handoff directory import/export`, the
`/handoff directory` modal and the REST API all go through `topics_from_data`, so a topic
that one accepts the others accept too. A mistake is reported with where it is (the YAML line
or the JSON path) and which field; nothing is half-loaded.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import yaml

NAME_LIMIT = 80
DESCRIPTION_LIMIT = 300
KEYWORD_LIMIT = 40
MAX_KEYWORDS = 50
MAX_OWNERS = 10
MAX_TOPICS = 1000

# A Slack user id (U…/W…), or a Teams one (Bot Framework's 29:… id).
_USER = re.compile(r"^(?:[UW][A-Z0-9_]{2,31}|29:[A-Za-z0-9_\-]{1,250})$")
_GROUP_ID = re.compile(r"^S[A-Z0-9_]{2,31}$")
_HANDLE = re.compile(r"^@[a-z0-9][a-z0-9._\-]{0,79}$")
_FIELDS = ("name", "owners", "backup", "keywords", "description")


@dataclass(frozen=True)
class TopicSpec:
    """One topic as written: owners are user ids, user-group ids or `@handles`."""

    name: str
    owners: tuple[str, ...]
    backup: str | None = None
    keywords: tuple[str, ...] = ()
    description: str = ""

    @property
    def key(self) -> str:
        return topic_key(self.name)

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name, "owners": list(self.owners)}
        if self.backup:
            data["backup"] = self.backup
        data["keywords"] = list(self.keywords)
        if self.description:
            data["description"] = self.description
        return data


@dataclass
class DirectoryError(Exception):
    """What is wrong and where: `line` for YAML, `path` (topics[2].owners) for both."""

    message: str
    path: str = ""
    line: int | None = None
    problems: list[DirectoryError] = field(default_factory=list)

    def __str__(self) -> str:
        where = []
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.path:
            where.append(self.path)
        return f"{', '.join(where)}: {self.message}" if where else self.message


def topic_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def owner_kind(token: str) -> str:
    """`user`, `usergroup` (an S… id) or `handle` (an @handle still to be looked up)."""
    if _USER.match(token):
        return "user"
    if _GROUP_ID.match(token):
        return "usergroup"
    return "handle"


def _check_owner(token: Any, where: str, line: int | None) -> str:
    if not isinstance(token, str) or not token.strip():
        raise DirectoryError(
            "an owner must be a user id (U0123ABCD) or a group (@billing)", where, line
        )
    token = token.strip()
    if token.startswith("@"):
        token = token.lower()
    if not (_USER.match(token) or _GROUP_ID.match(token) or _HANDLE.match(token)):
        raise DirectoryError(
            f"{token!r} is not a user id (U0123ABCD), a user-group id (S0123ABCD) or a "
            "group handle (@billing)",
            where,
            line,
        )
    return token


def _text(value: Any, where: str, line: int | None, *, limit: int, required: bool) -> str:
    if value is None:
        if required:
            raise DirectoryError("is required", where, line)
        return ""
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise DirectoryError("must be text", where, line)
    text = " ".join(str(value).split())
    if required and not text:
        raise DirectoryError("must not be empty", where, line)
    if len(text) > limit:
        raise DirectoryError(f"is {len(text)} characters; the limit is {limit}", where, line)
    return text


def _list(value: Any, where: str, line: int | None) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str):  # "a, b" is a friendly way to write a short list
        return [part for part in (p.strip() for p in value.split(",")) if part]
    if not isinstance(value, list):
        raise DirectoryError("must be a list", where, line)
    return value


Lines = dict[str, int]  # JSON path -> YAML line, where known


def topic_from_data(data: Any, where: str = "topic", lines: Lines | None = None) -> TopicSpec:
    """One topic from a mapping (parsed YAML or JSON). Raises DirectoryError."""
    lines = lines or {}

    def line(name: str = "") -> int | None:
        return lines.get(f"{where}.{name}" if name else where, lines.get(where))

    if not isinstance(data, dict):
        raise DirectoryError("each topic must be a mapping with name, owners, ...", where, line())
    unknown = [key for key in data if key not in _FIELDS]
    if unknown:
        raise DirectoryError(
            f"unknown field {unknown[0]!r}; the fields are {', '.join(_FIELDS)}",
            f"{where}.{unknown[0]}",
            line(str(unknown[0])),
        )
    name = _text(data.get("name"), f"{where}.name", line("name"), limit=NAME_LIMIT, required=True)
    raw_owners = _list(data.get("owners"), f"{where}.owners", line("owners"))
    if not raw_owners:
        raise DirectoryError("at least one owner is required", f"{where}.owners", line("owners"))
    if len(raw_owners) > MAX_OWNERS:
        raise DirectoryError(f"at most {MAX_OWNERS} owners", f"{where}.owners", line("owners"))
    owners = tuple(
        dict.fromkeys(
            _check_owner(o, f"{where}.owners[{i}]", line(f"owners[{i}]") or line("owners"))
            for i, o in enumerate(raw_owners)
        )
    )
    backup = None
    if data.get("backup") not in (None, ""):
        backup = _check_owner(data.get("backup"), f"{where}.backup", line("backup"))
    keywords: list[str] = []
    raw_keywords = _list(data.get("keywords"), f"{where}.keywords", line("keywords"))
    if len(raw_keywords) > MAX_KEYWORDS:
        raise DirectoryError(
            f"at most {MAX_KEYWORDS} keywords", f"{where}.keywords", line("keywords")
        )
    for i, keyword in enumerate(raw_keywords):
        place = f"{where}.keywords[{i}]"
        text = _text(
            keyword,
            place,
            line(f"keywords[{i}]") or line("keywords"),
            limit=KEYWORD_LIMIT,
            required=True,
        ).lower()
        if text not in keywords:
            keywords.append(text)
    description = _text(
        data.get("description"),
        f"{where}.description",
        line("description"),
        limit=DESCRIPTION_LIMIT,
        required=False,
    )
    return TopicSpec(name, owners, backup, tuple(keywords), description)


def topics_from_data(data: Any, lines: Lines | None = None) -> list[TopicSpec]:
    """`{"topics": [...]}` to topics; every topic is checked and names must be unique."""
    lines = lines or {}
    if data is None:
        data = {"topics": []}
    if not isinstance(data, dict) or "topics" not in data:
        raise DirectoryError("the directory must be a mapping with a 'topics' list", "", 1)
    extra = [key for key in data if key != "topics"]
    if extra:
        raise DirectoryError(
            f"unknown field {extra[0]!r}; only 'topics' is allowed",
            str(extra[0]),
            lines.get(str(extra[0])),
        )
    items = data["topics"] if data["topics"] is not None else []
    if not isinstance(items, list):
        raise DirectoryError("must be a list of topics", "topics", lines.get("topics"))
    if len(items) > MAX_TOPICS:
        raise DirectoryError(f"at most {MAX_TOPICS} topics", "topics", lines.get("topics"))
    topics: list[TopicSpec] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        where = f"topics[{index}]"
        topic = topic_from_data(item, where, lines)
        if topic.key in seen:
            raise DirectoryError(
                f"the name {topic.name!r} is already used by topics[{seen[topic.key]}]",
                f"{where}.name",
                lines.get(f"{where}.name"),
            )
        seen[topic.key] = index
        topics.append(topic)
    return topics


# -- YAML, with line numbers -----------------------------------------------------------------


def _plain(node: yaml.Node, path: str, lines: Lines) -> Any:
    """A composed YAML node to plain data, recording each path's line (1-based)."""
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = str(_construct(key_node))
            child = f"{path}.{key}" if path else key
            lines[child] = key_node.start_mark.line + 1
            result[key] = _plain(value_node, child, lines)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_plain(item, f"{path}[{i}]", lines) for i, item in enumerate(node.value)]
    return _construct(node)


def _construct(node: yaml.Node) -> Any:
    """A scalar node's value, typed as yaml.safe_load would type it."""
    return yaml.SafeLoader("").construct_object(node, deep=True)


def parse_yaml(text: str) -> list[TopicSpec]:
    """The directory file's topics; DirectoryError with the line and field on a mistake."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        raise DirectoryError(
            f"not valid YAML: {error.problem or error.context}",
            "",
            mark.line + 1 if mark else None,
        ) from error
    except yaml.YAMLError as error:
        raise DirectoryError(f"not valid YAML: {error}") from error
    if node is None:
        return []
    lines: Lines = {}
    return topics_from_data(_plain(node, "", lines), lines)


def to_yaml(topics: Iterable[TopicSpec]) -> str:
    """The directory file for these topics (what `handoff directory export` prints)."""
    data = {"topics": [topic.as_dict() for topic in topics]}
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


class _Dumper(yaml.SafeDumper):
    """Lists of words on one line (`keywords: [invoice, refund]`), as people write them."""

    def represent_list(self, data: list[Any]) -> yaml.Node:  # type: ignore[override]
        flow = all(isinstance(item, str) for item in data)
        return self.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)  # "  - name:" under "topics:", as in the docs


_Dumper.add_representer(list, _Dumper.represent_list)
