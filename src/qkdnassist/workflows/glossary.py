"""Terminology across the indexed documents: who defines a term, how, and whether the
bodies agree.

Standards carry their own vocabulary in a terms/definitions clause and an abbreviations
list (ETSI clause 3, NIST FIPS section 2, GSMA Annex A/B, the glossary of a position
paper). :meth:`Glossary.build` finds those clauses in the index (by their innermost
title), recovers their printed lines from the stored pages (chunk texts are reflowed,
and a glossary is a list of lines), parses them with :mod:`.terms`, and quotes every
entry verbatim from its page; an entry that cannot be quoted is left out.

On top of that:

- :meth:`Glossary.lookup` finds the definitions of a term or abbreviation;
- :meth:`Glossary.expansions` says what an abbreviation stands for, per body
  ("SAE": ETSI Secure Application Entity, GSMA System Architecture Evolution);
- :func:`define` and :class:`DefinitionReport` group the definitions by body and flag
  bodies that word them differently (:func:`differs`);
- :meth:`Glossary.expand_query` adds the expansions of a query's abbreviations, for retrieval.

This module does not write definitions of its own or decide which body is right; it
reads the index and never changes it.
"""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
import threading
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from itertools import combinations
from pathlib import Path
from typing import Literal

from ..errors import IndexStoreError
from ..fileutil import atomic_write_text
from ..search.quotes import QuoteLocator
from ..store.index import Index
from ..textnorm import is_stopword
from ..types import Chunk, Citation, Page
from .terms import Entry, Kind, abbreviation_like, clause_kind, expansion_of, parse_entries, vocabulary

__all__ = [
    "Definition",
    "DefinitionReport",
    "Glossary",
    "clause_lines",
    "define",
    "definition_citation",
    "definition_json",
    "differs",
]

JACCARD_DIFFERENT = 0.5  # below this token overlap, two bodies' wordings differ materially
MAX_EXPANSIONS = 2  # an abbreviation with more meanings than this is not expanded in queries
GLOSSARY_FILE = "glossary.json"  # in the index folder, tagged with the index generation


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

    @property
    def by_body(self) -> dict[str, list[Definition]]:
        """The definitions grouped by publishing body (the document id when none is known)."""
        groups: dict[str, list[Definition]] = {}
        for definition in self.definitions:
            groups.setdefault(definition.body or definition.doc_id, []).append(definition)
        return groups


def clause_lines(chunks: Sequence[Chunk], pages: Sequence[Page]) -> list[tuple[int, str]]:
    """The printed lines of the clause made of ``chunks``, each with its page number.

    Chunk texts keep a clause's words but not its line breaks; the stored pages keep
    both, plus running headers and other clauses. A page line belongs to the clause
    when its characters (white space aside) continue the chunks' text where the last
    accepted line ended; a long line found a little further on resynchronises.
    """
    target = "".join("".join(chunk.text.split()) for chunk in chunks)
    if not target:
        return []
    first, last = min(c.page for c in chunks), max(c.page_end for c in chunks)
    cursor, found = 0, []
    for page in pages:
        if not first <= page.number <= last:
            continue
        for raw in page.text.split("\n"):
            squashed = "".join(raw.split())
            if not squashed or cursor >= len(target):
                continue
            if target.startswith(squashed, cursor) and (cursor or len(squashed) >= min(8, len(target))):
                at = cursor
            elif len(squashed) >= 16:  # a heading printed "2. Terms" but stored "2 Terms"; a dropped line
                at = target.find(squashed, cursor, cursor + (2000 if cursor else 300) + len(squashed))
                if at < 0:
                    continue
            else:
                continue
            found.append((page.number, raw))
            cursor = at + len(squashed)
    return found


