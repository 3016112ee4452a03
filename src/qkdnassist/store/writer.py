"""The one writer of an index: every change goes through :class:`IndexWriter`.

Ingest, uploads and removal all write through it, under the folder's exclusive lock
(:class:`.layout.IndexLock`): a second writer waits (``wait`` seconds) or is told the
index is busy. A document is written in the crash-safe order — its vectors upserted,
then its rows replaced in one transaction, then its old vectors deleted — so it is
always wholly its old or wholly its new version. While writing, the dirty marker
stands; the next writer that finds it (a crash) deletes the vectors no record lists.
When the writer closes after a change it rebuilds the derived files for the new
generation — the BM25 index (from the tokens kept with each chunk) and whatever the
caller registered (the glossary) — so that readers never have to write.

This module does not read documents or decide what to ingest.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Callable, Sequence
from types import TracebackType

import numpy as np

from ..errors import IndexStoreError
from ..textnorm import TOKENIZER, keyword_text, tokenize
from ..types import Chunk, ParsedDocument
from .index import Index, keyword_from_records
from .keyword import KeywordIndex
from .layout import IndexLock

__all__ = ["Derived", "IndexWriter"]

Derived = Callable[[Index], None]  # builds and saves one derived file for the index's generation


class IndexWriter:
    """Changes to one index, under its lock; use as a context manager.

    Args:
        index: the index to change.
        wait: seconds to wait for another writer (0: fail at once with IndexBusyError).
        what: what is being done, for the busy message.
        derived: builders of derived files (besides the BM25 index) run after a change.

    Raises:
        IndexBusyError: another writer holds the index (on entering).
        IndexStoreError: the index cannot be locked or written.
    """

    def __init__(self, index: Index, *, wait: float = 0.0, what: str = "ingest", derived: Sequence[Derived] = ()):
        self.index = index
        self.derived = tuple(derived)
        self._lock = IndexLock(index.layout, wait=wait, what=what)
        self.changed = False

    def __enter__(self) -> IndexWriter:
        self._lock.__enter__()
        try:
            if self.index.layout.dirty.exists():
                self.purge_orphans()  # the last writer was interrupted between its writes
        except BaseException:
            self._lock.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        try:
            if kind is None and self.changed:
                self.finish()
        finally:
            self._lock.__exit__(kind, exc, tb)

    def _mark(self) -> None:
        if not self.changed:
            self.index.layout.dirty.touch()
            self.changed = True

    def replace_document(self, document: ParsedDocument, chunks: Sequence[Chunk], vectors: np.ndarray) -> None:
        """Index a document, replacing any earlier version of the same source."""
        self._mark()
        old_ids = self.index.records.chunk_ids(document.source)
        if chunks:
            self.index.store.upsert(chunks, vectors, document.sha256)
        tokens = [" ".join(tokenize(keyword_text(c.doc_id, c.clause_title, c.context, c.text))) for c in chunks]
        self.index.records.replace_document(document, chunks, tokens, TOKENIZER)
        self.index.store.delete(sorted(set(old_ids) - {c.id for c in chunks}))

    def remove_document(self, source: str) -> None:
        """Purge a document: its records first (search stops seeing it), then its vectors."""
        self._mark()
        ids = self.index.records.chunk_ids(source)
        self.index.records.remove_document(source)
        self.index.store.delete(ids)

    def purge_orphans(self) -> int:
        """Delete vectors that no record lists (left by an interrupted writer); returns how many."""
        known = set(self.index.records.chunk_ids())
        orphans = [i for i in self.index.store.all_ids() if i not in known]
        self.index.store.delete(orphans)
        if not self.changed:
            self.index.layout.dirty.unlink(missing_ok=True)
        return len(orphans)

    def finish(self) -> dict[str, float]:
        """Rebuild the derived files for the current generation, then clear the dirty
        marker; returns the seconds each took ("keyword", then each builder's name)."""
        started = time.perf_counter()
        self.rebuild_keyword()
        seconds = {"keyword": time.perf_counter() - started}
        for build in self.derived:
            started = time.perf_counter()
            build(self.index)
            seconds[getattr(build, "__name__", "derived")] = time.perf_counter() - started
        self.index.layout.dirty.unlink(missing_ok=True)
        self.changed = False
        return seconds

    def rebuild_keyword(self) -> KeywordIndex:
        """Rebuild and save the BM25 index (returned); tokens missing from the rows (an
        older index, another tokenizer) are kept with them now."""
        records = self.index.records
        keyword, made = keyword_from_records(records, records.generation)
        if made or records.meta("tokenizer") != TOKENIZER:
            # Best effort: an index whose rows cannot take them tokenizes again next time.
            with contextlib.suppress(sqlite3.Error):
                records.keep_tokens(made, TOKENIZER)
        try:
            keyword.save(self.index.layout.keyword, keyword.generation)
        except OSError as exc:
            raise IndexStoreError(f"cannot write the keyword index: {exc}") from None
        return keyword
