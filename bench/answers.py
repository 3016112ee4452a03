"""Answer quality and speed: expected facts, abstention on both sides, citations that resolve.

A question counts as answered with its facts when the assistant did not abstain and
every expected answer string appears in its answer text (case-blind, white space
collapsed). A citation resolves when its page exists and its quote stands on that
page (:func:`qkdnassist.citations.check_citation`).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any


def normalise(text: str) -> str:
    return " ".join(text.split()).casefold()


@dataclass
class AnswerScores:
    answerable: int
    unanswerable: int
    facts: float  # share of answerable questions answered with all expected facts
    abstain_unanswerable: float
    abstain_answerable: float
    citations: int
    citations_resolved: float
    ms_p50: float
    ms_p95: float
    first_piece_ms_p50: float
    misses: list[str] = field(default_factory=list)


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def score_answers(
    assistant: Any,
    answerable: Sequence[dict[str, Any]],
    unanswerable: Sequence[dict[str, Any]],
    pages: Callable[[str], Any],
) -> AnswerScores:
    """Ask every question (warm), and score the answers."""
    from qkdnassist.citations import check_citation
    from qkdnassist.types import Answer

    facts = abstained_ok = abstained_wrong = cited = resolved = 0
    latencies: list[float] = []
    first_piece: list[float] = []
    misses: list[str] = []
    for q in [*answerable, *unanswerable]:
        started = time.perf_counter()
        answer = None
        first = None
        for event in assistant.stream(q["question"]):
            if first is None:
                first = (time.perf_counter() - started) * 1000
                first_piece.append(first)
            if isinstance(event, Answer):
                answer = event
        latencies.append((time.perf_counter() - started) * 1000)
        assert answer is not None
        for citation in answer.citations:
            cited += 1
            resolved += check_citation(citation, pages(citation.source))
        if q["answers"]:
            ok = not answer.abstained and all(normalise(a) in normalise(answer.text) for a in q["answers"])
            facts += ok
            abstained_wrong += answer.abstained
            if not ok:
                misses.append(f"{q['id']}: {'abstained' if answer.abstained else 'facts missing'}")
        else:
            abstained_ok += answer.abstained
            if not answer.abstained:
                misses.append(f"{q['id']}: answered an unanswerable question")
    return AnswerScores(
        answerable=len(answerable),
        unanswerable=len(unanswerable),
        facts=round(facts / max(len(answerable), 1), 3),
        abstain_unanswerable=round(abstained_ok / max(len(unanswerable), 1), 3),
        abstain_answerable=round(abstained_wrong / max(len(answerable), 1), 3),
        citations=cited,
        citations_resolved=round(resolved / cited, 4) if cited else 1.0,
        ms_p50=round(statistics.median(latencies), 1),
        ms_p95=round(percentile(latencies, 0.95), 1),
        first_piece_ms_p50=round(statistics.median(first_piece), 1),
        misses=misses,
    )


def naive_facts(answerable: Sequence[dict[str, Any]], search: Callable[[str], list[dict[str, Any]]]) -> float:
    """The naive pipeline as an extractive baseline: does its top passage hold the facts?
    (It has no notion of abstaining: it always returns its top passage.)"""
    ok = 0
    for q in answerable:
        hits = search(q["question"])
        text = normalise(hits[0]["text"]) if hits else ""
        ok += all(normalise(a) in text for a in q["answers"])
    return round(ok / max(len(answerable), 1), 3)
