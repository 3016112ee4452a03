"""The standards database: one record per indexed document — identity, type, status,
date, scope, editions — and where each field came from.

Built from what ingest stored (each document's identity and page texts); nothing is
read from the files again, so the catalogue of a thousand documents takes well under a
second. Editions are linked by :func:`.editions.lineages`: the newest of a lineage is
*current*, the others *superseded* (search and answers prefer current editions; see
:func:`edition_scope`). A document whose identity came from its file name only is
listed as "metadata unknown" — nothing is guessed silently.

This module does not write the index.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from ..editions import Lineage, classify, edition_date, lineage_key, lineages
from ..metadata import Manifest
from ..search.refs import squash_id
from ..store.index import Index
from ..types import DocumentRecord, Page

__all__ = ["Catalogue", "Entry", "Scope", "build_catalogue", "catalogue_csv"]

_SCOPE_HEADING = re.compile(
    r"^\s*(?:\d+(?:\.\d+)*\.?\s+)?(Scope|Abstract|Introduction|Executive Summary|Purpose)\s*$",
    re.IGNORECASE | re.MULTILINE,
)
_SCOPE_PAGES = 12  # the scope, abstract or introduction is on the first pages
_SCOPE_CHARS = 600


@dataclass(frozen=True)
class Scope:
    """The first paragraph of the Scope (Abstract, Introduction), quoted from its page."""

    text: str
    page: int


@dataclass(frozen=True)
class Entry:
    """One document of the database (its JSON shape: :func:`~qkdnassist.app.render.entry_json`)."""

    source: str
    doc_id: str
    lineage: str
    edition: str
    date: str  # ISO: YYYY-MM-DD, YYYY-MM or YYYY ("" when unknown)
    date_printed: str
    title: str
    body: str
    group: str
    doc_type: str
    status: str  # published, draft, superseded, withdrawn
    stage: str  # what the document says of itself: published, draft or withdrawn
    scope: Scope | None
    pages: int
    chunks: int
    provenance: dict[str, str]
    current: str  # the source of the lineage's current edition (itself when current)
    editions: tuple[str, ...] = ()  # every edition's source, oldest first
    notes: tuple[str, ...] = ()

    @property
    def is_current(self) -> bool:
        return self.current == self.source

    @property
    def metadata_unknown(self) -> bool:
        return self.provenance.get("doc_id") == "file name"


@dataclass(frozen=True)
class Catalogue:
    """Every indexed document's entry, and the lineages that link editions."""

    entries: tuple[Entry, ...]
    lineages: tuple[Lineage, ...] = field(default=())

    def by_source(self) -> dict[str, Entry]:
        return {e.source: e for e in self.entries}

    def superseded(self) -> frozenset[str]:
        """Sources of editions a newer edition of the same document replaces."""
        return frozenset(e.source for e in self.entries if not e.is_current)

    def editions_of(self, name: str) -> list[Entry]:
        """The editions (oldest first) of the document ``name`` names: its doc id, its
        lineage or a unique part of one ("QKD 014", "tls-hybrid-design"); [] when none."""
        wanted = squash_id(name)
        found = [e for e in self.entries if wanted in (squash_id(e.doc_id), squash_id(e.lineage))]
        found = found or [e for e in self.entries if wanted and wanted in squash_id(e.lineage)]
        if not found:
            return []
        lineages = {e.current for e in found}
        if len(lineages) > 1:
            return []  # the name is not unique
        by_source = self.by_source()
        return [by_source[s] for s in by_source[found[0].current].editions]

    def with_editions(self) -> list[Entry]:
        """The current entries of documents that have more than one edition indexed."""
        return [e for e in self.entries if e.is_current and len(e.editions) > 1]


def build_catalogue(index: Index, *, manifest: Manifest | None = None) -> Catalogue:
    """The catalogue of ``index``; ``manifest`` (the one ingest used) tells which
    identities it gave, for the provenance of each field."""
    records = index.documents()
    pages = {r.source: index.pages(r.source)[:_SCOPE_PAGES] for r in records}
    known = frozenset(r.source for r in records if manifest is not None and manifest.lookup(r.source, r.sha256))
    return catalogue_of(records, pages, manifest_sources=known)


