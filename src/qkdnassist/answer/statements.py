"""Passages → candidate statements: whole sentences, table rows with their header and
caption, and lists with their lead-in — each marked when it cannot be evidence.

A retrieved passage is text in lines: paragraphs (wrapped lines already joined), list
items, table rows (cells separated by `` | `` where the reader rebuilt a ruled table,
else the lines after a "Table N" caption) and clause headings. A sentence broken across
lines, columns or pages is joined again here; one that runs past the passage's start
or end is marked, and completed from the neighbouring passage before it is shown
(:func:`complete`). Nothing is ever cut inside a sentence.

Some text answers nothing: a question (a list of open questions restates what is
asked), a request for contributions, a disclaimer, a copyright or IPR notice, a memo
status paragraph, a contents line. :func:`flags` names why a candidate is not
evidence for a question; the scorer never uses such a candidate.

This module does not score, locate or render.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from ..sentences import split_sentences
from ..textnorm import is_stopword, tokenize
from ..types import Chunk, Hit

__all__ = ["Candidate", "candidates", "complete", "flags", "restates"]

_CAPTION = re.compile(r"^\s*Table\s+[A-Z]?[\d.\-]*\d[a-z]?\b[.:]?", re.IGNORECASE)
_BULLET = re.compile(r"^\s*(?:[•●▪◦○·\-–*]|o\s|\(?[a-z0-9]{1,3}[.)])\s+")
_ENDS_SENTENCE = re.compile(r"[.!?:;][\"'”’)\]]*$")
_CELL = " | "
# A sentence that opens by referring back to the one before it.
_ANAPHOR = re.compile(
    r"^(?:This|These|That|Those|It|Its|They|Their|Such|Here|There|Both|Each|The (?:former|latter|same)|"
    r"At (?:that|this) (?:time|point|stage)|In (?:this|that|such a) (?:case|scheme|way|approach))\b"
)
_GLOSSARY_CLAUSE = re.compile(r"\b(?:terms?|definitions?|glossary|abbreviations?|acronyms?|symbols?)\b", re.I)
_MAX_LIST_ITEMS = 8


@dataclass(frozen=True)
class Candidate:
    """A statement of a retrieved passage that could answer the question.

    Attributes:
        rank: rank of the hit it comes from (0 = best).
        chunk: that hit's passage.
        parts: the lines of the passage it is made of, in order — one, or several
            when a sentence runs over a line, column or page break, or a list has
            a lead-in; each is located on its page on its own when needed.
        kind: "sentence", "row" (a table row) or "list" (a lead-in and its items).
        index: position among the passage's candidates.
        header: the header row of its table (rows only).
        caption: the caption of its table (rows only; may be empty).
        open_start, open_end: the sentence began before the passage / runs on past it.
        part_chunks: the passage each part stands in, when the sentence was completed
            from a neighbouring passage (empty: all in ``chunk``).
        joined: a sentence that refers back ("This time is …"), with the sentence
            before it as its first part(s).
    """

    rank: int
    chunk: Chunk
    parts: tuple[str, ...]
    kind: str = "sentence"
    index: int = 0
    header: str = ""
    caption: str = ""
    open_start: bool = False
    open_end: bool = False
    part_chunks: tuple[Chunk, ...] = ()
    joined: bool = False  # a sentence that refers back, read with the one before it

    @property
    def text(self) -> str:
        return " ".join(self.parts)

    @property
    def context(self) -> str:
        """What situates a row: the table's caption and header."""
        return " ".join(p for p in (self.caption, self.header) if p)

    @property
    def key(self) -> tuple[str, int, str]:
        return (self.chunk.source, self.chunk.page, " ".join(self.text.split()))


def _heading_of(chunk: Chunk) -> str:
    return " ".join(chunk.clause_title.split(" > ")[-1].split()) if chunk.clause_title else ""


def _is_header(row: str) -> bool:
    """A table's first row names its columns: short cells, few digits."""
    cells = [c for c in row.split(_CELL) if c.strip()]
    return bool(cells) and all(len(c.split()) <= 6 for c in cells) and sum(ch.isdigit() for ch in row) <= len(row) // 8


