"""What a document is as standards people see it: its type, its status (draft or
published), its date in ISO form, and which other indexed files are editions of it.

Pure logic over the identity ingest stored (:class:`~qkdnassist.types.DocumentInfo`)
and the text of a document's first pages. :mod:`.catalogue` assembles the records of a
whole index from it; search and answers use the lineages to prefer current editions.

Lineage: files whose ids name one document — the same id once edition words are taken
off ("draft-ietf-tls-hybrid-design" -05 and -16; "NIST FIPS 203" initial public draft
and final; ETSI V1.1.1 and V2.1.1) — *and* whose titles agree. A shared number alone
does not make two files one document (GSMA PQ.03 v1.1 "Government guidelines" and v2.0
"Telecom use cases" are two documents): such pairs are kept apart and reported. The
newest edition (by date, then by edition number) is current, the others superseded.

This module does not read the index or files.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .types import DocumentInfo, DocumentRecord

__all__ = [
    "DOC_TYPES",
    "Classified",
    "Edition",
    "EditionChooser",
    "Lineage",
    "classify",
    "edition_date",
    "edition_exclusions",
    "edition_order",
    "editions_asked",
    "iso_date",
    "lineage_key",
    "lineages",
    "titles_agree",
]

DOC_TYPES = (
    "standard",
    "specification",
    "technical report",
    "draft standard",
    "internet-draft",
    "rfc",
    "guideline",
    "white paper",
    "report",
    "meeting report",
    "liaison statement",
    "document",
)

_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        "january february march april may june july august september october november december".split()
    )
}
_MONTH = r"(January|February|March|April|May|June|July|August|September|October|November|December)"

# Words on a title page or in a title that make a document a draft, or withdrawn.
_DRAFT_MARK = re.compile(
    r"\b(?:initial\s+public\s+draft|second\s+public\s+draft|public\s+draft|draft\s+for\s+(?:public\s+)?"
    r"(?:consultation|comment)|working\s+draft|draft\s+(?:FIPS|NIST|standard|recommendation|version)|"
    r"\(draft\)|internet-draft|ipd)\b",
    re.IGNORECASE,
)
_WITHDRAWN = re.compile(r"\bwithdrawn\b(?!\s+(?:from|by)\b)", re.IGNORECASE)
_EDITION_WORDS = re.compile(
    r"\s*(?:\((?:editor's copy|[^)]*draft[^)]*)\)|\s+(?:V\d+(?:\.\d+)*|v?\d+\.\d+|ipd|initial public draft|draft)\b)",
    re.IGNORECASE,
)
_DRAFT_NAME = re.compile(r"^(draft-[a-z0-9-]+?)(?:-(\d\d|latest))?$")
_WORD = re.compile(r"[a-z0-9]+")
# Words too common in this domain's titles to tell two documents apart.
_TITLE_STOP = frozenset(
    "a an and for in of on the to with post quantum cryptography pqc qkd key distribution guidelines guideline "
    "guide guidance security safe network networks document version edition draft".split()
)


def iso_date(printed: str) -> str:
    """A printed date as ISO ``YYYY-MM-DD`` or ``YYYY-MM`` or ``YYYY``; "" when none.

    >>> [iso_date(d) for d in ("28 August 2022", "August 13, 2024", "2019-02", "(12/2020)", "February 2026")]
    ['2022-08-28', '2024-08-13', '2019-02', '2020-12', '2026-02']
    """
    text = " ".join(printed.split())
    if m := re.search(r"\b(\d{4})-(\d{2})(?:-(\d{2}))?\b", text):
        return "-".join(part for part in m.groups() if part)
    if m := re.search(r"\b(\d{1,2})\s+" + _MONTH + r",?\s+(\d{4})\b", text, re.IGNORECASE):
        return f"{m.group(3)}-{_MONTHS[m.group(2).lower()]:02d}-{int(m.group(1)):02d}"
    if m := re.search(_MONTH + r"\s+(\d{1,2}),\s+(\d{4})\b", text, re.IGNORECASE):
        return f"{m.group(3)}-{_MONTHS[m.group(1).lower()]:02d}-{int(m.group(2)):02d}"
    if m := re.search(_MONTH + r",?\s+(\d{4})\b", text, re.IGNORECASE):
        return f"{m.group(2)}-{_MONTHS[m.group(1).lower()]:02d}"
    if m := re.search(r"\((\d{2})/(\d{4})\)", text):
        return f"{m.group(2)}-{m.group(1)}"
    if m := re.search(r"\b(19|20)(\d{2})\b", text):
        return m.group(0)
    return ""


@dataclass(frozen=True)
class Classified:
    """A document's type and status, and where each came from."""

    doc_type: str
    status: str  # "published", "draft" or "withdrawn" ("superseded" is set by lineage)
    type_from: str
    status_from: str