def catalogue_of(
    records: Sequence[DocumentRecord], pages: dict[str, list[Page]], *, manifest_sources: frozenset[str] = frozenset()
) -> Catalogue:
    """The catalogue of these records, given each document's first pages (pure)."""
    dates = {r.source: edition_date(r.info) for r in records}
    grouped = lineages([(r.source, r.info, dates[r.source]) for r in records])
    home = {source: lineage for lineage in grouped for source in lineage.sources}
    entries = []
    for record in sorted(records, key=lambda r: (r.info.body, lineage_key(r.info), r.source)):
        info = record.info
        first = pages.get(record.source, [])
        head = "\n".join(p.text for p in first[:3])
        kind = classify(info, head)
        lineage = home[record.source]
        status = kind.status
        notes = list(lineage.conflicts)
        if lineage.current != record.source and status != "withdrawn":
            status = "superseded"
            notes.append(f"superseded by {lineage.current}")
        manifest = record.source in manifest_sources
        from_name = info.doc_id == PurePosixPath(record.source).stem
        provenance = {
            "doc_id": "manifest" if manifest else "file name" if from_name else "title page",
            "title": "manifest" if manifest else "title page",
            "body": "manifest" if manifest else "title page" if info.body else "unknown",
            "edition": "manifest" if manifest else "title page" if info.edition else "unknown",
            "date": ("manifest" if manifest else "title page") if dates[record.source] else "unknown",
            "doc_type": "manifest" if manifest and info.doc_type else kind.type_from,
            "status": "editions" if status == "superseded" else kind.status_from,
            "lineage": "editions",
        }
        if from_name and not manifest:
            notes.append("metadata unknown: the id is the file name")
        entries.append(
            Entry(
                source=record.source,
                doc_id=info.doc_id,
                lineage=lineage.key,
                edition=info.edition,
                date=dates[record.source],
                date_printed=info.date,
                title=info.title,
                body=info.body,
                group=group_of(info.body, info.doc_id, head),
                doc_type=kind.doc_type,
                status=status,
                stage=kind.status,
                scope=find_scope(first),
                pages=record.pages,
                chunks=record.chunks,
                provenance=provenance,
                current=lineage.current,
                editions=lineage.sources,
                notes=tuple(dict.fromkeys(notes)),
            )
        )
    return Catalogue(tuple(entries), tuple(grouped))


_GROUPS = (
    (re.compile(r"\bISG[\s-]+QKD\b|\bETSI\s+G[SR]\s+QKD\b"), "ETSI ISG QKD"),
    (re.compile(r"\bTC\s+CYBER\b|\bETSI\s+T[SR]\s+103\b"), "ETSI TC CYBER"),
    (re.compile(r"\bJCA-QKDN\b"), "ITU-T JCA-QKDN"),
    (re.compile(r"\bSG\s?13\b|\bStudy Group 13\b"), "ITU-T SG13"),
    (re.compile(r"\bSG\s?17\b|\bStudy Group 17\b"), "ITU-T SG17"),
    (re.compile(r"draft-irtf-qirg-|Quantum Internet Research Group"), "IRTF QIRG"),
    (re.compile(r"draft-ietf-tls-|\bTLS Working Group\b"), "IETF TLS WG"),
    (re.compile(r"\bPQTN\b|Post-Quantum Telco Network|\bGSMA PQ\.\d"), "GSMA PQTN"),
    (re.compile(r"\bFIPS\b|\bNIST SP\b|Information Technology Laboratory"), "NIST ITL"),
)


def group_of(body: str, doc_id: str, head: str) -> str:
    """The group within the body that wrote the document, when the id or title page says."""
    text = f"{doc_id}\n{head[:2000]}"
    return next((group for pattern, group in _GROUPS if pattern.search(text)), body)


def find_scope(pages: Sequence[Page]) -> Scope | None:
    """The first paragraph after a Scope / Abstract / Introduction heading on the first
    pages (not in a table of contents: the paragraph must be prose)."""
    for page in pages:
        for heading in _SCOPE_HEADING.finditer(page.text):
            rest = page.text[heading.end() :]
            paragraph: list[str] = []
            for line in rest.splitlines():
                line = " ".join(line.split())
                if not line:
                    if paragraph:
                        break
                    continue
                if re.search(r"\.{4,}|\s\d+$", line) and not paragraph:
                    break  # a table-of-contents line
                paragraph.append(line)
                if sum(len(p) for p in paragraph) > _SCOPE_CHARS:
                    break
            text = " ".join(paragraph)
            if len(text.split()) >= 8:
                return Scope(text[:_SCOPE_CHARS], page.number)
    return None


CSV_COLUMNS = ("doc_id", "edition", "date", "status", "doc_type", "body", "group", "lineage", "title", "source")


def catalogue_csv(catalogue: Catalogue) -> str:
    """The catalogue as CSV, one row a document (the columns of :data:`CSV_COLUMNS`, then scope)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([*CSV_COLUMNS, "scope", "scope_page", "notes"])
    for e in catalogue.entries:
        row = [getattr(e, column) for column in CSV_COLUMNS]
        writer.writerow([*row, e.scope.text if e.scope else "", e.scope.page if e.scope else "", "; ".join(e.notes)])
    return out.getvalue()
