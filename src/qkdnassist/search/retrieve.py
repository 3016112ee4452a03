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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ..config import Settings
from ..embedding import Embedder
from ..errors import QkdnError
from ..store.index import Index
from ..store.keyword import KeywordIndex
from ..types import Chunk, DocumentRecord, Hit

__all__ = ["BOTH_FIRST", "QueryRefs", "Searcher", "foreign_documents", "parse_refs"]

_RRF_K = 60
# The fused score of a chunk ranked first by both keyword and dense search: the scale
# against which a top score says how strongly the two rankers agree.
BOTH_FIRST = 2.0 / (_RRF_K + 1)
EXAMINED_DOCUMENTS = 60  # a coverage check searches at most this many documents one by one
_CACHED_DOCUMENTS = 64  # documents whose vectors a searcher keeps for exact in-document search
# A named document or clause weighs about as much as a first place in one ranking.
_DOC_BOOST = 1.2 / (_RRF_K + 1)
_CLAUSE_BOOST = 1.0 / (_RRF_K + 1)
_CLAUSE_REF = re.compile(r"\b(?:clause|section|sect\.|§|annex|appendix)\s+((?:\d+|[A-Z])(?:\.\d+)*)\b", re.IGNORECASE)
_ID_TAIL = re.compile(r"([A-Za-z]+)[\s.\-]?(\d+(?:\.\d+)*)\s*$")
# Questions that ask what a term means; standards answer them in their
# "Terms and definitions" / "Abbreviations" / glossary clauses.
_DEFINITION_QUESTION = re.compile(
    r"\b(?:defin\w*|meaning|means?|stands? for|abbreviat\w*|acronym|expan\w*|glossary|term)\b"
    r"|^\s*what (?:is|are) (?:an?|the)?\s*\S+\??$",
    re.IGNORECASE,
)
_DEFINITION_CLAUSE = re.compile(r"\b(?:terms?|definitions?|glossary|abbreviations?|acronyms?)\b", re.IGNORECASE)
_DEFINITION_BOOST = 0.8 / (_RRF_K + 1)


@dataclass(frozen=True)
class QueryRefs:
    """Identifiers a query names: documents (by doc_id) and clause numbers."""

    doc_ids: frozenset[str] = frozenset()
    clauses: frozenset[str] = frozenset()
    definition: bool = False
    keyword_query: str = ""  # the query without the document names (they are boosted instead)


def _squash(text: str) -> str:
    return re.sub(r"[\s.\-_]+", "", text.lower())


def doc_aliases(doc_id: str) -> set[str]:
    """Squashed names a user may call a document by: the id, and its "name number" tail.

    "ETSI GS QKD 014" → {"etsigsqkd014", "qkd014"}; "NIST FIPS 203" → {…, "fips203"};
    "GSMA PQ.03" → {…, "pq03"}.
    """
    aliases = {_squash(doc_id)}
    if m := _ID_TAIL.search(doc_id.split("(")[0].strip()):
        aliases.add(_squash(m.group(1) + m.group(2)))
    return {a for a in aliases if len(a) >= 4}


def parse_refs(query: str, documents: Sequence[DocumentRecord]) -> QueryRefs:
    """Find the documents and clauses ``query`` names explicitly."""
    squashed = _squash(query)
    spans = {m.group(0): _squash(m.group(0)) for m in re.finditer(r"\b[A-Za-z]+[\s.\-]?\d+(?:\.\d+)*", query)}
    doc_ids = set()
    keyword_query = query
    for record in documents:
        for alias in doc_aliases(record.info.doc_id):
            named = [text for text, squashed_span in spans.items() if squashed_span == alias]
            if named or (len(alias) >= 10 and alias in squashed):
                doc_ids.add(record.info.doc_id)
            for text in named:
                keyword_query = keyword_query.replace(text, " ")
    clauses = {m.group(1).upper() if m.group(1).isalpha() else m.group(1) for m in _CLAUSE_REF.finditer(query)}
    return QueryRefs(
        frozenset(doc_ids),
        frozenset(clauses),
        bool(_DEFINITION_QUESTION.search(query)),
        " ".join(keyword_query.split()) or query,
    )


