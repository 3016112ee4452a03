"""References between documents: each document's reference clauses parsed into entries,
each entry resolved to the indexed document it names, and who cites a document.

Read at query time from the page texts ingest stored (nothing is read from the files
again). A reference clause is a heading "References", "Normative references",
"Informative references" or "Bibliography" (numbered or not) and the lines after it up
to the next heading; its entries start with a label — ``[1]``, ``[i.1]``,
``[RFC2119]`` — or are the rows of a reference table (GSMA: ``Ref | Doc Number |
Title``). The kind comes from the heading (normative / informative) or from an ETSI
``[i.N]`` label; otherwise it is "unknown". Identifiers are written the way the
catalogue writes ids ("IETF RFC 7230" and "ETSI RFC 8446" are "RFC 7230" and
"RFC 8446"; "NIST Special Publication (SP) 800-56A Revision 3" is "NIST SP 800-56A").

Resolution links an entry to an indexed document only when its id *is* that document's
id or alias (:func:`~qkdnassist.search.refs.doc_aliases`), and then to the current
edition of its lineage: an entry that names something else is never linked.

This module does not search, rank or write the index.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from ..errors import QuestionError
from ..search.refs import doc_aliases, squash_id
from ..store.index import Index
from ..types import Page
from .catalogue import Catalogue, catalogue_of

__all__ = [
    "CitedBy",
    "InTextCitation",
    "Reference",
    "ReferenceReport",
    "find_document",
    "id_resolver",
    "in_text_citations",
    "mentions",
    "normalise_id",
    "parse_references",
    "references",
]

_HEADING = re.compile(
    r"^(?P<number>(?:\d+(?:\.\d+)*|[A-Z](?:\.\d+)+|Annex [A-Z]|Appendix [A-Z])\.?\s+)?"
    r"(?:[A-Z][\w ,]*?\s+and\s+)?(?P<kind>Normative\s+|Informative\s+)?(?:References|Bibliography)$",
    re.IGNORECASE,
)
# A heading that ends a reference clause: a numbered clause, an annex, the end matter.
_END = re.compile(
    r"^(?:(?:\d+(?:\.\d+)*\.?|[A-Z]\.\d+(?:\.\d+)*\.?|Annex [A-Z]|Appendix [A-Z])\s+[A-Z][\w ,:;()'’/-]{2,80}"
    r"|Acknowledg(?:e)?ments?|Authors?'? Addresses|Contributors|History|Annex [A-Z].*|Appendix [A-Z].*)$"
)
_LABEL = re.compile(r"^\[\s*([^\]\s][^\]]{0,60}?)\s*\]\s*(.*)$")
_TABLE_HEADER = re.compile(r"^Ref\s*\|", re.IGNORECASE)

# Standard identifiers, each with how the catalogue writes it (see normalise_id).
_ID_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\bdraft-[a-z0-9]+(?:-[a-z0-9]+)+"), "draft"),
    (re.compile(r"\bRFC\s?(\d{3,5})\b"), "RFC {0}"),
    (
        re.compile(r"\bETSI\s+((?:GS|GR|TS|TR|EN|ES|EG)\s+)?([A-Z]{2,6}\s+)?(\d{3}(?:\s\d{3})?(?:-\d+)*)\b"),
        "etsi",
    ),
    (re.compile(r"\b(?:ITU-T\s+(?:Rec(?:ommendation)?\.?\s+)?)([A-Z]\.\d{3,4}(?:\.\d+)?)\b"), "ITU-T {0}"),
    (re.compile(r"\bFIPS\)?\s+(?:PUB\s+)?(\d{3}(?:-\d)?)\b"), "NIST FIPS {0}"),
    (re.compile(r"\bITU-T\s+(?:(?:Draft new\s+)?Technical Report\s+)?([A-Z]{1,5}\.[A-Z]{2}[A-Z-]*)"), "ITU-T {0}"),
    (re.compile(r"\b(?:SP|Special Publication(?:\s+\(SP\))?)\s+(800-\d+[A-Z]?(?:\s+Part\s+\d)?)"), "NIST SP {0}"),
    (re.compile(r"\bNIST\s*(?:Interagency or Internal Report\s+)?\(?IR\)?\s*(\d{4})\b"), "NIST IR {0}"),
    (re.compile(r"\bISO/IEC\s+(?:TS\s+|TR\s+)?(\d{4,5}(?:-\d+)?)"), "ISO/IEC {0}"),
    (re.compile(r"\b3GPP\s+(T[SR])\s+(\d{2}\.\d{3})\b"), "3GPP {0} {1}"),
    (re.compile(r"\bGSMA[\s-]+(?:Official Document\s+)?([A-Z]{2,4})\.(\d{2})\b"), "GSMA {0}.{1}"),
)
_EDITION = re.compile(
    r"\((V\d+\.\d+\.\d+)\)|\b(V\d+\.\d+\.\d+)\b|\b(Rev(?:ision|\.)\s*\d+)|\bVersion\s+(\d+(?:\.\d+)*)", re.IGNORECASE
)
_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
_DATE = re.compile(rf"\b((?:\d{{1,2}}\s+)?(?:{_MONTHS})\s+\d{{4}})\b|\((\d{{4}}(?:-\d{{2}})?)\)|:(\d{{4}})\b")
_TITLE = re.compile(r"[\"“]([^\"”]{4,300})[\"”]")
_NIST_TITLE = re.compile(r"^.{2,400}?\s\(\d{4}\)\s+(?P<title>.+?)(?=,\s*\(|\.\s|\s\(|\.?$)")


@dataclass(frozen=True)
class Reference:
    """One entry of a reference clause (its JSON shape: :func:`~qkdnassist.app.render.reference_json`)."""

    label: str
    id: str  # the referenced document's id as the catalogue writes ids ("" when it has none)
    title: str
    edition: str
    date: str
    kind: str  # normative, informative or unknown
    text: str  # the whole entry, on one line
    clause: str
    page: int
    resolved: str = ""  # the source of the indexed document (current edition), "" when none


@dataclass(frozen=True)
class CitedBy:
    """A place in another document that cites this one (by a reference entry or by name)."""

    doc_id: str
    source: str
    clause: str
    page: int
    quote: str


@dataclass(frozen=True)
class ReferenceReport:
    """A document's references and the places that cite it."""

    doc_id: str
    source: str
    references: tuple[Reference, ...]
    cited_by: tuple[CitedBy, ...]


