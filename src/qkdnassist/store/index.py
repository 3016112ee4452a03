"""One index folder, read side: records, vectors and the keyword index behind one object.

:class:`Index` is what search, answers and the workflows read through. It is cheap to
open: the records connect, Chroma and BM25 load on first use. **Reads never write**:
a keyword index saved for another generation (or none) is built in memory for this
process and not saved — saving derived files is the writer's job (:mod:`.writer`),
which every write goes through, under the folder's lock.

Crash safety comes from the writer's order of writes (vectors first, then the
document's rows in one transaction, then the old vectors deleted): whatever a crash
leaves in Chroma that the records do not list is an orphan, which search never shows
(hits are resolved through the records) and the next writer deletes.

This module does not read documents, chunk or decide what to ingest.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..config import Settings
from ..errors import NoIndexError
from ..textnorm import TOKENIZER, keyword_text, tokenize
from ..types import Chunk, DocumentRecord, Page
from .keyword import KeywordIndex
from .layout import IndexFolder
from .records import Records
from .vectors import Vectors

__all__ = ["Index", "keyword_from_records"]


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
        self.layout = IndexFolder(Path(folder))
        self.records = Records(self.layout.records)
        self.store = Vectors(
            self.layout.path,
            self.records,
            chroma_url=chroma_url,
            chroma_token=chroma_token,
            timeout=timeout,
            client=chroma_client,
        )
        self._keyword: KeywordIndex | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> Index:
        """The index ``settings`` name: ``QKDN_INDEX``, with vectors on ``QKDN_CHROMA_URL`` if set."""
        return cls(settings.index, chroma_url=settings.chroma_url, chroma_token=settings.chroma_token)

    @classmethod
    def existing(cls, settings: Settings) -> Index:
        """The index ``settings`` name, which must have been written.

        Raises:
            NoIndexError: there is no index at ``QKDN_INDEX`` yet.
        """
        if not IndexFolder(settings.index).records.is_file():
            raise NoIndexError(f"no index at {settings.index}; run 'qkdnassist ingest' first")
        return cls.from_settings(settings)

    @property
    def folder(self) -> Path:
        return self.layout.path

    @property
    def chroma_url(self) -> str:
        return self.store.chroma_url

    @property
    def vector_store(self) -> str:
        """Where the vectors are, for messages: the server's URL or the embedded folder."""
        return self.store.description

    def close(self) -> None:
        """Close the records; a server client too (both reopen on next use)."""
        self.records.close()
        self.store.close()

    # --- records ----------------------------------------------------------------------

    @property
    def generation(self) -> int:
        """A counter bumped by every change of the indexed set (keys the derived files)."""
        return self.records.generation

    def hashes(self) -> dict[str, str]:
        return self.records.hashes()

    def documents(self) -> list[DocumentRecord]:
        return self.records.documents()

    def pages(self, source: str) -> list[Page]:
        return self.records.pages(source)

    def chunks(self, ids: Sequence[str]) -> dict[str, Chunk]:
        return self.records.chunks(ids)

    def chunk_at(self, source: str, ordinal: int) -> Chunk | None:
        return self.records.chunk_at(source, ordinal)

    def chunks_in_order(self) -> Iterator[Chunk]:
        """Every chunk, document by document in reading order."""
        return self.records.chunks_in_order()

    # --- vectors ----------------------------------------------------------------------

    @property
    def collection(self) -> Any:
        """The Chroma collection (connecting on first use); see :class:`.vectors.Vectors`."""
        return self.store.collection

    def dense(self, vector: np.ndarray, n: int, where: dict[str, Any] | None = None) -> list[tuple[str, float]]:
        return self.store.dense(vector, n, where)

    def vectors(self, ids: Sequence[str]) -> tuple[list[str], np.ndarray]:
        return self.store.vectors(ids)

    def drop_vectors(self) -> None:
        self.store.drop()

    # --- keyword index ----------------------------------------------------------------

    def keyword(self) -> KeywordIndex:
        """The BM25 index of the current generation: the saved one, or (an index whose
        writer has not saved it yet) one built in memory, not saved."""
        with self._lock:
            generation = self.generation
            if self._keyword is not None and self._keyword.generation == generation:
                return self._keyword
            keyword = KeywordIndex.load(self.layout.keyword, generation) or self.build_keyword(generation)
            self._keyword = keyword
            return keyword

    def build_keyword(self, generation: int | None = None) -> KeywordIndex:
        """A BM25 index of the records (not saved: see :meth:`.writer.IndexWriter.finish`)."""
        keyword, _ = keyword_from_records(self.records, self.generation if generation is None else generation)
        return keyword


def keyword_from_records(records: Records, generation: int) -> tuple[KeywordIndex, list[tuple[str, str]]]:
    """A BM25 index of ``records`` from the tokens kept with each chunk, and the
    (tokens, chunk id) pairs of the chunks that had none (or another tokenizer's) and
    were tokenized now."""
    current = records.meta("tokenizer") == TOKENIZER
    ids: list[str] = []
    made: list[tuple[str, str]] = []

    def tokens() -> Iterator[list[str]]:
        for chunk_id, kept, doc_id, title, context, text in records.keyword_rows():
            ids.append(chunk_id)
            if kept is not None and current:
                yield kept.split()
            else:
                fresh = tokenize(keyword_text(doc_id, title, context, text))
                made.append((" ".join(fresh), chunk_id))
                yield fresh

    keyword = KeywordIndex.from_tokens(ids, tokens())
    keyword.generation = generation
    return keyword, made
