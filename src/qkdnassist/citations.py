"""Citations that resolve: sentences located on their page, quoted verbatim, formatted
the way standards people write them.

A passage (a chunk) may span pages; a quote must name the one page it stands on.
:class:`QuoteLocator` finds a sentence of a chunk on the stored page texts and returns
that page's own characters, so every quote is a passage of its page, verbatim up to
white space (line breaks and the hyphen-joins of wrapped lines). :func:`check_citation`
is the independent test of that promise, used by the tests and the benchmark.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from functools import cached_property

from .index import Index
from .types import Chunk, Citation, DocumentRecord, Page

__all__ = [
    "QuoteLocator",
    "check_citation",
    "format_citation",
    "format_document",
    "format_location",
    "passage_citation",
    "split_sentences",
]

# Sentence ends: . ! ? followed by space and a capital, digit or opening mark; not after
# the abbreviations standards text is full of.
_SENTENCE_END = re.compile(r"(?<=[.!?])([\"')\]”’]*)\s+(?=[A-Z0-9(\"'\[“])")
_ABBREVIATION = re.compile(r"\b(?:e\.g|i\.e|etc|cf|vs|Fig|No|Nos|Vol|Rec|Ref|Eq|Sect|Sec|approx|resp|al|[A-Z])\.$")
_NUMBERING = re.compile(r"(?:\d+|[A-Za-z])(?:\.\d+)*\.?")
_NON_SPACE = re.compile(r"\S+")


def split_sentences(text: str) -> list[str]:
    """Split a passage into sentences; lines (table rows, list items, headings) stay apart.

    >>> split_sentences("The KME shall reply. See e.g. clause 5.2 for details.\\nRow | 1 | 2")
    ['The KME shall reply.', 'See e.g. clause 5.2 for details.', 'Row | 1 | 2']
    """
    sentences: list[str] = []
    for line in text.split("\n"):
        line = " ".join(line.split())
        start = 0
        for match in _SENTENCE_END.finditer(line):
            head = line[start : match.start()]
            if _ABBREVIATION.search(head) or _NUMBERING.fullmatch(head.strip()):
                continue  # "e.g. clause", "Fig. 3", "5.2. Title"
            sentences.append(line[start : match.start() + len(match.group(1))].strip())
            start = match.end()
        sentences.append(line[start:].strip())
    return [s for s in sentences if s]


def _squash(text: str) -> tuple[str, list[int]]:
    """``text`` without white space, and the position in ``text`` of each kept character."""
    positions: list[int] = []
    for word in _NON_SPACE.finditer(text):  # word by word: a page is ~1,500 characters, ~200 words
        positions.extend(range(word.start(), word.end()))
    return "".join(text.split()), positions


class _Page:
    """A stored page and, computed on first use, its squashed text and position map."""

    def __init__(self, page: Page) -> None:
        self.page = page

    @cached_property
    def squashed(self) -> tuple[str, list[int]]:
        return _squash(self.page.text)


def _collapse(text: str) -> str:
    return " ".join(text.split())


class QuoteLocator:
    """Finds sentences of indexed chunks on their stored pages.

    Page texts are read from the index on first use and kept for the most recently
    used documents, each page squashed (white space removed, for matching) when first
    searched; a new index generation empties the cache.

    Args:
        index: the index whose ``pages`` table holds the page texts.
        documents: how many documents' pages to keep in memory.
    """

    def __init__(self, index: Index, *, documents: int = 16) -> None:
        self.index = index
        self._capacity = documents
        self._pages: OrderedDict[str, list[_Page]] = OrderedDict()
        self._generation = -1
        self._lock = threading.Lock()

    def pages(self, source: str) -> list[_Page]:
        """The pages of ``source`` (each squashed on first use)."""
        with self._lock:
            generation = self.index.generation
            if generation != self._generation:
                self._pages.clear()
                self._generation = generation
            if source in self._pages:
                self._pages.move_to_end(source)
                return self._pages[source]
        loaded = [_Page(page) for page in self.index.pages(source)]
        with self._lock:
            self._pages[source] = loaded
            while len(self._pages) > self._capacity:
                self._pages.popitem(last=False)
        return loaded

    def locate(self, chunk: Chunk, sentence: str) -> tuple[Page, str] | None:
        """The page of ``chunk`` on which ``sentence`` stands, and the page's own text of it.

        Returns None when the sentence is not found on any of the chunk's pages (it is
        then not quotable, and must not be cited).
        """
        wanted, _ = _squash(sentence)
        if len(wanted) < 2:
            return None
        for stored in self.pages(chunk.source):
            page = stored.page
            if not chunk.page <= page.number <= chunk.page_end:
                continue
            squashed, positions = stored.squashed
            at = squashed.find(wanted)
            if at >= 0:
                start, end = positions[at], positions[at + len(wanted) - 1] + 1
                return page, _collapse(page.text[start:end])
        return None

    def citation(self, n: int, chunk: Chunk, sentence: str, record: DocumentRecord | None) -> Citation | None:
        """A checked citation of ``sentence`` from ``chunk``, or None when it cannot be located."""
        found = self.locate(chunk, sentence)
        if found is None:
            return None
        page, quote = found
        return passage_citation(chunk, record, n=n, page=page, quote=quote)


def passage_citation(
    chunk: Chunk, record: DocumentRecord | None, *, n: int = 0, page: Page | None = None, quote: str = ""
) -> Citation:
    """A citation of ``chunk`` (at ``page`` when given, else its first page)."""
    return Citation(
        n=n,
        source=chunk.source,
        doc_id=chunk.doc_id,
        edition=chunk.edition,
        date=record.info.date if record else "",
        body=chunk.body,
        clause=chunk.clause,
        clause_title=chunk.clause_title,
        page=page.number if page else chunk.page,
        page_label=page.label if page else chunk.page_label,
        quote=quote,
    )


def check_citation(citation: Citation, pages: Sequence[Page]) -> bool:
    """True when the citation's page exists and its quote stands on that page
    (compared with white space collapsed)."""
    if not 1 <= citation.page <= len(pages) or not citation.quote.strip():
        return False
    page = next((p for p in pages if p.number == citation.page), None)
    return page is not None and _collapse(citation.quote) in _collapse(page.text)


_SECTION_BODIES = ("IETF", "IRTF")


def format_document(citation: Citation) -> str:
    """Document, edition and date: "ETSI GS QKD 014 V1.1.1 (2019-02)", "draft-irtf-qirg-principles-11"."""
    name = citation.doc_id
    if citation.edition:
        name += citation.edition if citation.edition.startswith("-") else f" {citation.edition}"
    if citation.date:
        name += f" ({citation.date})"
    return name


def format_location(citation: Citation) -> str:
    """Clause (or section) and page: "clause 5.2, p. 11", "section 4.2, p. 9", "Annex A, p. 30 (printed 28)"."""
    parts = []
    if citation.clause:
        if citation.clause.startswith(("Annex", "Appendix")):
            parts.append(citation.clause)
        else:
            word = "section" if citation.body in _SECTION_BODIES or citation.doc_id.startswith("draft-") else "clause"
            parts.append(f"{word} {citation.clause}")
    page = f"p. {citation.page}"
    if citation.page_label and citation.page_label != str(citation.page):
        page += f" (printed {citation.page_label})"
    parts.append(page)
    return ", ".join(parts)


def format_citation(citation: Citation) -> str:
    """The citation as standards people write it.

    >>> c = Citation(1, "etsi/x.pdf", "ETSI GS QKD 014", "V1.1.1", "2019-02", "ETSI", "5.2", "", 11, "11", "q")
    >>> format_citation(c)
    'ETSI GS QKD 014 V1.1.1 (2019-02), clause 5.2, p. 11'
    """
    return f"{format_document(citation)}, {format_location(citation)}"
