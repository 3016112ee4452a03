"""What a document is: from the manifest when listed, else detected from its first
pages, else from its file name.

The manifest is a TSV file (``corpus/manifest.tsv`` by default) with the columns
``path doc_id title body edition date doc_type url sha256``. An entry matches a file
by its path relative to the corpus root, or else by its sha256, so the same manifest
serves wherever the user keeps the files.

This module does not read files other than the manifest; it works on pages already
read.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath

from .errors import ConfigError
from .types import DocumentInfo, Page

__all__ = ["Manifest", "detect_info", "load_manifest", "manifest_collections"]

MANIFEST_COLUMNS = ("path", "doc_id", "title", "body", "edition", "date", "doc_type", "url", "sha256")


@dataclass(frozen=True)
class ManifestEntry:
    path: str
    sha256: str
    info: DocumentInfo


@dataclass(frozen=True)
class Manifest:
    """Known documents, looked up by relative path or by content hash."""

    entries: tuple[ManifestEntry, ...] = ()

    def lookup(self, source: str, sha256: str) -> DocumentInfo | None:
        for entry in self.entries:
            if entry.path == source:
                return entry.info
        for entry in self.entries:
            if entry.sha256 and entry.sha256 == sha256:
                return entry.info
        return None


def manifest_collections(path: Path) -> dict[str, str]:
    """The manifest's optional ``collection`` column: path → collection (rows that name one)."""
    if not path.is_file():
        return {}
    with path.open(encoding="utf-8", newline="") as fh:
        rows = csv.DictReader((line for line in fh if not line.startswith("#")), delimiter="\t")
        return {
            (row.get("path") or "").strip(): (row.get("collection") or "").strip()
            for row in rows
            if (row.get("collection") or "").strip()
        }


def load_manifest(path: Path) -> Manifest:
    """Read the manifest TSV; a missing file is an empty manifest.

    Raises:
        ConfigError: the file exists but lacks the required columns.
    """
    if not path.is_file():
        return Manifest()
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader((line for line in fh if not line.startswith("#")), delimiter="\t"))
    if rows and not {"path", "doc_id"} <= set(rows[0]):
        raise ConfigError(f"manifest {path} must have the columns {', '.join(MANIFEST_COLUMNS)}")
    entries = []
    for row in rows:
        fields = {key: (row.get(key) or "").strip() for key in MANIFEST_COLUMNS}
        entries.append(
            ManifestEntry(
                path=fields["path"],
                sha256=fields["sha256"].lower(),
                info=DocumentInfo(
                    doc_id=fields["doc_id"],
                    title=fields["title"],
                    body=fields["body"],
                    edition=fields["edition"],
                    date=fields["date"],
                    doc_type=fields["doc_type"],
                    url=fields["url"],
                ),
            )
        )
    return Manifest(tuple(entries))


# --- detection from the title pages --------------------------------------------------

_ETSI = re.compile(
    r"\bETSI\s+(GS|GR|TS|TR|EN|ES|EG|SR)\s+((?:[A-Z]{2,8}[\s-])?\d{3}(?:[-\s]\d+)*)\s+(V\d+\.\d+\.\d+)\s*\((\d{4}-\d{2})\)"
)
_ITU = re.compile(r"\b(?:Recommendation\s+)?ITU-T\s+([A-Z]\.\d{1,5}(?:\.\d+)?)\b(?:\s*\((\d{2}/\d{4})\))?")
_FIPS = re.compile(r"\bFIPS\s+(?:PUB\s+)?(\d{2,3})\b|Federal Information Processing Standards? Publication\s+(\d{2,3})")
_RFC = re.compile(r"^Request for Comments:\s*(\d+)", re.MULTILINE)
_DRAFT = re.compile(r"\b(draft-[a-z0-9]+(?:-[a-z0-9]+)*?)(?:-(\d\d|latest))?\s*$", re.MULTILINE)
_GSMA = re.compile(r"Official Document\s+([A-Z]{2,4}\.\d{2,3})")
_GSMA_VERSION = re.compile(r"\bVersion\s+(\d+\.\d+)")
_ISO = re.compile(r"\b(ISO/IEC(?:/IEEE)?\s+\d{4,5}(?:-\d+)*)(?::(\d{4}))?")
_MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
_DATE = re.compile(rf"\b(\d{{1,2}}\s+{_MONTH}\s+\d{{4}}|{_MONTH}\s+\d{{1,2}},\s+\d{{4}}|{_MONTH}\s+\d{{4}})\b")
_ORDINALS = {
    "first": "1st",
    "second": "2nd",
    "third": "3rd",
    "fourth": "4th",
    "fifth": "5th",
    "sixth": "6th",
    "seventh": "7th",
    "eighth": "8th",
    "ninth": "9th",
    "tenth": "10th",
}
_JCA = re.compile(
    r"(?:Executive summary|Report) of the (\w+) meeting of the Joint Coordination Activity on\s+"
    r"Quantum Key Distribution Network",
    re.IGNORECASE,
)


