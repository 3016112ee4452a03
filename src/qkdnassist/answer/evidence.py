"""Evidence answers: the single best statement first, then a few supporting ones —
quoted verbatim, located on their pages, grouped by document. No language model.

Every candidate statement of the retrieved passages (:mod:`.statements`) is scored by
the fitted statement model (:mod:`.calibration`) over features that hold on any
corpus: how much of the question's weighted vocabulary it and its context (a row's
header and caption, its clause title) contain, its dense similarity to the question
(so a paraphrase still finds its sentence), whether it holds a value of the type the
question asks for (:mod:`.qtypes`), and where its passage ranked. A candidate that
restates the question, asks one, requests contributions or is boilerplate is never
used.

The lead statement opens the answer (written by :mod:`.compose`); up to four
supporting statements follow. Each is located on its page before it is shown: a
statement that cannot be located is never cited, and one that runs over a page is
cited in a part per page.

This module does not retrieve, and does not decide whether to answer at all.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from ..search.quotes import QuoteLocator, check_citation
from ..textnorm import tokenize
from ..types import Chunk, Citation, DocumentRecord, Hit
from .calibration import Logistic
from .features import FEATURES, features
from .qtypes import QuestionType
from .query import QueryTerms
from .statements import Candidate, candidates, complete, flags

__all__ = [
    "FEATURES",
    "Located",
    "Scored",
    "choose",
    "features",
    "locate",
    "score_candidates",
]

MAX_SUPPORTS = 4
# A statement holding the asked value leads when it is among the best few and at least
# this share as likely as the best one.
_VALUE_LEAD_DEPTH = 8
_VALUE_LEAD = 0.3
_INFORMATIVE = re.compile(r"^\s*(?:EXAMPLE|NOTE)\b")
_JOINED_LEAD = 0.5  # a lead read with the sentence it refers back to, at this share of its probability
_DENSE_CANDIDATES = 48  # statements embedded per question (the best by the cheap features)
_DENSE_CHARS = 240  # of each, the first characters embedded


@dataclass(frozen=True)
class Scored:
    """A candidate statement with its features and the statement model's probability.

    Attributes:
        flag: why it is not evidence ("question", "echo", "request", "boilerplate",
            "front matter"), "" when it may be.
    """

    candidate: Candidate
    features: dict[str, float]
    score: float
    flag: str = ""

    @property
    def usable(self) -> bool:
        return not self.flag


def _dense_text(candidate: Candidate) -> str:
    """What the dense feature embeds of a candidate: its clause title (what the passage
    is about), its table's caption and header, then the start of the statement."""
    about = candidate.chunk.clause_title.split(" > ")[-1] if candidate.chunk.clause_title else ""
    return f"{about}: {candidate.context} {candidate.text}".strip(": ")[:_DENSE_CHARS]


def _cheap(candidate: Candidate, terms: QueryTerms) -> float:
    """A first ordering without the dense side, to choose which candidates to embed."""
    own = set(tokenize(f"{candidate.text} {candidate.context}"))
    return terms.covered(own) + 0.5 / (1 + candidate.rank)