def _is_prose(line: str) -> bool:
    """A line of running text rather than a row of a borderless table."""
    words = line.split()
    return (
        len(words) >= 12
        and (line.rstrip().endswith(".") or ". " in line)
        and sum(w[:1].isdigit() for w in words) < len(words) // 3
    )


def _is_term(line: str) -> bool:
    """A glossary term on a line of its own: a few words, no sentence punctuation."""
    return len(line.split()) <= 6 and not _ENDS_SENTENCE.search(line) and not line.endswith(".")


def _continues(previous: str, line: str) -> bool:
    """Whether ``line`` carries on the sentence of ``previous`` (a line, column or page break)."""
    if not previous or _ENDS_SENTENCE.search(previous.rstrip()):
        return False
    head = line.lstrip()[:1]
    return head.islower() or (head.isdigit() and not _BULLET.match(line)) or head in "(,;" or previous.endswith("-")


def candidates(hit: Hit, rank: int) -> list[Candidate]:
    """Every statement of ``hit``'s passage, in order.

    Paragraph lines that continue one another are joined and split into sentences;
    a sentence over a break keeps one part per line. Rows carry their table's
    caption and header; a lead-in ending in ":" followed by items gives one "list"
    candidate besides the items themselves.
    """
    chunk = hit.chunk
    heading = _heading_of(chunk)
    glossary = bool(_GLOSSARY_CLAUSE.search(chunk.clause_title))
    lines = [" ".join(line.split()) for line in chunk.text.split("\n")]
    out: list[Candidate] = []
    caption, header = "", ""
    context = [line for line in chunk.context.split("\n") if line.strip()]
    in_table = False
    if context and _CAPTION.match(context[0]):
        in_table, caption, header = True, context[0], context[1] if len(context) > 1 else ""
    elif context and _CELL in context[0]:
        in_table, header = True, context[0]
    paragraph: list[str] = []
    lead_in: tuple[str, ...] | None = None
    items: list[str] = []

    def add(parts: Sequence[str], kind: str = "sentence", *, joined: bool = False, **extra: object) -> None:
        if joined:
            extra["joined"] = True
        out.append(Candidate(rank, chunk, tuple(parts), kind, len(out), **extra))  # type: ignore[arg-type]

    def flush_list(*, at_end: bool = False) -> None:
        nonlocal lead_in, items
        # A list that runs past the passage is kept with the items it has; it is
        # completed from the next passage (see complete()).
        if lead_in is not None and (len(items) >= 2 or (at_end and items)):
            add([*lead_in, *items[:_MAX_LIST_ITEMS]], "list", open_end=at_end and len(items) < _MAX_LIST_ITEMS)
        lead_in, items = None, []

    def flush_paragraph() -> None:
        nonlocal paragraph, lead_in
        if not paragraph:
            return
        previous: list[str] | None = None
        for sentence_parts in _sentences(paragraph):
            if previous is not None and _ANAPHOR.match(sentence_parts[0]):
                # "This time is estimated to be between 5 and 20 years": a sentence that
                # refers back is read with the one it refers to.
                add([*previous, *sentence_parts], joined=True)
            add(sentence_parts)
            previous = sentence_parts
        last = out[-1] if out else None
        if last is not None and last.text.rstrip().endswith(":"):
            lead_in = last.parts
        paragraph = []

    for _i, line in enumerate(lines):
        if not line:
            continue
        if heading and line.startswith(heading) and len(line) <= len(heading) + 3:
            flush_paragraph()
            flush_list()
            in_table, caption, header = False, "", ""
            continue
        if _CAPTION.match(line) and len(line.split()) <= 20:
            flush_paragraph()
            flush_list()
            in_table, caption, header = True, line, ""
            continue
        if _CELL in line or (in_table and not _is_prose(line) and not paragraph):
            flush_paragraph()
            flush_list()
            if not header and _is_header(line):
                header = line
                in_table = True
                continue
            add([line], "row", header=header, caption=caption)
            in_table = True
            continue
        if in_table:
            in_table, caption, header = False, "", ""
        if _BULLET.match(line):
            flush_paragraph()
            item = _sentences([line])
            for parts in item:
                add(parts)
            if lead_in is not None and item:
                items.append(" ".join(item[0]))  # an item's first sentence stands for it
            continue
        if paragraph and _continues(paragraph[-1], line):
            paragraph.append(line)
            continue
        if glossary and paragraph and len(paragraph) == 1 and _is_term(paragraph[0]) and not _is_term(line):
            paragraph.append(line)  # "input checking" / "Examination of a potential input …": one entry
            flush_paragraph()
            continue
        flush_paragraph()
        if items or lead_in is not None:
            flush_list()
        paragraph = [line]
    flush_paragraph()
    flush_list(at_end=True)
    if out:
        first, last = out[0], out[-1]
        if first.kind == "sentence" and lines and _continues("x", lines[0]) and lines[0][:1].islower():
            out[0] = replace(first, open_start=True)
        if last.kind == "sentence" and not _ENDS_SENTENCE.search(last.text.rstrip()):
            out[-1] = replace(out[-1], open_end=True)
    return out