def detect_info(pages: Sequence[Page], source: str) -> DocumentInfo:
    """Guess a document's identity from its first pages, else from its file name.

    Recognises ETSI, ITU-T, NIST FIPS, RFC and Internet-Draft, GSMA official
    documents and ISO/IEC title pages.
    """
    head = "\n".join(page.text for page in pages[:3])
    stem = PurePosixPath(source).stem
    fallback = DocumentInfo(doc_id=stem, title=_first_line(head) or stem, doc_type="document", date=_first_date(head))

    if m := _ETSI.search(head):
        number = " ".join(m.group(2).replace("-", " - ").split()).replace(" - ", "-")
        return replace(
            fallback,
            doc_id=f"ETSI {m.group(1)} {number}",
            body="ETSI",
            edition=m.group(3),
            date=m.group(4),
            doc_type="standard",
            title=_lines_after(head, m.group(0)) or fallback.title,
        )
    if m := _RFC.search(head):
        return replace(
            fallback,
            doc_id=f"RFC {m.group(1)}",
            body="IETF",
            doc_type="rfc",
            title=_draft_title(head) or fallback.title,
            date=_first_date(head),
        )
    if "Internet-Draft" in head and (m := _DRAFT.search(head)):
        body = "IRTF" if "-irtf-" in m.group(1) or "Research Group" in head else "IETF"
        return replace(
            fallback,
            doc_id=m.group(1),
            edition="editor's copy" if m.group(2) == "latest" else m.group(2) or "",
            body=body,
            doc_type="internet-draft",
            title=_draft_title(head) or fallback.title,
            date=_first_date(head),
        )
    if m := _FIPS.search(head):
        date = _first_date(head)
        month_year = re.sub(r"\s+\d{1,2},", "", date)  # "August 13, 2024" → "August 2024": FIPS editions
        return replace(
            fallback,
            doc_id=f"NIST FIPS {m.group(1) or m.group(2)}",
            body="NIST",
            doc_type="standard",
            date=date,
            edition=month_year,
        )
    if m := _GSMA.search(head):
        version = _GSMA_VERSION.search(head)
        return replace(
            fallback,
            doc_id=f"GSMA {m.group(1)}",
            body="GSMA",
            doc_type="official document",
            edition=f"v{version.group(1)}" if version else "",
            date=_first_date(head),
        )
    if m := _JCA.search(head):
        ordinal = _ORDINALS.get(m.group(1).lower(), m.group(1))
        return replace(
            fallback,
            doc_id=f"JCA-QKDN {ordinal} meeting {'executive summary' if 'summary' in m.group(0).lower() else 'report'}",
            body="ITU-T",
            edition=f"{ordinal} meeting",
            doc_type="meeting report",
            title=" ".join(m.group(0).split()),
        )
    if m := _ITU.search(head):
        return replace(
            fallback, doc_id=f"ITU-T {m.group(1)}", body="ITU-T", edition=m.group(2) or "", doc_type="recommendation"
        )
    if m := _ISO.search(head):
        return replace(
            fallback, doc_id=" ".join(m.group(1).split()), body="ISO/IEC", edition=m.group(2) or "", doc_type="standard"
        )
    return fallback


def _first_line(text: str) -> str:
    for line in text.splitlines():
        line = " ".join(line.split())
        if len(line) > 8 and any(ch.isalpha() for ch in line):
            return line[:200]
    return ""


def _lines_after(text: str, marker: str) -> str:
    """The block of non-blank lines right after the line holding ``marker`` (a title)."""
    lines = [" ".join(line.split()) for line in text.splitlines()]
    for i, line in enumerate(lines):
        if marker in line:
            title = []
            for follow in lines[i + 1 : i + 4]:
                if not follow or follow.lower() in {"disclaimer", "technical specification"}:
                    break
                title.append(follow)
            return " ".join(title)
    return ""


def _first_date(text: str) -> str:
    for line in text.splitlines():
        # An Internet-Draft's expiry date is not its date; its own date may share the line.
        line = re.sub(r"expires:?\s+" + _DATE.pattern, " ", line, flags=re.IGNORECASE)
        if m := _DATE.search(line):
            return m.group(1)
    return ""


def _draft_title(text: str) -> str:
    """An I-D's title: the centred lines just above the draft name."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if _DRAFT.search(line.strip()) and line.startswith("   "):
            title: list[str] = []
            j = i - 1
            while j >= 0 and lines[j].strip():
                title.insert(0, lines[j].strip())
                j -= 1
            return " ".join(title)
    return ""