def score_candidates(
    question: str,
    terms: QueryTerms,
    qtype: QuestionType,
    hits: Sequence[Hit],
    model: Logistic,
    *,
    embed: Callable[[list[str]], np.ndarray] | None,
    query_vector: np.ndarray | None,
    ranks: Sequence[int] | None = None,
    named: Mapping[str, float] | None = None,
) -> list[Scored]:
    """Every candidate statement of ``hits``, scored, best first (unusable ones last).

    ``embed`` and ``query_vector`` give the dense feature (None: it is 0 for all);
    only the best candidates by the cheap features are embedded. ``ranks`` gives each
    hit's rank when it is not its position (hits searched document by document rank
    within their document); ``named`` how plainly the question points at each
    document (by doc_id).
    """
    pool: list[tuple[Candidate, Hit, str]] = []
    for position, hit in enumerate(hits):
        for candidate in candidates(hit, ranks[position] if ranks is not None else position):
            pool.append((candidate, hit, flags(candidate, question)))
    dense = [0.0] * len(pool)
    if embed is not None and query_vector is not None and pool:
        usable = [i for i, (_, _, flag) in enumerate(pool) if not flag]
        usable.sort(key=lambda i: -_cheap(pool[i][0], terms))
        chosen = usable[:_DENSE_CANDIDATES]
        if chosen:
            # The start of a statement says what it is about; embedding only that keeps
            # the cost of a question to tens of milliseconds (short inputs, little padding).
            texts = [_dense_text(pool[i][0]) for i in chosen]
            vectors = embed(texts)
            similarity = vectors @ query_vector
            for i, s in zip(chosen, similarity, strict=True):
                dense[i] = float(s)
    scored = []
    passages: dict[str, set[str]] = {}
    tops: dict[str, float] = {}
    for hit in hits:  # the best fused score among the hits of the same search
        key = hit.chunk.doc_id if ranks is not None else ""
        tops[key] = max(tops.get(key, 0.0), hit.score)
    for i, ((candidate, hit, flag), d) in enumerate(zip(pool, dense, strict=True)):
        if hit.chunk.id not in passages:
            passages[hit.chunk.id] = set(tokenize(hit.chunk.text))
        before = pool[i - 1][0].text if i > 0 and pool[i - 1][1] is hit else ""
        after = pool[i + 1][0].text if i + 1 < len(pool) and pool[i + 1][1] is hit else ""
        f = features(
            candidate,
            terms,
            qtype,
            question,
            hit,
            d,
            passage_tokens=passages[hit.chunk.id],
            neighbours=(before, after),
            top_score=tops[hit.chunk.doc_id if ranks is not None else ""],
            named=(named or {}).get(hit.chunk.doc_id, 0.0),
        )
        scored.append(Scored(candidate, f, 0.0, flag))
    scored = [replace(s, score=model.probability(s.features)) for s in _relative(scored)]
    scored.sort(key=lambda s: (bool(s.flag), -s.score, s.candidate.rank, s.candidate.index))
    return scored


def _relative(scored: list[Scored]) -> list[Scored]:
    """Add the features that compare a candidate with the question's best one: how far
    its dense similarity and its question-word coverage fall short of the best usable
    candidate's (0 for the best). A statement model reads absolute values differently
    on every question; the gap to the best says which candidate of *this* question
    stands out."""
    usable = [s for s in scored if s.usable] or scored
    best_dense = max((s.features["dense"] for s in usable), default=0.0)
    best_coverage = max((s.features["coverage"] for s in usable), default=0.0)
    out = []
    for s in scored:
        f = dict(s.features)
        f["dense_gap"] = f["dense"] - best_dense if f["dense"] else -1.0
        f["coverage_gap"] = f["coverage"] - best_coverage
        out.append(replace(s, features=f))
    return out


def _overlaps(a: Candidate, b: Candidate) -> bool:
    """One holds the other (in one document), or both say the same words (the same
    sentence in two editions of a document: one is enough)."""
    x, y = " ".join(a.text.split()).casefold(), " ".join(b.text.split()).casefold()
    if a.chunk.source != b.chunk.source:
        return x == y
    return x in y or y in x


def choose(
    scored: Sequence[Scored],
    *,
    supports: int = MAX_SUPPORTS,
    per_passage: int = 4,
    ratio: float = 0.02,
    narrow: bool = False,
) -> list[Scored]:
    """The lead statement and up to ``supports`` supporting ones: usable, not
    overlapping, at most ``per_passage`` from one passage, each at least ``ratio`` of
    the lead's probability. ``narrow``: the question asks for a narrow value type, and
    the lead is the best statement that holds one when such a statement is close."""
    usable = [s for s in scored if s.usable]
    if not usable:
        return []
    lead = usable[0]
    if narrow and not lead.features.get("value"):
        # The question asks for a value (a URL, a size, a date …): a statement that
        # holds one, nearly as likely, answers before one that only talks about it.
        holding = [
            s for s in usable[:_VALUE_LEAD_DEPTH] if s.features.get("value") and s.score >= _VALUE_LEAD * lead.score
        ]
        # An EXAMPLE or a NOTE is informative (the drafting rules of ETSI, ITU-T, ISO):
        # the normative statement of the value answers first.
        holding.sort(key=lambda s: bool(_INFORMATIVE.match(s.candidate.text)))
        if holding:
            lead = holding[0]
            usable = [lead, *(s for s in usable if s is not lead)]
    # A lead that refers back ("This is referred to as the hedged variant") is shown
    # with the sentence it refers to, when that reading is nearly as likely.
    for s in usable[1:_VALUE_LEAD_DEPTH]:
        if (
            s.candidate.joined
            and s.candidate.chunk.id == lead.candidate.chunk.id
            and _overlaps(s.candidate, lead.candidate)
            and s.score >= _JOINED_LEAD * lead.score
        ):
            lead = s
            usable = [lead, *(x for x in usable if x is not lead)]
            break
    chosen = [lead]
    per: dict[str, int] = {lead.candidate.chunk.id: 1}
    for s in usable[1:]:
        if len(chosen) > supports or s.score < ratio * lead.score:
            break
        chunk_id = s.candidate.chunk.id
        if per.get(chunk_id, 0) >= per_passage or any(_overlaps(s.candidate, c.candidate) for c in chosen):
            continue
        chosen.append(s)
        per[chunk_id] = per.get(chunk_id, 0) + 1
    return chosen