# How standards are cited by number: "ETSI GS QKD 015", "ITU-T Y.3804", "Y.3800",
# "RFC 9340", "FIPS 205", "SP 800-208", "ISO/IEC 23837-2", "3GPP TS 33.501".
_STANDARD_ID = re.compile(
    r"\b(?:ETSI\s+(?:GS|GR|TS|TR|EN|ES|EG)\s+(?:QKD\s+|CYBER\s+)?\d{3}(?:\s\d{3})?(?:-\d+)?"
    r"|(?:Rec\.\s+)?(?:ITU-T\s+)?[A-Z]\.\d{3,4}(?:\.\d+)?|RFC\s?\d{3,5}|(?:NIST\s+)?FIPS\s?\d{3}"
    r"|(?:NIST\s+)?SP\s?800-\d+[A-Z]?|ISO/IEC\s+(?:TS\s+)?\d{4,5}(?:-\d+)?|3GPP\s+T[SR]\s+\d{2}\.\d{3}"
    r"|GSMA\s+PQ\.\d+)\b"
)


def foreign_documents(query: str, documents: Sequence[DocumentRecord]) -> list[str]:
    """Standards ``query`` names by number that are not indexed ("ETSI GS QKD 015"
    when only citations of it are): what it says cannot be quoted."""
    indexed = set()
    for record in documents:
        indexed |= doc_aliases(record.info.doc_id)
    foreign = []
    for match in _STANDARD_ID.finditer(query):
        name = match.group(0)
        squashed = _squash(name)
        tail = _ID_TAIL.search(name)
        short = _squash(tail.group(1) + tail.group(2)) if tail else squashed
        if (
            squashed not in indexed
            and short not in indexed
            and not any(squashed in a or a in squashed for a in indexed)
        ):
            foreign.append(name)
    return foreign


_MAX_MERGED = 3


def merge_neighbours(
    ranked: Sequence[tuple[Chunk, float]], k: int, similarity: dict[str, float] | None = None
) -> list[Hit]:
    """Fold ranked chunks that are next to a better-ranked one (same document and clause)
    into one passage, so the top k show k different places instead of one place k times.

    A passage holds at most three chunks; it keeps the best chunk's id, clause and score.
    """
    groups: list[list[Chunk]] = []
    best: list[tuple[Chunk, float]] = []
    for chunk, score in ranked:
        for group in groups:
            first, last = group[0], group[-1]
            if (
                len(group) < _MAX_MERGED
                and chunk.source == first.source
                and chunk.clause == first.clause
                and chunk.ordinal in (first.ordinal - 1, last.ordinal + 1)
            ):
                if chunk.ordinal < first.ordinal:
                    group.insert(0, chunk)
                else:
                    group.append(chunk)
                break
        else:
            if len(groups) < k:
                groups.append([chunk])
                best.append((chunk, score))
    hits = []
    for group, (top, score) in zip(groups, best, strict=True):
        passage = (
            top
            if len(group) == 1
            else replace(
                top,
                text="\n".join(c.text for c in group),
                page=group[0].page,
                page_end=max(c.page_end for c in group),
                page_label=group[0].page_label,
                ordinal=group[0].ordinal,
                last_ordinal=group[-1].ordinal,
            )
        )
        hits.append(Hit(passage, round(score, 6), round((similarity or {}).get(top.id, 0.0), 6)))
    return hits


