"""The Teams app package (`handoff teams-package`): manifest.json and the two icons, zipped.

An operator uploads the zip to Teams (or the Teams admin center) to install the bot. The
manifest targets one published schema version, MANIFEST_VERSION; the tests validate it
against Microsoft's schema of that version (tests/fixtures/teams/).
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from typing import Any
from urllib.parse import urlsplit

from bot.teams import icons

# 1.17 has everything the bot uses (bots, action message extensions, RSC permissions under
# `authorization`) and is accepted by every Teams client, government clouds included, which
# take the newest schema versions later than the commercial cloud does.
MANIFEST_VERSION = "1.17"
SCHEMA_URL = (
    f"https://developer.microsoft.com/json-schemas/teams/v{MANIFEST_VERSION}"
    "/MicrosoftTeams.schema.json"
)
MESSAGES_PATH = "/api/messages"
FIND_COMMAND_ID = "findTheRightPerson"  # the message extension's command; the adapter's too
# Read every message in the channels of a team the app is installed in, so an intake
# channel's posts become requests without anyone @mentioning the bot.
RSC_PERMISSIONS = [{"name": "ChannelMessage.Read.Group", "type": "Application"}]
DEFAULT_NAME = "Handoff"
SHORT_NAME_MAX = 30  # the schema's limit for name.short
# A fixed time in the zip entries: the same inputs give the same bytes, so a package can be
# checked into an operator's own repository without churning.
ZIP_TIME = (2024, 1, 1, 0, 0, 0)

_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_SEMVER = re.compile(r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$")

_CHANNEL_COMMANDS = [
    ("handoff", "handoff @owner [note]: in a request's thread, hand it to its owner"),
    ("who", "who <words>: who owns a topic, ranked with the reasons"),
    ("directory", "directory: the topics and their owners"),
    ("help", "help: what Handoff does and how to use it"),
]
_PERSONAL_COMMANDS = [
    ("home", "home: the handoffs waiting on you, and the ones you are waiting on"),
    ("handoff", "handoff @owner <message link> [note]: hand a message to its owner"),
    ("who", "who <words>: who owns a topic, ranked with the reasons"),
    ("directory", "directory: the topics and their owners"),
    ("dashboard", "dashboard: a one-time sign-in link to the web dashboard"),
    ("help", "help: what Handoff does and how to use it"),
]


class PackageError(ValueError):
    """A bad --app-id, --url, --name or --app-version; the message is one plain line."""


def check_app_id(app_id: str) -> str:
    if not _GUID.match(app_id):
        raise PackageError(
            f"--app-id {app_id!r} is not a GUID: give the Azure bot's Microsoft App ID, "
            "like 8f1c2e3a-1b2c-4d5e-8f90-a1b2c3d4e5f6"
        )
    return app_id.lower()


def base_url(url: str) -> str:
    """`https://host` from `https://host`, `https://host/` or `https://host/api/messages`."""
    parts = urlsplit(url.strip())
    if parts.scheme != "https" or not parts.hostname or parts.username or parts.password:
        raise PackageError(
            f"--url {url!r} is not an https URL of the bot's host: give https://your.host "
            "(Teams reaches the bot only over https)"
        )
    if parts.query or parts.fragment or " " in url.strip():
        raise PackageError(f"--url {url!r} has a query, fragment or space: give https://your.host")
    path = parts.path.rstrip("/").removesuffix(MESSAGES_PATH)
    return f"https://{parts.netloc}{path}"


def check_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > SHORT_NAME_MAX:
        raise PackageError(f"--name {name!r} must be 1 to {SHORT_NAME_MAX} characters")
    return name


def check_version(version: str) -> str:
    if not _SEMVER.match(version):
        raise PackageError(f"--app-version {version!r} is not a version like 1.2.3")
    return version


def default_version(handoff_version: str) -> str:
    """Handoff's own version as MAJOR.MINOR.PATCH (Teams takes no pre-release suffix)."""
    found = re.match(r"^(\d+)\.(\d+)(?:\.(\d+))?", handoff_version)
    if not found:
        return "1.0.0"
    major, minor, patch = found.groups()
    return f"{int(major)}.{int(minor)}.{int(patch or 0)}"


def _commands(pairs: list[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"title": title, "description": text} for title, text in pairs]


def manifest(
    app_id: str,
    url: str,
    *,
    name: str = DEFAULT_NAME,
    version: str = "1.0.0",
    privacy_url: str | None = None,
    terms_url: str | None = None,
) -> dict[str, Any]:
    """The app manifest; raises PackageError for a bad id, URL, name or version."""
    app_id, base, name = check_app_id(app_id), base_url(url), check_name(name)
    bot: dict[str, Any] = {
        "botId": app_id,
        "scopes": ["personal", "team", "groupChat"],
        "supportsFiles": False,
        "isNotificationOnly": False,
        "commandLists": [
            {"scopes": ["personal"], "commands": _commands(_PERSONAL_COMMANDS)},
            {"scopes": ["team", "groupChat"], "commands": _commands(_CHANNEL_COMMANDS)},
        ],
    }
    find = {
        "id": FIND_COMMAND_ID,
        "type": "action",
        "title": "Find the right person",
        "description": "Hand this message to the person who owns it: suggestions, then a note",
        "context": ["message"],
        "fetchTask": True,
    }
    return {
        "$schema": SCHEMA_URL,
        "manifestVersion": MANIFEST_VERSION,
        "version": check_version(version),
        "id": app_id,
        "developer": {
            "name": name,
            "websiteUrl": base + "/",
            "privacyUrl": _https(privacy_url, "--privacy-url") or base + "/privacy",
            "termsOfUseUrl": _https(terms_url, "--terms-url") or base + "/terms",
        },
        "name": {"short": name, "full": f"{name}: warm handoffs of customer requests"},
        "description": {
            "short": "Hand a customer request to a named owner who must confirm.",
            "full": (
                "Nobody says 'not my job': a request is handed to a named owner, who confirms "
                "it or names a better owner. Handoff nudges both sides in working hours, "
                "escalates what stalls, suggests who owns a topic, and shows what is waiting "
                "on you in a 1:1 chat."
            ),
        },
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": icons.ACCENT,
        "bots": [bot],
        "composeExtensions": [{"botId": app_id, "commands": [find]}],
        "validDomains": [urlsplit(base).netloc],
        "webApplicationInfo": {"id": app_id},
        "authorization": {"permissions": {"resourceSpecific": RSC_PERMISSIONS}},
    }


def _https(url: str | None, option: str) -> str | None:
    if url is not None and not re.match(r"^https://[^\s/]+", url):
        raise PackageError(f"{option} {url!r} is not an https URL")
    return url


def package(app_manifest: dict[str, Any]) -> bytes:
    """The zip Teams takes: manifest.json and the two icons, at the top level."""
    files = {
        "manifest.json": json.dumps(app_manifest, indent=2).encode() + b"\n",
        "color.png": icons.color_png(app_manifest["accentColor"]),
        "outline.png": icons.outline_png(),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            entry = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16  # rw-r--r--, not the 000 of a bare ZipInfo
            archive.writestr(entry, data)
    return buffer.getvalue()
