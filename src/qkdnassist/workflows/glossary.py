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

import json
import re
import sqlite3
import threading
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Literal

from ..errors import IndexStoreError
from ..fileutil import atomic_write_text
from ..search.quotes import QuoteLocator
from ..store.index import Index
from ..types import Chunk, Page
from .definitions import (
    MAX_EXPANSIONS,
    Definition,
    DefinitionReport,
    definition_citation,
    differs,
    distinct,
    lookup_key,
    lookup_keys,
    meanings,
)
from .lexicon import abbreviation_like, vocabulary
from .terms import Entry, clause_kind, parse_entries

__all__ = [
    "Definition",
    "DefinitionReport",
    "Glossary",
    "clause_lines",
    "define",
    "definition_citation",
    "differs",
]

GLOSSARY_FILE = "glossary.json"  # in the index folder, tagged with the index generation


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
            for rank, key in lookup_keys(definition):
                self._by_key.setdefault(key, []).append((rank, definition))
            for abbreviation, expansion in meanings(definition):
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
        saved = _load(index.layout.glossary, generation)
        if saved is None:  # the writer saves it; a reader builds it in memory
            saved = _extract(index, locator or QuoteLocator(index))
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
        hits = self._by_key.get(lookup_key(term)) or self._by_key.get(lookup_key(term, singular=True)) or []
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
            if (group, lookup_key(expansion)) not in seen:
                seen.add((group, lookup_key(expansion)))
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
            meanings = distinct(e for found in self.expansions(name, doc_ids=allowed).values() for e in found)
            if len(meanings) > MAX_EXPANSIONS:
                continue
            for expansion in meanings:
                # whole words: "Trusted Node" is not in "untrusted node"
                if f" {lookup_key(expansion)} " not in f" {lookup_key(' '.join([query, *added]))} ":
                    added.append(expansion)
        return " ".join([query, *added])


def define(glossary: Glossary, term: str) -> DefinitionReport:
    """What the indexed documents say ``term`` means (the ``qkdnassist define`` command)."""
    definitions = tuple(glossary.lookup(term))
    return DefinitionReport(term=term, definitions=definitions, conflicting=differs(definitions))


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


def save_glossary(index: Index) -> None:
    """Parse the glossaries of ``index`` and save them for its generation — a derived
    file, built by the writer after a change (:class:`~qkdnassist.store.IndexWriter`),
    so that a new process's first search does not parse every glossary again.

    Raises:
        IndexStoreError: the glossary cannot be written.
    """
    generation = index.generation
    definitions = _extract(index, QuoteLocator(index))
    data = {"generation": generation, "definitions": [asdict(d) for d in definitions]}
    try:
        atomic_write_text(index.layout.glossary, json.dumps(data))
    except OSError as exc:
        raise IndexStoreError(f"cannot write the glossary of {index.folder}: {exc.strerror or exc}") from None
    with _CACHE_LOCK:
        _CACHE[index] = Glossary(definitions, generation=generation)


def _extract(index: Index, locator: QuoteLocator) -> list[Definition]:
    """Every quotable entry of every terms/abbreviations clause of the index."""
    try:
        every = list(index.records.chunks_in_order())
    except sqlite3.Error as exc:
        raise IndexStoreError(f"cannot read the index at {index.folder}: {exc}") from None
    clauses: dict[tuple[str, str], list[str]] = {}
    for chunk in every:
        if clause_kind(chunk.clause_title):
            clauses.setdefault((chunk.source, chunk.clause_title), []).append(chunk.id)
    if not clauses:
        return []
    # The whole corpus's words, to rejoin words the text layer split ("Encr yption").
    words = vocabulary(chunk.text for chunk in every)
    chunks = {chunk.id: chunk for chunk in every}
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
                key = (definition.doc_id, definition.kind, definition.term, lookup_key(definition.text))
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