class Glossary:
    """The definitions of every indexed document, searchable by term and abbreviation.

    Build with :meth:`build`: cached in memory per index, and saved in the index
    folder (:data:`GLOSSARY_FILE`) per generation, so a new process does not parse
    the glossaries again (linear in the corpus: about 8 s at 50,000 chunks).

    Args:
        definitions: the definitions, in document order.
        generation: the index generation they were read from (-1 when built by hand).
    """

    def __init__(self, definitions: Iterable[Definition], *, generation: int = -1) -> None:
        self.definitions = tuple(definitions)
        self.generation = generation
        self._by_key: dict[str, list[tuple[int, Definition]]] = {}
        self._meanings: dict[str, list[tuple[Definition, str]]] = {}
        for definition in self.definitions:
            for rank, key in _keys(definition):
                self._by_key.setdefault(key, []).append((rank, definition))
            for abbreviation, expansion in _meanings(definition):
                self._meanings.setdefault(abbreviation, []).append((definition, expansion))
        names = sorted((a for a in self._meanings if abbreviation_like(a)), key=len, reverse=True)
        self._pattern = (
            re.compile(
                r"(?<![A-Za-z0-9/-])(" + "|".join(map(re.escape, names)) + r")(?:s|'s)?(?![A-Za-z0-9/]|-[A-Za-z])"
            )
            if names
            else None
        )

    @classmethod
    def build(cls, index: Index, *, locator: QuoteLocator | None = None) -> Glossary:
        """The glossary of ``index``: every terms/abbreviations clause parsed and quoted.

        Raises:
            IndexStoreError: the index cannot be read.
        """
        generation = index.generation
        with _CACHE_LOCK:
            cached = _CACHE.get(index)
        if cached is not None and cached.generation == generation:
            return cached
        saved = _load(index.folder / GLOSSARY_FILE, generation)
        if saved is None:
            saved = _extract(index, locator or QuoteLocator(index))
            _save(index.folder / GLOSSARY_FILE, generation, saved)
        glossary = cls(saved, generation=generation)
        with _CACHE_LOCK:
            _CACHE[index] = glossary
        return glossary

    def lookup(self, term: str) -> list[Definition]:
        """Definitions of ``term``: by term or abbreviation, or by an abbreviation's expansion.

        Case does not matter, nor hyphens ("public key" finds "public-key"); a plural
        finds the singular when nothing matches as asked. Definitions of the term
        itself come before those found through an expansion.
        """
        hits = self._by_key.get(_key(term)) or self._by_key.get(_key(term, singular=True)) or []
        best: dict[int, tuple[int, Definition]] = {}
        for rank, definition in hits:
            if id(definition) not in best or rank < best[id(definition)][0]:
                best[id(definition)] = (rank, definition)
        ordered = sorted(best.values(), key=lambda item: (item[0], item[1].doc_id, item[1].page))
        return [definition for _, definition in ordered]

    def expansions(
        self, abbreviation: str, *, by: Literal["body", "doc_id"] = "body", doc_ids: Iterable[str] | None = None
    ) -> dict[str, set[str]]:
        """What ``abbreviation`` stands for, per body (``by="doc_id"``: per document).

        Abbreviation lists count, and so do terms printed with their abbreviation
        ("Secure Application Entity (SAE)"). Spellings that differ only in case or
        hyphens are given once.
        """
        allowed = set(doc_ids) if doc_ids is not None else None
        meanings = self._meanings.get(abbreviation)
        if meanings is None:
            folded = abbreviation.casefold()
            meanings = [m for name, found in self._meanings.items() if name.casefold() == folded for m in found]
        result: dict[str, set[str]] = {}
        seen: set[tuple[str, str]] = set()
        for definition, expansion in meanings:
            if allowed is not None and definition.doc_id not in allowed:
                continue
            group = definition.doc_id if by == "doc_id" else (definition.body or definition.doc_id)
            if (group, _key(expansion)) not in seen:
                seen.add((group, _key(expansion)))
                result.setdefault(group, set()).add(expansion)
        return result

    def expand_query(self, query: str, *, doc_ids: Iterable[str] | None = None) -> str:
        """``query`` with the expansions of the abbreviations it contains appended.

        Abbreviations match as whole tokens and case-sensitively ("KME", "KMEs"; not
        "kme"). With ``doc_ids``, only those documents' expansions count. An
        abbreviation with more than :data:`MAX_EXPANSIONS` meanings is left alone, and
        text already in the query is not added again.
        """
        if self._pattern is None:
            return query
        allowed = list(doc_ids) if doc_ids is not None else None
        added: list[str] = []
        for name in dict.fromkeys(m.group(1) for m in self._pattern.finditer(query)):
            meanings = _distinct(e for found in self.expansions(name, doc_ids=allowed).values() for e in found)
            if len(meanings) > MAX_EXPANSIONS:
                continue
            for expansion in meanings:
                # whole words: "Trusted Node" is not in "untrusted node"
                if f" {_key(expansion)} " not in f" {_key(' '.join([query, *added]))} ":
                    added.append(expansion)
        return " ".join([query, *added])


def define(glossary: Glossary, term: str) -> DefinitionReport:
    """What the indexed documents say ``term`` means (the ``qkdnassist define`` command)."""
    definitions = tuple(glossary.lookup(term))
    return DefinitionReport(term=term, definitions=definitions, conflicting=differs(definitions))


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


def definition_json(report: DefinitionReport) -> dict[str, object]:
    """The report as JSON-ready data: ``{"term", "conflicting", "definitions": [...]}``,
    each definition with doc_id, body, edition, clause, page, source, kind, text and quote."""
    return {
        "term": report.term,
        "conflicting": report.conflicting,
        "definitions": [
            {
                "doc_id": d.doc_id,
                "body": d.body,
                "edition": d.edition,
                "clause": d.clause,
                "page": d.page,
                "source": d.source,
                "kind": d.kind,
                "text": d.text,
                "quote": d.quote,
            }
            for d in report.definitions
        ],
    }


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


# --- building ------------------------------------------------------------------------

_CACHE: weakref.WeakKeyDictionary[Index, Glossary] = weakref.WeakKeyDictionary()
_CACHE_LOCK = threading.Lock()


