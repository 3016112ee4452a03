"""Extractive evidence answers: the best sentences and table rows of the top hits,
quoted verbatim with their citations — no language model involved.

Sentences are scored by how much of the question's weighted vocabulary they contain
(rare words weigh more, as in BM25) and by the rank of the passage they come from, so
the passage the hybrid search put first is preferred, but a later passage with a
sentence that answers the question squarely still gets in. Each quote is located on its
page before it is used: a sentence that cannot be located is never cited.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from .citations import QuoteLocator, format_document, format_location, split_sentences
from .keyword import KeywordIndex, is_stopword, tokenize
from .types import Chunk, Citation, DocumentRecord, Hit, Statement

__all__ = ["QueryTerms", "Quote", "quote_hits", "render_evidence", "select_quotes"]

_PARTS = re.compile(r"[a-z0-9]+")
_NAMED_NUMBER = re.compile(r"\b([A-Z][A-Z]+) (\d+(?:\.\d+)*)\b")


@dataclass(frozen=True)
class QueryTerms:
    """The question's content tokens with their weights (inverse document frequency).

    Attributes:
        weights: token → weight; tokens the corpus never contains weigh the most.
        unseen: tokens of the question that no indexed passage contains (after
            trying the singular/plural and, for compounds, the parts), each with how
            strongly it marks a name or term the corpus lacks: 1.0 for identifiers
            and words the embedder's vocabulary has to spell in pieces ("micius",
            "hqc-128"), less for everyday words a paraphrase may bring in ("fetch").
    """

    weights: dict[str, float]
    unseen: dict[str, float]

    @classmethod
    def of(cls, query: str, keyword: KeywordIndex, pieces: Callable[[str], int] | None = None) -> QueryTerms:
        """Weigh the tokens of ``query`` against ``keyword``'s statistics.

        Args:
            pieces: word-piece count of a word in the embedder's vocabulary; a word of
                one piece counts as everyday English. None treats every word as rare.
        """
        tokens = [t.removesuffix("'s") for t in tokenize(query, pairs=False)]
        # "QKD 011", "FIPS 205": an acronym and a number name one document; the keyword
        # index knows them as "qkd_011" (see keyword.tokenize).
        tokens += [f"{m.group(1).lower()}_{m.group(2)}" for m in _NAMED_NUMBER.finditer(query)]
        tokens = [t for t in dict.fromkeys(tokens) if not is_stopword(t) and (len(t) > 1 or t.isdigit())]
        n = max(len(keyword.ids), 1)
        variants = {t: [t, t + "s", t.removesuffix("s"), t.removesuffix("es")] for t in tokens}
        df = keyword.document_frequency(sorted({v for vs in variants.values() for v in vs}))
        seen = {t: max(df[v] for v in variants[t]) for t in tokens}
        weights = {t: math.log(1 + (n - seen[t] + 0.5) / (seen[t] + 0.5)) for t in tokens}
        unseen: dict[str, float] = {}
        for t in tokens:
            if seen[t]:
                continue
            parts = _PARTS.findall(t)
            identifier = any(ch.isdigit() for ch in t)
            if len(parts) > 1 and not identifier and all(seen.get(p, 1) for p in parts):
                continue  # "functional-abstraction": its parts are in the corpus ("HQC-128" must be whole)
            rare = identifier or pieces is None or pieces(t) > 1
            unseen[t] = 1.0 if rare else 0.25
        # Word pairs the corpus uses ("input+checking") reward a sentence that has the
        # phrase over one that has the words apart; pairs the corpus lacks say nothing.
        pairs = [t for t in dict.fromkeys(tokenize(query)) if "+" in t]
        for pair, df_pair in keyword.document_frequency(pairs).items():
            if df_pair:
                weights[pair] = 0.5 * math.log(1 + (n - df_pair + 0.5) / (df_pair + 0.5))
        return cls(weights, unseen)

    @property
    def unseen_share(self) -> float:
        """Weighted share of the question's words that the corpus lacks (0..1)."""
        total = sum(w for t, w in self.weights.items() if "+" not in t)
        return sum(self.weights[t] * r for t, r in self.unseen.items()) / total if total else 0.0

    def coverage(self, text: str, *, stem: bool = False) -> float:
        """Weighted share of the question's tokens that ``text`` contains (0..1);
        ``stem`` also matches singular and plural forms ("relays" ~ "relay")."""
        total = sum(self.weights.values())
        if not total:
            return 0.0
        if not stem:
            present = set(tokenize(text))
            return sum(w for t, w in self.weights.items() if t in present) / total
        stems = {_stem(t) for t in tokenize(text)}
        return sum(w for t, w in self.weights.items() if _stem(t) in stems) / total


def _stem(token: str) -> str:
    """A light plural fold ("relays" → "relay", "entities" → "entity"); identifiers and
    short words are left alone."""
    if len(token) > 4 and token.isalpha():
        if token.endswith("ies"):
            return token[:-3] + "y"
        if token.endswith("s") and not token.endswith(("ss", "us", "is")):
            return token[:-1]
    return token


