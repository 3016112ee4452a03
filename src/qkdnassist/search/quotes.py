"""Quotes that resolve: sentences of indexed chunks located on their stored pages.

A passage (a chunk) may span pages; a quote must name the one page it stands on.
:class:`QuoteLocator` finds a sentence of a chunk on the stored page texts and returns
that page's own characters, so every quote is a passage of its page, verbatim up to
white space (line breaks and the hyphen-joins of wrapped lines). :func:`check_citation`
is the independent test of that promise, used by the tests and the benchmark.

This module does not choose what to quote or format citations.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from functools import cached_property

from ..citations import passage_citation
from ..store.index import Index
from ..types import Chunk, Citation, DocumentRecord, Page

__all__ = ["QuoteLocator", "check_citation"]

_NON_SPACE = re.compile(r"\S+")


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


def check_citation(citation: Citation, pages: Sequence[Page]) -> bool:
    """True when the citation's page exists and its quote stands on that page
    (compared with white space collapsed)."""
    if not 1 <= citation.page <= len(pages) or not citation.quote.strip():
        return False
    page = next((p for p in pages if p.number == citation.page), None)
    return page is not None and _collapse(citation.quote) in _collapse(page.text)
