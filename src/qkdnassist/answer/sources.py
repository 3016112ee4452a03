"""The numbered sources of LLM mode: passages within a token budget, sanitised.

This module does not call a model or check its answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..sentences import split_sentences
from ..tokens import count_tokens
from ..types import Chunk, Hit
from .sanitize import sanitize

__all__ = ["Source", "build_sources", "format_sources"]


@dataclass(frozen=True)
class Source:
    """A retrieved passage as numbered in the prompt."""

    n: int
    hit: Hit
    text: str  # sanitised text shown to the model

    @property
    def chunk(self) -> Chunk:
        return self.hit.chunk


def build_sources(hits: Sequence[Hit], budget: int) -> list[Source]:
    """Number ``hits`` as sources while they fit in ``budget`` tiktoken tokens; the last
    one is cut at a sentence end when only part of it fits."""
    sources: list[Source] = []
    used = 0
    for hit in hits:
        text = sanitize(hit.chunk.text)
        header = _header(len(sources) + 1, hit.chunk)
        cost = count_tokens(header) + count_tokens(text) + 4
        if used + cost > budget:
            room = budget - used - count_tokens(header) - 4
            if room < 60:
                break
            kept: list[str] = []
            for sentence in split_sentences(text):
                if count_tokens(" ".join([*kept, sentence])) > room:
                    break
                kept.append(sentence)
            if not kept:
                break
            text = " ".join(kept)
            cost = count_tokens(header) + count_tokens(text) + 4
        sources.append(Source(len(sources) + 1, hit, text))
        used += cost
    return sources


def _header(n: int, chunk: Chunk) -> str:
    where = f", clause {chunk.clause}" if chunk.clause else ""
    return f"[{n}] {chunk.doc_id} {chunk.edition}{where}, p. {chunk.page}".replace("  ", " ")


def format_sources(sources: Sequence[Source]) -> str:
    """The sources block of the prompt; a source cannot close its own block."""
    blocks = []
    for source in sources:
        body = source.text.replace("<source", "‹source").replace("</source", "‹/source")
        blocks.append(f'<source n="{source.n}">\n{_header(source.n, source.chunk)}\n{body}\n</source>')
    return "\n\n".join(blocks)
