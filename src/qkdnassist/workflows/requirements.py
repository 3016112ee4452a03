"""Requirements: the normative statements of a document, with their strength, following
the drafting rules of the body that wrote it.

- ETSI (Drafting Rules, clause 3.2): shall / shall not (requirement), should / should
  not (recommendation), may / need not (permission), can / cannot (possibility and
  capability).
- ITU-T: "is required to", "is prohibited from", "is recommended to", "is not
  recommended", "can optionally".
- IETF (BCP 14): MUST, MUST NOT, REQUIRED, SHALL, SHALL NOT, SHOULD, SHOULD NOT,
  RECOMMENDED, NOT RECOMMENDED, MAY, OPTIONAL — in capitals, and only in a document that
  cites RFC 2119 or RFC 8174 (lower-case "must" in an RFC is prose).
- NIST: shall / shall not, should / should not, may (and "need not", its negation).
- Others (GSMA, national guides): must / shall, should (and their negations); "may" is
  left out there, as those documents use it for possibility ("a CRQC may break RSA").

A statement is a whole sentence or a table row, read from the stored chunks of the
document (clause, page). Notes, examples, the BCP 14 / modal-verbs boilerplate, the
definitions and references clauses, and words in quotation marks (an error message
"size shall be a multiple of 8") are not requirements. Each statement has a ``level``
(shall, should, may, can) that filters group strengths by.

This module does not search or rank; it reads what ingest stored.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import QuestionError
from ..sentences import split_sentences
from ..store.index import Index
from ..types import Chunk, DocumentRecord
from .catalogue import catalogue_of
from .references import find_document, parse_references

__all__ = [
    "CSV_COLUMNS",
    "LEVELS",
    "Requirement",
    "RequirementReport",
    "all_requirements",
    "document_requirements",
    "drafting_rules",
    "extract_requirements",
    "matches_topic",
    "requirements_csv",
    "requirements_xlsx",
]

LEVELS = ("shall", "should", "may", "can")
_LEVEL = {
    "shall": "shall", "shall not": "shall", "must": "shall", "must not": "shall", "required": "shall",
    "prohibited": "shall", "should": "should", "should not": "should", "recommended": "should",
    "not recommended": "should", "may": "may", "need not": "may", "optional": "may", "can optionally": "may",
    "can": "can", "cannot": "can",
}  # fmt: skip


def _words(*phrases: str) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in phrases)
    return re.compile(rf"\b(?:{alternatives})\b")


# Longer phrases first, so "shall not" wins over "shall".
_BCP14 = "MUST NOT|MUST|REQUIRED|SHALL NOT|SHALL|SHOULD NOT|SHOULD|NOT RECOMMENDED|RECOMMENDED|MAY|OPTIONAL"
_RULES: dict[str, re.Pattern[str]] = {
    "etsi": _words("shall not", "shall", "should not", "should", "need not", "may", "cannot", "can"),
    "itu-t": re.compile(
        r"\b(?:is|are) (?P<s1>required) to\b|\b(?:is|are) (?P<s2>prohibited) from\b"
        r"|\b(?:is|are) (?P<s3>recommended) to\b|\b(?:is|are) (?P<s4>not recommended)\b|\b(?P<s5>can optionally)\b"
    ),
    "ietf": _words(*_BCP14.split("|")),
    "nist": _words("shall not", "shall", "should not", "should", "need not", "may"),
    "general": _words("must not", "must", "shall not", "shall", "should not", "should"),
}

_NOT_REQUIREMENTS = re.compile(
    r"\b(?:terms|definitions?|abbreviations?|symbols|references|bibliography|foreword|modal verbs|"
    r"intellectual property|copyright|status of this memo|requirements language|conventions|contents|"
    r"acknowledg\w*|authors?'? address\w*|history|change history|document management|examples?)\b",
    re.IGNORECASE,
)
_NOTE = re.compile(r"^(?:NOTE|EXAMPLE|Example|For example|E\.g\.)\b")
_BOILERPLATE = re.compile(r"are to be interpreted as described in|\bkey words\b|\bit should be noted\b", re.IGNORECASE)
# What a document says of its own future versions binds no one.
_ABOUT_ITSELF = re.compile(r"^(?:future versions of )?(?:the present|this) (?:document|specification)\b", re.IGNORECASE)
_INDIRECT = re.compile(r"\b(?:how|what|whether)\s+(?:\S+\s+){0,4}$")
# NIST writes "may" for possibility too ("intermediate values may reveal …", "there may be
# flaws", "may be more efficient"); a permission is "may (also) be <participle>" or "may <act>".
_POSSIBILITY = re.compile(
    r"\bthere may be\b|\bmay (?:also )?be (?!(?:\w+ed|\w+en|used|made|set|done|run|kept|built|sent|put|held|"
    r"shown|given|chosen|known|read|met|split|found)\b)\w+|\bmay (?:lead|leak|reveal|interfere|cause|result|"
    r"affect|help|break|fail|differ|vary|expose|compromise|depend|contain|occur|not)\b"
)
_CONDITIONAL = re.compile(r"should (?:the|a|an|any|this|it|they|such)\b")
_QUOTED = re.compile(r"\"[^\"]*\"|“[^”]*”")
_EXAMPLE_ALONE = re.compile(r"^(?:NOTE|EXAMPLE)\s*\d*\s*:?$")  # its body is the rest of the clause
_JSON_HEAD = re.compile(r"^.*[}\]]\s+(?=[A-Z][a-z])")  # a JSON example the sentence follows
_JSON_TAIL = re.compile(r"\s+\{\s*\".*$")  # a JSON example that follows the sentence
_EXAMPLE_TAIL = re.compile(r"(?:https?://\S+|\})\s+(?=[A-Z][a-z])")
_ROLE = re.compile(
    r"\b(master SAE|slave SAE|SAEs?|KMEs?|Trusted Nodes?|QKD networks?|QKD Entit(?:y|ies)|implementers?|"
    r"implementations?|applications?|vendors?|operators?|organi[sz]ations?|enterprises?|the API|"
    r"servers?|clients?|users?|ML-KEM\.\w+|ML-DSA\.\w+)\b",
    re.IGNORECASE,
)
_SINGULAR = {"ies": "y", "s": ""}


@dataclass(frozen=True)
class Requirement:
    """One normative statement (its JSON shape: :func:`~qkdnassist.app.render.requirement_json`)."""

    id: str  # "5.1-3": the third statement of clause 5.1
    strength: str  # the keyword as the rules name it: "shall not", "must", "MAY" → "may"
    level: str  # shall, should, may or can
    subject: str  # what it binds when stated: "KME", "SAE", "implementer" ("" when not)
    text: str
    clause: str
    clause_title: str
    page: int
    doc_id: str
    source: str


@dataclass(frozen=True)
class RequirementReport:
    """A document's requirements, and the drafting rules they were read by."""

    doc_id: str
    source: str
    body: str
    rules: str
    requirements: tuple[Requirement, ...]


