"""The records of an index: every SQL statement of qkdnassist, in one place.

``records.sqlite`` (WAL) is the source of truth of what is indexed: the documents with
their sha256, their pages' text (for quotes and page views) and their chunks with the
chunks' keyword tokens, plus a ``meta`` table (the generation counter, the tokenizer
version of the kept tokens, a server collection's name). Its schema is kept by
:mod:`.migrations`.

Reads are plain methods; the writes (:meth:`Records.replace_document`,
:meth:`Records.remove_document`, :meth:`Records.keep_tokens`) are called by the one
writer (:mod:`.writer`) only, each in one transaction that bumps the generation.

This module does not know Chroma, BM25 or files other than the database.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

from ..errors import IndexStoreError
from ..types import Chunk, DocumentInfo, DocumentRecord, Page, ParsedDocument
from .migrations import migrate

__all__ = ["CHUNK_COLUMNS", "Records"]

CHUNK_COLUMNS = (
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
_SELECT_CHUNK = f"SELECT {', '.join(CHUNK_COLUMNS)} FROM chunks"


class Records:
    """The SQLite records of one index folder; the connection opens (and migrates) on first use.

    Args:
        path: the ``records.sqlite`` file (its folder is created on first use).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db: sqlite3.Connection | None = None
        self._lock = threading.RLock()

    @property
    def exists(self) -> bool:
        return self.path.is_file()

    @property
    def db(self) -> sqlite3.Connection:
        """The connection (opened, and migrated to the current schema, on first use).

        Raises:
            IndexStoreError: the database cannot be opened, or is of a newer schema.
        """
        with self._lock:
            if self._db is None:
                try:
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                    db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
                    db.execute("PRAGMA journal_mode=WAL")
                    db.execute("PRAGMA synchronous=NORMAL")
                    migrate(db, self.path)
                except (OSError, sqlite3.Error) as exc:
                    raise IndexStoreError(f"cannot open the index at {self.path.parent}: {exc}") from None
                self._db = db
            return self._db

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    def transaction(self) -> _Transaction:
        return _Transaction(self.db)

    # --- reading ------------------------------------------------------------------------

    @property
    def generation(self) -> int:
        """A counter bumped by every change of the indexed set."""
        return int(self.meta("generation") or 0)

    def meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return str(row[0]) if row else None

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
        """The stored text of a document's pages."""
        rows = self.db.execute(
            "SELECT number, text, label FROM pages WHERE source=? ORDER BY number", (source,)
        ).fetchall()
        return [Page(number=n, text=t, label=lbl) for n, t, lbl in rows]

    def chunks(self, ids: Sequence[str]) -> dict[str, Chunk]:
        """The chunks with these ids (ids not indexed are left out)."""
        found: dict[str, Chunk] = {}
        ids = list(ids)
        for start in range(0, len(ids), 500):
            batch = ids[start : start + 500]
            for row in self.db.execute(f"{_SELECT_CHUNK} WHERE id IN ({','.join('?' * len(batch))})", batch):
                found[row[0]] = Chunk(*row)
        return found

    def chunk_at(self, source: str, ordinal: int) -> Chunk | None:
        """The chunk of ``source`` at ``ordinal`` (its position in the document), if any."""
        row = self.db.execute(f"{_SELECT_CHUNK} WHERE source=? AND ordinal=?", (source, ordinal)).fetchone()
        return Chunk(*row) if row else None

    def chunks_in_order(self) -> Iterator[Chunk]:
        """Every chunk, document by document in reading order."""
        yield from (Chunk(*row) for row in self.db.execute(f"{_SELECT_CHUNK} ORDER BY source, ordinal"))

    def chunk_fields(self) -> dict[str, tuple[str, str, str, str, str]]:
        """chunk id → (doc_id, body, clause, clause title, source), for search's per-chunk arrays."""
        rows = self.db.execute("SELECT id, doc_id, body, clause, clause_title, source FROM chunks")
        return {r[0]: r[1:] for r in rows}

    def chunk_ids(self, source: str | None = None) -> list[str]:
        """The ids of one document's chunks, or of every chunk."""
        if source is None:
            return [r[0] for r in self.db.execute("SELECT id FROM chunks")]
        return [r[0] for r in self.db.execute("SELECT id FROM chunks WHERE source=?", (source,))]

    def has_chunks(self) -> bool:
        return self.db.execute("SELECT 1 FROM chunks LIMIT 1").fetchone() is not None

    def count_chunks(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0])

    def keyword_rows(self) -> Iterator[tuple[str, str | None, str, str, str, str]]:
        """(id, kept tokens, doc_id, clause title, context, text) of every chunk, in the
        order the BM25 index numbers them."""
        yield from self.db.execute(
            "SELECT id, tokens, doc_id, clause_title, context, text FROM chunks ORDER BY source, ordinal"
        )

    # --- writing (the writer's) --------------------------------------------------------

    def replace_document(
        self, document: ParsedDocument, chunks: Sequence[Chunk], tokens: Sequence[str], tokenizer: str
    ) -> None:
        """Replace a document's rows (pages, chunks with their ``tokens``, made by
        ``tokenizer``, the document) in one transaction, bumping the generation."""
        now = datetime.now(UTC).isoformat(timespec="seconds")
        info = json.dumps(document.info.__dict__)
        with self.transaction() as db:
            db.execute("DELETE FROM chunks WHERE source=?", (document.source,))
            db.execute("DELETE FROM pages WHERE source=?", (document.source,))
            db.executemany(
                f"INSERT INTO chunks ({', '.join(CHUNK_COLUMNS)}, tokens) VALUES ({_marks(len(CHUNK_COLUMNS) + 1)})",
                [(*(getattr(c, col) for col in CHUNK_COLUMNS), t) for c, t in zip(chunks, tokens, strict=True)],
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
            # An older index keeps its own tokenizer mark until the writer re-tokenizes it.
            db.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('tokenizer', ?)", (tokenizer,))
            _bump(db)

    def remove_document(self, source: str) -> None:
        """Delete a document's rows in one transaction, bumping the generation."""
        with self.transaction() as db:
            for table in ("chunks", "pages", "documents"):
                db.execute(f"DELETE FROM {table} WHERE source=?", (source,))
            _bump(db)

    def keep_tokens(self, rows: Sequence[tuple[str, str]], tokenizer: str) -> None:
        """Keep chunks' keyword tokens ((tokens, id) pairs) and mark them as made by
        ``tokenizer``: a cache of the rows' own text, so no generation bump."""
        with self.transaction() as db:
            db.executemany("UPDATE chunks SET tokens=? WHERE id=?", rows)
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('tokenizer', ?)", (tokenizer,))

    def set_meta_once(self, key: str, value: str) -> str:
        """Set ``key`` unless it is set; returns the value it has (two processes agree on one)."""
        with self.transaction() as db:
            db.execute("INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)", (key, value))
            return str(db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()[0])


def _bump(db: sqlite3.Connection) -> None:
    db.execute(
        "INSERT INTO meta (key, value) VALUES ('generation', '1') "
        "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
    )


class _Transaction:
    """``BEGIN IMMEDIATE`` … ``COMMIT``, rolled back on any error."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> sqlite3.Connection:
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self.db.execute("COMMIT" if exc_type is None else "ROLLBACK")


def _marks(n: int) -> str:
    """``n`` SQL parameter marks: "?,?,?"."""
    return ",".join("?" * n)
