"""Ranking: reciprocal-rank fusion of the keyword and dense rankings, the lifts for what
a query names, neighbouring chunks folded into passages.

RRF (Cormack et al., 2009) adds ``1 / (RRF_K + rank)`` per ranking a chunk appears in,
so neither side's score scale dominates. The lifts are measured in the same unit — a
first place in one ranking is ``1 / (RRF_K + 1)`` — and :data:`BOTH_FIRST` is the scale
against which the answer layer's fitted models read a top score: change a constant here
and refit (``bench/calibrate.py``).

This module does not search; it orders what search found.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace

import numpy as np

from ..types import Chunk, Hit
from .refs import DEFINITION_CLAUSE, QueryRefs

__all__ = ["BOTH_FIRST", "RRF_K", "best_rows", "boost", "fuse", "merge_neighbours"]

RRF_K = 60
FIRST = 1.0 / (RRF_K + 1)  # the credit of a first place in one ranking
# The fused score of a chunk ranked first by both keyword and dense search: the scale
# against which a top score says how strongly the two rankers agree.
BOTH_FIRST = 2.0 * FIRST
# A named document or clause weighs about as much as a first place in one ranking.
DOC_BOOST = 1.2 * FIRST
CLAUSE_BOOST = 1.0 * FIRST
DEFINITION_BOOST = 0.8 * FIRST


def fuse(*rankings: Iterable[str]) -> dict[str, float]:
    """Reciprocal-rank fusion: each key's summed ``1 / (RRF_K + rank + 1)`` over the
    rankings (best first) it appears in, in order of first appearance."""
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, key in enumerate(ranking):
            scores[key] = scores.get(key, 0.0) + 1.0 / (RRF_K + rank + 1)
    return scores


def boost(scores: dict[str, float], refs: QueryRefs, place: Callable[[str], tuple[str, str, str] | None]) -> None:
    """Lift, in place, the chunks in a document or clause the query names, and the
    chunks of terms/definitions clauses when it asks what something means.

    ``place(chunk_id)`` gives a chunk's (doc_id, clause, clause title), or None.
    """
    if not (refs.doc_ids or refs.clauses or refs.definition):
        return
    for chunk_id in list(scores):
        where = place(chunk_id)
        if where is None:
            continue
        doc_id, clause, title = where
        if doc_id in refs.doc_ids:
            scores[chunk_id] += DOC_BOOST
        if any(clause == c or clause.startswith(c + ".") or clause == f"Annex {c}" for c in refs.clauses):
            scores[chunk_id] += CLAUSE_BOOST
        if refs.definition and DEFINITION_CLAUSE.search(title):
            scores[chunk_id] += DEFINITION_BOOST


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


def best_rows(scores: np.ndarray, n: int) -> np.ndarray:
    """Rows of the ``n`` highest positive ``scores``, best first (ties in row order)."""
    n = min(n, int((scores > 0).sum()))
    if n <= 0:
        return np.zeros(0, dtype=np.intp)
    top = np.argpartition(-scores, n - 1)[:n]
    return top[np.argsort(-scores[top], kind="stable")]
