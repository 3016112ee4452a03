"""Pages → structured blocks: running headers/footers and tables of contents removed,
clause headings detected, paragraphs and tables grouped, each block tagged with its
clause number, clause title path and pages.

This module works on text only (what the readers produce); it does not chunk, embed
or know about the index. Heuristics are deliberately conservative: a line is only
taken as a clause heading when its number is a plausible successor of the clause
before it, so table rows such as ``1 Get status https://...`` are not mistaken for
clause 1.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from .types import Block, Page

__all__ = ["Heading", "parse_heading", "structure"]

# --- running headers and footers ---------------------------------------------------

# How many non-blank lines at the top and bottom of a page may be running text.
_ZONE = 3
_DIGITS = re.compile(r"\d+")
_PAGE_NUMBER_LINE = re.compile(
    r"^\s*(?:[-–—]\s*)?(?:page\s+)?(?:\d+|[ivxlc]+)(?:\s*(?:of|/)\s*\d+)?(?:\s*[-–—])?\s*$"
    r"|^\s*\[page \d+\]\s*$",
    re.IGNORECASE,
)


def _line_key(line: str) -> str:
    """A running line's identity: its words with digits ignored, in any order (pypdf and
    pdfplumber read "ETSI GS QKD 014 V1.1.1 (2019-02) 14" in different orders)."""
    return " ".join(sorted(_DIGITS.sub("#", line.lower()).split()))


def _zone_indexes(lines: list[str]) -> list[int]:
    """Indexes of the first and last few non-blank lines of a page."""
    filled = [i for i, line in enumerate(lines) if line.strip()]
    return sorted(set(filled[:_ZONE] + filled[-_ZONE:]))


def strip_running_lines(pages: Sequence[Page]) -> list[list[str]]:
    """Each page's lines without running headers, footers and bare page numbers.

    A line in a page's top or bottom zone is running text when the same line, with
    digits ignored, stands in the zone of at least a third of the pages (and of at
    least three). Bare page numbers ("11", "Page 3 of 146", "[Page 5]") in a zone
    are dropped on any page.
    """
    page_lines = [page.text.split("\n") for page in pages]
    counts: Counter[str] = Counter()
    for lines in page_lines:
        counts.update({_line_key(lines[i]) for i in _zone_indexes(lines)})
    threshold = max(3, len(pages) // 3)
    running = {key for key, n in counts.items() if n >= threshold and key.strip("# ")}
    cleaned: list[list[str]] = []
    for lines in page_lines:
        zone = set(_zone_indexes(lines))
        cleaned.append(
            [
                line
                for i, line in enumerate(lines)
                if not (i in zone and (_line_key(line) in running or _PAGE_NUMBER_LINE.match(line)))
            ]
        )
    return cleaned


# --- tables of contents ------------------------------------------------------------

# Each alternative starts only at the first dot/ellipsis of a run (the lookbehinds), so a
# hostile line of a million dots costs linear time, not quadratic.
_DOT_LEADER = re.compile(r"(?<!\.)(?<!\.\s)(?:\.\s?){4,}\s*\d+\s*$|(?<!…)…+\s*\d+\s*$")
_TOC_ENTRY = re.compile(
    r"^\s*(?:\d+(?:\.\d+)*\.?|[A-Z](?:\.\d+)+|Annex\s+[A-Z]|Appendix\s+[A-Z0-9IVX]+)\s+\S.*?\s\d{1,3}\s*$"
)
_TOC_TITLE = re.compile(r"^\s*(?:table of )?contents\s*$", re.IGNORECASE)


def _is_toc_line(line: str) -> bool:
    return bool(_DOT_LEADER.search(line) or _TOC_ENTRY.match(line))


def drop_tables_of_contents(page_lines: list[list[str]]) -> list[list[str]]:
    """Remove table-of-contents lines.

    Lines with dot leaders are TOC entries anywhere. On a page where at least five
    lines, and at least a third of its lines, look like ``4.5.2 Title 26``, those
    lines (and a "Contents" title) are removed too. RFC-style TOCs ("1.  Intro . . 3")
    are caught by their dot leaders.
    """
    result: list[list[str]] = []
    for lines in page_lines:
        filled = [line for line in lines if line.strip()]
        toc_like = sum(1 for line in filled if _is_toc_line(line))
        toc_page = toc_like >= 5 and toc_like * 3 >= len(filled)
        kept = []
        for line in lines:
            if _DOT_LEADER.search(line):
                continue
            if toc_page and (_TOC_ENTRY.match(line) or _TOC_TITLE.match(line)):
                continue
            kept.append(line)
        result.append(kept)
    return result


# --- clause headings ---------------------------------------------------------------


@dataclass(frozen=True)
class Heading:
    """A clause heading: its number as written ("5.2", "Annex A", "A.1") and title."""

    number: str
    title: str
    dotted: bool = field(default=False, compare=False)  # written "5. Title" rather than "5 Title"

    @property
    def key(self) -> tuple[str, ...]:
        """The number as a path of parts: "5.2" → ("5", "2"); "Annex A" → ("A",)."""
        for prefix in ("Annex ", "Appendix "):
            if self.number.startswith(prefix):
                return (self.number[len(prefix) :],)
        return tuple(self.number.split("."))

    @property
    def text(self) -> str:
        return f"{self.number} {self.title}".strip()


_NUMBERED = re.compile(r"^\s{0,3}((?:\d{1,2}|[A-H])(?:\.\d{1,2}){0,5})(\.?)\s{1,4}([A-Z][^\n]{1,110})$")
_ANNEX = re.compile(
    r"^\s*((?:Annex|Appendix)\s+(?:[A-Z]|[IVX]+|\d+))\s*[.:]?\s*"
    r"(\((?:normative|informative)\))?\s*[:\-–]?\s*([^\n]{0,110})$"
)
_NOT_TITLE_END = re.compile(r"(?:[,;]|\s\d+)$")


def parse_heading(line: str) -> Heading | None:
    """Parse a line that has the form of a clause heading, else None.

    Recognised: ``5.2.1 Title``, RFC-style ``4.2.  Title``, ``A.1 Title``,
    ``Annex A (normative): Title``, ``Appendix I Title``. Only the form is checked;
    whether it fits the document's sequence is :func:`structure`'s job.
    """
    stripped = line.rstrip()
    if not stripped or len(stripped) > 130:
        return None
    match = _ANNEX.match(stripped)
    if match:
        title = " ".join(part for part in (match.group(2), match.group(3)) if part).strip()
        return Heading(" ".join(match.group(1).split()), title)
    match = _NUMBERED.match(stripped)
    if not match:
        return None
    number, title = match.group(1), " ".join(match.group(3).split())
    if number[0].isalpha() and "." not in number:
        return None  # "A Title" is a sentence, not a clause; annex clauses are "A.1"
    words = title.split()
    if (
        len(words) > 16
        or _NOT_TITLE_END.search(title)
        or "http" in title
        or re.search(r"[=←→∈≤≥|]|\w\(\S*\)", title)  # a formula or a function call, not a title
        or re.search(r"[a-z]\.\s+[A-Z]", title)  # a sentence break: running text, not a title
        or (len(words) > 6 and re.search(r"\b(?:shall|should|must|may|is|are)\b", title))  # a requirement
        or (title.endswith(".") and len(words) > 8)
        or sum(ch.isdigit() for ch in title) > len(title) // 3
    ):
        return None
    return Heading(number, title, dotted=bool(match.group(2)))


def _is_successor(new: tuple[str, ...], current: tuple[str, ...]) -> bool:
    """Whether clause ``new`` can follow clause ``current`` in a document."""
    if not current:
        return new in {("1",), ("0",), ("A",), ("I",)} or (len(new) == 1 and new[0].isdigit() and int(new[0]) <= 3)
    if new[: len(current)] == current and len(new) == len(current) + 1:
        return new[-1] in {"1", "0"}
    for depth in range(min(len(new), len(current)), 0, -1):
        if new[: depth - 1] != current[: depth - 1] or len(new) != depth:
            continue
        before, after = current[depth - 1], new[depth - 1]
        if before.isdigit() and after.isdigit():
            return int(after) == int(before) + 1
        if before.isalpha() and after.isalpha() and len(before) == len(after) == 1:
            return ord(after) == ord(before) + 1
        # Letters follow the last numbered clause (annexes after clause 7).
        return depth == 1 and before.isdigit() and after in {"A", "I"}
    return False


# --- blocks ------------------------------------------------------------------------

_BULLET = re.compile(r"^\s*(?:[•●▪◦○·\-–*]|o\s|\(?[a-z0-9]{1,3}[.)])\s+")
_TABLE_CAPTION = re.compile(r"^\s*Table\s+[A-Z]?[\d.\-]+\b")
_TABLE_ROW = " | "  # cell separator of rebuilt table rows (readers.tables.CELL_SEPARATOR)
_SENTENCE_END = re.compile(r"[.:;!?)\]]\s*$")


@dataclass
class _Line:
    text: str
    page: int


def _join(lines: list[_Line]) -> str:
    """Join wrapped lines into one paragraph; a line-end hyphen joins without a space."""
    out = ""
    for line in lines:
        text = line.text.strip()
        if not out:
            out = text
        elif out.endswith("-") and text[:1].isalnum() and not out.endswith(" -"):
            out += text
        else:
            out += " " + text
    return out


def structure(pages: Sequence[Page]) -> list[Block]:
    """Turn a document's pages into blocks tagged with clause and pages.

    Args:
        pages: the document's physical pages in order.

    Returns:
        Blocks in reading order. A heading line opens a block of its own clause and
        is kept as the first line of that clause's first block.
    """
    page_lines = drop_tables_of_contents(strip_running_lines(pages))
    blocks: list[Block] = []
    path: list[Heading] = []  # current clause and its ancestors
    current: tuple[str, ...] = ()
    buffer: list[_Line] = []
    kind = "text"
    untitled = False  # the last heading was "Annex A (informative):" with its title below
    top_style: bool | None = None  # whether this document writes top-level clauses "5." or "5"

    def clause_fields() -> tuple[str, str]:
        if not path:
            return "", ""
        return path[-1].number, " > ".join(h.text for h in path)

    def flush() -> None:
        nonlocal buffer, kind
        if buffer and any(line.text.strip() for line in buffer):
            clause, title = clause_fields()
            if kind == "table":
                text = "\n".join(" ".join(line.text.split()) for line in buffer if line.text.strip())
            else:
                text = _join(buffer)
            blocks.append(Block(text, buffer[0].page, buffer[-1].page, clause, title, kind))
        buffer = []
        kind = "text"

    for page, lines in zip(pages, page_lines, strict=True):
        # Blocks never cross a page: a hit's page range then says where its text is.
        flush()
        for raw in lines:
            line = raw.rstrip()
            if not line.strip():
                flush()
                continue
            if untitled:
                untitled = False
                if len(line.strip()) < 110 and not line.rstrip().endswith("."):
                    path[-1] = Heading(path[-1].number, f"{path[-1].title} {line.strip()}".strip())
                    blocks[-1] = replace(blocks[-1], text=path[-1].text, clause_title=path[-1].text)
                    continue
            heading = parse_heading(line)
            if (
                heading
                and len(heading.key) == 1
                and heading.key[0].isdigit()
                and top_style is not None
                and heading.dotted != top_style
            ):
                heading = None  # "6. Any NF shall ..." in a document whose clauses read "5 Title"
            if heading and _is_successor(heading.key, current):
                if len(heading.key) == 1 and heading.key[0].isdigit():
                    top_style = heading.dotted
                flush()
                depth = len(heading.key)
                path = [h for h in path if len(h.key) < depth and heading.key[: len(h.key)] == h.key]
                if heading.number.startswith(("Annex", "Appendix")):
                    path = []
                path.append(heading)
                current = heading.key
                buffer = [_Line(heading.text, page.number)]
                flush()
                untitled = heading.number.startswith(("Annex", "Appendix")) and (
                    not heading.title or heading.title.startswith("(")
                )
                continue
            if _TABLE_CAPTION.match(line):
                flush()
                kind = "table"
                buffer.append(_Line(line, page.number))
                continue
            if _TABLE_ROW in line:
                # A row of a table the reader rebuilt cell by cell (see readers.tables):
                # rows stay lines of one table block, after the caption when there is one.
                if kind != "table":
                    caption = buffer[-1] if len(buffer) == 1 and _TABLE_CAPTION.match(buffer[-1].text) else None
                    flush()
                    kind = "table"
                    if caption is not None:
                        buffer.append(caption)
                buffer.append(_Line(line, page.number))
                continue
            if kind == "table" and buffer and _TABLE_ROW in buffer[-1].text:
                flush()  # the table ended: running text again
            if (
                kind == "text"
                and buffer
                and (
                    _BULLET.match(line)
                    or (
                        _SENTENCE_END.search(buffer[-1].text)
                        and line.lstrip()[:1].isupper()
                        and len(buffer[-1].text.strip()) < 60
                    )
                )
            ):
                flush()
            buffer.append(_Line(line, page.number))
    flush()
    return _merge_headings(blocks)


def _merge_headings(blocks: list[Block]) -> list[Block]:
    """Fold a lone heading block into the block that follows it in the same clause."""
    merged: list[Block] = []
    pending: Block | None = None
    for block in blocks:
        if pending is not None and block.clause == pending.clause and block.page == pending.page_end:
            block = Block(
                pending.text + "\n" + block.text,
                pending.page,
                block.page_end,
                block.clause,
                block.clause_title,
                block.kind,
            )
            pending = None
        elif pending is not None:
            merged.append(pending)
            pending = None
        if block.clause and block.text == block.clause_title.rsplit(" > ", 1)[-1]:
            pending = block
            continue
        merged.append(block)
    if pending is not None:
        merged.append(pending)
    return merged
