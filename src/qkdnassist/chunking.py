"""Blocks → chunks: clause-aware, token-bounded, never silently truncated.

A chunk never crosses a clause boundary. Within a clause, paragraphs and tables are
packed greedily up to a tiktoken budget; an oversized paragraph is split between
sentences, an oversized table between rows. Every chunk's embedding text (titles +
passage) is then checked with the embedder's own tokenizer and split again if it
would exceed the model's sequence limit, so nothing is cut off unseen.

This module does not read files or talk to the index.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import groupby

from .types import Block, Chunk, ParsedDocument

__all__ = ["TokenCounter", "chunk_document"]

TokenCounter = Callable[[str], int]

_CAPTION = re.compile(r"^\s*Table\s+[A-Z]?[\d.\-]+\b")
_SENTENCE_BREAK = re.compile(r"(?<=[.!?;:])\s+(?=[A-Z0-9(\[\"“•])")


@dataclass(frozen=True)
class _Unit:
    text: str
    page: int
    page_end: int
    joiner: str  # how this unit attaches to the one before it in a chunk
    caption: str = ""  # the caption of the table this row continues


def _split_text(text: str, kind: str) -> list[str]:
    """Natural break points of a block: rows of a table, sentences of a paragraph."""
    if kind == "table" or "\n" in text:
        return [row for row in text.split("\n") if row.strip()]
    return [piece for piece in _SENTENCE_BREAK.split(text) if piece.strip()]


def _table_context(block: Block) -> str:
    """What a chunk that starts inside ``block`` (a table) carries to situate its rows:
    the caption and the header row ("Table 9\nItems | Data type | Description")."""
    lines = [line for line in block.text.split("\n") if line.strip()]
    if len(lines) > 1 and _CAPTION.match(lines[0]):
        return f"{lines[0]}\n{lines[1]}"
    return lines[0] if lines else ""


def _split_words(text: str, budget: int, count: TokenCounter) -> list[str]:
    """Last resort for a single over-long sentence or row: split between words."""
    words = text.split(" ")
    pieces: list[str] = []
    current: list[str] = []
    for word in words:
        if current and count(" ".join([*current, word])) > budget:
            pieces.append(" ".join(current))
            current = []
        current.append(word)
    if current:
        pieces.append(" ".join(current))
    return pieces


def _units(block: Block, budget: int, count: TokenCounter) -> list[_Unit]:
    """A block as one unit, or as several when it exceeds the budget."""
    if count(block.text) <= budget:
        return [_Unit(block.text, block.page, block.page_end, "\n")]
    units = []
    joiner = "\n" if block.kind == "table" or "\n" in block.text else " "
    caption = _table_context(block) if block.kind == "table" else ""
    for i, piece in enumerate(_split_text(block.text, block.kind)):
        parts = [piece] if count(piece) <= budget else _split_words(piece, budget, count)
        for j, part in enumerate(parts):
            first = i == j == 0
            units.append(
                _Unit(
                    part,
                    block.page,
                    block.page_end,
                    "\n" if first else joiner if j == 0 else " ",
                    "" if first else caption,
                )
            )
    return units


def _pack(units: Sequence[_Unit], budget: int, count: TokenCounter) -> list[list[_Unit]]:
    """Greedy packing of units into groups within the budget; a small tail is merged back."""
    groups: list[list[_Unit]] = []
    current: list[_Unit] = []
    used = 0
    for unit in units:
        size = count(unit.text)
        if current and used + size > budget:
            groups.append(current)
            current, used = [], 0
        current.append(unit)
        used += size
    if current:
        # A tail of a few words reads badly as a hit of its own; keep it with its
        # predecessor when the pair stays within 25 % of the budget.
        if groups and used < budget // 4 and sum(count(u.text) for u in groups[-1]) + used <= budget * 5 // 4:
            groups[-1].extend(current)
        else:
            groups.append(current)
    return groups


def _text(units: Sequence[_Unit]) -> str:
    return "".join((unit.joiner if i else "") + unit.text for i, unit in enumerate(units))


def chunk_document(
    document: ParsedDocument,
    blocks: Sequence[Block],
    *,
    max_tokens: int,
    count_tokens: TokenCounter,
    fits_embedder: Callable[[str], bool] | None = None,
) -> list[Chunk]:
    """Cut a document's blocks into chunks.

    Args:
        document: the parsed document (identity and pages).
        blocks: its blocks from :func:`qkdnassist.structure.structure`.
        max_tokens: target size of a chunk's passage, in ``count_tokens`` units.
        count_tokens: counts tokens of a text (tiktoken).
        fits_embedder: tells whether an embedding text fits the embedder's sequence
            limit; a chunk that does not is split further. None skips the check.

    Returns:
        Chunks in document order with content-derived ids.
    """
    labels = {page.number: page.label for page in document.pages}
    chunks: list[Chunk] = []

    def emit(units: list[_Unit], clause: str, clause_title: str) -> None:
        chunk = _make_chunk(document, units, clause, clause_title, len(chunks), labels)
        if fits_embedder is not None and not fits_embedder(chunk.embed_text) and len(units) > 1:
            half = len(units) // 2
            emit(units[:half], clause, clause_title)
            emit(units[half:], clause, clause_title)
            return
        if fits_embedder is not None and not fits_embedder(chunk.embed_text):
            words = units[0].text.split(" ")
            if len(words) > 1:
                half = len(words) // 2
                unit = units[0]
                emit([_Unit(" ".join(words[:half]), unit.page, unit.page_end, unit.joiner)], clause, clause_title)
                emit([_Unit(" ".join(words[half:]), unit.page, unit.page_end, unit.joiner)], clause, clause_title)
                return
        chunks.append(chunk)

    for (clause, clause_title), group in groupby(blocks, key=lambda b: (b.clause, b.clause_title)):
        units = [unit for block in group for unit in _units(block, max_tokens, count_tokens)]
        for packed in _pack(units, max_tokens, count_tokens):
            emit(packed, clause, clause_title)
    return chunks


def _make_chunk(
    document: ParsedDocument,
    units: Sequence[_Unit],
    clause: str,
    clause_title: str,
    ordinal: int,
    labels: dict[int, str],
) -> Chunk:
    text = _text(units)
    page = units[0].page
    # A chunk that starts inside a table carries the table's caption and header for the indexes.
    context = units[0].caption
    digest = hashlib.sha256(f"{document.sha256}\0{ordinal}\0{text}".encode()).hexdigest()[:24]
    info = document.info
    return Chunk(
        id=digest,
        source=document.source,
        doc_id=info.doc_id,
        title=info.title,
        body=info.body,
        edition=info.edition,
        clause=clause,
        clause_title=clause_title,
        page=page,
        page_end=max(unit.page_end for unit in units),
        page_label=labels.get(page, ""),
        text=text,
        ordinal=ordinal,
        context=context,
    )