def _best_rows(scores: np.ndarray, n: int) -> np.ndarray:
    """Rows of the ``n`` highest positive ``scores``, best first (ties in row order)."""
    n = min(n, int((scores > 0).sum()))
    if n <= 0:
        return np.zeros(0, dtype=np.intp)
    top = np.argpartition(-scores, n - 1)[:n]
    return top[np.argsort(-scores[top], kind="stable")]


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
    # doc_id → its chunk ids and vectors, for exact search within one document (a few
    # recently used documents; filled by Searcher._document_vectors).
    vectors: OrderedDict[str, tuple[list[str], np.ndarray]] = field(default_factory=OrderedDict, compare=False)

    @classmethod
    def empty(cls) -> _Snapshot:
        none = np.zeros(0, dtype=object)
        return cls(-1, KeywordIndex([], None), [], none, none, none, none)

    @classmethod
    def load(cls, index: Index, generation: int) -> _Snapshot:
        keyword = index.keyword()
        rows = {r[0]: r[1:] for r in index.db.execute("SELECT id, doc_id, body, clause, clause_title FROM chunks")}
        columns = list(zip(*(rows.get(i, ("",) * 4) for i in keyword.ids), strict=True)) or [()] * 4
        doc, body, clause, title = (np.asarray(c, dtype=object) for c in columns)
        return cls(generation, keyword, index.documents(), doc, body, clause, title)


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
            QkdnError: the index does not exist or is empty.
        """
        if not (settings.index / "records.sqlite").is_file():
            raise QkdnError(f"no index at {settings.index}; run 'qkdnassist ingest' first")
        index = Index.from_settings(settings)
        if not index.hashes():
            raise QkdnError(f"the index at {settings.index} is empty; run 'qkdnassist ingest' first")
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
            QkdnError: no indexed document, or several, match.
        """
        docs = [d.info.doc_id for d in self.documents()]
        wanted = _squash(name)
        for doc_id in docs:
            if _squash(doc_id) == wanted or wanted in doc_aliases(doc_id):
                return doc_id
        matches = sorted({d for d in docs if wanted in _squash(d)})
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise QkdnError(f"no indexed document matches {name!r}; see 'qkdnassist docs'")
        raise QkdnError(f"{name!r} matches several documents: {'; '.join(matches)}")

    def resolve_body(self, name: str) -> frozenset[str]:
        """The indexed bodies a user means by ``name``: an exact (case-blind) match, else
        every body that names it ("BSI" → "ANSSI, BSI, NLNCSA, Swedish Armed Forces").

        Raises:
            QkdnError: no indexed body matches.
        """
        bodies = {d.info.body for d in self.documents()}
        exact = {b for b in bodies if b.lower() == name.lower()}
        if exact:
            return frozenset(exact)
        partial = {b for b in bodies if re.search(rf"\b{re.escape(name.lower())}\b", b.lower())}
        if not partial:
            raise QkdnError(f"no indexed document from body {name!r}; bodies: {'; '.join(sorted(bodies))}")
        return frozenset(partial)

    def search(
        self,
        query: str,
        k: int = 10,
        *,
        body: str | None = None,
        doc: str | None = None,
        exclude: Sequence[str] = (),
    ) -> list[Hit]:
        """The ``k`` best chunks for ``query``, optionally within one body or document,
        and never from the documents (doc_ids) in ``exclude``.

        Raises:
            QkdnError: the query is empty or a filter names nothing indexed.
        """
        query = " ".join(query.split())
        if not query:
            raise QkdnError("the query is empty")
        snap = self._current()
        doc_id = self.resolve_doc(doc) if doc else None
        bodies = self.resolve_body(body) if body else None
        refs = parse_refs(query, snap.documents)
        keyword_query = refs.keyword_query
        if self.expand:
            from ..workflows.glossary import Glossary

            keyword_query = Glossary.build(self.index).expand_query(keyword_query, doc_ids=[doc_id] if doc_id else None)

        scores: dict[str, float] = {}
        for rank, chunk_id in enumerate(self._keyword_ranking(snap, keyword_query, bodies, doc_id, exclude)):
            scores[chunk_id] = scores.get(chunk_id, 0.0) + 1.0 / (_RRF_K + rank + 1)
        dense = self._dense_ranking(snap, query, bodies, doc_id, exclude)
        for rank, (chunk_id, _) in enumerate(dense):
            scores[chunk_id] = scores.get(chunk_id, 0.0) + 1.0 / (_RRF_K + rank + 1)

        if refs.doc_ids or refs.clauses or refs.definition:
            positions = snap.keyword.positions
            for chunk_id in list(scores):
                position = positions.get(chunk_id)
                if position is None:
                    continue
                if snap.chunk_doc[position] in refs.doc_ids:
                    scores[chunk_id] += _DOC_BOOST
                clause = snap.chunk_clause[position]
                if any(clause == c or clause.startswith(c + ".") or clause == f"Annex {c}" for c in refs.clauses):
                    scores[chunk_id] += _CLAUSE_BOOST
                if refs.definition and _DEFINITION_CLAUSE.search(snap.chunk_title[position]):
                    scores[chunk_id] += _DEFINITION_BOOST

        ranked = sorted(scores, key=lambda i: -scores[i])[: k * 3]
        chunks = self.index.chunks(ranked)  # orphans (not in records) drop out here
        return merge_neighbours([(chunks[i], scores[i]) for i in ranked if i in chunks], k, dict(dense))

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
            raise QkdnError("the query is empty")
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
            fused: dict[str, float] = {}
            rows = matching[matching_doc == doc_id]
            rows = rows[np.argsort(-scores[rows], kind="stable")][: self.pool // 4]
            for rank, row in enumerate(rows):
                chunk_id = snap.keyword.ids[row]
                fused[chunk_id] = fused.get(chunk_id, 0.0) + 1.0 / (_RRF_K + rank + 1)
            if examined is None:
                dense = self._dense_in_document(snap, vector, doc_id, self.pool // 4)
            else:
                dense = nearest.get(doc_id, [])[: self.pool // 4]
            for rank, (chunk_id, _) in enumerate(dense):
                fused[chunk_id] = fused.get(chunk_id, 0.0) + 1.0 / (_RRF_K + rank + 1)
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
        best: dict[str, float] = {}

        def credit(doc_ids: Iterable[str]) -> None:
            """RRF credit for one side's ranking of documents (``doc_ids`` of its chunks, best first)."""
            for rank, doc_id in enumerate(dict.fromkeys(doc_ids)):
                best[doc_id] = best.get(doc_id, 0.0) + 1.0 / (_RRF_K + rank + 1)

        credit(snap.chunk_doc[_best_rows(scores, depth)])
        positions = snap.keyword.positions  # orphan vectors (not in the records) drop out here
        nearest: dict[str, list[tuple[str, float]]] = {}
        for chunk_id, similarity in self.index.dense(vector, depth):
            if chunk_id in positions:
                nearest.setdefault(snap.chunk_doc[positions[chunk_id]], []).append((chunk_id, similarity))
        credit(nearest)  # dicts keep insertion order: documents by their best dense rank
        return set(sorted(best, key=lambda d: -best[d])[:n]), nearest

    def _keyword_ranking(
        self, snap: _Snapshot, query: str, bodies: frozenset[str] | None, doc_id: str | None, exclude: Sequence[str]
    ) -> list[str]:
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
        return [keyword.ids[i] for i in _best_rows(np.where(mask, scores, -1.0), self.pool)]

    def _dense_ranking(
        self, snap: _Snapshot, query: str, bodies: frozenset[str] | None, doc_id: str | None, exclude: Sequence[str]
    ) -> list[tuple[str, float]]:
        if not snap.documents:
            return []
        where: dict[str, Any] | None = None
        clauses: list[dict[str, Any]] = [{"body": {"$in": sorted(bodies)}}] if bodies else []
        if doc_id:
            clauses.append({"doc_id": doc_id})
        if exclude:
            clauses.append({"doc_id": {"$nin": list(exclude)}})
        if len(clauses) == 1:
            where = clauses[0]
        elif clauses:
            where = {"$and": clauses}
        vector = self.embedder.embed_query(query)
        if doc_id and not bodies and doc_id not in exclude:
            return self._dense_in_document(snap, vector, doc_id, self.pool)
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
