"""`handoff teams-package`: write the Teams app package zip, kept out of bot/cli.py with its
parsing. It needs no settings and no database, like `handoff manifest`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from bot.cli_errors import command_parser
from bot.teams.package import DEFAULT_NAME, PackageError, default_version, manifest, package


def add_parser(sub: Any, *, handoff_version: str) -> None:
    what = "write the Microsoft Teams app package (a zip to upload to Teams)"
    parser = command_parser(sub, "teams-package", what)
    parser.add_argument(
        "--app-id", required=True, help="the Azure bot's Microsoft App ID (a GUID; TEAMS_APP_ID)"
    )
    parser.add_argument(
        "--url",
        required=True,
        help="the bot's public URL, https://your.host (Teams posts to /api/messages)",
    )
    parser.add_argument(
        "--out", default="handoff-teams.zip", help="where to write it (default: %(default)s)"
    )
    parser.add_argument(
        "--name", default=DEFAULT_NAME, help="the app's name in Teams (default: %(default)s)"
    )
    parser.add_argument(
        "--app-version",
        default=default_version(handoff_version),
        help="the package's version; raise it for each upload (default: %(default)s)",
    )
    parser.add_argument(
        "--privacy-url", default=None, help="privacy statement (default: https://your.host/privacy)"
    )
    parser.add_argument(
        "--terms-url", default=None, help="terms of use (default: https://your.host/terms)"
    )


def run(args: argparse.Namespace) -> int:
    try:
        app_manifest = manifest(
            args.app_id,
            args.url,
            name=args.name,
            version=args.app_version,
            privacy_url=args.privacy_url,
            terms_url=args.terms_url,
        )
    except PackageError as error:
        print(f"handoff: {error}", file=sys.stderr)
        return 2
    out = Path(args.out)
    if not out.parent.is_dir():
        print(f"handoff: --out {args.out}: the folder {out.parent} does not exist", file=sys.stderr)
        return 2
    try:
        out.write_bytes(package(app_manifest))
    except OSError as error:
        print(f"handoff: cannot write {args.out}: {error.strerror}", file=sys.stderr)
        return 2
    print(
        f"wrote {out} (Teams app {app_manifest['id']}, version {app_manifest['version']}, "
        f"manifest {app_manifest['manifestVersion']}): upload it in Teams under "
        "Apps > Manage your apps > Upload an app"
    )
    return 0