def normalise_id(text: str) -> tuple[str, str]:
    """The first standard identifier ``text`` names, written the way the catalogue
    writes ids, and the edition the identifier itself carries ("" when none).

    "ETSI RFC 8446" → ("RFC 8446", ""); "draft-kaws-qirg-advent-02" →
    ("draft-kaws-qirg-advent", "-02"); "NIST Special Publication (SP) 800-56A" →
    ("NIST SP 800-56A", ""). ("", "") when it names none.
    """
    text = re.sub(r"(draft-[a-z0-9-]*-)\s+(?=[a-z0-9])", r"\1", text)
    found: list[tuple[int, str, str]] = []
    for pattern, form in _ID_PATTERNS:
        for m in pattern.finditer(text):
            if form == "draft":
                name = m.group(0).rstrip("-")
                version = re.search(r"-(\d{2})$", name)
                found.append(
                    (m.start(), name[: version.start()] if version else name, version.group(0) if version else "")
                )
            elif form == "etsi":
                deliverable, group, number = (g.strip() if g else "" for g in m.groups())
                if not deliverable and group in ("", "RFC"):
                    continue
                found.append((m.start(), " ".join(p for p in ("ETSI", deliverable, group, number) if p), ""))
            else:
                found.append((m.start(), form.format(*m.groups()), ""))
            break
    if not found:
        return "", ""
    _, ident, edition = min(found)
    return ident, edition


def _repair_cell(cell: str) -> str:
    """A table cell's first capital split from its word by the PDF ("I SO/IEC 27001",
    "R FC 8784", "G SMA PQ.01") joined again."""
    return re.sub(r"^([A-Z]) (?=[A-Za-z])", r"\1", cell)