def _sentences(paragraph: Sequence[str]) -> list[list[str]]:
    """The sentences of a paragraph given as its lines, each as the pieces of the lines
    it stands on."""
    joined = " ".join(paragraph)
    bounds = []  # (start, end) of each line in ``joined``
    position = 0
    for line in paragraph:
        bounds.append((position, position + len(line)))
        position += len(line) + 1
    result = []
    cursor = 0
    for sentence in split_sentences(joined):
        start = joined.find(sentence, cursor)
        if start < 0:  # split_sentences normalises spaces only; keep the sentence whole
            result.append([sentence])
            continue
        end = start + len(sentence)
        cursor = end
        pieces = [joined[max(a, start) : min(b, end)].strip() for a, b in bounds if a < end and b > start]
        result.append([p for p in pieces if p])
    return result


def complete(candidate: Candidate, neighbour: Callable[[Chunk, int], Chunk | None]) -> Candidate:
    """``candidate`` with the rest of its sentence taken from the neighbouring passage
    when it runs past its own (``neighbour(chunk, -1 | +1)`` gives the passage before or
    after, or None)."""
    parts = list(candidate.parts)
    owners = [candidate.chunk] * len(parts)
    if candidate.open_start and (before := neighbour(candidate.chunk, -1)) is not None:
        tail = [" ".join(line.split()) for line in before.text.split("\n") if line.strip()]
        if tail and not _ENDS_SENTENCE.search(tail[-1]):
            pieces = _sentences([tail[-1]])
            if pieces:
                parts = [*pieces[-1], *parts]
                owners = [before] * len(pieces[-1]) + owners
    if candidate.kind == "list" and candidate.open_end and (after := neighbour(candidate.chunk, +1)) is not None:
        more: list[str] = []
        for line in (" ".join(line.split()) for line in after.text.split("\n") if line.strip()):
            if not _BULLET.match(line) or len(parts) - 1 + len(more) >= _MAX_LIST_ITEMS:
                break
            more.append(" ".join(_sentences([line])[0]))
        parts += more
        owners += [after] * len(more)
    elif candidate.open_end and (after := neighbour(candidate.chunk, +1)) is not None:
        head = [" ".join(line.split()) for line in after.text.split("\n") if line.strip()]
        if head and _continues(parts[-1], head[0]):
            pieces = _sentences([head[0]])
            if pieces:
                parts = [*parts, *pieces[0]]
                owners = owners + [after] * len(pieces[0])
    if len(parts) == len(candidate.parts):
        return candidate
    return replace(candidate, parts=tuple(parts), open_start=False, open_end=False, part_chunks=tuple(owners))


# --- what is not evidence ---------------------------------------------------------

