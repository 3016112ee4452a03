"""What a query names explicitly: documents by their ids, clauses by number, a request
for a definition — and standards it names by number that are not indexed.

"ETSI GS QKD 014", "QKD 014" and "qkd-014" all name one document (:func:`doc_aliases`);
"clause 5.2", "section 4.2", "Annex B" name clauses. Search lifts what a query names
(:mod:`.ranking`); the answer layer says when a named standard is not indexed.

This module does not search or rank.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from ..textnorm import is_stopword, tokenize
from ..types import DocumentRecord

__all__ = [
    "DEFINITION_CLAUSE",
    "QueryRefs",
    "doc_aliases",
    "document_mentions",
    "document_words",
    "foreign_documents",
    "parse_refs",
    "same_word",
    "squash_id",
]

_CLAUSE_REF = re.compile(r"\b(?:clause|section|sect\.|§|annex|appendix)\s+((?:\d+|[A-Z])(?:\.\d+)*)\b", re.IGNORECASE)
_ID_TAIL = re.compile(r"([A-Za-z]+)[\s.\-]?(\d+(?:\.\d+)*)\s*$")
# Questions that ask what a term means; standards answer them in their
# "Terms and definitions" / "Abbreviations" / glossary clauses.
_DEFINITION_QUESTION = re.compile(
    r"\b(?:defin\w*|meaning|means?|stands? for|abbreviat\w*|acronym|expan\w*|glossary|term)\b"
    r"|^\s*what (?:is|are) (?:an?|the)?\s*\S+\??$",
    re.IGNORECASE,
)
DEFINITION_CLAUSE = re.compile(r"\b(?:terms?|definitions?|glossary|abbreviations?|acronyms?)\b", re.IGNORECASE)


@dataclass(frozen=True)
class QueryRefs:
    """Identifiers a query names: documents (by doc_id) and clause numbers."""

    doc_ids: frozenset[str] = frozenset()
    clauses: frozenset[str] = frozenset()
    definition: bool = False
    keyword_query: str = ""  # the query without the document names (they are boosted instead)


def squash_id(text: str) -> str:
    """An identifier without case, spaces, dots, hyphens and underscores: "QKD 014" → "qkd014"."""
    return re.sub(r"[\s.\-_]+", "", text.lower())


def doc_aliases(doc_id: str) -> set[str]:
    """Squashed names a user may call a document by: the id, and its "name number" tail.

    "ETSI GS QKD 014" → {"etsigsqkd014", "qkd014"}; "NIST FIPS 203" → {…, "fips203"};
    "GSMA PQ.03" → {…, "pq03"}.
    """
    aliases = {squash_id(doc_id)}
    if m := _ID_TAIL.search(doc_id.split("(")[0].strip()):
        aliases.add(squash_id(m.group(1) + m.group(2)))
    return {a for a in aliases if len(a) >= 4}


def parse_refs(query: str, documents: Sequence[DocumentRecord]) -> QueryRefs:
    """Find the documents and clauses ``query`` names explicitly."""
    squashed = squash_id(query)
    spans = {m.group(0): squash_id(m.group(0)) for m in re.finditer(r"\b[A-Za-z]+[\s.\-]?\d+(?:\.\d+)*", query)}
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


@dataclass(frozen=True)
class _Labels:
    """Of each document's id, title and publisher: the words few other documents share
    (by doc_id), and every word of all of them."""

    rare: dict[str, tuple[str, ...]]
    every: frozenset[str]


def _label_word(token: str) -> bool:
    return len(token) >= 3 and not is_stopword(token) and not token.isdigit()


@lru_cache(maxsize=4)
def _labels_of(described: tuple[tuple[str, str], ...]) -> _Labels:
    words = {doc_id: frozenset(t for t in tokenize(text, pairs=False) if _label_word(t)) for doc_id, text in described}
    counts = Counter(w for label in words.values() for w in label)
    distinctive = max(1, len(words) // 4)
    rare = {doc_id: tuple(sorted(w for w in label if counts[w] <= distinctive)) for doc_id, label in words.items()}
    return _Labels(rare, frozenset(counts))


def _labels(documents: Sequence[DocumentRecord]) -> _Labels:
    """The label words of ``documents``, tokenised once per set of documents (not per query)."""
    return _labels_of(tuple((r.info.doc_id, f"{r.info.doc_id} {r.info.title} {r.info.body}") for r in documents))


def same_word(word: str, label: str) -> bool:
    """ "Indian" names "India", "handbooks" a "Handbook": equal, or one a prefix of the
    other past four letters."""
    if word == label:
        return True
    short, long = sorted((word, label), key=len)
    return len(short) >= 4 and long.startswith(short) and len(long) - len(short) <= 3


def document_words(documents: Sequence[DocumentRecord]) -> frozenset[str]:
    """Every word of the indexed documents' ids, titles and publishers (lower case)."""
    return _labels(documents).every


def document_mentions(query: str, documents: Sequence[DocumentRecord]) -> dict[str, float]:
    """How plainly ``query`` points at each document, 0..1: 1 when it names it by id
    ("GSMA PQ.03"), else by the words of its title and publisher that few other
    documents share ("the Singapore handbook", "India's task force report") — half
    for one such word, all for two or more. Documents it does not point at are left out.
    """
    named = parse_refs(query, documents).doc_ids
    labels = _labels(documents)
    words = {t for t in tokenize(query, pairs=False) if len(t) >= 3 and not is_stopword(t)}
    out: dict[str, float] = {}
    for doc_id, rare in labels.rare.items():
        if doc_id in named:
            out[doc_id] = 1.0
            continue
        matched = sum(1 for w in words if any(same_word(w, r) for r in rare))
        if matched:
            out[doc_id] = min(1.0, matched / 2)
    return out


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
        squashed = squash_id(name)
        tail = _ID_TAIL.search(name)
        short = squash_id(tail.group(1) + tail.group(2)) if tail else squashed
        if (
            squashed not in indexed
            and short not in indexed
            and not any(squashed in a or a in squashed for a in indexed)
        ):
            foreign.append(name)
    return foreign
