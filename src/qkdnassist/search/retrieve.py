"""Hybrid search: BM25 + dense vectors, fused by reciprocal rank, identifier-aware.

A query runs against both indexes; each ranks a candidate pool; the ranks are fused
(RRF), so neither score scale dominates. Identifiers named in the query are honoured
on top: a document named by its id ("FIPS 203", "QKD 014", "PQ.03") or a clause
named by its number ("clause 5.2", "section 4.2") lifts the matching chunks.
Filters by body and document apply to both sides before ranking.

This module does not embed documents or write the index.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..config import Settings
from ..editions import EditionChooser
from ..embedding import Embedder
from ..errors import NoIndexError, QuestionError
from ..store.index import Index
from ..store.keyword import KeywordIndex
from ..types import DocumentRecord, Hit
from .ranking import best_rows, boost, fuse, merge_neighbours
from .refs import doc_aliases, parse_refs, squash_id

__all__ = ["EXAMINED_DOCUMENTS", "Searcher"]

EXAMINED_DOCUMENTS = 60  # a coverage check searches at most this many documents one by one
_CACHED_DOCUMENTS = 64  # documents whose vectors a searcher keeps for exact in-document search


@dataclass(frozen=True)
class _Scope:
    """What one search may return: bodies, one document, documents and files left out."""

    bodies: frozenset[str] | None
    doc_id: str | None
    exclude: tuple[str, ...]
    exclude_sources: tuple[str, ...]


@dataclass(frozen=True)
class _Snapshot:
    """One generation of the index as search needs it: the keyword index and, aligned
    with its rows, each chunk's document, body, clause and clause title."""

    generation: int
    keyword: KeywordIndex
    documents: list[DocumentRecord]
    chunk_doc: np.ndarray
    chunk_body: np.ndarray
    chunk_clause: np.ndarray
    chunk_title: np.ndarray
    chunk_source: np.ndarray
    editions: EditionChooser = field(default_factory=lambda: EditionChooser([]), compare=False)
    # doc_id → its chunk ids and vectors, for exact search within one document (a few
    # recently used documents; filled by Searcher._document_vectors).
    vectors: OrderedDict[str, tuple[list[str], np.ndarray]] = field(default_factory=OrderedDict, compare=False)

    @classmethod
    def empty(cls) -> _Snapshot:
        none = np.zeros(0, dtype=object)
        return cls(-1, KeywordIndex([], None), [], none, none, none, none, none)

    @classmethod
    def load(cls, index: Index, generation: int) -> _Snapshot:
        keyword = index.keyword()
        rows = index.records.chunk_fields()
        columns = list(zip(*(rows.get(i, ("",) * 5) for i in keyword.ids), strict=True)) or [()] * 5
        doc, body, clause, title, source = (np.asarray(c, dtype=object) for c in columns)
        documents = index.documents()
        return cls(generation, keyword, documents, doc, body, clause, title, source, EditionChooser(documents))