def classify(info: DocumentInfo, head: str) -> Classified:
    """The type and status of a document from its stated type, title and first pages.

    A draft is a draft whatever its number says: "NIST FIPS 203 (Initial Public
    Draft)" is a *draft standard*, an Internet-Draft is a draft until it is an RFC.
    """
    stated = info.doc_type.lower()
    if "internet-draft" in stated or info.doc_id.startswith("draft-"):
        return Classified("internet-draft", "draft", "front matter", "front matter")
    if stated == "rfc" or re.fullmatch(r"RFC \d+", info.doc_id):
        return Classified("rfc", "published", "front matter", "front matter")
    doc_type = _type_of(stated, f"{info.title} {info.doc_id}")
    named = f"{info.doc_id}\n{info.title}\n{info.edition}"
    if _WITHDRAWN.search(head[:1500]):
        status, status_from = "withdrawn", "title page"
    elif _DRAFT_MARK.search(named):
        status, status_from = "draft", "identity"
    elif _DRAFT_MARK.search(head[:1500]):
        status, status_from = "draft", "title page"
    else:
        status, status_from = "published", "default"
    if status == "draft" and doc_type in ("standard", "specification"):
        doc_type = "draft standard"
    return Classified(doc_type, status, "stated type" if stated else "title", status_from)


def _type_of(stated: str, title: str) -> str:
    both = f"{stated} {title}".lower()
    rules = (
        ("liaison", "liaison statement"),
        ("meeting", "meeting report"),
        ("executive summary", "meeting report"),
        ("white paper", "white paper"),
        ("whitepaper", "white paper"),
        ("technical report", "technical report"),
        ("group report", "technical report"),
        ("specification", "specification"),
        ("recommendation", "standard"),
        ("standard", "standard"),
        ("guideline", "guideline"),
        ("handbook", "guideline"),
        ("position paper", "guideline"),
        ("official document", "guideline"),
        ("report", "report"),
    )
    return next((kind for word, kind in rules if word in both), "document")


def lineage_key(info: DocumentInfo) -> str:
    """The document's id without its edition words: what its editions share.

    >>> lineage_key(DocumentInfo("draft-ietf-tls-hybrid-design-05"))
    'draft-ietf-tls-hybrid-design'
    >>> lineage_key(DocumentInfo("NIST FIPS 203 ipd"))
    'NIST FIPS 203'
    """
    doc_id = " ".join(info.doc_id.split())
    if m := _DRAFT_NAME.match(doc_id):
        return m.group(1)
    return _EDITION_WORDS.sub("", doc_id).strip() or doc_id


def titles_agree(a: str, b: str) -> bool:
    """Whether two titles name one document: half or more of their distinctive words
    are shared (Jaccard; the domain's common title words do not count). An edition may
    reword its title a little; another document that shares its number does not share
    its subject ("Government guidelines" vs "Telecom use cases").

    >>> titles_agree("Hybrid key exchange in TLS 1.3", "Hybrid Key Exchange in TLS 1.3")
    True
    >>> titles_agree("Post-Quantum Cryptography - Guidelines for Telecom Use Cases", "PQC Government Guidelines")
    False
    """
    wa = {w for w in _WORD.findall(a.lower()) if w not in _TITLE_STOP}
    wb = {w for w in _WORD.findall(b.lower()) if w not in _TITLE_STOP}
    if not wa or not wb:
        return not (wa or wb)  # one title says what it is about, the other says nothing alike
    return len(wa & wb) / len(wa | wb) >= 0.5