_BOILERPLATE = re.compile(
    r"\ball rights reserved\b|\bcopyright\b|©|\bproduced and approved by\b|\bintellectual property rights?\b"
    r"|\bessential,? or potentially essential\b|\bIPRs?\b|\bstatus of this memo\b|\binternet-drafts? (?:is|are) "
    r"(?:submitted|working documents)\b|\bBCP 78\b|\bBCP 79\b|\breproduction is only permitted\b|\bwithout the prior "
    r"written\b|\bno part (?:of this|may be)\b|\bdisclaimer\b|\btrademarks?\b|\bmodal verbs? terminology\b"
    r"|\b(?:shall|should|may|need not|can|cannot)\"?,? (?:\"[a-z ]+\",? )*are to be interpreted\b"
    r"|\bthe information (?:contained|provided) (?:herein|in this document) is\b|\bwithout (?:any )?warranty\b"
    r"|\bsubject to change without notice\b|\bnon-confidential\b|\bdocument history\b|\bexpires:? [A-Z][a-z]+ \d"
    r"|\bthis document is subject to\b|\bdeliverables? (?:may|can) be (?:downloaded|found)\b|\bthe present document "
    r"(?:can|may) be (?:downloaded|made available)\b|\bhttps?://(?:www\.)?etsi\.org/standards-search\b"
    r"|(?:\.\s?){5,}\s*\d+\s*$",
    re.IGNORECASE,
)
_REQUEST = re.compile(
    r"\b(?:invites?|calls? (?:on|upon)|requests?|encourages?|urges?|welcomes?)\b.{0,120}?\bto (?:provide|share|"
    r"contribute|submit|inform|consider|send|present|respond|give|report|participate|appoint)\b",
    re.IGNORECASE,
)
_ASKS_ABOUT_REQUESTS = re.compile(
    r"\b(?:invit\w*|ask(?:ed|s)?|request\w*|calls? to action|call(?:ed|s)? (?:on|upon)|urg\w*|encourag\w*|what .{0,40} "
    r"(?:to do|do next)|next meeting|appoint\w*|contact point|representatives?)\b",
    re.IGNORECASE,
)
_IDENTITY_QUESTION = re.compile(
    r"\b(?:version|edition|published|publication|date of|dated|released?|issued|title|author|authors|editor|"
    r"copyright|who (?:wrote|publishe[sd]|issued))\b",
    re.IGNORECASE,
)


def _content(text: str) -> list[str]:
    return [t for t in tokenize(text, pairs=False) if not is_stopword(t) and len(t) > 1]


_ANSWER_WORDS = 3  # new content words a restatement must add to count as an answer
_HEADING_WORDS = 8  # a line shorter than this without sentence punctuation is a heading, not a statement


def _novel(text: str, question: str) -> set[str]:
    """Content words of ``text`` the question does not use (numbers and names count)."""
    return set(_content(text)) - set(_content(question))


def restates(text: str, question: str, *, share: float = 0.6) -> bool:
    """Whether ``text`` holds ``share`` of the question's content words in the
    question's order: it says what is asked, not what the answer is."""
    wanted = _content(question)
    if len(wanted) < 3:
        return False
    have = _content(text)
    previous = [0] * (len(have) + 1)
    for word in wanted:  # longest common subsequence of the two word lists
        row = [0]
        for j, token in enumerate(have):
            row.append(previous[j] + 1 if word == token else max(previous[j + 1], row[j]))
        previous = row
    return previous[-1] >= share * len(wanted)


def flags(candidate: Candidate, question: str) -> str:
    """Why ``candidate`` is not evidence for ``question`` ("" when it may be):
    "question", "echo", "request", "boilerplate", "heading" or "front matter"."""
    text = candidate.text
    if text.rstrip(" \"'”’)]").endswith("?"):
        return "question"
    if _BOILERPLATE.search(text):
        return "boilerplate"
    if _REQUEST.search(text) and not _ASKS_ABOUT_REQUESTS.search(question):
        return "request"
    if restates(text, question) and len(_novel(text, question)) < _ANSWER_WORDS:
        return "echo"  # says what is asked and adds nothing: not the answer
    chunk = candidate.chunk
    title_line = candidate.kind == "sentence" and not _ENDS_SENTENCE.search(text.rstrip())
    if title_line and len(text.split()) < _HEADING_WORDS and not _BULLET.match(text) and not candidate.joined:
        return "heading"  # "4.1. Standardization and Industry Efforts", "ETSI QKD Standards (12)": says nothing
    if not chunk.clause and chunk.page <= 2 and title_line and not _IDENTITY_QUESTION.search(question):
        return "front matter"  # a title page's lines name the document; they answer only questions about it
    return ""
