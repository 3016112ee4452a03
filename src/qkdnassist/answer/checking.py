"""Checking a model's answer against its sources, sentence by sentence.

- a marker that points to no source is removed (and noted);
- a sentence is kept as cited only when its cited source supports it — its content
  words, and every number and identifier in it, are found in a stretch of at most
  three consecutive sentences of that source; the quote shown is that stretch,
  located verbatim on its page;
- a sentence with no marker is attributed to the source that supports it, if one
  does (small models often forget markers); otherwise it is flagged as unsupported.

The check is lexical: it proves that the cited passage says the same words and
figures, not that the sentence draws the right conclusion from them.

This module does not call a model.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..search.quotes import QuoteLocator
from ..sentences import split_sentences
from ..textnorm import is_stopword, tokenize
from ..types import Citation, DocumentRecord, Statement
from .prompts import NOT_COVERED
from .sources import Source

__all__ = ["SUPPORTED", "Checked", "best_support", "check_answer", "support"]

_MARKER = re.compile(r"\[(\d+(?:\s*[,;–-]\s*\d+)*)\]")
# "... in KME. [1][2]" → "... in KME [1][2]." so markers stay with their sentence.
_MARKERS_AFTER_STOP = re.compile(r"([.!?])((?:\s*\[\d+(?:\s*[,;–-]\s*\d+)*\])+)")


def _content(text: str) -> set[str]:
    return {t for t in tokenize(text, pairs=False) if not is_stopword(t) and len(t) > 1}


def _exact(tokens: set[str]) -> set[str]:
    """Tokens a source must contain as they are: numbers and identifiers ("ML-KEM-768",
    "/api/v1/keys/{slave_SAE_ID}/enc_keys"), where small models invent."""
    return {t for t in tokens if any(ch.isdigit() for ch in t) or len(re.findall(r"[a-z0-9]+", t)) > 1}


def support(statement: str, text: str) -> float:
    """Share of the statement's content words found in ``text``; 0 when a number or an
    identifier of the statement is missing from it."""
    words = _content(statement)
    if not words:
        return 0.0
    found = _content(text)
    if not _exact(words) <= found:
        return 0.0
    return len(words & found) / len(words)


_WINDOW = 3  # consecutive sentences/rows of a source that may support one statement together


def best_support(statement: str, source_text: str) -> tuple[float, str]:
    """The best-supporting stretch of ``source_text`` for ``statement``: up to three
    consecutive sentences or rows, so that a claim is backed by text that says it in
    one place, not by words scattered over the passage."""
    units = split_sentences(source_text)
    best = (0.0, "")
    for size in range(1, _WINDOW + 1):  # shortest first: a longer stretch must do better
        for i in range(len(units) - size + 1):
            text = " ".join(units[i : i + size])
            score = support(statement, text)
            if score > best[0] + 1e-9:
                best = (score, text)
    return best


SUPPORTED = 0.6  # share of a sentence's content words its source must contain


def _markers(sentence: str) -> list[int]:
    numbers: list[int] = []
    for match in _MARKER.finditer(sentence):
        for part in re.split(r"\s*[,;]\s*", match.group(1)):
            if re.fullmatch(r"\d+\s*[–-]\s*\d+", part):
                low, high = (int(x) for x in re.split(r"\s*[–-]\s*", part))
                numbers.extend(range(low, min(high, low + 20) + 1))
            else:
                numbers.append(int(part))
    return list(dict.fromkeys(numbers))


@dataclass(frozen=True)
class Checked:
    """The result of checking a model's answer against its sources."""

    text: str
    statements: tuple[Statement, ...]
    citations: tuple[Citation, ...]
    notes: tuple[str, ...]
    declined: bool  # the model said the sources do not cover the question


def check_answer(
    raw: str, sources: Sequence[Source], locator: QuoteLocator, records: dict[str, DocumentRecord]
) -> Checked:
    """Check every sentence of ``raw`` against the sources it cites (see module doc)."""
    by_n = {s.n: s for s in sources}
    citations: list[Citation] = []
    keys: dict[tuple[str, str, int], int] = {}
    statements: list[Statement] = []
    notes: list[str] = []
    claims = declines = 0
    seen: set[str] = set()
    raw = _MARKERS_AFTER_STOP.sub(lambda m: m.group(2) + m.group(1), raw)
    for sentence in split_sentences(raw.replace("\n", " \n")):
        cited = _markers(sentence)
        text = " ".join(_MARKER.sub(" ", sentence).split())
        if not _content(text) or text in seen:
            continue  # no content, or a repetition (small models loop)
        seen.add(text)
        bad = [n for n in cited if n not in by_n]
        if bad:
            notes.append(f"removed marker(s) {', '.join(f'[{n}]' for n in bad)}: no such source")
        if NOT_COVERED.search(text):
            declines += 1
            statements.append(Statement(text))
            continue
        claims += 1
        valid = [by_n[n] for n in cited if n in by_n]
        backing = [s for s in valid if best_support(text, s.text)[0] >= SUPPORTED]
        if valid and not backing:
            notes.append(f"“{_short(text)}” is not supported by its cited source(s)")
        if not backing:
            best = max(sources, key=lambda s: best_support(text, s.text)[0], default=None)
            if best is not None and best_support(text, best.text)[0] >= SUPPORTED:
                backing = [best]
                if not valid:
                    notes.append(f"citation added by the checker to “{_short(text)}”")
        numbers: list[int] = []
        for source in backing:
            citation = _cite(text, source, locator, records, len(citations) + 1)
            if citation is None:
                continue
            key = (citation.source, citation.quote, citation.page)
            if key not in keys:
                keys[key] = citation.n
                citations.append(citation)
            numbers.append(keys[key])
        statements.append(Statement(text, tuple(dict.fromkeys(numbers)), supported=bool(numbers)))
    rendered = " ".join(_render(s) for s in statements)
    return Checked(rendered, tuple(statements), tuple(citations), tuple(notes), declined=declines > 0 and not claims)


def _short(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "…"


def _render(statement: Statement) -> str:
    if statement.citations:
        return statement.text + " " + "".join(f"[{n}]" for n in statement.citations)
    if not statement.supported:
        return statement.text + " [not supported by the sources]"
    return statement.text


def _cite(
    statement: str, source: Source, locator: QuoteLocator, records: dict[str, DocumentRecord], n: int
) -> Citation | None:
    """A citation of the stretch of the source that supports ``statement``, located on its
    page (the stretch is taken from the original passage, not the sanitised prompt text)."""
    _, stretch = best_support(statement, source.chunk.text)
    units = split_sentences(stretch)
    for end in range(len(units), 0, -1):  # a stretch that runs onto the next page is cut
        citation = locator.citation(n, source.chunk, " ".join(units[:end]), records.get(source.chunk.source))
        if citation is not None:
            return citation
    return None