def edition_order(date: str, edition: str) -> tuple[str, tuple[int, ...]]:
    """Sort key of an edition: its ISO date, then its edition's numbers (V2.1.1 > V1.1.1)."""
    numbers = tuple(int(n) for n in re.findall(r"\d+", edition))
    return (date, numbers)


@dataclass(frozen=True)
class Lineage:
    """The editions of one document, oldest first, and what kept files apart."""

    key: str
    sources: tuple[str, ...]  # oldest first; the last is current
    conflicts: tuple[str, ...] = ()

    @property
    def current(self) -> str:
        return self.sources[-1]


def lineages(items: Sequence[tuple[str, DocumentInfo, str]]) -> list[Lineage]:
    """Group ``(source, info, iso_date)`` triples into lineages.

    Files join a lineage when their lineage keys are equal and their titles agree with
    every file already in it; a file whose key matches but whose title does not starts
    a lineage of its own (reported as a conflict on both). Two files claiming the same
    edition of one lineage are reported too.
    """
    groups: list[tuple[str, list[tuple[str, DocumentInfo, str]]]] = []
    conflicts: dict[int, list[str]] = {}
    for item in sorted(items, key=lambda i: (lineage_key(i[1]), edition_order(i[2], i[1].edition), i[0])):
        key = lineage_key(item[1])
        same_key = [n for n, (k, _) in enumerate(groups) if k == key]
        home = next((n for n in same_key if all(titles_agree(item[1].title, o[1].title) for o in groups[n][1])), None)
        if home is None:
            groups.append((key, [item]))
            home = len(groups) - 1
            for apart in same_key:
                note = f"{key}: {groups[apart][1][0][0]} and {item[0]} share a number but not a title; kept apart"
                conflicts.setdefault(apart, []).append(note)
                conflicts.setdefault(home, []).append(note)
        else:
            for member in groups[home][1]:
                if member[1].edition and member[1].edition == item[1].edition:
                    note = f"{key}: {member[0]} and {item[0]} both claim edition {item[1].edition}"
                    conflicts.setdefault(home, []).append(note)
            groups[home][1].append(item)
    return [
        Lineage(key, tuple(source for source, _, _ in members), tuple(conflicts.get(n, ())))
        for n, (key, members) in enumerate(groups)
    ]


# --- which editions a question is about ----------------------------------------------

_LATEST = re.compile(r"\b(?:latest|current|newest|most recent|recent|final)\b", re.IGNORECASE)
# Not "first" or "original": "the first step", "the original submission" name no edition.
_EARLIER = re.compile(r"\b(?:earlier|earliest|previous|older|oldest|former|prior|superseded)\b", re.IGNORECASE)
_EDITION_WORD = re.compile(r"\b(?:edition|revision|draft|version|publication|release|issue)s?\b", re.IGNORECASE)
_ASKS_DRAFT = re.compile(r"\b(?:initial public draft|public draft|ipd|draft (?:standard|version|FIPS))\b", re.I)
_CHANGE = re.compile(r"\b(?:changed?|changes|differ\w*|between|no longer|dropped|removed|added|new in|since)\b", re.I)
_YEAR = re.compile(r"\b((?:19|20)\d{2})\b")


@dataclass(frozen=True)
class Edition:
    """One edition of a document, as edition choice needs it."""

    source: str
    edition: str
    date: str  # ISO
    stage: str  # published, draft or withdrawn