def _load(path: Path, generation: int) -> list[Definition] | None:
    """The definitions saved for ``generation``; None when missing, unreadable or stale."""
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
        if saved["generation"] != generation:
            return None
        return [Definition(**entry) for entry in saved["definitions"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _save(path: Path, generation: int, definitions: Sequence[Definition]) -> None:
    """Save the definitions for the next process; a read-only index is not an error."""
    data = {"generation": generation, "definitions": [asdict(d) for d in definitions]}
    with contextlib.suppress(OSError):
        atomic_write_text(path, json.dumps(data))


def _extract(index: Index, locator: QuoteLocator) -> list[Definition]:
    """Every quotable entry of every terms/abbreviations clause of the index."""
    try:
        rows = index.db.execute("SELECT source, clause_title, id, text FROM chunks ORDER BY source, ordinal").fetchall()
    except sqlite3.Error as exc:
        raise IndexStoreError(f"cannot read the index at {index.folder}: {exc}") from None
    clauses: dict[tuple[str, str], list[str]] = {}
    for source, title, chunk_id, _ in rows:
        if clause_kind(title):
            clauses.setdefault((source, title), []).append(chunk_id)
    if not clauses:
        return []
    # The whole corpus's words, to rejoin words the text layer split ("Encr yption").
    words = vocabulary(text for *_, text in rows)
    chunks = index.chunks([chunk_id for ids in clauses.values() for chunk_id in ids])
    pages: dict[str, list[Page]] = {}
    definitions: dict[tuple[str, str, str, str], Definition] = {}
    for (source, title), ids in clauses.items():
        clause = [chunks[i] for i in ids if i in chunks]
        if not clause:
            continue
        if source not in pages:
            pages[source] = index.pages(source)
        lines = clause_lines(clause, pages[source])
        for entry in parse_entries(lines, abbreviations_only=clause_kind(title) == "abbreviations", words=words):
            definition = _locate(entry, clause, locator)
            if definition is not None:
                key = (definition.doc_id, definition.kind, definition.term, _key(definition.text))
                definitions.setdefault(key, definition)  # GSMA PQ.03 lists "RSP" twice
    return list(definitions.values())


def _locate(entry: Entry, clause: Sequence[Chunk], locator: QuoteLocator) -> Definition | None:
    """The entry quoted from the page its first line stands on; None when not quotable."""
    page_number = entry.lines[0][0]
    text = " ".join(raw.strip() for page, raw in entry.lines if page == page_number)
    chunk = next((c for c in clause if c.page <= page_number <= c.page_end), None)
    found = locator.locate(chunk, text) if chunk is not None else None
    if chunk is None or found is None:
        return None
    page, quote = found
    return Definition(
        term=entry.term,
        kind=entry.kind,
        text=entry.text,
        source=chunk.source,
        doc_id=chunk.doc_id,
        body=chunk.body,
        edition=chunk.edition,
        clause=chunk.clause,
        page=page.number,
        quote=quote,
        clause_title=chunk.clause_title,
        page_label=page.label,
    )


# --- matching ------------------------------------------------------------------------

_PARENTHESIS = re.compile(r"\s*\(([^()]*)\)")


def _key(text: str, *, singular: bool = False) -> str:
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


def _keys(definition: Definition) -> list[tuple[int, str]]:
    """The lookup keys of a definition, each with its rank (0: the term itself)."""
    keys = [(0, _key(definition.term)), (0, _key(_PARENTHESIS.sub("", definition.term)))]
    keys += [(0, _key(inner)) for inner in _PARENTHESIS.findall(definition.term) if abbreviation_like(inner)]
    keys += [(1, _key(expansion)) for _, expansion in _meanings(definition)]
    if not abbreviation_like(definition.term):
        keys.append((2, _key(definition.term, singular=True)))
    return [(rank, key) for rank, key in keys if key]


def _meanings(definition: Definition) -> list[tuple[str, str]]:
    """(abbreviation, expansion) pairs a definition gives: an abbreviation row, or a
    term printed with its abbreviation ("Trusted Node (TN)")."""
    if definition.kind == "abbreviation":
        return [(definition.term, definition.expansion)]
    match = re.fullmatch(r"(?P<words>[^()]+?)\s*\((?P<abbreviation>[^()]+)\)", definition.term)
    if match and abbreviation_like(match["abbreviation"]) and expansion_of(match["abbreviation"], match["words"]):
        return [(match["abbreviation"], match["words"])]
    return []


def _distinct(expansions: Iterable[str]) -> list[str]:
    """Expansions that differ in more than case, hyphens or extra words, shortest kept:
    "Module Lattice based Key Encapsulation Mechanism" stands for "... Mechanism Standard"."""
    kept: list[tuple[frozenset[str], str]] = []
    for expansion in sorted(set(expansions), key=lambda e: (len(_key(e).split()), e)):
        words = frozenset(_key(expansion).split())
        if not any(words <= other or other <= words for other, _ in kept):
            kept.append((words, expansion))
    return [expansion for _, expansion in kept]


def _content_tokens(definition: Definition) -> set[str]:
    text = definition.expansion if definition.kind == "abbreviation" else definition.text
    return {_singular(word) for word in _key(text).split() if not is_stopword(word)}
