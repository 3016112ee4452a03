""" "See also" for an answer: the references its quotes rely on ("… HTTPS (IETF RFC 7230
[1]) …", "as specified in clause 6.3", "see clause 5.2 of ETSI GS QKD 004"), each with
its citation, and — one hop — the best passage of the referenced clause or indexed
document for the same question.

Built on :func:`.references.in_text_citations`; the reference lists are parsed from the
cited documents' stored pages. This module does not answer or rank: it follows what the
quotes cite.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..search.retrieve import Searcher
from ..types import Answer, Chunk, Hit
from .references import InTextCitation, ReferenceReport, id_resolver, in_text_citations, references

__all__ = ["SeeAlso", "see_also"]


@dataclass(frozen=True)
class SeeAlso:
    """A reference one of an answer's quotes relies on."""

    citation: int  # the answer's [n] whose quote holds the reference
    marker: str  # as the quote writes it: "[1]", "clause 6.3"
    target: str  # what it points to: "RFC 7230: Hypertext Transfer Protocol …", "ETSI GS QKD 014, clause 6.3"
    kind: str  # normative, informative, unknown (a reference entry) or "clause" (the same document)
    source: str  # the indexed document it points into ("" when that is not indexed)
    followed: Chunk | None = None  # one hop: the best passage there for the question


def _target(found: InTextCitation, doc_id: str) -> tuple[str, str]:
    if found.reference is None:
        return f"{doc_id}, {found.place}", "clause"
    entry = found.reference
    name = entry.id or f"[{entry.label}]"
    place = f", {found.place}" if found.place else ""
    return f"{name}{place}: {entry.title}", entry.kind


def see_also(answer: Answer, searcher: Searcher, *, follow: bool = True) -> list[SeeAlso]:
    """The references the quotes of ``answer`` rely on; with ``follow``, one hop into the
    referenced clause (same document) or the referenced indexed document."""
    index = searcher.index
    reports: dict[str, ReferenceReport] = {}
    resolver = None
    found: list[SeeAlso] = []
    seen: set[tuple[str, str]] = set()
    for citation in answer.citations:
        if citation.source not in reports:
            reports[citation.source] = references(index, citation.source, with_cited_by=False)
        report = reports[citation.source]
        if resolver is None:
            from .catalogue import catalogue_of

            resolver = id_resolver(catalogue_of(index.documents(), {}))
        for cited in in_text_citations(citation.quote, report, resolver):
            target, kind = _target(cited, citation.doc_id)
            if (citation.source, target) in seen or (kind == "clause" and cited.place == f"clause {citation.clause}"):
                continue  # once per document; a clause's reference to itself is no hop
            seen.add((citation.source, target))
            hop = _follow(searcher, answer.question, cited, citation.source) if follow else None
            found.append(SeeAlso(citation.n, cited.marker, target, kind, cited.source, hop))
    return found


def _follow(searcher: Searcher, question: str, cited: InTextCitation, own: str) -> Chunk | None:
    """The best passage for ``question`` where ``cited`` points: in the clause it names
    (or its subclauses), else anywhere in the document it names."""
    if not cited.source:
        return None
    records = {r.source: r.info.doc_id for r in searcher.index.documents()}
    hits: Sequence[Hit] = searcher.search(question, 10, doc=records.get(cited.source))
    clause = cited.place.removeprefix("clause ") if cited.place.startswith("clause ") else ""
    inside = [h for h in hits if not clause or h.chunk.clause == clause or h.chunk.clause.startswith(clause + ".")]
    return inside[0].chunk if inside else None
