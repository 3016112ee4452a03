"""Topic coverage across bodies: which documents treat a topic, how far, and where
two bodies overlap.

Every indexed document is examined on its own (:meth:`Searcher.search_each_document`),
so a document that treats a topic in one clause is not hidden by another that mentions
it fifty times. For each document its best passages give five signals
(:func:`document_signals`): how much of the topic the best passage covers, its dense
similarity, how well a clause title matches, the strength of the second-best passage,
and the document's best strength relative to the best document's. A logistic model
fitted on the development topics (the ``coverage`` model of ``answer/calibration.json``,
written by ``bench/coverage_eval.py --fit``) turns them into the probability that the
document treats the topic; from its threshold the document counts.

A counted document is **covered** when a clause is about the topic (its title matches,
or two or more of its best passages in one clause match), **partial** when it treats the
topic only in passing; the others are **not_found**.

A long topic or a pasted draft is split into its requirements (sentences, list items);
each is checked, and a document's status for the whole is its best status over them.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from ..answer.calibration import Logistic, calibration
from ..answer.evidence import choose, locate, score_candidates
from ..answer.qtypes import QuestionType
from ..answer.query import QueryTerms
from ..errors import QuestionError
from ..limits import TOPIC_WORDS
from ..search.quotes import QuoteLocator
from ..search.retrieve import Searcher
from ..sentences import split_sentences
from ..types import Chunk, DocumentRecord, Hit

__all__ = [
    "CoverageChecker",
    "CoverageReport",
    "DocumentCoverage",
    "Evidence",
    "Overlap",
    "document_columns",
    "matrix_csv",
    "matrix_json",
    "matrix_markdown",
    "split_topic",
    "topics_of",
]

STATUSES = ("covered", "partial", "not_found")
_RANK = {status: i for i, status in enumerate(STATUSES)}

TITLE = 0.5  # clause-title coverage from which a clause is about the topic


@dataclass(frozen=True)
class Evidence:
    """A passage of one document that treats the topic, quoted verbatim from its page."""

    page: int
    clause: str
    clause_title: str
    quote: str
    score: float


@dataclass(frozen=True)
class DocumentCoverage:
    """How one document covers a topic."""

    source: str
    doc_id: str
    body: str
    edition: str
    status: str  # "covered" | "partial" | "not_found"
    score: float
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True)
class Overlap:
    """Two documents of different bodies that both treat a topic, side by side."""

    a: DocumentCoverage
    b: DocumentCoverage


@dataclass(frozen=True)
class CoverageReport:
    """The coverage of one topic over every indexed document.

    Attributes:
        topic: the topic as given.
        verdict: "covered" when some document has a clause about it, "partial" when
            some treats it in passing, else "not_found".
        documents: every indexed document, best covered first.
        bodies: the bodies whose documents treat the topic.
        overlaps: pairs of documents of different bodies that both treat it.
        subtopics: reports of the requirements of a long topic (empty for a short one).
    """

    topic: str
    verdict: str
    documents: tuple[DocumentCoverage, ...]
    bodies: tuple[str, ...] = ()
    overlaps: tuple[Overlap, ...] = ()
    subtopics: tuple[CoverageReport, ...] = field(default=())


_BULLET = re.compile(r"^\s*(?:[-•*–]|\(?[a-z0-9]{1,3}[).])\s+")


def topics_of(text: str) -> list[str]:
    """What a pasted text asks to check: several short lines are several topics; one
    long line or a paragraph is a draft, checked as one topic (split by
    :func:`split_topic`)."""
    lines = [" ".join(line.split()) for line in (text or "").splitlines() if line.strip()]
    if len(lines) > 1 and all(len(line.split()) <= TOPIC_WORDS for line in lines):
        return lines
    return [" ".join(lines)] if lines else []


def split_topic(topic: str, *, max_words: int = TOPIC_WORDS) -> list[str]:
    """The requirements of a long topic or pasted draft text; a short topic is one part.

    Sentences and list items become parts; fragments too short to search on their own
    (under four words) are joined to the part before them.
    """
    text = topic.strip()
    if len(text.split()) <= max_words and "\n" not in text:
        return [" ".join(text.split())]
    parts: list[str] = []
    for line in text.splitlines():
        line = _BULLET.sub("", line).strip()
        for sentence in split_sentences(line):
            if parts and len(sentence.split()) < 4:
                parts[-1] = f"{parts[-1]} {sentence}"
            else:
                parts.append(sentence)
    return parts or [" ".join(text.split())]


class CoverageChecker:
    """Checks topics against every indexed document.

    Args:
        searcher: hybrid search over the index.
        pieces: word-piece counts for :class:`~qkdnassist.evidence.QueryTerms` (the
            embedder's vocabulary; None treats every unknown word as a name).
        per_document: best passages examined per document.
        model: the decision model (default: the fitted ``coverage`` model of
            ``answer/calibration.json``, written by ``bench/coverage_eval.py --fit``).
    """

    def __init__(
        self,
        searcher: Searcher,
        *,
        pieces: Callable[[str], int] | None = None,
        per_document: int = 4,
        model: Logistic | None = None,
    ):
        self.searcher = searcher
        self.pieces = pieces
        self.per_document = per_document
        self.model = model or calibration().coverage
        self.locator = QuoteLocator(searcher.index)

    def check(self, topic: str) -> CoverageReport:
        """The coverage report of ``topic``.

        Raises:
            QuestionError: the topic is empty.
        """
        parts = split_topic(topic)
        if len(parts) == 1:
            return self._check_one(parts[0], topic)
        subtopics = tuple(self._check_one(part, part) for part in parts)
        records = {r.info.doc_id: r for r in self.searcher.documents()}
        documents = []
        for doc_id in records:
            per_part = [next(d for d in sub.documents if d.doc_id == doc_id) for sub in subtopics]
            best = min(per_part, key=lambda d: (_RANK[d.status], -d.score))
            evidence = tuple(e for d in per_part if d.status != "not_found" for e in d.evidence[:1])
            documents.append(replace(best, evidence=evidence or best.evidence))
        return _report(topic, documents, subtopics)

    def signals(self, part: str) -> tuple[QueryTerms, list[tuple[DocumentRecord, list[Hit], dict[str, float]]]]:
        """The topic's terms and, for every document, its best passages and the signals
        the decision is made on (see :func:`document_signals`)."""
        if not part.strip():
            raise QuestionError("the topic is empty")
        terms = QueryTerms.of(part, self.searcher.keyword_index(), self.pieces)
        records = {r.info.doc_id: r for r in self.searcher.documents()}
        older = self.searcher.editions().exclusions(part)  # a document's current edition speaks for it
        per_doc = {
            doc_id: [h for h in hits if h.chunk.source not in older]
            for doc_id, hits in self.searcher.search_each_document(part, self.per_document).items()
        }
        best = max((strength(terms, h) for hits in per_doc.values() for h in hits), default=0.0)
        return terms, [(records[doc_id], hits, document_signals(terms, hits, best)) for doc_id, hits in per_doc.items()]

    def _check_one(self, part: str, topic: str) -> CoverageReport:
        terms, per_doc = self.signals(part)
        by_source = {record.source: record for record, _, _ in per_doc}
        documents = [self._document(part, terms, record, hits, s, by_source) for record, hits, s in per_doc]
        return _report(topic, documents, ())

    def _neighbour(self, chunk: Chunk, step: int) -> Chunk | None:
        ordinal = chunk.ordinal - 1 if step < 0 else chunk.end_ordinal + 1
        return self.searcher.index.chunk_at(chunk.source, ordinal) if ordinal >= 0 else None

    def _document(
        self,
        topic: str,
        terms: QueryTerms,
        record: DocumentRecord,
        hits: list[Hit],
        signals: dict[str, float],
        by_source: dict[str, DocumentRecord],
    ) -> DocumentCoverage:
        info = record.info
        p = self.model.probability(signals)
        if p < self.model.threshold or not hits:
            return DocumentCoverage(record.source, info.doc_id, info.body, info.edition, "not_found", round(p, 4))
        ranked = sorted(hits, key=lambda h: -strength(terms, h))
        strong = [h for h in ranked if strength(terms, h) >= 0.8 * strength(terms, ranked[0])]
        clauses = [h.chunk.clause for h in strong if h.chunk.clause]
        about = signals["title"] >= TITLE or any(clauses.count(c) >= 2 for c in clauses)
        scored = score_candidates(
            topic, terms, QuestionType(), ranked, calibration().statement, embed=None, query_vector=None
        )
        chosen = choose(scored, supports=2, per_passage=1, ratio=0.0)
        evidence = tuple(
            Evidence(c.page, c.clause, c.clause_title, c.quote, round(item.scored.score, 4))
            for item in locate(chosen, self.locator, by_source, self._neighbour)
            for c in item.citations[:1]
        )
        status = "covered" if about else "partial"
        return DocumentCoverage(record.source, info.doc_id, info.body, info.edition, status, round(p, 4), evidence)


def strength(terms: QueryTerms, hit: Hit) -> float:
    """How strongly a passage treats the topic (0..~1): its coverage of the topic's
    words (passage and clause title together) blended with its dense similarity."""
    text = f"{hit.chunk.clause_title}\n{hit.chunk.text}"
    return 0.6 * terms.coverage(text, stem=True) + 0.4 * hit.similarity / 0.7


def title_match(terms: QueryTerms, hit: Hit) -> float:
    """The weighted share of the topic's words in the passage's innermost clause titles."""
    if not hit.chunk.clause_title:
        return 0.0
    return terms.coverage(" ".join(hit.chunk.clause_title.split(" > ")[-2:]), stem=True)


SIGNALS = ("coverage", "similarity", "title", "second", "relative")


def document_signals(terms: QueryTerms, hits: Sequence[Hit], best: float) -> dict[str, float]:
    """What the decision for one document rests on (each about 0..1):

    - coverage: the best passage's weighted share of the topic's words;
    - similarity: the best dense similarity of topic and passage;
    - title: the best clause-title match (a clause *about* the topic);
    - second: the strength of the second-best passage (a topic treated at some length);
    - relative: the document's best strength over the best of all documents.
    """
    strengths = sorted((strength(terms, h) for h in hits), reverse=True)
    return {
        "coverage": max(
            (terms.coverage(f"{h.chunk.clause_title}\n{h.chunk.text}", stem=True) for h in hits), default=0.0
        ),
        "similarity": max((h.similarity for h in hits), default=0.0),
        "title": max((title_match(terms, h) for h in hits), default=0.0),
        "second": strengths[1] if len(strengths) > 1 else 0.0,
        "relative": strengths[0] / best if strengths and best > 0 else 0.0,
    }


def _report(topic: str, documents: Sequence[DocumentCoverage], subtopics: tuple[CoverageReport, ...]) -> CoverageReport:
    ordered = tuple(sorted(documents, key=lambda d: (_RANK[d.status], -d.score, d.doc_id)))
    treating = [d for d in ordered if d.status != "not_found"]
    verdict = ordered[0].status if ordered else "not_found"
    bodies = tuple(dict.fromkeys(d.body or "?" for d in treating))
    overlaps = tuple(
        Overlap(a, b)
        for i, a in enumerate(treating)
        for b in treating[i + 1 :]
        if a.body != b.body and a.evidence and b.evidence
    )
    return CoverageReport(topic, verdict, ordered, bodies, overlaps[:10], subtopics)


# --- output -------------------------------------------------------------------------------


def document_columns(reports: Sequence[CoverageReport]) -> list[DocumentCoverage]:
    """Every document once, grouped by body, in a stable order."""
    seen: dict[str, DocumentCoverage] = {}
    for report in reports:
        for d in report.documents:
            seen.setdefault(d.doc_id, d)
    return sorted(seen.values(), key=lambda d: (d.body, d.doc_id))


def _status_table(reports: Sequence[CoverageReport]) -> tuple[list[str], list[list[str]]]:
    columns = document_columns(reports)
    header = ["topic", "verdict", *(f"{d.body} | {d.doc_id}" for d in columns)]
    rows = []
    for report in reports:
        status = {d.doc_id: d.status for d in report.documents}
        rows.append([report.topic, report.verdict, *(status.get(d.doc_id, "not_found") for d in columns)])
    return header, rows


def matrix_csv(reports: Sequence[CoverageReport]) -> str:
    """Topics × documents (grouped by body) as CSV."""
    header, rows = _status_table(reports)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


_MARK = {"covered": "●", "partial": "◐", "not_found": "·"}


def matrix_markdown(reports: Sequence[CoverageReport]) -> str:
    """Topics × documents as a Markdown table (● covered, ◐ partial, · not found)."""
    header, rows = _status_table(reports)

    def cell(text: str) -> str:
        return text.replace("|", "/").replace("\n", " ")

    lines = ["| " + " | ".join(cell(h) for h in header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        lines.append("| " + " | ".join([cell(row[0]), row[1], *(_MARK[s] for s in row[2:])]) + " |")
    lines.append("")
    lines.append("● covered (a clause is about it) · ◐ partial (treated in passing) · · not found")
    return "\n".join(lines) + "\n"


def matrix_json(reports: Sequence[CoverageReport]) -> str:
    """Topics × documents as JSON: the columns and, per topic, each document's status."""
    columns = document_columns(reports)
    return json.dumps(
        {
            "documents": [{"doc_id": d.doc_id, "body": d.body, "source": d.source} for d in columns],
            "topics": [
                {"topic": r.topic, "verdict": r.verdict, "status": {d.doc_id: d.status for d in r.documents}}
                for r in reports
            ],
        },
        ensure_ascii=False,
        indent=2,
    )