@dataclass(frozen=True)
class Quote:
    """A passage of a retrieved chunk chosen as evidence: the sentence (or table row)
    that matched the question, followed by the sentences that complete it.

    Attributes:
        rank: rank of the hit it comes from (0 = best).
        chunk: that hit's passage.
        units: the sentences/rows quoted (the matching one, perhaps the one it continues,
            and the ones that complete it).
        start: position of the first quoted unit among the chunk's units.
        score: how well the matching unit answers the question.
    """

    rank: int
    chunk: Chunk
    units: tuple[str, ...]
    start: int
    score: float

    @property
    def text(self) -> str:
        return " ".join(self.units)

    def overlaps(self, other: Quote) -> bool:
        return (
            (
                self.chunk.id == other.chunk.id
                and self.start < other.start + len(other.units)
                and other.start < self.start + len(self.units)
            )
            or self.text in other.text
            or other.text in self.text
        )


# A quote runs on from its matching sentence while it is short: the answer to "which
# field..." is often the row after the header that matched, or the sentence after
# "The following table shows...".
_QUOTE_WORDS = 45
_QUOTE_UNITS = 4


def _units(chunk: Chunk) -> tuple[list[str], list[bool]]:
    """The chunk's sentences and rows, and for each whether it is its clause's heading
    (which the structure stage keeps as the first line of the clause)."""
    units = split_sentences(chunk.text)
    heading = " ".join(chunk.clause_title.split(" > ")[-1].split())
    return units, [bool(heading) and u.startswith(heading) and len(u) <= len(heading) + 3 for u in units]


def _window(units: list[str], heading: list[bool], i: int) -> tuple[int, tuple[str, ...]]:
    """The units to quote for a match on unit ``i``: from the unit before it when ``i``
    continues it (a table row, a wrapped fragment), on to the following ones while short."""
    start = i
    if i > 0 and not heading[i - 1] and not units[i - 1].endswith((".", ":", "?", "!")):
        start = i - 1
    end, words = i + 1, sum(len(u.split()) for u in units[start : i + 1])
    while end < len(units) and end - i < _QUOTE_UNITS and words < _QUOTE_WORDS and not heading[end]:
        words += len(units[end].split())
        end += 1
    return start, tuple(units[start:end])


def select_quotes(
    terms: QueryTerms, hits: Sequence[Hit], *, max_quotes: int = 6, per_hit: int = 3, min_ratio: float = 0.5
) -> list[Quote]:
    """The best quotes of ``hits`` for the question, best first.

    Each sentence or row is scored by the question's weighted words it contains, times
    a prior for the rank of its passage. At most ``per_hit`` quotes come from one
    passage and ``max_quotes`` in all; one scoring below ``min_ratio`` of the best is
    left out. When no sentence shares a word with the question (a paraphrase found by
    the dense side), the opening of the best passage stands for it.
    """
    scored: list[Quote] = []
    for rank, hit in enumerate(hits):
        prior = 1.0 / (1.0 + 0.25 * rank)
        units, heading = _units(hit.chunk)
        for i, unit in enumerate(units):
            if heading[i]:
                continue
            start, window = _window(units, heading, i)
            text = " ".join(window)
            # Long quotes contain more words by chance; prefer the focused one.
            focus = 1.0 / (1.0 + max(len(text.split()) - 60, 0) / 40)
            score = (0.5 * terms.coverage(unit) + terms.coverage(text)) * prior * focus
            scored.append(Quote(rank, hit.chunk, window, start, score))
    if not scored:
        return []
    scored.sort(key=lambda q: (-q.score, q.rank, q.start))
    best = scored[0].score
    if best <= 0:
        return [q for q in scored if q.rank == 0][:1]
    chosen: list[Quote] = []
    per: dict[str, int] = {}
    for quote in scored:
        if len(chosen) >= max_quotes or quote.score < min_ratio * best:
            break
        if per.get(quote.chunk.id, 0) >= per_hit or any(quote.overlaps(c) for c in chosen):
            continue
        chosen.append(quote)
        per[quote.chunk.id] = per.get(quote.chunk.id, 0) + 1
    return chosen


def quote_hits(
    quotes: Sequence[Quote], locator: QuoteLocator, records: dict[str, DocumentRecord]
) -> list[tuple[Quote, Citation]]:
    """Locate each quote on its page; quotes that cannot be located are dropped.

    A quote that runs onto the next page is cited in two parts, one per page.
    Citations are numbered from 1 in the order given.
    """
    located: list[tuple[Quote, Citation]] = []
    for quote in quotes:
        record = records.get(quote.chunk.source)
        rest = quote
        while rest.units:
            for end in range(len(rest.units), 0, -1):
                part = replace(rest, units=rest.units[:end])
                citation = locator.citation(len(located) + 1, quote.chunk, part.text, record)
                if citation is not None:
                    located.append((part, citation))
                    break
            else:
                end = 1  # this unit cannot be located: leave it out, go on with the next
            rest = replace(rest, units=rest.units[end:], start=rest.start + end)
    return located


def render_evidence(located: Sequence[tuple[Quote, Citation]]) -> tuple[str, list[Statement]]:
    """The extractive answer text, grouped by document in order of relevance."""
    groups: dict[str, list[tuple[Quote, Citation]]] = {}
    for quote, citation in located:
        groups.setdefault(citation.source, []).append((quote, citation))
    lines = ["Extractive answer — quoted from the documents, not written by a model:"]
    statements = []
    for items in groups.values():
        lines.append("")
        lines.append(f"{format_document(items[0][1])}:")
        for _, citation in items:
            lines.append(f"- “{citation.quote}” ({format_location(citation)}) [{citation.n}]")
            statements.append(Statement(citation.quote, (citation.n,)))
    return "\n".join(lines), statements
