"""What changed between two editions of a document, clause by clause.

Clauses are aligned first by number and title, then by title alone (a renumbered
clause), then by content (a clause renamed and renumbered whose text stayed): word-set
overlap of at least :data:`SAME_CONTENT`. Each change is ``added`` (only in the newer
edition), ``removed`` (only in the older), ``changed`` (aligned, the text differs) or
``moved`` (aligned under another number; changed as well when its text differs). For a
changed clause the sentences — and table rows, which the readers keep one a line —
that one side has and the other lacks are listed with their pages.

This module does not read files: it compares the chunks ingest stored.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import QuestionError
from ..sentences import split_sentences
from ..store.index import Index
from ..types import Chunk
from .catalogue import Entry, build_catalogue

__all__ = [
    "Change",
    "ClauseText",
    "Diff",
    "clauses_of",
    "compare_editions",
    "diff_editions",
    "diff_markdown",
]

SAME_CONTENT = 0.6  # word-set overlap (Jaccard) from which two clauses say the same thing
MAX_SENTENCES = 6  # changed sentences shown per side and clause
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class ClauseText:
    """One clause of one edition: its number, title, text and first page."""

    clause: str
    title: str
    text: str
    page: int
    pages: dict[str, int]  # sentence → the page it is on

    @property
    def words(self) -> frozenset[str]:
        return frozenset(w.lower() for w in _WORD.findall(self.text))


@dataclass(frozen=True)
class Change:
    """One clause's change between the two editions (see the module docstring)."""

    kind: str  # added, removed, changed, moved
    clause_from: str
    clause_to: str
    title: str
    old: tuple[tuple[str, int], ...]  # (sentence, page) only the older edition has
    new: tuple[tuple[str, int], ...]  # (sentence, page) only the newer edition has


@dataclass(frozen=True)
class Diff:
    doc: str
    old: str  # edition (or source) compared from
    new: str
    changes: tuple[Change, ...]
    unchanged: int

    @property
    def summary(self) -> dict[str, int]:
        counts = {"added": 0, "removed": 0, "changed": 0, "moved": 0}
        for change in self.changes:
            counts[change.kind] += 1
        return {**counts, "unchanged": self.unchanged}


def clauses_of(chunks: Sequence[Chunk]) -> list[ClauseText]:
    """A document's chunks (in order) as clauses; text before the first clause is "front matter"."""
    grouped: dict[str, list[Chunk]] = {}
    for chunk in sorted(chunks, key=lambda c: c.ordinal):
        grouped.setdefault(chunk.clause or "", []).append(chunk)
    out = []
    for clause, members in grouped.items():
        pages: dict[str, int] = {}
        for chunk in members:
            for sentence in split_sentences(chunk.text):
                pages.setdefault(_norm(sentence), chunk.page)
        title = members[0].clause_title.rsplit(" > ", 1)[-1] if clause else "front matter"
        text = "\n".join(c.text for c in members)
        out.append(ClauseText(clause, title, text, members[0].page, pages))
    return out


def _norm(sentence: str) -> str:
    return " ".join(sentence.split())


def _title(clause: ClauseText) -> str:
    """The clause title without its number: "5.2 Get key" → "get key"."""
    return " ".join(re.sub(r"^\s*(?:Annex\s+)?[A-Z]?[\d.]*\s+", "", clause.title).lower().split())


def _similar(a: ClauseText, b: ClauseText) -> float:
    wa, wb = a.words, b.words
    return len(wa & wb) / len(wa | wb) if wa and wb else float(not wa and not wb)