def drafting_rules(record: DocumentRecord, cites_bcp14: bool) -> str:
    """Which body's drafting rules a document follows: etsi, itu-t, ietf, nist or general
    ("none" for an IETF document that does not cite RFC 2119 / RFC 8174)."""
    body, doc_id = record.info.body.upper(), record.info.doc_id
    if body.startswith("ETSI") or doc_id.startswith("ETSI"):
        return "etsi"
    if body in ("IETF", "IRTF") or doc_id.startswith(("draft-", "RFC")):
        return "ietf" if cites_bcp14 else "none"
    if body.startswith("ITU"):
        return "itu-t"
    if body.startswith("NIST") or doc_id.startswith("NIST"):
        return "nist"
    return "general"


def _strength(match: re.Match[str]) -> str:
    named = [v for k, v in match.groupdict().items() if k.startswith("s") and v]
    return " ".join((named[0] if named else match.group(0)).lower().split())


def _subject(sentence: str, at: int) -> str:
    roles = list(_ROLE.finditer(sentence, 0, at))
    if not roles:
        head = sentence[:at].strip(" ,;:")
        words = head.split()
        if 0 < len(words) <= 4 and not re.search(r"[,;:()]|\b(?:if|when|where|it|this|that)\b", head, re.I):
            return re.sub(r"^(?:the|a|an|each|every|any|all)\s+", "", head, flags=re.I)
        return ""
    role = roles[-1].group(1)
    for plural, single in _SINGULAR.items():
        if role.endswith(plural) and not role.endswith("ss") and not role.startswith(("ML-", "the API")):
            role = role[: -len(plural)] + single
            break
    return role[0].upper() + role[1:] if role.islower() else role


