"""One question read against its retrieved passages: what it asks, every candidate
statement scored, and the signals of whether the evidence answers it at all.

:func:`analyse` is the single place these are computed: the assistant answers from an
:class:`Analysis`, and ``bench/calibrate.py`` fits the models on the same numbers.

This module does not retrieve, render or call a model.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ..search.ranking import BOTH_FIRST
from ..search.refs import same_word
from ..store.keyword import KeywordIndex
from ..textnorm import tokenize
from ..types import Hit
from .calibration import Calibration, Signals
from .evidence import Scored, score_candidates
from .features import NARROW, value_kinds
from .qtypes import QuestionType
from .query import ORDINALS, QueryTerms

__all__ = ["Analysis", "analyse", "signals"]


@dataclass(frozen=True)
class Analysis:
    """A question's evidence, scored.

    Attributes:
        terms: the question's words as the corpus sees them.
        qtype: what it asks for.
        hits: the passages examined.
        scored: every candidate statement of the hits, best first (unusable last).
        signals: what the abstention decision rests on.
        confidence: the abstention model's probability that the evidence answers it.
    """

    terms: QueryTerms
    qtype: QuestionType
    hits: tuple[Hit, ...]
    scored: tuple[Scored, ...]
    signals: Signals
    confidence: float

    @property
    def usable(self) -> list[Scored]:
        return [s for s in self.scored if s.usable]


def _numbers(terms: QueryTerms) -> set[str]:
    """The question's numbers and ordinals (not those inside identifiers)."""
    return {t for t in terms.weights if "+" not in t and "_" not in t and (t.isdigit() or t in ORDINALS)}


def signals(
    terms: QueryTerms,
    qtype: QuestionType,
    hits: Sequence[Hit],
    scored: Sequence[Scored],
    *,
    foreign: Sequence[str] = (),
    question: str = "",
    names: Sequence[str] = (),
) -> Signals:
    """The abstention signals of a question given its hits and scored statements
    (``foreign``: the standards it names that are not indexed; ``names``: its proper
    names that do not name an indexed document, see :func:`.query.proper_names`)."""
    usable = [s for s in scored if s.usable]
    lead = usable[0] if usable else None
    narrow = bool(NARROW & set(qtype.values))
    value_missing = narrow and not any(s.features["value"] for s in usable[:3])
    # "When and where …", "how many nodes, and what was the longest link": a question
    # that asks for two kinds of value is answered only when both stand in the evidence.
    asked = [k for k in qtype.values if k in NARROW]
    found: set[str] = set()
    if len(asked) >= 2:
        for s in usable[:5]:
            found |= value_kinds(s.candidate, asked, question)
    numbers = _numbers(terms)
    shown = [
        set(tokenize(f"{s.candidate.text} {s.candidate.context} {s.candidate.chunk.clause_title}", pairs=False))
        for s in usable[:5]
    ]
    seen: set[str] = set().union(*shown)
    best: set[str] = set().union(*shown[:3])
    absent = [n for n in names if not any(same_word(n, w) for w in best)]
    return Signals(
        unseen=terms.unseen_share,
        unseen_id=float(terms.unseen_identifier),
        names=float(bool(terms.unseen_names)),
        foreign_doc=float(bool(foreign)),
        lead=lead.score if lead else 0.0,
        lead_rare=lead.features["rare"] if lead else 0.0,
        lead_dense=lead.features["dense"] if lead else 0.0,
        value_missing=float(value_missing),
        value_partial=float(len(asked) >= 2 and not set(asked) <= found),
        name_absent=len(absent) / len(names) if names else 0.0,
        number_missing=float(bool(numbers - seen)),
        similarity=max((h.similarity for h in hits[:3]), default=0.0),
        agreement=min(hits[0].score / BOTH_FIRST, 1.5) if hits else 0.0,
    )


def analyse(
    question: str,
    hits: Sequence[Hit],
    *,
    keyword: KeywordIndex,
    qtype: QuestionType,
    calibration: Calibration,
    pieces: Callable[[str], int] | None,
    embed: Callable[[list[str]], np.ndarray] | None,
    query_vector: np.ndarray | None,
    ranks: Sequence[int] | None = None,
    foreign: Sequence[str] = (),
    named: Mapping[str, float] | None = None,
    names: Sequence[str] = (),
) -> Analysis:
    """Score every candidate statement of ``hits`` for ``question`` and estimate
    whether they answer it (``ranks``: see :func:`.evidence.score_candidates`;
    ``foreign``: the standards the question names that are not indexed; ``named``:
    how plainly it points at each document; ``names``: its proper names that name
    no indexed document)."""
    terms = QueryTerms.of(question, keyword, pieces)
    scored = score_candidates(
        question,
        terms,
        qtype,
        hits,
        calibration.statement,
        embed=embed,
        query_vector=query_vector,
        ranks=ranks,
        named=named,
    )
    s = signals(terms, qtype, hits, scored, foreign=foreign, question=question, names=names)
    return Analysis(terms, qtype, tuple(hits), tuple(scored), s, calibration.abstain.probability(s.as_dict()))
