"""The index on disk: records and chunk texts in SQLite, vectors in Chroma, BM25 beside.

Layout of ``QKDN_INDEX``::

    records.sqlite   documents (one row per ingested file, with its sha256), their
                     pages' text, and their chunks; the source of truth for what is
                     indexed
    chroma/          Chroma PersistentClient folder; collection ``qkdn_chunks`` holds
                     one vector per chunk id
    keyword/         BM25 index of the chunk texts, tagged with the records'
                     generation number

Crash safety comes from the order of writes: vectors are added to Chroma first, then
the document's rows are replaced in one SQLite transaction, then the document's old
vectors are deleted. Whatever a crash leaves in Chroma that SQLite does not list is
an orphan: search ignores it (hits are resolved through SQLite) and the next ingest
deletes it. A document is therefore either wholly the old version or wholly the new
one, never half of each and never twice.

This module does not read documents, chunk or decide what to ingest.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from .errors import IndexStoreError
from .keyword import KeywordIndex
from .types import Chunk, DocumentInfo, DocumentRecord, Page, ParsedDocument

__all__ = ["Index"]

COLLECTION = "qkdn_chunks"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    source TEXT PRIMARY KEY, sha256 TEXT NOT NULL, info TEXT NOT NULL,
    pages INTEGER NOT NULL, chunks INTEGER NOT NULL, indexed_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS pages (
    source TEXT NOT NULL, number INTEGER NOT NULL, label TEXT NOT NULL, text TEXT NOT NULL,
    PRIMARY KEY (source, number));
CREATE TABLE IF NOT EXISTS chunks (
    id TEXT PRIMARY KEY, source TEXT NOT NULL, ordinal INTEGER NOT NULL,
    doc_id TEXT NOT NULL, title TEXT NOT NULL, body TEXT NOT NULL, edition TEXT NOT NULL,
    clause TEXT NOT NULL, clause_title TEXT NOT NULL, page INTEGER NOT NULL,
    page_end INTEGER NOT NULL, page_label TEXT NOT NULL, text TEXT NOT NULL,
    context TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS chunks_by_source ON chunks (source, ordinal);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
_CHUNK_COLUMNS = (
    "id",
    "source",
    "doc_id",
    "title",
    "body",
    "edition",
    "clause",
    "clause_title",
    "page",
    "page_end",
    "page_label",
    "text",
    "ordinal",
    "context",
)


class Index:
    """One index folder. Cheap to open: Chroma and BM25 load on first use.

    Args:
        folder: the index folder (created on first write, not on open).
        chroma_client: a Chroma client to use instead of a PersistentClient in
            ``folder/chroma`` (for tests and, later, server mode).
    """

    def __init__(self, folder: Path, *, chroma_client: Any = None) -> None:
        self.folder = Path(folder)
        self._client = chroma_client
        self._collection: Any = None
        self._db: sqlite3.Connection | None = None
        self._keyword: KeywordIndex | None = None
        self._lock = threading.RLock()

    # --- SQLite records -------------------------------------------------------------

    @property
    def db(self) -> sqlite3.Connection:
        with self._lock:
            if self._db is None:
                try:
                    self.folder.mkdir(parents=True, exist_ok=True)
                    db = sqlite3.connect(self.folder / "records.sqlite", check_same_thread=False, isolation_level=None)
                    db.execute("PRAGMA journal_mode=WAL")
                    db.execute("PRAGMA synchronous=NORMAL")
                    db.executescript(_SCHEMA)
                    columns = {row[1] for row in db.execute("PRAGMA table_info(chunks)")}
                    if "context" not in columns:  # an index made before table captions were kept
                        db.execute("ALTER TABLE chunks ADD COLUMN context TEXT NOT NULL DEFAULT ''")
                except (OSError, sqlite3.Error) as exc:
                    raise IndexStoreError(f"cannot open the index at {self.folder}: {exc}") from None
                self._db = db
            return self._db

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    @property
    def generation(self) -> int:
        """A counter bumped by every change of the indexed set (keys the BM25 cache)."""
        row = self.db.execute("SELECT value FROM meta WHERE key='generation'").fetchone()
        return int(row[0]) if row else 0

    def hashes(self) -> dict[str, str]:
        """sha256 of every indexed source."""
        return dict(self.db.execute("SELECT source, sha256 FROM documents"))

    def documents(self) -> list[DocumentRecord]:
        """Every indexed document, ordered by source."""
        rows = self.db.execute(
            "SELECT source, sha256, info, pages, chunks, indexed_at FROM documents ORDER BY source"
        ).fetchall()
        return [
            DocumentRecord(source=s, sha256=h, info=DocumentInfo(**json.loads(i)), pages=p, chunks=c, indexed_at=t)
            for s, h, i, p, c, t in rows
        ]

    def pages(self, source: str) -> list[Page]:
        """The stored text of a document's pages (for quoting and page views)."""
        rows = self.db.execute(
            "SELECT number, text, label FROM pages WHERE source=? ORDER BY number", (source,)
        ).fetchall()
        return [Page(number=n, text=t, label=lbl) for n, t, lbl in rows]

    def chunks(self, ids: Sequence[str]) -> dict[str, Chunk]:
        """The indexed chunks with these ids (ids not indexed are left out)."""
        found: dict[str, Chunk] = {}
        ids = list(ids)
        for start in range(0, len(ids), 500):
            batch = ids[start : start + 500]
            marks = ",".join("?" * len(batch))
            for row in self.db.execute(f"SELECT {', '.join(_CHUNK_COLUMNS)} FROM chunks WHERE id IN ({marks})", batch):
                found[row[0]] = Chunk(*row)
        return found

    def all_chunk_texts(self) -> tuple[list[str], list[str]]:
        """Ids and keyword texts of every chunk, in a stable order."""
        rows = self.db.execute(
            "SELECT id, doc_id, clause_title, context, text FROM chunks ORDER BY source, ordinal"
        ).fetchall()
        return [r[0] for r in rows], [f"{r[1]} {r[2]} {r[3]}\n{r[4]}" for r in rows]

    # --- Chroma vectors -------------------------------------------------------------

    @property
    def collection(self) -> Any:
        with self._lock:
            if self._collection is None:
                try:
                    if self._client is None:
                        import chromadb
                        from chromadb.config import Settings as ChromaSettings

                        self._client = chromadb.PersistentClient(
                            path=str(self.folder / "chroma"),
                            settings=ChromaSettings(anonymized_telemetry=False),
                        )
                    self._collection = self._client.get_or_create_collection(
                        COLLECTION, configuration={"hnsw": {"space": "cosine"}}, embedding_function=None
                    )
                except IndexStoreError:
                    raise
                except Exception as exc:  # chromadb raises many unrelated types; name them once here
                    raise IndexStoreError(f"cannot open the vector store: {exc}") from None
            return self._collection

    def dense(self, vector: np.ndarray, n: int, where: dict[str, Any] | None = None) -> list[tuple[str, float]]:
        """Nearest chunk ids to ``vector`` with cosine similarity, best first."""
        if n <= 0:
            return []
        result = self.collection.query(
            query_embeddings=[vector.tolist()], n_results=n, where=where or None, include=["distances"]
        )
        return [(i, 1.0 - float(d)) for i, d in zip(result["ids"][0], result["distances"][0], strict=True)]

    # --- writing ----------------------------------------------------------------------

    def replace_document(self, document: ParsedDocument, chunks: Sequence[Chunk], vectors: np.ndarray) -> None:
        """Index a document, replacing any earlier version of the same source atomically."""
        old_ids = [r[0] for r in self.db.execute("SELECT id FROM chunks WHERE source=?", (document.source,))]
        new_ids = [c.id for c in chunks]
        if chunks:
            for start in range(0, len(chunks), 2000):
                part = chunks[start : start + 2000]
                self.collection.upsert(
                    ids=[c.id for c in part],
                    embeddings=vectors[start : start + len(part)].tolist(),
                    metadatas=[
                        {"source": c.source, "doc_id": c.doc_id, "body": c.body, "sha256": document.sha256}
                        for c in part
                    ],
                )
        now = datetime.now(UTC).isoformat(timespec="seconds")
        info = json.dumps(document.info.__dict__)
        with self._transaction() as db:
            db.execute("DELETE FROM chunks WHERE source=?", (document.source,))
            db.execute("DELETE FROM pages WHERE source=?", (document.source,))
            db.executemany(
                f"INSERT INTO chunks ({', '.join(_CHUNK_COLUMNS)}) VALUES ({','.join('?' * len(_CHUNK_COLUMNS))})",
                [tuple(getattr(c, col) for col in _CHUNK_COLUMNS) for c in chunks],
            )
            db.executemany(
                "INSERT INTO pages (source, number, label, text) VALUES (?,?,?,?)",
                [(document.source, p.number, p.label, p.text) for p in document.pages],
            )
            db.execute(
                "INSERT OR REPLACE INTO documents (source, sha256, info, pages, chunks, indexed_at)"
                " VALUES (?,?,?,?,?,?)",
                (document.source, document.sha256, info, len(document.pages), len(chunks), now),
            )
            self._bump(db)
        stale = sorted(set(old_ids) - set(new_ids))
        self._delete_vectors(stale)

    def remove_document(self, source: str) -> None:
        """Purge a document: its records first (search stops seeing it), then its vectors."""
        ids = [r[0] for r in self.db.execute("SELECT id FROM chunks WHERE source=?", (source,))]
        with self._transaction() as db:
            for table in ("chunks", "pages", "documents"):
                db.execute(f"DELETE FROM {table} WHERE source=?", (source,))
            self._bump(db)
        self._delete_vectors(ids)

    def purge_orphans(self) -> int:
        """Delete vectors that no record lists (left by an interrupted run); returns how many."""
        known = {r[0] for r in self.db.execute("SELECT id FROM chunks")}
        stored = self.collection.get(include=[])["ids"]
        orphans = [i for i in stored if i not in known]
        self._delete_vectors(orphans)
        return len(orphans)

    def _delete_vectors(self, ids: Iterable[str]) -> None:
        ids = list(ids)
        for start in range(0, len(ids), 2000):
            self.collection.delete(ids=ids[start : start + 2000])

    def _transaction(self) -> _Transaction:
        return _Transaction(self.db)

    @staticmethod
    def _bump(db: sqlite3.Connection) -> None:
        db.execute(
            "INSERT INTO meta (key, value) VALUES ('generation', '1') "
            "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
        )

    # --- keyword index ----------------------------------------------------------------

    def keyword(self) -> KeywordIndex:
        """The BM25 index of the current generation, loaded or rebuilt as needed."""
        with self._lock:
            generation = self.generation
            if self._keyword is not None and self._keyword.generation == generation:
                return self._keyword
            keyword = KeywordIndex.load(self.folder / "keyword", generation) or self.rebuild_keyword(generation)
            self._keyword = keyword
            return keyword

    def rebuild_keyword(self, generation: int | None = None) -> KeywordIndex:
        """Rebuild and save the BM25 index from the chunk records."""
        generation = self.generation if generation is None else generation
        ids, texts = self.all_chunk_texts()
        keyword = KeywordIndex.build(ids, texts)
        keyword.generation = generation
        try:
            keyword.save(self.folder / "keyword", generation)
        except OSError as exc:
            raise IndexStoreError(f"cannot write the keyword index: {exc}") from None
        return keyword


class _Transaction:
    """``BEGIN IMMEDIATE`` … ``COMMIT``, rolled back on any error."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> sqlite3.Connection:
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self.db.execute("COMMIT" if exc_type is None else "ROLLBACK")