def editions_asked(question: str, editions: Sequence[Edition]) -> list[str]:
    """The sources of the editions ``question`` names among one document's editions
    (oldest first); [] when it names none.

    An edition is named by its number ("-05", "revision 05", "V1.1.1", "version 2.0"),
    its year or month ("the 2022 draft", "August 2022"), its stage ("the initial public
    draft", "the final standard") or its place ("the earlier edition", "the latest").
    """
    chosen: set[str] = set()
    for e in editions:
        number = e.edition.strip().lstrip("-")
        if re.fullmatch(r"\d{1,2}", number):
            n = int(number)
            pattern = rf"(?<![\w.])-0?{n}\b|\b(?:revision|rev\.?|draft|version|edition)\s+-?0?{n}\b"
            if re.search(pattern, question, re.IGNORECASE):
                chosen.add(e.source)
        elif number and re.search(rf"(?<![\w.]){re.escape(number)}(?![\w.])", question, re.IGNORECASE):
            chosen.add(e.source)
    years = set(_YEAR.findall(question))
    dated = [e for e in editions if e.date[:4] in years]
    if dated and len({e.date[:4] for e in editions}) > 1:
        chosen.update(e.source for e in dated)
    if _ASKS_DRAFT.search(question):
        chosen.update(e.source for e in editions if e.stage == "draft")
    if _EDITION_WORD.search(question) or _CHANGE.search(question):
        if _EARLIER.search(question):
            chosen.add(editions[-2].source if len(editions) > 1 else editions[0].source)
        if _LATEST.search(question):
            chosen.add(editions[-1].source)
    return [e.source for e in editions if e.source in chosen]


def edition_date(info: DocumentInfo) -> str:
    """A document's ISO date: from its printed date, else from its edition ("August 2024")."""
    return iso_date(info.date) or iso_date(info.edition)


class EditionChooser:
    """The documents of an index that have several editions, ready to choose from
    (built once per index generation; choosing is then per question)."""

    def __init__(self, records: Sequence[DocumentRecord]) -> None:
        dates = {r.source: edition_date(r.info) for r in records}
        self.infos = {r.source: r.info for r in records}
        grouped = lineages([(r.source, r.info, dates[r.source]) for r in records])
        multi = [lineage for lineage in grouped if len(lineage.sources) > 1]
        self.documents: list[list[Edition]] = [
            [Edition(s, self.infos[s].edition, dates[s], classify(self.infos[s], "").status) for s in lineage.sources]
            for lineage in multi
        ]
        # Source of every superseded edition → the source of its document's current edition.
        self.superseded = {source: lineage.current for lineage in multi for source in lineage.sources[:-1]}

    def exclusions(self, question: str, edition: str = "current") -> frozenset[str]:
        """The sources search leaves out for ``question``: of every document with several
        editions, those it does not ask about — all but the current one by default.

        ``edition`` is ``current`` (the default: the editions the question names, else
        the current one), ``all`` (nothing left out) or a specific edition ("-05",
        "V1.1.1", "2022"): that edition where a document has it, else the current one.
        """
        if edition == "all" or not self.documents:
            return frozenset()
        excluded: set[str] = set()
        for members in self.documents:
            asked = editions_asked(question if edition == "current" else edition, members)
            kept = set(asked or [members[-1].source])
            excluded.update(e.source for e in members if e.source not in kept)
        return frozenset(excluded)

    def superseded_notes(self, sources: Sequence[str]) -> list[str]:
        """A note for every one of ``sources`` that a newer edition supersedes, naming it."""
        notes = []
        for source in dict.fromkeys(sources):
            if source in self.superseded:
                old, new = self.infos[source], self.infos[self.superseded[source]]
                notes.append(
                    f"{old.doc_id} {old.edition} is superseded: the current edition is {new.doc_id} {new.edition}"
                )
        return notes


def edition_exclusions(records: Sequence[DocumentRecord], question: str, edition: str = "current") -> frozenset[str]:
    """:meth:`EditionChooser.exclusions` over ``records`` (builds the chooser each call)."""
    return EditionChooser(records).exclusions(question, edition)
