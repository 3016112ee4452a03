"""When to say "the corpus does not cover this": a calibrated estimate of whether the
retrieved evidence answers the question.

Four signals, each cheap and computed from what retrieval already produced:

- ``unseen``: weighted share of the question's words that no indexed passage contains.
  A question about "FIPS 205 hypertree height" or "the Micius satellite" hinges on names
  the corpus never uses.
- ``coverage``: weighted share of the question's words found in the best quoted sentence
  and its passage — high when the evidence speaks to every part of the question.
- ``similarity``: cosine similarity of the question and the best passage (dense side).
- ``agreement``: the fused score of the best passage relative to a passage ranked first
  by both keyword and dense search — high when both rankers agree.

They are combined by a logistic model fitted on the development questions, answerable
and unanswerable (``bench/calibrate.py`` refits it and reports cross-validated rates);
the threshold is set so that few answerable questions are refused.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from .evidence import QueryTerms, Quote
from .types import Hit

__all__ = ["THRESHOLD", "Signals", "confidence", "signals"]

_RRF_K = 60
_BOTH_FIRST = 2.0 / (_RRF_K + 1)

# Fitted by bench/calibrate.py on bench/questions/dev*.jsonl (see docs/benchmarks.md).
_WEIGHTS = {"unseen": -8.436, "coverage": 3.746, "similarity": 2.406, "agreement": 2.811}
_BIAS = -4.094
THRESHOLD = 0.632


@dataclass(frozen=True)
class Signals:
    """The evidence-strength signals of one question (each 0..1)."""

    unseen: float
    coverage: float
    similarity: float
    agreement: float

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def signals(terms: QueryTerms, hits: Sequence[Hit], quotes: Sequence[Quote]) -> Signals:
    """The signals for a question given its retrieved hits and selected quotes."""
    unseen = terms.unseen_share
    if quotes:
        best = quotes[0]
        coverage = max(terms.coverage(best.text), 0.5 * terms.coverage(best.chunk.text))
    else:
        coverage = 0.0
    similarity = max((h.similarity for h in hits[:3]), default=0.0)
    agreement = min(hits[0].score / _BOTH_FIRST, 1.5) if hits else 0.0
    return Signals(unseen, coverage, similarity, agreement)


def confidence(s: Signals, weights: dict[str, float] | None = None, bias: float | None = None) -> float:
    """Estimated probability (0..1) that the evidence answers the question."""
    weights = weights or _WEIGHTS
    z = (bias if bias is not None else _BIAS) + sum(weights[name] * value for name, value in s.as_dict().items())
    return 1.0 / (1.0 + math.exp(-z))