def _statements(chunk: Chunk) -> Iterable[str]:
    """The sentences and table rows of a chunk, examples and JSON examples cut off; an
    "EXAMPLE 4:" alone on its line ends the chunk (its body follows)."""
    for sentence in split_sentences(chunk.text):
        if sentence == chunk.clause_title.split(" > ")[-1]:
            continue  # the clause heading
        if _EXAMPLE_ALONE.match(sentence):
            yield ""
            return
        if _NOTE.match(sentence):
            # "EXAMPLE 1: … https://…/enc_keys?number=3 In all other cases, the SAE shall …"
            tail = list(_EXAMPLE_TAIL.finditer(sentence))
            if not tail:
                continue
            sentence = sentence[tail[-1].end() :]
        yield _JSON_TAIL.sub("", _JSON_HEAD.sub("", sentence))


def _possibility(text: str, match: re.Match[str]) -> bool:
    """Whether this "may" states a possibility, not a permission (NIST)."""
    if match.group(0) != "may":
        return False
    start = match.start() - 6 if text[max(0, match.start() - 6) : match.start()] == "there " else match.start()
    return _POSSIBILITY.match(text, start) is not None


def extract_requirements(chunks: Sequence[Chunk], rules: str) -> list[Requirement]:
    """The requirements of one document's ``chunks`` (in reading order) by ``rules``."""
    if rules not in _RULES:
        return []
    pattern = _RULES[rules]
    found: list[Requirement] = []
    counts: dict[str, int] = {}
    example_in = None  # the clause whose remaining paragraphs are an example's body
    for chunk in chunks:
        if _NOT_REQUIREMENTS.search(chunk.clause_title) or (not chunk.clause and chunk.page <= 2):
            continue
        if not chunk.clause and rules in ("etsi", "itu-t"):
            continue  # the unnumbered front matter (foreword, introduction) is informative
        if example_in is not None and chunk.context == example_in[0] and chunk.clause == example_in[1]:
            continue
        example_in = None
        for sentence in _statements(chunk):
            if not sentence:
                example_in = (chunk.context, chunk.clause)
                break
            if _BOILERPLATE.search(sentence) or sentence.endswith("?"):
                continue
            bare = _QUOTED.sub(lambda m: " " * len(m.group(0)), sentence)
            match = pattern.search(bare)
            if match is None or _ABOUT_ITSELF.match(sentence) or sentence.startswith("Future versions"):
                continue
            if _INDIRECT.search(bare, 0, match.start()):
                continue  # "… addresses how an organisation should approach risk": a description
            while match is not None and rules == "nist" and _possibility(bare, match):
                match = pattern.search(bare, match.end())
            if match is None:
                continue
            if _CONDITIONAL.match(bare, match.start()):
                match = pattern.search(bare, match.end())  # "… loss should the QCTA exploit …" is an "if"
                if match is None:
                    continue
            counts[chunk.clause] = counts.get(chunk.clause, 0) + 1
            strength = _strength(match)
            found.append(
                Requirement(
                    id=f"{chunk.clause or '0'}-{counts[chunk.clause]}",
                    strength=strength,
                    level=_LEVEL[strength],
                    subject=_subject(sentence, match.start()),
                    text=sentence,
                    clause=chunk.clause,
                    clause_title=chunk.clause_title.split(" > ")[-1],
                    page=chunk.page,
                    doc_id=chunk.doc_id,
                    source=chunk.source,
                )
            )
    return found