def diff_editions(doc: str, old_name: str, old: Sequence[Chunk], new_name: str, new: Sequence[Chunk]) -> Diff:
    """The changes from the ``old`` edition's chunks to the ``new`` one's."""
    before, after = clauses_of(old), clauses_of(new)
    pairs: list[tuple[ClauseText, ClauseText]] = []
    left, right = list(before), list(after)
    for match in (
        lambda a, b: a.clause == b.clause and _title(a) == _title(b),
        lambda a, b: a.clause == b.clause and _similar(a, b) >= SAME_CONTENT / 2,
        lambda a, b: bool(_title(a)) and _title(a) == _title(b),
        lambda a, b: _similar(a, b) >= SAME_CONTENT,
    ):
        for a in list(left):
            b = next((b for b in right if match(a, b)), None)
            if b is not None:
                pairs.append((a, b))
                left.remove(a)
                right.remove(b)
    changes: list[Change] = []
    unchanged = 0
    for a, b in sorted(pairs, key=lambda p: after.index(p[1])):
        gone = tuple((s, a.pages[s]) for s in a.pages if s not in b.pages)[:MAX_SENTENCES]
        came = tuple((s, b.pages[s]) for s in b.pages if s not in a.pages)[:MAX_SENTENCES]
        if a.clause != b.clause:
            changes.append(Change("moved", a.clause, b.clause, b.title, gone, came))
        elif gone or came:
            changes.append(Change("changed", a.clause, b.clause, b.title, gone, came))
        else:
            unchanged += 1
    for b in right:
        changes.append(Change("added", "", b.clause, b.title, (), tuple(b.pages.items())[:MAX_SENTENCES]))
    for a in left:
        changes.append(Change("removed", a.clause, "", a.title, tuple(a.pages.items())[:MAX_SENTENCES], ()))
    return Diff(doc, old_name, new_name, tuple(changes), unchanged)


def compare_editions(index: Index, doc: str, *, old: str = "", new: str = "") -> Diff:
    """The diff of two editions of ``doc`` in ``index``: ``old`` and ``new`` name editions
    ("05", "-16", "V1.1.1", or a source); by default the newest and the one before it.

    Raises:
        QuestionError: ``doc`` names no document with two editions, or an edition it lacks.
    """
    catalogue = build_catalogue(index)
    editions = catalogue.editions_of(doc)
    if len(editions) < 2:
        named = {e.lineage for e in catalogue.entries if doc.lower() in f"{e.doc_id} {e.lineage}".lower()}
        why = f"names several documents ({'; '.join(sorted(named))})" if len(named) > 1 else "names no document"
        raise QuestionError(f"{doc!r} {why} with two editions indexed; see 'qkdnassist catalogue'")

    def pick(name: str, default: int) -> Entry:
        if not name:
            return editions[default]
        wanted = name.strip().lstrip("-").lower()
        for entry in editions:
            if entry.edition.strip().lstrip("-").lower() == wanted or entry.source == name:
                return entry
        raise QuestionError(f"{doc}: no edition {name!r}; editions: {', '.join(e.edition for e in editions)}")

    before, after = pick(old, -2), pick(new, -1)
    chunks = {e.source: list(index.chunks(index.records.chunk_ids(e.source)).values()) for e in (before, after)}
    return diff_editions(
        after.lineage,
        before.edition or before.source,
        chunks[before.source],
        after.edition or after.source,
        chunks[after.source],
    )


def diff_markdown(diff: Diff) -> str:
    """The changes as Markdown: the summary, then each change with its sentences."""
    s = diff.summary
    lines = [
        f"# {diff.doc}: {diff.old} → {diff.new}",
        "",
        f"{s['changed']} changed, {s['moved']} moved, {s['added']} added, {s['removed']} removed, "
        f"{s['unchanged']} unchanged clauses.",
    ]
    for c in diff.changes:
        where = c.clause_to or c.clause_from
        if c.kind == "moved":
            where = f"{c.clause_from} → {c.clause_to}"
        title = re.sub(r"^\s*(?:Annex\s+|Appendix\s+)?[A-Z]?[\d.]*\s+", "", c.title) if where else c.title
        lines += ["", f"## {c.kind}: {where} {title}".strip()]
        lines += [f"- − {text} (p. {page})" for text, page in c.old]
        lines += [f"- + {text} (p. {page})" for text, page in c.new]
    return "\n".join(lines) + "\n"
