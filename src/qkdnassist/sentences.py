"""Sentence splitting for standards text: lines (table rows, list items, headings) stay
apart, and the abbreviations standards are full of ("e.g.", "Fig.", "clause 5.2.") do
not end a sentence.

This module knows nothing of chunks, pages or the index.
"""

from __future__ import annotations

import re

__all__ = ["split_sentences"]

# Sentence ends: . ! ? followed by space and a capital, digit or opening mark; not after
# the abbreviations standards text is full of.
_SENTENCE_END = re.compile(r"(?<=[.!?])([\"')\]”’]*)\s+(?=[A-Z0-9(\"'\[“])")
_ABBREVIATION = re.compile(r"\b(?:e\.g|i\.e|etc|cf|vs|Fig|No|Nos|Vol|Rec|Ref|Eq|Sect|Sec|approx|resp|al|[A-Z])\.$")
_NUMBERING = re.compile(r"(?:\d+|[A-Za-z])(?:\.\d+)*\.?")


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
