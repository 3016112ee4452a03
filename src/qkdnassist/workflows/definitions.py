"""A definition as the documents print it, and how definitions are matched and compared:
lookup keys (case, hyphens and plurals folded), the meanings an abbreviation has, and
whether two bodies word a definition materially differently.

This module does not read the index (:mod:`.glossary` builds definitions from it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations

from ..textnorm import is_stopword
from ..types import Citation
from .lexicon import abbreviation_like, expansion_of
from .terms import Kind

__all__ = [
    "Definition",
    "DefinitionReport",
    "definition_citation",
    "differs",
    "distinct",
    "lookup_key",
    "lookup_keys",
    "meanings",
]

JACCARD_DIFFERENT = 0.5  # below this token overlap, two bodies' wordings differ materially
MAX_EXPANSIONS = 2  # an abbreviation with more meanings than this is not expanded in queries


@dataclass(frozen=True)
class Definition:
    """One entry of a document's terms or abbreviations clause, quoted from its page.

    Attributes:
        term: the term or abbreviation as printed ("decapsulation key", "KME").
        kind: "term" or "abbreviation".
        text: the definition; for an abbreviation its expansion (with any further text
            the entry has).
        source, doc_id, body, edition: the document.
        clause: the clause the entry stands in ("3.3", "B.1").
        page: 1-based physical page on which :attr:`quote` stands.
        quote: the entry as printed on that page, verbatim up to white space.
        clause_title: the clause's title path.
        page_label: the printed label of ``page``, "" when the file has none.
    """

    term: str
    kind: Kind
    text: str
    source: str
    doc_id: str
    body: str
    edition: str
    clause: str
    page: int
    quote: str
    clause_title: str = ""
    page_label: str = ""

    @property
    def expansion(self) -> str:
        """What an abbreviation stands for ("" for a term)."""
        if self.kind != "abbreviation":
            return ""
        return expansion_of(self.term, self.text) or self.text


@dataclass(frozen=True)
class DefinitionReport:
    """What the indexed documents say a term means.

    Attributes:
        term: the term as asked.
        definitions: every definition found, best match first.
        conflicting: True when two bodies define or expand it in materially different
            words (see :func:`differs`).
    """

    term: str
    definitions: tuple[Definition, ...]
    conflicting: bool


def differs(definitions: Sequence[Definition]) -> bool:
    """True when two bodies define a term, or expand an abbreviation, in materially
    different words: the token sets (lower case, stop words out, plurals folded) of a
    definition from one body and one of the same kind from another overlap by less
    than :data:`JACCARD_DIFFERENT` (Jaccard index).

    Wording, not meaning, is compared: two bodies that say the same thing in
    different words are reported as differing too.
    """
    for one, other in combinations(definitions, 2):
        if one.kind != other.kind or (one.body or one.doc_id) == (other.body or other.doc_id):
            continue
        a, b = _content_tokens(one), _content_tokens(other)
        if a and b and len(a & b) / len(a | b) < JACCARD_DIFFERENT:
            return True
    return False


def definition_citation(definition: Definition, *, n: int = 0, date: str = "") -> Citation:
    """A citation of the definition (for :func:`~.citations.format_citation` and checking)."""
    return Citation(
        n=n,
        source=definition.source,
        doc_id=definition.doc_id,
        edition=definition.edition,
        date=date,
        body=definition.body,
        clause=definition.clause,
        clause_title=definition.clause_title,
        page=definition.page,
        page_label=definition.page_label,
        quote=definition.quote,
    )


# --- matching ------------------------------------------------------------------------

_PARENTHESIS = re.compile(r"\s*\(([^()]*)\)")


def lookup_key(text: str, *, singular: bool = False) -> str:
    """Lookup form: case folded, hyphens and slashes as spaces, punctuation out; with
    ``singular`` the last word's plural folded ("Key Management Entities")."""
    words = re.sub(r"[^\w\s]", "", re.sub(r"[-‐‑–—/]", " ", text.casefold())).split()
    if singular and words:
        words[-1] = _singular(words[-1])
    return " ".join(words)


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("sses", "shes", "ches", "xes")):
        return word[:-2]
    if len(word) > 2 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def lookup_keys(definition: Definition) -> list[tuple[int, str]]:
    """The lookup keys of a definition, each with its rank (0: the term itself)."""
    keys = [(0, lookup_key(definition.term)), (0, lookup_key(_PARENTHESIS.sub("", definition.term)))]
    keys += [(0, lookup_key(inner)) for inner in _PARENTHESIS.findall(definition.term) if abbreviation_like(inner)]
    keys += [(1, lookup_key(expansion)) for _, expansion in meanings(definition)]
    if not abbreviation_like(definition.term):
        keys.append((2, lookup_key(definition.term, singular=True)))
    return [(rank, key) for rank, key in keys if key]


def meanings(definition: Definition) -> list[tuple[str, str]]:
    """(abbreviation, expansion) pairs a definition gives: an abbreviation row, or a
    term printed with its abbreviation ("Trusted Node (TN)")."""
    if definition.kind == "abbreviation":
        return [(definition.term, definition.expansion)]
    match = re.fullmatch(r"(?P<words>[^()]+?)\s*\((?P<abbreviation>[^()]+)\)", definition.term)
    if match and abbreviation_like(match["abbreviation"]) and expansion_of(match["abbreviation"], match["words"]):
        return [(match["abbreviation"], match["words"])]
    return []


def distinct(expansions: Iterable[str]) -> list[str]:
    """Expansions that differ in more than case, hyphens or extra words, shortest kept:
    "Module Lattice based Key Encapsulation Mechanism" stands for "... Mechanism Standard"."""
    kept: list[tuple[frozenset[str], str]] = []
    for expansion in sorted(set(expansions), key=lambda e: (len(lookup_key(e).split()), e)):
        words = frozenset(lookup_key(expansion).split())
        if not any(words <= other or other <= words for other, _ in kept):
            kept.append((words, expansion))
    return [expansion for _, expansion in kept]


def _content_tokens(definition: Definition) -> set[str]:
    text = definition.expansion if definition.kind == "abbreviation" else definition.text
    return {_singular(word) for word in lookup_key(text).split() if not is_stopword(word)}
