r"""The vectors of an index, in Chroma: embedded in the index folder, or on a server.

By default the vectors live in an embedded Chroma ``PersistentClient`` under
``QKDN_INDEX/chroma`` (collection ``qkdn_chunks``). With a server (``QKDN_CHROMA_URL``)
only the vectors move: the collection is named once, at random (``qkdn_`` + 16 hex
digits), and the name is kept in the records, so an index keeps its vectors wherever
its folder is mounted or renamed, a rebuild gets a collection of its own, and several
indexes can share one server. Every Chroma call goes through one wrapper that turns
failures into one-line :class:`~qkdnassist.errors.IndexStoreError`\ s and, on a server,
drops the client, so the next call reconnects once the server is back.

Telemetry is off and collections are opened with ``embedding_function=None``: Chroma
never loads (or downloads) its default model.

This module does not know the records' rows beyond the collection's name and count.
"""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from ..errors import IndexStoreError
from ..types import Chunk
from .records import Records

__all__ = ["COLLECTION", "Vectors"]

COLLECTION = "qkdn_chunks"  # embedded mode; a server's collection is named in the records
_COLLECTION_KEY = "chroma_collection"
_BATCH = 2000


class Vectors:
    """The Chroma collection of one index (connected on first use).

    Args:
        folder: the index folder (embedded vectors live in ``folder/chroma``).
        records: the index's records (they name a server collection, and count chunks).
        chroma_url: a Chroma server (``http(s)://host:port``) instead of the embedded store.
        chroma_token: sent to the server as ``Authorization: Bearer <token>``.
        timeout: seconds a server request may take (connecting: at most 5).
        client: a ready Chroma client to use instead (for tests).
    """

    def __init__(
        self,
        folder: Path,
        records: Records,
        *,
        chroma_url: str = "",
        chroma_token: str = "",
        timeout: float = 120.0,
        client: Any = None,
    ) -> None:
        self.folder = folder
        self.records = records
        self.chroma_url = chroma_url.rstrip("/")
        self._chroma_token = chroma_token
        self._timeout = timeout
        self._client = client
        self._own_client = client is None
        self._collection: Any = None
        self._lock = threading.RLock()

    @property
    def description(self) -> str:
        """Where the vectors are, for messages: the server's URL or the embedded folder."""
        return f"the Chroma server at {self.chroma_url}" if self.chroma_url else f"{self.folder / 'chroma'}"

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
                listed = self.records.count_chunks()
                if listed and not stored:
                    raise IndexStoreError(
                        f"{self.description} holds no vectors for the {listed} chunks of the index at {self.folder}"
                        f" (collection {name}); run 'qkdnassist ingest --rebuild'"
                    )
                self._collection = collection
            return self._collection

    def _collection_name(self) -> str:
        """``qkdn_chunks`` when embedded; on a server, the name kept in the records (made once)."""
        named = self.records.meta(_COLLECTION_KEY)
        if not self.chroma_url:
            if named and self.records.has_chunks():
                raise IndexStoreError(
                    f"the index at {self.folder} keeps its vectors on a Chroma server (collection {named});"
                    " set QKDN_CHROMA_URL to that server, or run 'qkdnassist ingest --rebuild'"
                )
            return COLLECTION
        if named:
            return named
        if self.records.has_chunks():
            raise IndexStoreError(
                f"the index at {self.folder} keeps its vectors in {self.folder / 'chroma'} (embedded);"
                f" run 'qkdnassist ingest --rebuild' to move them to {self.description}"
            )
        # two instances opening a new index agree on one name
        return self.records.set_meta_once(_COLLECTION_KEY, f"qkdn_{uuid.uuid4().hex[:16]}")

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

    def _call(self, operation: str, **arguments: Any) -> Any:
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

    def drop(self) -> None:
        """Delete this index's collection on the Chroma server, before its folder is deleted.

        Embedded vectors live in the folder and go with it, so this does nothing then,
        nor for a folder whose records never named a server collection.

        Raises:
            IndexStoreError: the server cannot be reached.
        """
        if not self.chroma_url or not self.records.exists:
            return
        named = self.records.meta(_COLLECTION_KEY)
        if not named:
            return
        with self._lock:
            try:
                if self._client is None:
                    self._client = self._connect()
                if named in {c.name for c in self._client.list_collections()}:
                    self._client.delete_collection(named)
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
        result = self._call(
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
            got = self._call("get", ids=list(ids[start : start + 2000]), include=["embeddings"])
            found.extend(got["ids"])
            rows.extend(got["embeddings"])
        matrix = np.asarray(rows, dtype=np.float32).reshape(len(found), -1) if found else np.zeros((0, 0), np.float32)
        return found, matrix

    def close(self) -> None:
        """Drop a server client (it reconnects on next use)."""
        if self.chroma_url:
            self._disconnect()

    # --- the writer's -------------------------------------------------------------------

    def upsert(self, chunks: Sequence[Chunk], vectors: np.ndarray, sha256: str) -> None:
        """Add or replace the vectors of ``chunks`` (with the metadata search filters on)."""
        for start in range(0, len(chunks), _BATCH):
            part = chunks[start : start + _BATCH]
            self._call(
                "upsert",
                ids=[c.id for c in part],
                embeddings=vectors[start : start + len(part)].tolist(),
                metadatas=[{"source": c.source, "doc_id": c.doc_id, "body": c.body, "sha256": sha256} for c in part],
            )

    def delete(self, ids: Iterable[str]) -> None:
        ids = list(ids)
        for start in range(0, len(ids), _BATCH):
            self._call("delete", ids=ids[start : start + _BATCH])

    def all_ids(self) -> list[str]:
        return list(self._call("get", include=[])["ids"])


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
