"""`handoff teams-package`: the zip's contents, the icons, and the manifest checked against
Microsoft's published Teams manifest schema (tests/fixtures/teams/, see the NOTICE there)."""

from __future__ import annotations

import io
import json
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest

from bot.teams import icons
from bot.teams.package import MANIFEST_VERSION, default_version, manifest, package
from tests.test_cli import handoff

SCHEMA = Path(__file__).parents[1] / "fixtures" / "teams" / "MicrosoftTeams.v1.17.schema.json"
APP_ID = "8f1c2e3a-1b2c-4d5e-8f90-a1b2c3d4e5f6"


def validator() -> Any:
    schema = json.loads(SCHEMA.read_text())
    assert schema["properties"]["manifestVersion"]["const"] == MANIFEST_VERSION
    return jsonschema_rs.Draft4Validator(schema, validate_formats=True)


def errors(app_manifest: dict[str, Any]) -> list[str]:
    return [f"{list(e.instance_path)}: {e.message}" for e in validator().iter_errors(app_manifest)]


def read_png(data: bytes) -> tuple[int, int, int, list[bytes]]:
    """Width, height, colour type and scanlines of an 8-bit PNG whose lines use filter 0;
    every chunk's CRC is checked, so a corrupt file fails here as it would in Teams."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    at, chunks = 8, {}
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind, body = data[at + 4 : at + 8], data[at + 8 : at + 8 + length]
        (crc,) = struct.unpack(">I", data[at + 8 + length : at + 12 + length])
        assert zlib.crc32(kind + body) & 0xFFFFFFFF == crc, kind
        chunks[kind] = chunks.get(kind, b"") + body
        at += 12 + length
    assert b"IEND" in chunks
    width, height, depth, colour_type, *_ = struct.unpack(">IIBBBBB", chunks[b"IHDR"])
    assert depth == 8
    stride = width * (4 if colour_type == 6 else 3)
    raw = zlib.decompress(chunks[b"IDAT"])
    assert len(raw) == height * (stride + 1)
    lines = [raw[row * (stride + 1) : (row + 1) * (stride + 1)] for row in range(height)]
    assert all(line[0] == 0 for line in lines)
    return width, height, colour_type, [line[1:] for line in lines]


def test_the_zip_holds_the_manifest_and_both_icons_at_its_top() -> None:
    data = package(manifest(APP_ID, "https://handoff.example.org"))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert sorted(archive.namelist()) == ["color.png", "manifest.json", "outline.png"]
        app = json.loads(archive.read("manifest.json"))
        assert read_png(archive.read("color.png"))[:3] == (192, 192, 2)
        assert read_png(archive.read("outline.png"))[:3] == (32, 32, 6)
    assert app["icons"] == {"color": "color.png", "outline": "outline.png"}
    assert app["id"] == app["webApplicationInfo"]["id"] == APP_ID
    (bot,) = app["bots"]
    assert bot["botId"] == APP_ID and bot["supportsFiles"] is False
    assert sorted(bot["scopes"]) == ["groupChat", "personal", "team"]
    titles = {c["title"] for lst in bot["commandLists"] for c in lst["commands"]}
    assert titles == {"handoff", "who", "directory", "home", "dashboard", "help"}
    listed = sorted(scope for lst in bot["commandLists"] for scope in lst["scopes"])
    assert listed == ["groupChat", "personal", "team"]
    (extension,) = app["composeExtensions"]
    (command,) = extension["commands"]
    assert extension["botId"] == APP_ID
    assert command["id"] == "findTheRightPerson" and command["type"] == "action"
    assert command["context"] == ["message"] and command["fetchTask"] is True
    assert command["title"] == "Find the right person"
    rsc = app["authorization"]["permissions"]["resourceSpecific"]
    assert rsc == [{"name": "ChannelMessage.Read.Group", "type": "Application"}]
    assert app["validDomains"] == ["handoff.example.org"]
    assert app["developer"]["privacyUrl"] == "https://handoff.example.org/privacy"
    assert app["developer"]["termsOfUseUrl"] == "https://handoff.example.org/terms"
    assert app["accentColor"] == icons.ACCENT and app["manifestVersion"] == MANIFEST_VERSION


@pytest.mark.parametrize(
    ("url", "options", "domain"),
    [
        ("https://handoff.example.org", {}, "handoff.example.org"),
        (
            "https://bot.example.com:8443/api/messages",
            {"version": "2.10.3"},
            "bot.example.com:8443",
        ),
        (
            "https://x.example.com/",
            {
                "name": "Support handoffs (EU)",
                "privacy_url": "https://example.com/legal/privacy",
                "terms_url": "https://example.com/legal/terms",
            },
            "x.example.com",
        ),
    ],
)
def test_the_manifest_validates_against_microsofts_schema(
    url: str, options: dict[str, str], domain: str
) -> None:
    app = manifest(APP_ID.upper(), url, **options)
    assert errors(app) == []
    assert app["validDomains"] == [domain] and app["id"] == APP_ID
    assert app["developer"]["websiteUrl"] == f"https://{domain}/"


@pytest.mark.parametrize(
    ("installed", "expected"),
    [("0.1.0", "0.1.0"), ("2.3", "2.3.0"), ("0.1.0.dev3+g1234", "0.1.0"), ("unknown", "1.0.0")],
)
def test_the_default_package_version_is_handoffs_own_as_teams_takes_it(
    installed: str, expected: str
) -> None:
    assert default_version(installed) == expected
    assert errors(manifest(APP_ID, "https://h.example.com", version=expected)) == []


def test_the_schema_check_is_live_it_rejects_a_broken_manifest() -> None:
    app = manifest(APP_ID, "https://handoff.example.org")
    app["bots"][0]["botId"] = "not-a-guid"
    app["composeExtensions"][0]["commands"][0]["context"] = ["everywhere"]
    app["accentColor"] = "blue"
    found = errors(app)
    assert len(found) == 3, found


def test_the_colour_icon_is_opaque_white_on_the_accent() -> None:
    width, height, _, lines = read_png(icons.color_png())
    accent = bytes.fromhex(icons.ACCENT.removeprefix("#"))
    pixels = [line[i : i + 3] for line in lines for i in range(0, len(line), 3)]
    assert (width, height, len(pixels)) == (192, 192, 192 * 192)
    assert lines[0][:3] == lines[-1][-3:] == accent  # corners: background
    white = sum(p == b"\xff\xff\xff" for p in pixels)
    assert 0.05 < white / len(pixels) < 0.5  # a visible mark, not a blank or a white square


def test_the_outline_icon_is_white_on_transparent() -> None:
    width, height, _, lines = read_png(icons.outline_png())
    pixels = [line[i : i + 4] for line in lines for i in range(0, len(line), 4)]
    assert (width, height, len(pixels)) == (32, 32, 32 * 32)
    assert all(p[:3] == b"\xff\xff\xff" for p in pixels)  # white only; alpha draws the mark
    alphas = [p[3] for p in pixels]
    assert lines[0][3] == lines[-1][-1] == 0  # corners are transparent
    assert alphas.count(0) > len(pixels) / 2  # mostly transparent
    assert alphas.count(255) > 40  # and a solid mark


def test_the_command_writes_the_same_package_each_time(tmp_path: Path) -> None:
    out = tmp_path / "app.zip"
    args = ["teams-package", "--app-id", APP_ID, "--url", "https://handoff.example.org"]
    first = handoff(*args, "--out", str(out), "--app-version", "3.1.4")
    assert first.returncode == 0, first.stderr
    assert str(out) in first.stdout and "3.1.4" in first.stdout
    data = out.read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        app = json.loads(archive.read("manifest.json"))
    assert app["version"] == "3.1.4" and errors(app) == []
    assert handoff(*args, "--out", str(out), "--app-version", "3.1.4").returncode == 0
    assert out.read_bytes() == data  # reproducible: no timestamps in the zip


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--app-id", "not-a-guid", "--url", "https://h.example.com"], "is not a GUID"),
        (["--app-id", APP_ID, "--url", "http://h.example.com"], "is not an https URL"),
        (["--app-id", APP_ID, "--url", "h.example.com"], "is not an https URL"),
        (["--app-id", APP_ID, "--url", "https://h.example.com", "--name", "x" * 31], "--name"),
        (["--app-id", APP_ID, "--url", "https://h", "--app-version", "1.0"], "--app-version"),
        (["--app-id", APP_ID, "--url", "https://h", "--out", "/no/such/dir/a.zip"], "not exist"),
    ],
)
def test_bad_input_is_one_plain_line_and_exit_2(args: list[str], says: str) -> None:
    result = handoff("teams-package", *args)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("handoff: "), result.stderr
    assert says in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""
