"""What a newcomer sees when something is wrong: a line or two that says what and what to do,
exit status 2, no traceback (unless asked for), and nothing created on the way."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.jobs.processes import free_port

ROOT = Path(__file__).resolve().parent.parent
SLACK = {"SLACK_BOT_TOKEN": "xoxb-x", "SLACK_SIGNING_SECRET": "s", "SLACK_APP_TOKEN": "xapp-x"}
# Every command that opens the database, as an operator types it.
COMMANDS = [
    ["serve", "--port", "0"],
    ["socket"],
    ["migrate"],
    ["tick"],
    ["directory", "export", "--team", "T1"],
    ["directory", "import", "DIRECTORY", "--team", "T1"],
]
NAMES = [" ".join(c[:2]) for c in COMMANDS]


def run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """`handoff` as a newcomer runs it: in a folder of their own, with only these settings."""
    prefixes = ("HANDOFF_", "SLACK_", "TEAMS_")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    clean.pop("DATABASE_URL", None)
    clean["PYTHONPATH"] = str(ROOT)
    directory = cwd / "directory.yaml"
    if not directory.exists():
        directory.write_text("topics:\n  - name: Billing\n    owners: [U0123ABCD]\n")
    args = [str(directory) if a == "DIRECTORY" else a for a in args]
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        env={**clean, **env},
        check=False,
    )


def assert_refused(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert 1 <= len(lines) <= 2, result.stderr
    for word in words:
        assert word in result.stderr, result.stderr


@pytest.mark.parametrize("args", COMMANDS, ids=NAMES)
def test_an_unreachable_database_is_one_plain_refusal(args: list[str], tmp_path: Path) -> None:
    url = f"postgresql://postgres@127.0.0.1:{free_port()}/handoff"
    result = run(args, tmp_path, DATABASE_URL=url, **SLACK)
    assert_refused(result, "DATABASE_URL", "nothing answers")


@pytest.mark.parametrize("args", COMMANDS, ids=NAMES)
def test_a_bad_setting_is_named_with_its_value(args: list[str], tmp_path: Path) -> None:
    result = run(args, tmp_path, HANDOFF_TIMEZONE="Mars/Base", **SLACK)
    assert_refused(result, "HANDOFF_TIMEZONE='Mars/Base'", "not an IANA time zone")
    assert not (tmp_path / "handoff.db").exists()


@pytest.mark.parametrize("args", COMMANDS, ids=NAMES)
def test_a_database_url_that_is_not_a_url(args: list[str], tmp_path: Path) -> None:
    result = run(args, tmp_path, DATABASE_URL="handoff.db", **SLACK)
    assert_refused(result, "DATABASE_URL='handoff.db'", "not a URL")


def test_tick_on_a_database_never_migrated_says_migrate_first(tmp_path: Path) -> None:
    missing = run(["tick"], tmp_path, **SLACK)
    assert_refused(missing, "handoff migrate")
    assert not (tmp_path / "handoff.db").exists()  # and it did not make one

    (tmp_path / "empty.db").touch()
    empty = run(["tick"], tmp_path, DATABASE_URL="sqlite:///./empty.db", **SLACK)
    assert_refused(empty, "has no schema", "handoff migrate")


def test_debug_shows_the_traceback_too(tmp_path: Path) -> None:
    url = f"postgresql://postgres@127.0.0.1:{free_port()}/handoff"
    for how in (["--debug", "migrate"], ["migrate", "--debug"]):
        result = run(how, tmp_path, DATABASE_URL=url)
        assert result.returncode == 2 and "Traceback" in result.stderr
    by_level = run(["migrate"], tmp_path, DATABASE_URL=url, HANDOFF_LOG_LEVEL="debug")
    assert by_level.returncode == 2 and "Traceback" in by_level.stderr


@pytest.mark.parametrize(
    "command",
    [
        ["history", "import", "tickets.csv"],
        ["api-token", "list", "--team", "T1"],
        ["workspace", "purge", "T1"],
        ["directory", "export"],
    ],
    ids=lambda command: " ".join(command[:2]),
)
def test_debug_is_taken_after_every_command(command: list[str], tmp_path: Path) -> None:
    """Every command, nested ones included, takes --debug at its end as well as before it."""
    (tmp_path / "tickets.csv").write_text("text,owner\nmy card is lost,U1\n")
    url = f"postgresql://postgres@127.0.0.1:{free_port()}/handoff"
    plain = run(command, tmp_path, DATABASE_URL=url)
    assert plain.returncode == 2 and "Traceback" not in plain.stderr, plain.stderr
    debug = run([*command, "--debug"], tmp_path, DATABASE_URL=url)
    assert debug.returncode == 2 and "Traceback" in debug.stderr, debug.stderr
    assert "unrecognized arguments" not in debug.stderr


SECRETS = {
    "SLACK_BOT_TOKEN": "xoxb-never-print-1",
    "SLACK_SIGNING_SECRET": "never-print-2",
    "SLACK_APP_TOKEN": "xapp-never-print-3",
    "HANDOFF_API_TOKEN": "never-print-4",
    "TEAMS_APP_PASSWORD": "never-print-5",
}


@pytest.mark.parametrize("debug", [[], ["--debug"]], ids=["plain", "debug"])
def test_a_setting_refused_as_a_whole_never_prints_the_secrets(
    debug: list[str], tmp_path: Path
) -> None:
    """A check of several settings together (here: an install link needs the client id and
    both secrets) is refused with every setting as its input: none of the values may show,
    not even in the --debug traceback."""
    result = run(
        [*debug, "migrate"],
        tmp_path,
        SLACK_CLIENT_ID="123.456",
        SLACK_CLIENT_SECRET="never-print-6",
        TEAMS_APP_ID="app-id",
        DATABASE_URL="postgresql://handoff:never-print-7@127.0.0.1/handoff",
        **SECRETS,
    )
    assert result.returncode == 2, result.stderr
    assert "installing from a link needs" in result.stderr and "SLACK_STATE_SECRET" in result.stderr
    assert "never-print" not in result.stderr + result.stdout
    if not debug:
        assert_refused(result, "missing: SLACK_STATE_SECRET")


def test_a_bad_secret_or_password_is_named_without_its_value(tmp_path: Path) -> None:
    url = "mysql://handoff:never-print-8@db/handoff"
    result = run(["migrate"], tmp_path, DATABASE_URL=url, TEAMS_APP_ID="app-id", **SECRETS)
    assert_refused(result, "DATABASE_URL='mysql://handoff:***@db/handoff'", "sqlite://")
    assert "never-print" not in result.stderr


def test_a_secret_of_the_wrong_kind_is_named_without_its_value() -> None:
    from pydantic import ValidationError

    from bot.cli_errors import settings_problem
    from bot.settings import Settings

    with pytest.raises(ValidationError) as refused:
        Settings(_env_file=None, slack_bot_token=12345678, handoff_api_token=87654321)  # type: ignore[call-arg,arg-type]
    said = settings_problem(refused.value)
    assert "SLACK_BOT_TOKEN (value not shown)" in said and "HANDOFF_API_TOKEN" in said
    assert "12345678" not in said and "87654321" not in said


def test_socket_without_an_app_token_creates_nothing(tmp_path: Path) -> None:
    result = run(["socket"], tmp_path, SLACK_BOT_TOKEN="xoxb-x", SLACK_SIGNING_SECRET="s")
    assert_refused(result, "SLACK_APP_TOKEN")
    assert list(tmp_path.iterdir()) == [tmp_path / "directory.yaml"]


def test_directory_commands_before_anything_exists_create_nothing(tmp_path: Path) -> None:
    exported = run(["directory", "export"], tmp_path)
    assert_refused(exported, "no database")
    missing_file = run(["directory", "import", "nope.yaml", "--team", "T1"], tmp_path)
    assert_refused(missing_file, "can't read nope.yaml")
    no_team = run(["directory", "import", "DIRECTORY"], tmp_path)
    assert_refused(no_team, "--team")
    no_history = run(["history", "import", "tickets.csv", "--team", "T1"], tmp_path)
    assert_refused(no_history, "can't read tickets.csv")
    assert list(tmp_path.iterdir()) == [tmp_path / "directory.yaml"]


def test_version_and_help_for_every_option(tmp_path: Path) -> None:
    from bot.cli import _parser

    version = run(["--version"], tmp_path)
    assert version.returncode == 0 and version.stdout.startswith("handoff 0.")

    def walk(parser: object) -> list[object]:
        found = [parser]
        for action in parser._actions:  # type: ignore[attr-defined]
            choices = getattr(action, "choices", None)
            if not isinstance(choices, dict):  # an option's allowed values, not sub-commands
                continue
            for child in choices.values():
                if hasattr(child, "_actions"):
                    found += walk(child)
        return found

    parsers = walk(_parser())
    assert len(parsers) >= 10
    for parser in parsers:
        assert parser.description, parser.prog  # type: ignore[attr-defined]
        for action in parser._actions:  # type: ignore[attr-defined]
            assert action.help, f"{parser.prog} {action.option_strings or action.dest}"  # type: ignore[attr-defined]


def test_migrate_is_quiet_about_alembic_plugins_and_logs_json_when_asked(tmp_path: Path) -> None:
    text = run(["migrate"], tmp_path, DATABASE_URL="sqlite:///./a.db")
    assert text.returncode == 0, text.stderr
    assert "alembic.runtime.plugins" not in text.stderr
    assert "Running upgrade" in text.stderr  # what it did is still said

    as_json = run(["migrate"], tmp_path, DATABASE_URL="sqlite:///./b.db", HANDOFF_LOG_FORMAT="json")
    assert as_json.returncode == 0, as_json.stderr
    entries = [json.loads(line) for line in as_json.stderr.strip().splitlines()]
    assert entries and {"time", "level", "logger", "message"} <= set(entries[0])
    assert any("Running upgrade" in e["message"] for e in entries)

    bad = run(["migrate"], tmp_path, HANDOFF_LOG_FORMAT="yaml")
    assert_refused(bad, "HANDOFF_LOG_FORMAT='yaml'", "text or json")


async def test_serve_with_a_refused_token_is_not_ready_and_logs_it_as_an_error_in_json(
    tmp_path: Path, database_url: str
) -> None:
    import asyncio

    import httpx

    from bot.devtools.fake_slack import FakeSlack
    from bot.devtools.sandbox import demo_workspace
    from tests.jobs.processes import env_for, start, wait_until_serving

    port = free_port()
    async with FakeSlack(demo_workspace()) as slack:
        env = env_for(
            slack,
            database_url,
            SLACK_BOT_TOKEN="xoxb-mistyped",
            HANDOFF_LOG_FORMAT="json",
            HANDOFF_LOG_LEVEL="INFO",
        )
        server = start("serve", "--port", str(port), "--no-migrate", env=env)
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
                ready = await wait_until_serving(http, server, path="/readyz")
        finally:
            server.terminate()
            _, stderr = await asyncio.to_thread(server.communicate, timeout=30)

    assert ready.status_code == 503 and "invalid_auth" in ready.json()["slack"]
    entries = [json.loads(line) for line in stderr.strip().splitlines()]
    loggers = {e["logger"] for e in entries}
    assert {"uvicorn.error", "uvicorn.access"} <= loggers, loggers
    assert any(e["level"] == "ERROR" and "invalid_auth" in e["message"] for e in entries)
    assert not any("will be unused" in e["message"] for e in entries)


@pytest.mark.parametrize("args", COMMANDS, ids=NAMES)
def test_a_sqlite_file_in_a_folder_that_does_not_exist(args: list[str], tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/no/such/folder/handoff.db"
    result = run(args, tmp_path, DATABASE_URL=url, **SLACK)
    assert_refused(result, "does not exist", "DATABASE_URL")


# A half-done setup: (settings, words the refusal says, words it must not say). Each says
# only what is really missing, and never echoes a secret.
HALF_SET = {
    "bot token alone": (
        {"SLACK_BOT_TOKEN": "xoxb-x"},
        ["SLACK_SIGNING_SECRET is not set", "Signing Secret"],
        ["SLACK_BOT_TOKEN", "xoxb-x"],
    ),
    "signing secret alone": (
        {"SLACK_SIGNING_SECRET": "s3cr3t-signing"},
        ["SLACK_BOT_TOKEN (xoxb-", "SLACK_CLIENT_ID"],
        ["SLACK_SIGNING_SECRET", "s3cr3t-signing"],
    ),
    "install from a link without the signing secret": (
        {"SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "c", "SLACK_STATE_SECRET": "st"},
        ["SLACK_SIGNING_SECRET is not set"],
        ["SLACK_BOT_TOKEN"],
    ),
    "install from a link, half the credentials": (
        {"SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "very-secret-client"},
        ["missing: SLACK_STATE_SECRET"],
        ["very-secret-client", "a setting", "{"],
    ),
    "teams without its password": (
        {"TEAMS_APP_ID": "00000000-0000-0000-0000-000000000001"},
        ["TEAMS_APP_PASSWORD"],
        [],
    ),
    "teams password without its app id": (
        {"TEAMS_APP_PASSWORD": "hunter2-teams"},
        ["TEAMS_APP_ID"],
        ["hunter2-teams"],
    ),
    "a duration that is not one": (
        {**SLACK, "HANDOFF_FIRST_NUDGE": "soon"},
        ["HANDOFF_FIRST_NUDGE='soon'", "not a duration"],
        [],
    ),
    "nothing at all": ({}, ["SLACK_BOT_TOKEN", "TEAMS_APP_ID", "handoff demo"], []),
}


@pytest.mark.parametrize("command", ["serve", "tick"])
@pytest.mark.parametrize("case", list(HALF_SET), ids=list(HALF_SET))
def test_a_half_set_platform_is_told_what_is_missing(
    case: str, command: str, tmp_path: Path
) -> None:
    settings, says, never = HALF_SET[case]
    result = run([command], tmp_path, **settings)
    assert_refused(result, *says)
    for word in never:
        assert word not in result.stderr, result.stderr
    assert not (tmp_path / "handoff.db").exists()


async def test_serve_on_teams_alone_answers_teams_and_asks_slack_nothing(
    tmp_path: Path, database_url: str
) -> None:
    """The Teams setup of the README (no Slack settings at all) starts, is ready, serves
    /api/messages (which checks its token) and not /slack/events, and never calls Slack."""
    import asyncio

    import httpx

    from tests.jobs.processes import start

    knocks: list[int] = []  # connections to "Slack": any call at all, with or without a token

    async def knock(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        knocks.append(1)
        writer.close()

    port = free_port()
    (tmp_path / "directory.yaml").write_text(
        "topics:\n  - name: Billing\n    owners: [U0123ABCD]\n"
    )
    stray = await asyncio.start_server(knock, "127.0.0.1", 0)
    slack_port = stray.sockets[0].getsockname()[1]
    async with stray:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("HANDOFF_", "SLACK_", "TEAMS_"))
        }
        env.update(
            DATABASE_URL=database_url,
            # Where a stray Slack call would land.
            SLACK_API_URL=f"http://127.0.0.1:{slack_port}/api/",
            TEAMS_APP_ID="00000000-0000-0000-0000-000000000001",
            TEAMS_APP_PASSWORD="p",
            HANDOFF_LOG_LEVEL="WARNING",
            # Re-read for Slack's workspaces: with none, it must not ask Slack which one.
            HANDOFF_DIRECTORY_FILE=str(tmp_path / "directory.yaml"),
        )
        server = start("serve", "--port", str(port), "--no-migrate", env=env)
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
                for _ in range(600):
                    try:
                        ready = await http.get("/readyz")
                        break
                    except httpx.TransportError:
                        await asyncio.sleep(0.1)
                else:
                    raise AssertionError("serve never answered")
                teams = await http.post("/api/messages", json={"type": "message"})
                slack_route = await http.post("/slack/events", content=b"{}")
                await asyncio.sleep(1)  # the first scheduler pass and the warm-up ran
        finally:
            server.terminate()
            _, stderr = await asyncio.to_thread(server.communicate, timeout=30)

    assert ready.status_code == 200, ready.text
    assert teams.status_code == 401  # no Bot Connector token: refused, but served
    assert slack_route.status_code == 404
    assert knocks == [], "a Teams-only process called Slack"
    assert "Traceback" not in stderr, stderr


def test_a_reader_that_leaves_early_is_no_traceback(tmp_path: Path) -> None:
    """`handoff manifest | head -1`: the pipe is closed before the manifest is written."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HANDOFF_", "SLACK_"))}
    env["PYTHONPATH"] = str(ROOT)
    reader, writer = os.pipe()
    os.close(reader)  # the reader left before a byte was written
    try:
        result = subprocess.run(
            [sys.executable, "-m", "bot.cli", "manifest", "--url", "https://h.example"],
            stdout=writer,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            cwd=tmp_path,
            env=env,
            check=False,
        )
    finally:
        os.close(writer)
    assert "Traceback" not in result.stderr and "BrokenPipeError" not in result.stderr, (
        result.stderr
    )
    assert result.returncode == 1


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///", "sqlite:///:memory:"])
@pytest.mark.parametrize("args", COMMANDS, ids=NAMES)
def test_a_sqlite_url_with_no_file_is_refused_plainly(
    args: list[str], url: str, tmp_path: Path
) -> None:
    """An in-memory database would be empty for every command (and lost at exit)."""
    result = run(args, tmp_path, DATABASE_URL=url, **SLACK)
    assert_refused(result, f"DATABASE_URL={url!r}", "names no database file", "sqlite:///./")
