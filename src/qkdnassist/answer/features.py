"""The features the statement model reads of a candidate statement, each about 0..1,
on any corpus: how much of the question's weighted vocabulary the statement and its
context (a row's header and caption, its clause title, its neighbours, its passage)
contain, its dense similarity to the question, whether it holds a value of the type
the question asks for (:mod:`.qtypes`), where its passage ranked, how plainly the
question points at its document — and how it compares with the question's best
candidate (``dense_gap``, ``coverage_gap``: see :func:`.evidence.score_candidates`).

This module does not score or choose.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..textnorm import tokenize
from ..types import Chunk, Hit
from .qtypes import QuestionType, values
from .query import QueryTerms, content_words, singular
from .statements import Candidate

__all__ = ["FEATURES", "NARROW", "features", "in_question", "value_kinds"]

FEATURES = (
    "coverage",
    "context",
    "around",
    "before",
    "after",
    "fused",
    "rare",
    "dense",
    "passage",
    "rank",
    "value",
    "missing",
    "novel",
    "short",
    "row",
    "words",
    "dense_gap",
    "coverage_gap",
    "named",
)
# Value types whose presence decides an answer; "name", "list", "requirement",
# "definition" are too loose to count as missing.
NARROW = frozenset(
    {"url", "method", "status", "size", "count", "date", "duration", "percentage", "place", "money", "rate"}
)


def _clause_words(chunk: Chunk) -> str:
    return " > ".join(chunk.clause_title.split(" > ")[-2:]) if chunk.clause_title else ""


def _value_present(candidate: Candidate, qtype: QuestionType, question: str) -> bool:
    """Whether the candidate holds a value of a type the question asks for (one of its
    three strongest cues) that the question does not already contain."""
    return bool(value_kinds(candidate, qtype.values[:3], question))


def in_question(value: str, kind: str, question: str) -> bool:
    """Whether ``value`` is the question's own rather than an answer to it. Methods and
    status words are compared with their case ("GET" answers "the Get status
    method"); other values without it."""
    if value in question:
        return True
    return kind not in _CASED and value.casefold() in question.casefold()


def value_kinds(candidate: Candidate, kinds: Sequence[str], question: str) -> set[str]:
    """Which of the value types ``kinds`` the candidate holds a value of that the
    question does not already contain. In running text a count must be a number next
    to one of the question's words ("69 propositions", "four Thematic Hubs"); a table
    row's cells may be bare numbers under their header."""
    text = candidate.text
    question_words = {singular(w) for w in content_words(question)}
    found: set[str] = set()
    for kind in kinds:
        spans = values(text, kind)
        if kind in ("size", "count") and candidate.kind == "row":
            spans = spans or [(m.start(), m.end()) for m in _BARE_NUMBER.finditer(text)]
        for start, end in spans:
            value = text[start:end]
            if in_question(value, kind, question):
                continue
            if kind == "count" and candidate.kind != "row":
                before = text[:start].split()[-3:]
                after = text[end:].split()[:3]
                near = {singular(w) for w in content_words(" ".join(before + after))}
                if not near & question_words:
                    continue  # a number, but not of the things asked about
            found.add(kind)
            break
    return found


_CASED = frozenset({"method", "status"})  # values whose case is what they are: "GET", not "Get"
_BARE_NUMBER = re.compile(r"(?<![\w.])\d[\d,.]*(?![\w.])")


def features(
    candidate: Candidate,
    terms: QueryTerms,
    qtype: QuestionType,
    question: str,
    hit: Hit,
    dense: float,
    *,
    passage_tokens: set[str] | None = None,
    neighbours: tuple[str, str] = ("", ""),
    top_score: float = 0.0,
    named: float = 0.0,
) -> dict[str, float]:
    """The statement model's features of one candidate (each about 0..1).

    Args:
        passage_tokens: the tokens of the candidate's passage, when several candidates
            share it.
        neighbours: the statements just before and after it in its passage (a
            question's words often stand in the sentence before the one with the value).
        top_score: the fused score of the best hit.
        named: how plainly the question points at the candidate's document
            (:func:`~qkdnassist.search.refs.document_mentions`).
    """
    text = candidate.text
    own = set(tokenize(text))
    around = set(tokenize(f"{candidate.context} {_clause_words(candidate.chunk)}"))
    passage = passage_tokens if passage_tokens is not None else set(tokenize(candidate.chunk.text))
    rare = terms.rare
    rare_total = sum(rare.values()) or 1.0
    question_words = content_words(question)
    words = content_words(text)
    narrow = bool(NARROW & set(qtype.values))
    value = _value_present(candidate, qtype, question) if qtype.values else False
    return {
        "coverage": terms.covered(own),
        "context": terms.covered(own | around) - terms.covered(own),
        "around": terms.covered(passage | around) - terms.covered(own | around),
        "before": terms.coverage(neighbours[0]),
        "after": terms.coverage(neighbours[1]),
        "fused": hit.score / top_score if top_score > 0 else 0.0,
        "rare": sum(w for t, w in rare.items() if t in own or t in around) / rare_total,
        "dense": dense,
        "passage": hit.similarity,
        "rank": 1.0 / (1.0 + candidate.rank),
        "value": float(value),
        "missing": float(narrow and not value),
        "novel": len(words - question_words) / len(words) if words else 0.0,
        "short": float(len(text.split()) < 6),
        "row": float(candidate.kind == "row"),
        "words": min(len(text.split()), 80) / 80,
        "named": named,
    }
