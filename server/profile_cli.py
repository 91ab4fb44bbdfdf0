"""`movie-mcp profile import|list|show|delete|export`: a person's own ratings, kept beside the database."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from core.config import Settings
from server.cli import _emit


def _describe(report: dict[str, Any]) -> str:
    """The import in one readable paragraph (stderr; stdout has the JSON report)."""
    text = (
        f"read {report['rows']} rows as {report['format']} ({report['encoding']}): {report['matched']} matched"
        f" ({', '.join(f'{n} by {how}' for how, n in report['matched_by'].items()) or 'none'}),"
        f" {report['unmatched']} unmatched"
    )
    if report["reasons"]:
        text += " (" + "; ".join(f"{n}: {why}" for why, n in report["reasons"].items()) + ")"
    text += (
        f"; {report['duplicates']} duplicate rows superseded by a newer rating. Profile {report['profile']!r}:"
        f" {report['added']} movies added, {report['updated']} updated."
    )
    if report["unmatched_file"]:
        text += f" Unmatched rows written to {report['unmatched_file']}: fix them and re-import with --format csv."
    return text


def cmd_profile(args: argparse.Namespace, settings: Settings) -> int:
    from core.errors import MovieMcpError
    from core.profiles import service

    try:
        if args.action == "import":
            unmatched = Path(args.unmatched).expanduser() if args.unmatched else None
            report = service.import_profile(settings, Path(args.file).expanduser(), args.name, args.format, unmatched)
            print(_describe(report.as_dict()), file=sys.stderr)
            _emit(report.as_dict())
        elif args.action == "list":
            from core.data.store.profiles import profile_names

            _emit({"profiles_file": str(settings.profiles_path), "profiles": profile_names(settings.profiles_path)})
        elif args.action == "show":
            _emit(service.show_profile(settings, args.name))
        elif args.action == "delete":
            _emit(service.delete_profile(settings, args.name))
        else:
            sys.stdout.write(service.export_profile(settings, args.name))
    except MovieMcpError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def add_profile_parser(sub: Any) -> argparse.ArgumentParser:
    """The `profile` subcommand and its actions."""
    profile = sub.add_parser(
        "profile", help="your own ratings (IMDb, Letterboxd, Trakt, MovieLens or CSV exports) as a profile"
    )
    actions = profile.add_subparsers(dest="action", required=True)
    imp = actions.add_parser("import", help="import an export file into a profile (created if new; re-import updates)")
    imp.add_argument("file")
    imp.add_argument("--name", required=True, help="profile name: letters, digits, _ - . (starts with a letter)")
    imp.add_argument("--format", default="auto", choices=["auto", "imdb", "letterboxd", "trakt", "movielens", "csv"])
    imp.add_argument("--unmatched", help="where to write the unmatched rows (default: FILE.unmatched.csv beside FILE)")
    actions.add_parser("list", help="every profile with its counts")
    for action, text in (("show", "a profile's counts and newest ratings"), ("delete", "delete a profile"),
                         ("export", "a profile as CSV on stdout")):  # fmt: skip
        actions.add_parser(action, help=text).add_argument("name")
    return profile