class Searcher:
    """Hybrid search over one :class:`~qkdnassist.index.Index`.

    Args:
        index: the index to search.
        embedder: embeds queries (must be the model the index was built with).
        pool: candidates taken from each side before fusion.
        expand: add the expansions of abbreviations the query uses, as the indexed
            documents' own glossaries define them ("KME" → "Key Management Entity"), to
            the keyword side; only the filtered document's expansions when one is chosen.
    """

    def __init__(self, index: Index, embedder: Embedder, *, pool: int = 60, expand: bool = True) -> None:
        self.index = index
        self.embedder = embedder
        self.pool = pool
        self.expand = expand
        self._lock = threading.Lock()
        self._snapshot = _Snapshot.empty()

    @classmethod
    def open(cls, settings: Settings) -> Searcher:
        """A searcher over the configured index, with the configured embedder.

        Raises:
            NoIndexError: the index does not exist or is empty.
        """
        index = Index.existing(settings)
        if not index.hashes():
            raise NoIndexError(f"the index at {settings.index} is empty; run 'qkdnassist ingest' first")
        return cls(index, Embedder.from_settings(settings))

    def warm_up(self) -> None:
        """Load the model, the vector store and the keyword index before the first query."""
        self.embedder.embed_query("warm up")
        self._current()
        _ = self.index.collection

    def documents(self) -> list[DocumentRecord]:
        return self._current().documents

    def keyword_index(self) -> KeywordIndex:
        """The keyword index of the current generation (for term statistics)."""
        return self._current().keyword

    def _current(self) -> _Snapshot:
        """The index state of the current generation, rebuilt when an ingest changed it.

        A search takes one snapshot and uses only it, so a concurrent ingest cannot pair
        one generation's keyword rows with another's per-chunk arrays.
        """
        with self._lock:
            generation = self.index.generation
            if generation != self._snapshot.generation:
                self._snapshot = _Snapshot.load(self.index, generation)
            return self._snapshot

    def resolve_doc(self, name: str) -> str:
        """The indexed doc_id a user means by ``name`` (exact, alias or unique substring).

        Raises:
            QuestionError: no indexed document, or several, match.
        """
        docs = [d.info.doc_id for d in self.documents()]
        wanted = squash_id(name)
        for doc_id in docs:
            if squash_id(doc_id) == wanted or wanted in doc_aliases(doc_id):
                return doc_id
        matches = sorted({d for d in docs if wanted in squash_id(d)})
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise QuestionError(f"no indexed document matches {name!r}; see 'qkdnassist docs'")
        raise QuestionError(f"{name!r} matches several documents: {'; '.join(matches)}")

    def resolve_body(self, name: str) -> frozenset[str]:
        """The indexed bodies a user means by ``name``: an exact (case-blind) match, else
        every body that names it ("BSI" → "ANSSI, BSI, NLNCSA, Swedish Armed Forces").

        Raises:
            QuestionError: no indexed body matches.
        """
        bodies = {d.info.body for d in self.documents()}
        exact = {b for b in bodies if b.lower() == name.lower()}
        if exact:
            return frozenset(exact)
        partial = {b for b in bodies if re.search(rf"\b{re.escape(name.lower())}\b", b.lower())}
        if not partial:
            raise QuestionError(f"no indexed document from body {name!r}; bodies: {'; '.join(sorted(bodies))}")
        return frozenset(partial)

    def search(
        self,
        query: str,
        k: int = 10,
        *,
        body: str | None = None,
        doc: str | None = None,
        exclude: Sequence[str] = (),
        exclude_sources: Sequence[str] = (),
        edition: str = "current",
    ) -> list[Hit]:
        """The ``k`` best chunks for ``query``, optionally within one body or document,
        and never from the documents (doc_ids) in ``exclude`` or the files (sources) in
        ``exclude_sources``. Of a document with several editions, only ``edition`` is
        searched: ``current`` (the editions the query names, else the newest), ``all``,
        or one ("-05", "V1.1.1"); see :class:`~qkdnassist.editions.EditionChooser`.

        Raises:
            QuestionError: the query is empty or a filter names nothing indexed.
        """
        query = " ".join(query.split())
        if not query:
            raise QuestionError("the query is empty")
        snap = self._current()
        doc_id = self.resolve_doc(doc) if doc else None
        bodies = self.resolve_body(body) if body else None
        refs = parse_refs(query, snap.documents)
        exclude_sources = sorted(set(exclude_sources) | snap.editions.exclusions(query, edition))
        keyword_query = refs.keyword_query
        if self.expand:
            from ..workflows.glossary import Glossary

            expanding = [doc_id] if doc_id else self._glossary_documents()
            keyword_query = Glossary.build(self.index).expand_query(keyword_query, doc_ids=expanding)

        scope = _Scope(bodies, doc_id, tuple(exclude), tuple(exclude_sources))
        keyword = self._keyword_ranking(snap, keyword_query, scope)
        dense = self._dense_ranking(snap, query, scope)
        scores = fuse(keyword, (chunk_id for chunk_id, _ in dense))
        positions = snap.keyword.positions

        def place(chunk_id: str) -> tuple[str, str, str] | None:
            row = positions.get(chunk_id)
            return None if row is None else (snap.chunk_doc[row], snap.chunk_clause[row], snap.chunk_title[row])

        boost(scores, refs, place)
        ranked = sorted(scores, key=lambda i: -scores[i])[: k * 3]
        chunks = self.index.chunks(ranked)  # orphans (not in records) drop out here
        return merge_neighbours([(chunks[i], scores[i]) for i in ranked if i in chunks], k, dict(dense))

    def _glossary_documents(self) -> list[str] | None:
        """The documents whose glossaries expand a query's abbreviations (None: all)."""
        return None

    def editions(self) -> EditionChooser:
        """The documents of the current generation that have several editions."""
        return self._current().editions

    def search_each_document(
        self, query: str, k: int = 4, *, examine: int = EXAMINED_DOCUMENTS
    ) -> dict[str, list[Hit]]:
        """The ``k`` best chunks of every indexed document for ``query`` (doc_id → hits).

        Coverage checks need each document's own best passages: a document that treats
        a topic in one clause must not be crowded out of a global top-k by another that
        mentions it fifty times. Keyword scores are computed once for all chunks; the
        dense side asks the vector store once per document examined.

        Up to ``examine`` documents, every one is examined. In a larger index one keyword
        pass and one dense query over the whole index first rank the documents by their
        best chunks (:meth:`_candidate_documents`), and only the best ``examine`` are
        searched, their dense side taken from that one query: asking the store once per
        document costs seconds per topic at a thousand documents. Documents not examined,
        or with no matching chunk, map to an empty list.
        """
        query = " ".join(query.split())
        if not query:
            raise QuestionError("the query is empty")
        snap = self._current()
        scores = snap.keyword.scores(query)
        vector = self.embedder.embed_query(query)
        matching = np.flatnonzero(scores > 0) if scores.size else np.zeros(0, dtype=np.int64)
        matching_doc = snap.chunk_doc[matching] if matching.size else np.zeros(0, dtype=object)
        examined: set[str] | None = None
        nearest: dict[str, list[tuple[str, float]]] = {}
        if len(snap.documents) > examine:
            examined, nearest = self._candidate_documents(snap, scores, vector, examine)
        result: dict[str, list[Hit]] = {}
        for record in snap.documents:
            doc_id = record.info.doc_id
            if examined is not None and doc_id not in examined:
                result[doc_id] = []
                continue
            rows = matching[matching_doc == doc_id]
            rows = rows[np.argsort(-scores[rows], kind="stable")][: self.pool // 4]
            if examined is None:
                dense = self._dense_in_document(snap, vector, doc_id, self.pool // 4)
            else:
                dense = nearest.get(doc_id, [])[: self.pool // 4]
            fused = fuse((snap.keyword.ids[row] for row in rows), (chunk_id for chunk_id, _ in dense))
            ranked = sorted(fused, key=lambda i: -fused[i])[: k * 3]
            chunks = self.index.chunks(ranked)
            result[doc_id] = merge_neighbours([(chunks[i], fused[i]) for i in ranked if i in chunks], k, dict(dense))
        return result

    def _candidate_documents(
        self, snap: _Snapshot, scores: np.ndarray, vector: np.ndarray, n: int
    ) -> tuple[set[str], dict[str, list[tuple[str, float]]]]:
        """The ``n`` documents whose best chunks rank highest for the query, and the
        dense side's nearest chunks of each document, best first.

        Each side's top ``10 n`` chunks rank the documents they come from (a document
        ranks where its best chunk stands among them); reciprocal-rank fusion of the
        two document rankings orders the documents. The dense side's chunks stand in
        for a query per document: a document with none among them is searched by
        keyword only.
        """
        depth = 10 * n
        positions = snap.keyword.positions  # orphan vectors (not in the records) drop out here
        nearest: dict[str, list[tuple[str, float]]] = {}
        for chunk_id, similarity in self.index.dense(vector, depth):
            if chunk_id in positions:
                nearest.setdefault(snap.chunk_doc[positions[chunk_id]], []).append((chunk_id, similarity))
        # Each side ranks documents where their best chunk stands (dicts keep insertion order).
        best = fuse(dict.fromkeys(snap.chunk_doc[best_rows(scores, depth)]), nearest)
        return set(sorted(best, key=lambda d: -best[d])[:n]), nearest

    def _keyword_ranking(self, snap: _Snapshot, query: str, scope: _Scope) -> list[str]:
        bodies, doc_id, exclude, exclude_sources = scope.bodies, scope.doc_id, scope.exclude, scope.exclude_sources
        keyword = snap.keyword
        scores = keyword.scores(query)
        if scores.size == 0:
            return []
        mask = np.ones(scores.shape, dtype=bool)
        if bodies:
            mask &= np.isin(snap.chunk_body, list(bodies))
        if doc_id:
            mask &= snap.chunk_doc == doc_id
        if exclude:
            mask &= ~np.isin(snap.chunk_doc, list(exclude))
        if exclude_sources:
            mask &= ~np.isin(snap.chunk_source, list(exclude_sources))
        return [keyword.ids[i] for i in best_rows(np.where(mask, scores, -1.0), self.pool)]

    def _dense_ranking(self, snap: _Snapshot, query: str, scope: _Scope) -> list[tuple[str, float]]:
        bodies, doc_id, exclude, exclude_sources = scope.bodies, scope.doc_id, scope.exclude, scope.exclude_sources
        if not snap.documents:
            return []
        where: dict[str, Any] | None = None
        clauses: list[dict[str, Any]] = [{"body": {"$in": sorted(bodies)}}] if bodies else []
        if doc_id:
            clauses.append({"doc_id": doc_id})
        if exclude:
            clauses.append({"doc_id": {"$nin": list(exclude)}})
        if exclude_sources:
            clauses.append({"source": {"$nin": list(exclude_sources)}})
        if len(clauses) == 1:
            where = clauses[0]
        elif clauses:
            where = {"$and": clauses}
        vector = self.embedder.embed_query(query)
        if doc_id and not bodies and doc_id not in exclude:
            nearest = self._dense_in_document(snap, vector, doc_id, self.pool + len(exclude_sources) * self.pool)
            if exclude_sources:  # editions of one document share its doc_id
                dropped = set(exclude_sources)
                positions = snap.keyword.positions
                nearest = [
                    (i, s) for i, s in nearest if i in positions and snap.chunk_source[positions[i]] not in dropped
                ]
            return nearest[: self.pool]
        return self.index.dense(vector, self.pool, where)

    def _dense_in_document(self, snap: _Snapshot, vector: np.ndarray, doc_id: str, n: int) -> list[tuple[str, float]]:
        """The ``n`` chunks of one document nearest to ``vector``, by exact cosine.

        A document has hundreds of chunks at most: comparing with all of them is exact
        and, once its vectors are fetched (by id), takes well under a millisecond, where
        the vector store's filtered nearest-neighbour query costs 50-60 ms at 50,000
        chunks (and is approximate).
        """
        ids, matrix = self._document_vectors(snap, doc_id)
        if not ids:
            return []
        similarity = matrix @ (vector / (np.linalg.norm(vector) or 1.0))
        top = np.argsort(-similarity, kind="stable")[:n]
        return [(ids[i], float(similarity[i])) for i in top]

    def _document_vectors(self, snap: _Snapshot, doc_id: str) -> tuple[list[str], np.ndarray]:
        """The chunk ids of ``doc_id`` and their unit vectors (kept for a few documents)."""
        with self._lock:
            cached = snap.vectors.get(doc_id)
            if cached is not None:
                snap.vectors.move_to_end(doc_id)
                return cached
        wanted = [snap.keyword.ids[row] for row in np.flatnonzero(snap.chunk_doc == doc_id)]
        ids, matrix = self.index.vectors(wanted)
        if len(ids):
            matrix /= np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)
        with self._lock:
            snap.vectors[doc_id] = (ids, matrix)
            while len(snap.vectors) > _CACHED_DOCUMENTS:
                snap.vectors.popitem(last=False)
        return ids, matrix