def matches_topic(requirement: Requirement, topic: str) -> bool:
    """Whether every word of ``topic`` (of three letters or more) is in the statement or
    its clause title (word starts: "deliver" finds "delivery")."""
    haystack = f"{requirement.text} {requirement.clause_title}".lower()
    words = [w[:6] for w in re.findall(r"[a-z0-9][a-z0-9\-]{2,}", topic.lower()) if w not in _STOP]
    return all(re.search(rf"\b{re.escape(w)}", haystack) for w in words)


_STOP = frozenset({"the", "and", "for", "with", "from", "that", "this", "are", "what", "which", "how", "of"})


def document_requirements(
    index: Index, name: str, *, topic: str = "", level: str = "", records: Sequence[DocumentRecord] | None = None
) -> RequirementReport:
    """The requirements of the document ``name`` names, filtered by topic and level.

    Raises:
        QuestionError: no indexed document (or more than one) has that name.
    """
    records = list(records if records is not None else index.documents())
    catalogue = catalogue_of(records, {})
    source = find_document(catalogue, name)
    if not source:
        raise QuestionError(f"{name!r} names no indexed document (or more than one); see 'qkdnassist catalogue'")
    return _report(index, next(r for r in records if r.source == source), topic, level)


def _report(index: Index, record: DocumentRecord, topic: str, level: str) -> RequirementReport:
    chunks = [index.chunk_at(record.source, n) for n in range(record.chunks)]
    kept = [c for c in chunks if c is not None]
    cites = any(r.id in ("RFC 2119", "RFC 8174") for r in parse_references(index.pages(record.source)))
    rules = drafting_rules(record, cites)
    found = [
        r
        for r in extract_requirements(kept, rules)
        if (not topic or matches_topic(r, topic)) and (not level or r.level == level)
    ]
    return RequirementReport(record.info.doc_id, record.source, record.info.body, rules, tuple(found))


def all_requirements(index: Index, *, topic: str = "", level: str = "") -> list[RequirementReport]:
    """Every current document's requirements on ``topic``: the cross-body matrix's rows."""
    records = index.documents()
    catalogue = catalogue_of(records, {})
    current = {e.source for e in catalogue.entries if e.is_current}
    reports = [_report(index, r, topic, level) for r in records if r.source in current]
    return sorted(reports, key=lambda r: (r.body, r.doc_id))


CSV_COLUMNS = ("id", "doc_id", "strength", "level", "subject", "clause", "page", "text")


def requirements_csv(requirements: Iterable[Requirement]) -> str:
    """Requirements as CSV, one row a statement (the columns of :data:`CSV_COLUMNS`)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for r in requirements:
        writer.writerow([getattr(r, column) for column in CSV_COLUMNS])
    return out.getvalue()


def requirements_xlsx(requirements: Iterable[Requirement], path: Path) -> None:
    """Requirements as an Excel workbook (one sheet, the columns of :data:`CSV_COLUMNS`).

    Raises:
        UsageError: the file cannot be written.
    """
    from openpyxl import Workbook

    from ..errors import UsageError

    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook has one sheet
    sheet.title = "requirements"
    sheet.append(list(CSV_COLUMNS))
    for r in requirements:
        sheet.append([getattr(r, column) for column in CSV_COLUMNS])
    try:
        book.save(path)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc}") from exc