def _running_lines(pages: Sequence[Page]) -> frozenset[str]:
    """Lines (digits ignored) that repeat on a third of the pages: headers and footers."""
    if len(pages) < 3:
        return frozenset()
    counts: dict[str, int] = {}
    for page in pages:
        for line in {re.sub(r"\d+", "#", " ".join(ln.split())) for ln in page.text.splitlines() if ln.strip()}:
            counts[line] = counts.get(line, 0) + 1
    return frozenset(line for line, n in counts.items() if n >= max(3, len(pages) // 3))


@dataclass
class _Raw:
    """An entry while its lines are read."""

    label: str
    kind: str
    clause: str
    page: int
    cells: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)


def parse_references(pages: Sequence[Page]) -> list[Reference]:
    """The entries of every reference clause on ``pages`` (one document's, in order)."""
    running = _running_lines(pages)
    entries: list[_Raw] = []
    kind = clause = ""
    active = False
    for page in pages:
        for raw in page.text.splitlines():
            line = " ".join(raw.split())
            if not line or re.sub(r"\d+", "#", line) in running or re.fullmatch(r"\d+", line):
                continue
            if heading := _HEADING.match(line):
                active = True
                kind = (heading.group("kind") or "").strip().lower() or ("" if heading.group("number") else kind)
                clause = (heading.group("number") or "").strip().rstrip(".")
                continue
            if not active or _TABLE_HEADER.match(line):
                continue
            label = _LABEL.match(line)
            if not raw.startswith(" ") and _END.match(line) and not label:
                active = False  # the next clause
                continue
            cells = [c.strip() for c in line.split(" | ")] if " | " in line else []
            if cells and (label or len(cells) >= 2):  # a row of a reference table
                entries.append(_Raw(label.group(1) if label else cells[0], kind, clause, page.number, cells[1:]))
            elif label:
                entries.append(_Raw(label.group(1), kind, clause, page.number, lines=[label.group(2)]))
            elif entries:
                entries[-1].lines.append(line)
    return [_entry(e) for e in entries]


def _entry(raw: _Raw) -> Reference:
    label, cells = raw.label, list(raw.cells)
    text = " ".join([*cells, *raw.lines]).strip()
    text = re.sub(r"(\w)- (\w)", r"\1-\2", text) if "http" in text else text
    if len(cells) >= 2:
        cells[0] = _repair_cell(cells[0])
    title, titled = _title(text, cells)
    if re.fullmatch(r"RFC\d+", label):  # IETF: the label is the RFC's own number
        ident, id_edition = normalise_id(label)
    elif len(cells) >= 2:  # a table row: the Doc Number cell, else the title cell
        ident, id_edition = normalise_id(cells[0])
        fuller, fuller_edition = normalise_id(text)
        if not ident or (fuller != ident and fuller.split()[-1:] == ident.split()[-1:] and len(fuller) > len(ident)):
            ident, id_edition = fuller, fuller_edition  # "ETSI ETI 001" whose cell wrapped "ETSI GR ETI 001"
    else:  # the entry's own number, never one its title mentions ("Updates for FIPS 203") …
        ident, id_edition = normalise_id(text.replace(title, " ") if titled else text)
        if not ident and titled and ":" in title:  # … unless the title opens with it ("ETSI GS QKD 014: …")
            ident, id_edition = normalise_id(title.split(":")[0])
    etsi_informative = re.fullmatch(r"i\.\d+", label) is not None
    return Reference(
        label=label,
        id=ident,
        title=" ".join(title.split()).rstrip(".,"),
        edition=id_edition or _first(_EDITION, text),
        date=_first(_DATE, text),
        kind="informative" if etsi_informative else raw.kind or "unknown",
        text=text,
        clause=raw.clause,
        page=raw.page,
    )


def _first(pattern: re.Pattern[str], text: str) -> str:
    m = pattern.search(text)
    return next((g for g in m.groups() if g), "") if m else ""


def _title(text: str, cells: Sequence[str]) -> tuple[str, bool]:
    """The entry's title, and whether it is one (quoted, or NIST's "Authors (year) Title.")
    rather than the start of the entry."""
    if cells:  # a row with a Doc Number cell has a title cell; a row of one cell is the whole entry
        return " ".join(cells[-1].split())[:300], len(cells) >= 2
    if m := _TITLE.search(text):
        return m.group(1), True
    if m := _NIST_TITLE.match(text):
        return m.group("title"), True
    return text[:200], False


# --- resolution and "cited by" ---------------------------------------------------------


def find_document(catalogue: Catalogue, name: str) -> str:
    """The source of the current edition of the document ``name`` names ("" when none or
    ambiguous): an id, a lineage or an alias ("QKD 014", "FIPS 203"); a source names itself."""
    if name in catalogue.by_source():
        return name
    editions = catalogue.editions_of(name)
    if editions:
        return editions[-1].current
    wanted = squash_id(name)
    hits = {e.current for e in catalogue.entries if wanted in doc_aliases(e.doc_id)}
    return next(iter(hits)) if len(hits) == 1 else ""


def id_resolver(catalogue: Catalogue) -> dict[str, str]:
    """Squashed id or alias → the source of the current edition it names (unique ones only)."""
    owners: dict[str, set[str]] = {}
    for entry in catalogue.entries:
        for alias in doc_aliases(entry.doc_id) | {squash_id(entry.lineage)}:
            owners.setdefault(alias, set()).add(entry.current)
    return {alias: next(iter(s)) for alias, s in owners.items() if len(s) == 1}


def resolve(reference: Reference, resolver: dict[str, str]) -> str:
    """The source of the indexed document ``reference`` names, or "" (never a guess)."""
    if not reference.id:
        return ""
    squashed = squash_id(reference.id)
    return resolver.get(squashed, "")


_NAME = re.compile(
    r"\b(?:ETSI\s+(?:GS|GR|TS|TR|EN|ES|EG)\s+(?:[A-Z]{2,6}\s+)?\d{3}(?:-\d+)?|(?:ITU-T\s+)?[A-Z]\.\d{4}"
    r"|RFC\s?\d{3,5}|(?:NIST\s+)?FIPS[\s-]?\d{3}|(?:NIST\s+)?SP\s?800-\d+[A-Z]?|GSMA\s+PQ\.\d+|PQ\.\d{2}"
    r"|draft-[a-z0-9]+(?:-[a-z0-9]+)+)\b"
)


def mentions(text: str) -> list[tuple[str, int]]:
    """The standards ``text`` names by number: (squashed name, offset), in order."""
    found = []
    for m in _NAME.finditer(text):
        name = re.sub(r"-\d{2}$", "", m.group(0)) if m.group(0).startswith("draft-") else m.group(0)
        found.append((squash_id(name), m.start()))
    return found


def _quote(text: str, at: int) -> str:
    start = max(text.rfind(". ", 0, at), text.rfind("\n", 0, at)) + 1
    ends = [i for i in (text.find(". ", at), text.find("\n", at)) if i != -1]
    end = min(ends) + 1 if ends else len(text)
    return " ".join(text[start:end].split())[:400]


def cited_by(
    target: str, catalogue: Catalogue, texts: Iterable[tuple[str, str, str, int, str]], resolver: dict[str, str]
) -> list[CitedBy]:
    """The places in other documents that name ``target`` (a source): ``texts`` are
    (source, doc_id, clause, page, text) passages; one place a document and clause."""
    by_source = catalogue.by_source()
    lineage = set(by_source[target].editions) if target in by_source else {target}
    found: dict[tuple[str, str], CitedBy] = {}
    for source, doc_id, clause, page, text in texts:
        if source in lineage:
            continue
        for name, at in mentions(text):
            if resolver.get(name) == target and (source, clause) not in found:
                found[(source, clause)] = CitedBy(doc_id, source, clause, page, _quote(text, at))
    return sorted(found.values(), key=lambda c: (c.doc_id, c.page))


_IN_TEXT = re.compile(
    r"\[(?P<label>i\.\d+|\d{1,3}|[A-Za-z][\w.\-]{1,50})\]"
    r"|\b(?P<what>clause|section|annex|table|figure|algorithm)\s+(?P<place>\d+(?:\.\d+)*|[A-Z](?:\.\d+)*)\b"
    rf"(?:\s+of\s+(?:the\s+)?(?P<doc>{_NAME.pattern}))?",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class InTextCitation:
    """A citation in running text: "[1]", "[RFC2119]", "clause 6.3", "see clause 5.2 of
    ETSI GS QKD 004", "Table 3" — and what it points to."""

    marker: str
    place: str  # "clause 6.3", "Table 3"; "" for a whole document
    reference: Reference | None  # the reference entry a label or a named document points to
    source: str  # the indexed document it points into ("" when that is not indexed)


def in_text_citations(text: str, report: ReferenceReport, resolver: dict[str, str]) -> list[InTextCitation]:
    """The citations in ``text`` (a passage of ``report``'s document), each resolved to a
    reference entry, a place of the same document, or a place of the referenced one."""
    by_label = {squash_id(r.label): r for r in report.references}  # "[GSMA-PQ.02]" is the row "GSMA- PQ.02"
    by_id = {squash_id(r.id): r for r in report.references if r.id}
    found = []
    for m in _IN_TEXT.finditer(text):
        if m.group("label"):
            entry = by_label.get(squash_id(m.group("label")))
            if entry is not None:
                found.append(InTextCitation(m.group(0), "", entry, entry.resolved))
            continue
        place = f"{m.group('what').lower() if m.group('what').lower() != 'section' else 'clause'} {m.group('place')}"
        place = place[0].upper() + place[1:] if place.split()[0] in ("table", "figure", "algorithm") else place
        if m.group("doc"):
            squashed = squash_id(m.group("doc"))
            entry = by_id.get(squashed)
            found.append(InTextCitation(m.group(0), place, entry, resolver.get(squashed, "")))
        else:
            found.append(InTextCitation(m.group(0), place, None, report.source))
    return found


def references(index: Index, name: str, *, with_cited_by: bool = True) -> ReferenceReport:
    """The references of the document ``name`` names, resolved, and who cites it.

    Raises:
        QuestionError: no indexed document (or more than one) has that name.
    """
    records = index.documents()
    pages = {r.source: index.pages(r.source) for r in records}
    catalogue = catalogue_of(records, {s: p[:12] for s, p in pages.items()})
    source = find_document(catalogue, name)
    if not source:
        raise QuestionError(f"{name!r} names no indexed document (or more than one); see 'qkdnassist catalogue'")
    resolver = id_resolver(catalogue)
    entries = [replace(r, resolved=resolve(r, resolver)) for r in parse_references(pages[source])]
    record = next(r for r in records if r.source == source)
    texts = ((c.source, c.doc_id, c.clause, c.page, c.text) for c in index.chunks_in_order())
    return ReferenceReport(
        record.info.doc_id, source, tuple(entries), tuple(cited_by(source, catalogue, texts, resolver))
    )