@dataclass(frozen=True)
class Located:
    """A chosen statement as shown: its text (its pages' own text, verbatim) and the
    citations of its parts (one per page it stands on)."""

    scored: Scored
    text: str
    citations: tuple[Citation, ...] = field(default=())
    parts: tuple[str, ...] = field(default=())  # the page text of each part (a list's lead-in and items)

    @property
    def candidate(self) -> Candidate:
        return self.scored.candidate


def locate(
    chosen: Sequence[Scored],
    locator: QuoteLocator,
    records: dict[str, DocumentRecord],
    neighbour: Callable[[Chunk, int], Chunk | None],
    *,
    first: int = 1,
) -> list[Located]:
    """Complete each statement's sentence when it runs past its passage, then locate
    it on its page(s); statements that cannot be located are dropped. Citations are
    numbered from ``first`` in the order given."""
    located: list[Located] = []
    n = first
    for scored in chosen:
        found = None
        for candidate in dict.fromkeys((complete(scored.candidate, neighbour), scored.candidate)):
            found = _locate_one(candidate, locator, records.get(candidate.chunk.source), n)
            if found is not None:
                break
        if found is None:
            continue
        text, cited, parts = found
        located.append(Located(scored, text, tuple(cited), tuple(parts)))
        n += len(cited)
    return located


def _locate_one(
    candidate: Candidate, locator: QuoteLocator, record: DocumentRecord | None, n: int
) -> tuple[str, list[Citation], list[str]] | None:
    """The candidate's text and its citations numbered from ``n``: one when it stands on
    one page, else one per page its parts stand on; None when a part cannot be found."""
    chunks = candidate.part_chunks or (candidate.chunk,) * len(candidate.parts)
    if len(set(chunks)) == 1 and candidate.kind != "list":
        whole = locator.citation(n, candidate.chunk, candidate.text, record)
        if whole is not None:
            return whole.quote, [whole], [whole.quote]
    cited: list[Citation] = []
    for part, chunk in zip(candidate.parts, chunks, strict=True):
        citation = locator.citation(n + len(cited), chunk, part, record)
        if citation is None:
            return None
        cited.append(citation)
    if not cited:
        return None
    # What is shown is the pages' own text of the parts, verbatim.
    parts = [c.quote for c in cited]
    return " ".join(parts), _merge_same_page(cited, locator), parts


def _merge_same_page(citations: list[Citation], locator: QuoteLocator) -> list[Citation]:
    """Consecutive parts that stand together on one page become one citation (their
    quotes joined, when the joined quote is a passage of that page); citations are
    renumbered from the first one's number."""
    merged: list[Citation] = []
    for citation in citations:
        if merged and merged[-1].page == citation.page and merged[-1].source == citation.source:
            joined = replace(merged[-1], quote=f"{merged[-1].quote} {citation.quote}")
            pages = [stored.page for stored in locator.pages(citation.source)]
            if check_citation(joined, pages):
                merged[-1] = joined
                continue
        merged.append(replace(citation, n=(merged[-1].n + 1) if merged else citation.n))
    return merged
