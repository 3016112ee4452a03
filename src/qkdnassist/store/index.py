"""The index on disk: records and chunk texts in SQLite, vectors in Chroma, BM25 beside.

Layout of ``QKDN_INDEX``::

    records.sqlite   documents (one row per ingested file, with its sha256), their
                     pages' text, and their chunks; the source of truth for what is
                     indexed
    chroma/          Chroma PersistentClient folder; collection ``qkdn_chunks`` holds
                     one vector per chunk id (embedded mode only)
    keyword/         BM25 index of the chunk texts, tagged with the records'
                     generation number (each chunk's keyword tokens are kept in its
                     row, so a rebuild does not tokenize the corpus again)

Server mode (``QKDN_CHROMA_URL``) moves only the vectors to a Chroma server; records
and BM25 stay in the folder. The server's collection is named once, at random
(``qkdn_`` + 16 hex digits), and the name is kept in the records: an index keeps its
vectors wherever its folder is mounted or renamed (a rebuild swaps folders), a rebuild
gets a collection of its own, and several indexes can share one server. A failed
server call drops the client, so the next call reconnects once the server is back.

Crash safety comes from the order of writes: vectors are added to Chroma first, then
the document's rows are replaced in one SQLite transaction, then the document's old
vectors are deleted. Whatever a crash leaves in Chroma that SQLite does not list is
an orphan: search ignores it (hits are resolved through SQLite) and the next ingest
deletes it. A document is therefore either wholly the old version or wholly the new
one, never half of each and never twice.

This module does not read documents, chunk or decide what to ingest.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from ..config import Settings
from ..errors import IndexStoreError
from ..textnorm import TOKENIZER, keyword_text, tokenize
from ..types import Chunk, DocumentInfo, DocumentRecord, Page, ParsedDocument
from .keyword import KeywordIndex

__all__ = ["Index"]

COLLECTION = "qkdn_chunks"  # embedded mode; a server's collection is named in the records
_COLLECTION_KEY = "chroma_collection"
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
    context TEXT NOT NULL DEFAULT '', tokens TEXT);
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
        chroma_url: a Chroma server (``http(s)://host:port``) to keep the vectors in,
            instead of an embedded PersistentClient in ``folder/chroma``.
        chroma_token: sent to the server as ``Authorization: Bearer <token>``.
        timeout: seconds a server request may take (connecting: at most 5).
        chroma_client: a ready Chroma client to use instead (for tests).
    """

    def __init__(
        self,
        folder: Path,
        *,
        chroma_url: str = "",
        chroma_token: str = "",
        timeout: float = 120.0,
        chroma_client: Any = None,
    ) -> None:
        self.folder = Path(folder)
        self.chroma_url = chroma_url.rstrip("/")
        self._chroma_token = chroma_token
        self._timeout = timeout
        self._client = chroma_client
        self._own_client = chroma_client is None
        self._collection: Any = None
        self._db: sqlite3.Connection | None = None
        self._keyword: KeywordIndex | None = None
        self._lock = threading.RLock()

    @classmethod
    def from_settings(cls, settings: Settings) -> Index:
        """The index ``settings`` name: ``QKDN_INDEX``, with vectors on ``QKDN_CHROMA_URL`` if set."""
        return cls(settings.index, chroma_url=settings.chroma_url, chroma_token=settings.chroma_token)

    @property
    def vector_store(self) -> str:
        """Where the vectors are, for messages: the server's URL or the embedded folder."""
        return f"the Chroma server at {self.chroma_url}" if self.chroma_url else f"{self.folder / 'chroma'}"

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
                    if "tokens" not in columns:  # made before tokens were kept: filled by the next rebuild
                        db.execute("ALTER TABLE chunks ADD COLUMN tokens TEXT")
                except (OSError, sqlite3.Error) as exc:
                    raise IndexStoreError(f"cannot open the index at {self.folder}: {exc}") from None
                self._db = db
            return self._db

    def close(self) -> None:
        """Close the records; a server client too (both reopen on next use)."""
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
            if self.chroma_url:
                self._disconnect()

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

    def chunk_at(self, source: str, ordinal: int) -> Chunk | None:
        """The chunk of ``source`` at ``ordinal`` (its position in the document), if any."""
        row = self.db.execute(
            f"SELECT {', '.join(_CHUNK_COLUMNS)} FROM chunks WHERE source=? AND ordinal=?", (source, ordinal)
        ).fetchone()
        return Chunk(*row) if row else None

    # --- Chroma vectors -------------------------------------------------------------

    @property
    def collection(self) -> Any:
        """The Chroma collection of this index (connecting on first use).

        Raises:
            IndexStoreError: the store cannot be opened or reached, or it lacks the
                vectors of the chunks the records list (a different server, lost data,
                or an index built in the other mode).
        """
        with self._lock:
            if self._collection is None:
                name = self._collection_name()
                try:
                    if self._client is None:
                        self._client = self._connect()
                    collection = self._client.get_or_create_collection(
                        name, configuration={"hnsw": {"space": "cosine"}}, embedding_function=None
                    )
                    stored = collection.count()
                except IndexStoreError:
                    raise
                except Exception as exc:  # chromadb raises many unrelated types; name them once here
                    if self.chroma_url:
                        self._disconnect()
                    raise self._failure(exc, opening=True) from None
                listed = self.db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
                if listed and not stored:
                    raise IndexStoreError(
                        f"{self.vector_store} holds no vectors for the {listed} chunks of the index at {self.folder}"
                        f" (collection {name}); run 'qkdnassist ingest --rebuild'"
                    )
                self._collection = collection
            return self._collection

    def _collection_name(self) -> str:
        """``qkdn_chunks`` when embedded; on a server, the name kept in the records (made once)."""
        row = self.db.execute("SELECT value FROM meta WHERE key=?", (_COLLECTION_KEY,)).fetchone()
        if not self.chroma_url:
            if row and self.db.execute("SELECT 1 FROM chunks LIMIT 1").fetchone():
                raise IndexStoreError(
                    f"the index at {self.folder} keeps its vectors on a Chroma server (collection {row[0]});"
                    " set QKDN_CHROMA_URL to that server, or run 'qkdnassist ingest --rebuild'"
                )
            return COLLECTION
        if row:
            return str(row[0])
        with self._transaction() as db:  # two instances opening a new index agree on one name
            if db.execute("SELECT 1 FROM chunks LIMIT 1").fetchone():
                raise IndexStoreError(
                    f"the index at {self.folder} keeps its vectors in {self.folder / 'chroma'} (embedded);"
                    f" run 'qkdnassist ingest --rebuild' to move them to {self.vector_store}"
                )
            name = f"qkdn_{uuid.uuid4().hex[:16]}"
            db.execute("INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)", (_COLLECTION_KEY, name))
            return str(db.execute("SELECT value FROM meta WHERE key=?", (_COLLECTION_KEY,)).fetchone()[0])

    def _connect(self) -> Any:
        """A new Chroma client: embedded in ``folder/chroma``, or over HTTP to the server."""
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        # Telemetry off; collections are opened with embedding_function=None, so Chroma
        # never loads (or downloads) its default model.
        chroma_settings = ChromaSettings(anonymized_telemetry=False)
        if not self.chroma_url:
            return chromadb.PersistentClient(path=str(self.folder / "chroma"), settings=chroma_settings)
        headers = {"Authorization": f"Bearer {self._chroma_token}"} if self._chroma_token else None
        self._heartbeat(headers)
        parts = urlsplit(self.chroma_url)
        client = chromadb.HttpClient(
            host=parts.hostname or "",
            port=parts.port or (443 if parts.scheme == "https" else 80),
            ssl=parts.scheme == "https",
            headers=headers,
            settings=chroma_settings,
        )
        # chromadb 1.5 builds its httpx session with timeout=None and has no setting for
        # it (chroma-core/chroma#5805): a server that accepts but never answers would
        # hang a search forever. Bound it where the session is, if it still is there.
        session = getattr(getattr(client, "_server", None), "_session", None)
        if session is not None:
            import httpx

            session.timeout = httpx.Timeout(self._timeout, connect=min(5.0, self._timeout))
        return client

    def _heartbeat(self, headers: dict[str, str] | None) -> None:
        """Ask the server's heartbeat, with a timeout, before chromadb's client (which has none) does.

        Raises:
            IndexStoreError: the server does not answer, or refuses the request.
        """
        request = urllib.request.Request(f"{self.chroma_url}/api/v2/heartbeat", headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=min(5.0, self._timeout)):
                return
        except urllib.error.HTTPError as exc:
            hint = "; check QKDN_CHROMA_TOKEN" if exc.code in (401, 403) else ""
            raise IndexStoreError(
                f"the Chroma server at {self.chroma_url} refused the request (HTTP {exc.code} {exc.reason}){hint}"
            ) from None
        except (OSError, ValueError) as exc:  # URLError, timeouts and refused connections are OSErrors
            raise IndexStoreError(f"cannot reach the Chroma server at {self.chroma_url}: {_reason(exc)}") from None

    def _disconnect(self) -> None:
        """Forget the client and collection (a server's next call reconnects)."""
        with self._lock:
            self._collection = None
            if self._own_client and self._client is not None:  # a client handed in is the caller's
                client, self._client = self._client, None
                client.close()  # releases chromadb's shared System; makes no request

    def _failure(self, exc: BaseException, *, opening: bool = False) -> IndexStoreError:
        """One line for the user, naming the store (and the URL of a server)."""
        if not self.chroma_url:
            what = "cannot open the vector store" if opening else f"the vector store in {self.folder / 'chroma'} failed"
            return IndexStoreError(f"{what}: {_reason(exc)}")
        if _unreachable(exc):
            return IndexStoreError(f"cannot reach the Chroma server at {self.chroma_url}: {_reason(exc)}")
        return IndexStoreError(f"the Chroma server at {self.chroma_url} failed: {_reason(exc)}")

    def _vectors(self, operation: str, **arguments: Any) -> Any:
        """Call the collection's ``operation``; any Chroma error becomes one IndexStoreError line.

        On a server, the client is dropped after an error, so a restarted server is
        picked up by the next call instead of failing against a stale connection.
        """
        collection = self.collection
        try:
            return getattr(collection, operation)(**arguments)
        except Exception as exc:  # chromadb and httpx raise many unrelated types
            if self.chroma_url:
                with self._lock:
                    if self._collection is collection:
                        self._disconnect()
            raise self._failure(exc) from None

    def drop_vectors(self) -> None:
        """Delete this index's collection on the Chroma server, before its folder is deleted.

        Embedded vectors live in the folder and go with it, so this does nothing then,
        nor for a folder whose records never named a server collection.

        Raises:
            IndexStoreError: the server cannot be reached.
        """
        if not self.chroma_url or not (self.folder / "records.sqlite").is_file():
            return
        row = self.db.execute("SELECT value FROM meta WHERE key=?", (_COLLECTION_KEY,)).fetchone()
        if not row:
            return
        with self._lock:
            try:
                if self._client is None:
                    self._client = self._connect()
                if row[0] in {c.name for c in self._client.list_collections()}:
                    self._client.delete_collection(row[0])
            except IndexStoreError:
                raise
            except Exception as exc:  # chromadb and httpx raise many unrelated types
                self._disconnect()
                raise self._failure(exc) from None
            self._collection = None

    def dense(self, vector: np.ndarray, n: int, where: dict[str, Any] | None = None) -> list[tuple[str, float]]:
        """Nearest chunk ids to ``vector`` with cosine similarity, best first.

        Raises:
            IndexStoreError: the vector store fails or (server mode) cannot be reached.
        """
        if n <= 0:
            return []
        result = self._vectors(
            "query", query_embeddings=[vector.tolist()], n_results=n, where=where or None, include=["distances"]
        )
        return [(i, 1.0 - float(d)) for i, d in zip(result["ids"][0], result["distances"][0], strict=True)]

    def vectors(self, ids: Sequence[str]) -> tuple[list[str], np.ndarray]:
        """The stored vectors of these chunk ids: the ids found, and a matrix of their rows.

        Raises:
            IndexStoreError: the vector store fails or (server mode) cannot be reached.
        """
        found: list[str] = []
        rows: list[Any] = []
        for start in range(0, len(ids), 2000):
            got = self._vectors("get", ids=list(ids[start : start + 2000]), include=["embeddings"])
            found.extend(got["ids"])
            rows.extend(got["embeddings"])
        matrix = np.asarray(rows, dtype=np.float32).reshape(len(found), -1) if found else np.zeros((0, 0), np.float32)
        return found, matrix

    # --- writing ----------------------------------------------------------------------

    def replace_document(self, document: ParsedDocument, chunks: Sequence[Chunk], vectors: np.ndarray) -> None:
        """Index a document, replacing any earlier version of the same source atomically."""
        old_ids = [r[0] for r in self.db.execute("SELECT id FROM chunks WHERE source=?", (document.source,))]
        new_ids = [c.id for c in chunks]
        if chunks:
            for start in range(0, len(chunks), 2000):
                part = chunks[start : start + 2000]
                self._vectors(
                    "upsert",
                    ids=[c.id for c in part],
                    embeddings=vectors[start : start + len(part)].tolist(),
                    metadatas=[
                        {"source": c.source, "doc_id": c.doc_id, "body": c.body, "sha256": document.sha256}
                        for c in part
                    ],
                )
        keyword_tokens = [" ".join(tokenize(keyword_text(c.doc_id, c.clause_title, c.context, c.text))) for c in chunks]
        now = datetime.now(UTC).isoformat(timespec="seconds")
        info = json.dumps(document.info.__dict__)
        with self._transaction() as db:
            db.execute("DELETE FROM chunks WHERE source=?", (document.source,))
            db.execute("DELETE FROM pages WHERE source=?", (document.source,))
            db.executemany(
                f"INSERT INTO chunks ({', '.join(_CHUNK_COLUMNS)}, tokens)"
                f" VALUES ({','.join('?' * (len(_CHUNK_COLUMNS) + 1))})",
                [
                    (*(getattr(c, col) for col in _CHUNK_COLUMNS), tokens)
                    for c, tokens in zip(chunks, keyword_tokens, strict=True)
                ],
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
            # The tokens above are of this tokenizer; an older index keeps its own mark
            # until rebuild_keyword re-tokenizes it.
            db.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('tokenizer', ?)", (TOKENIZER,))
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
        stored = self._vectors("get", include=[])["ids"]
        orphans = [i for i in stored if i not in known]
        self._delete_vectors(orphans)
        return len(orphans)

    def _delete_vectors(self, ids: Iterable[str]) -> None:
        ids = list(ids)
        for start in range(0, len(ids), 2000):
            self._vectors("delete", ids=ids[start : start + 2000])

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
        """Rebuild and save the BM25 index from the chunk records.

        Uses the tokens kept with each chunk; chunks without them, or with tokens of
        another tokenizer version, are tokenized now and their rows updated.
        """
        generation = self.generation if generation is None else generation
        row = self.db.execute("SELECT value FROM meta WHERE key='tokenizer'").fetchone()
        current = bool(row) and row[0] == TOKENIZER
        ids: list[str] = []
        missing: list[tuple[str, str]] = []

        def tokens() -> Iterator[list[str]]:
            for chunk_id, kept, doc_id, title, context, text in self.db.execute(
                "SELECT id, tokens, doc_id, clause_title, context, text FROM chunks ORDER BY source, ordinal"
            ):
                ids.append(chunk_id)
                if kept is not None and current:
                    yield kept.split()
                else:
                    made = tokenize(keyword_text(doc_id, title, context, text))
                    missing.append((" ".join(made), chunk_id))
                    yield made

        keyword = KeywordIndex.from_tokens(ids, tokens())
        if missing or not current:
            # A cache of the rows' own text: no generation bump, and a read-only or busy
            # index (a searcher of an old index) just tokenizes again next time.
            with contextlib.suppress(sqlite3.Error), self._transaction() as db:
                db.executemany("UPDATE chunks SET tokens=? WHERE id=?", missing)
                db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('tokenizer', ?)", (TOKENIZER,))
        keyword.generation = generation
        try:
            keyword.save(self.folder / "keyword", generation)
        except OSError as exc:
            raise IndexStoreError(f"cannot write the keyword index: {exc}") from None
        return keyword


def _unreachable(exc: BaseException) -> bool:
    """Whether ``exc`` means no answer from the server (as opposed to an error it answered with)."""
    import httpx

    if isinstance(exc, httpx.TransportError | OSError):
        return True
    # chromadb turns a refused connection while creating the client into this ValueError.
    return isinstance(exc, ValueError) and "could not connect" in str(exc).lower()


def _reason(exc: BaseException) -> str:
    """The first line of an exception's message (or its type), short enough for one line."""
    if isinstance(exc, urllib.error.URLError) and not isinstance(exc, urllib.error.HTTPError):
        exc = exc.reason if isinstance(exc.reason, BaseException) else exc
    lines = str(exc).strip().splitlines()
    text = lines[0] if lines else type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."


class _Transaction:
    """``BEGIN IMMEDIATE`` … ``COMMIT``, rolled back on any error."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> sqlite3.Connection:
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self.db.execute("COMMIT" if exc_type is None else "ROLLBACK")
