"""Coordination questions, answered across bodies: document by document.

A question about the landscape ("what is the progress on QKD standards in ITU-T and
other SDOs?", "is there overlap between key delivery APIs?", "what do agencies say
about QKD?") is not answered by the top chunks of one document. As the coverage check
does, every document is searched on its own (its best passages by keyword and by
vector), each document's statements are scored with the same statement model, and
the documents whose best statement is strong are kept — three to eight of them,
grouped by body, each with its best statement and citation. When the question asks
who works on something, the bodies in the index with nothing on it are named.

This module does not decide whether to answer; the assistant's gate does.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..citations import format_document, format_location
from ..types import Citation, Hit, Statement
from .evidence import Located, Scored
from .features import NARROW
from .qtypes import QuestionType

__all__ = ["MAX_DOCUMENTS", "MIN_DOCUMENTS", "per_document", "render_broad", "spread"]

MIN_DOCUMENTS = 3
MAX_DOCUMENTS = 8
_RELATIVE = 0.2  # a document's best statement against the best of all documents
_ASKS_WHO = re.compile(r"\b(?:who|which (?:bodies|organi[sz]ations|sdos|groups|agencies|countries))\b", re.I)


# A question with no narrow value asked whose best passages come from this many
# documents of two bodies or more is answered across them, as a broad one.
SPREAD_DOCUMENTS = 4
_SPREAD_HITS = 8


def spans_bodies(hits: Sequence[Hit], qtype: QuestionType) -> bool:
    """Whether a question's best passages spread over several documents and bodies
    while it asks for no narrow value (a URL, a size, a date …): the landscape, not
    one fact."""
    if NARROW & set(qtype.values):
        return False
    top = hits[:_SPREAD_HITS]
    return len({h.chunk.doc_id for h in top}) >= SPREAD_DOCUMENTS and len({h.chunk.body for h in top}) >= 2


def per_document(hits_by_document: dict[str, list[Hit]]) -> tuple[list[Hit], list[int]]:
    """The per-document best passages as one list of hits, and each one's rank within
    its own document."""
    merged: list[Hit] = []
    ranks: list[int] = []
    for hits in hits_by_document.values():
        merged.extend(hits)
        ranks.extend(range(len(hits)))
    return merged, ranks


def spread(scored: Sequence[Scored], *, per_doc: int = 1, first_doc: int = 2, floor: float = 0.0) -> list[Scored]:
    """The best statements document by document: each document's ``per_doc`` best
    usable statements (``first_doc`` for the best document; not overlapping),
    documents in the order of their best one, kept while at least ``_RELATIVE`` of the
    best document's (and ``floor``); at least :data:`MIN_DOCUMENTS` when that many
    have any, at most :data:`MAX_DOCUMENTS`."""
    by_doc: dict[str, list[Scored]] = {}
    for s in scored:
        if not s.usable:
            continue
        mine = by_doc.setdefault(s.candidate.chunk.doc_id, [])
        room = first_doc if len(by_doc) == 1 else per_doc
        if len(mine) < room and not any(_same(s, o) for o in mine):
            mine.append(s)
    ranked = sorted(by_doc.values(), key=lambda group: -group[0].score)
    if not ranked:
        return []
    best = ranked[0][0].score
    kept = [g for i, g in enumerate(ranked) if i < MIN_DOCUMENTS or g[0].score >= max(_RELATIVE * best, floor)]
    return [s for group in kept[:MAX_DOCUMENTS] for s in group]


def _same(a: Scored, b: Scored) -> bool:
    x, y = " ".join(a.candidate.text.split()), " ".join(b.candidate.text.split())
    return x in y or y in x


def render_broad(
    located: Sequence[Located], question: str, bodies_in_index: Sequence[str]
) -> tuple[str, list[Statement]]:
    """The answer text grouped by body, then by document, best first; and its
    statements (the first document's best statement first)."""
    if not located:
        return "", []
    groups: dict[str, dict[str, list[Located]]] = {}
    for item in located:
        citation = item.citations[0]
        groups.setdefault(citation.body or "?", {}).setdefault(citation.source, []).append(item)
    documents = sum(len(d) for d in groups.values())
    lines = [
        f"Across {documents} document{'s' if documents != 1 else ''} of "
        f"{len(groups)} bod{'ies' if len(groups) != 1 else 'y'}:"
    ]
    statements: list[Statement] = []
    for body, docs in groups.items():
        for items in docs.values():
            lines += ["", f"**{body}** — {format_document(items[0].citations[0])}"]
            for item in items:
                markers = "".join(f"[{c.n}]" for c in item.citations)
                where = "; ".join(format_location(c) for c in item.citations)
                lines.append(f"- “{item.text}” ({where}) {markers}")
                statements.append(Statement(item.text, tuple(c.n for c in item.citations)))
    if _ASKS_WHO.search(question):
        silent = [b for b in bodies_in_index if b not in groups]
        if silent:
            lines += ["", f"Nothing on this in the indexed documents of: {', '.join(silent)}."]
    lines += ["", "_Extractive answer: quoted from the documents, not written by a model._"]
    return "\n".join(lines), statements


def citations_of(located: Sequence[Located]) -> tuple[Citation, ...]:
    return tuple(c for item in located for c in item.citations)
