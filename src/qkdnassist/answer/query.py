"""The question's words as the corpus sees them: weights, and what the corpus lacks.

:class:`QueryTerms` weighs each content word of a question by its inverse document
frequency in the index (rare words weigh more, as in BM25) and records the words and
names that no indexed passage contains. Evidence scoring, abstention and the coverage
check all read a question through it.

This module does not search or choose evidence.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from ..store.keyword import KeywordIndex
from ..textnorm import is_stopword, tokenize

__all__ = ["ORDINALS", "QueryTerms", "content_words", "singular"]

_PARTS = re.compile(r"[a-z0-9]+")
_NAMED_NUMBER = re.compile(r"\b([A-Z][A-Z]+) (\d+(?:\.\d+)*)\b")
# A capitalised run of two or more words ("Tokyo QKD Network", "Quantum Flagship"),
# the way a question names a network, a programme or an organisation.
_NAME_RUN = re.compile(r"\b(?:[A-Z][\w\-.]*[A-Za-z0-9](?:'s)?)(?:\s+(?:of\s+|the\s+|for\s+)?[A-Z][\w\-.]*[A-Za-z0-9])+")
ORDINALS = frozenset(
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth "
    "fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth".split()
)
# Words that start a question or a sentence and are capitalised only for that.
_SENTENCE_WORDS = frozenset(
    "what which who whom whose when where why how is are does do did can could should would will was were "
    "in on at for by of the a an and or to from give list name describe explain according under".split()
)


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
        unseen_names: capitalised names of two or more words in the question
            ("Tokyo QKD Network") whose words never stand together in the corpus,
            though each may occur on its own.
    """

    weights: dict[str, float]
    unseen: dict[str, float]
    unseen_names: tuple[str, ...] = field(default=())

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
        weights = {t: _idf(n, seen[t]) for t in tokens}
        unseen: dict[str, float] = {}
        for t in tokens:
            if seen[t]:
                continue
            parts = _PARTS.findall(t)
            identifier = any(ch.isdigit() for ch in t)
            if len(parts) > 1 and not identifier and all(seen.get(p, 1) for p in parts):
                continue  # "functional-abstraction": its parts are in the corpus ("HQC-128" must be whole)
            # An ordinal names one instance ("the ninth meeting") as a number does.
            rare = identifier or t in ORDINALS or pieces is None or pieces(t) > 1
            unseen[t] = 1.0 if rare else 0.25
        # Word pairs the corpus uses ("input+checking") reward a sentence that has the
        # phrase over one that has the words apart; pairs the corpus lacks say nothing.
        pairs = [t for t in dict.fromkeys(tokenize(query)) if "+" in t]
        pair_df = keyword.document_frequency(pairs)
        for pair, df_pair in pair_df.items():
            if df_pair:
                weights[pair] = 0.5 * _idf(n, df_pair)
        return cls(weights, unseen, _unseen_names(query, keyword))

    @property
    def unseen_share(self) -> float:
        """Weighted share of the question's words that the corpus lacks (0..1)."""
        total = sum(w for t, w in self.weights.items() if "+" not in t)
        return sum(self.weights[t] * r for t, r in self.unseen.items()) / total if total else 0.0

    @property
    def unseen_identifier(self) -> bool:
        """Whether the question names an identifier or a rare name ("ML-DSA-128",
        "V1.2.1", "QKD 011", "Micius") that no indexed passage contains."""
        return any(strength >= 1.0 for strength in self.unseen.values())

    @property
    def total(self) -> float:
        return sum(self.weights.values())

    def coverage(self, text: str, *, stem: bool = False) -> float:
        """Weighted share of the question's tokens that ``text`` contains (0..1);
        ``stem`` also matches singular and plural forms ("relays" ~ "relay")."""
        return self.covered(set(tokenize(text)), stem=stem)

    def covered(self, tokens: set[str], *, stem: bool = False) -> float:
        """:meth:`coverage` of a text already tokenised."""
        total = self.total
        if not total:
            return 0.0
        if not stem:
            return sum(w for t, w in self.weights.items() if t in tokens) / total
        stems = {singular(t) for t in tokens}
        return sum(w for t, w in self.weights.items() if singular(t) in stems) / total

    @cached_property
    def rare(self) -> dict[str, float]:
        """The heaviest single-word tokens that together carry half of the weight: what
        a passage must contain to be about *this* question rather than its topic."""
        single = sorted(((w, t) for t, w in self.weights.items() if "+" not in t), reverse=True)
        total = sum(w for w, _ in single)
        chosen: dict[str, float] = {}
        for w, t in single:
            if sum(chosen.values()) >= 0.5 * total:
                break
            chosen[t] = w
        return chosen


def _idf(n: int, df: int) -> float:
    return math.log(1 + (n - df + 0.5) / (df + 0.5))


def _unseen_names(query: str, keyword: KeywordIndex) -> tuple[str, ...]:
    """Capitalised multi-word names of ``query`` ("Tokyo QKD Network") two of whose
    adjacent words never stand together in the corpus."""
    names = []
    for match in _NAME_RUN.finditer(query):
        words = [w.removesuffix("'s").removesuffix("’s") for w in match.group(0).split()]
        while words and words[0].lower() in _SENTENCE_WORDS:
            words = words[1:]
        if len(words) < 2:
            continue
        pairs = [p for p in tokenize(" ".join(words)) if "+" in p]
        if not pairs:
            continue
        if any(df == 0 for df in keyword.document_frequency(pairs).values()):
            names.append(" ".join(words))  # its words never stand together in the corpus
    return tuple(names)


_PROPER = re.compile(r"(?<![\w'’])(?:[A-Z][a-z]+[A-Z]\w*|[A-Z]{2,}[\w\-]*|[A-Z][a-z]{2,})(?:['’]s)?(?![\w'’])")


_ID_PREFIX = re.compile(r"\s+(?:[A-Z]+\s+)?\d")


def proper_names(question: str, known: frozenset[str] = frozenset()) -> list[str]:
    """The proper names of ``question``, lower-cased: capitalised words past its first
    word ("Tokyo", "Willow", "Davos") and acronyms ("BIKE", "CACR"), without the
    question's own framing words and without ``known`` words (those that name the
    indexed documents: "Singapore handbook" points at a document, it is not a fact
    the evidence must repeat)."""
    words = []
    for match in _PROPER.finditer(question):
        word = match.group(0).removesuffix("'s").removesuffix("’s")
        lower = word.lower()
        if match.start() == 0 or lower in _SENTENCE_WORDS or is_stopword(lower) or lower in known:
            continue
        if _ID_PREFIX.match(question, match.end()):
            continue  # "GS" of "GS QKD 018", "RFC" of "RFC 8784": part of an identifier
        words.append(lower)
    return list(dict.fromkeys(words))


def content_words(text: str) -> set[str]:
    """The words of ``text`` that carry content: tokens without stop words and single characters."""
    return {t for t in tokenize(text, pairs=False) if not is_stopword(t) and len(t) > 1}


def singular(token: str) -> str:
    """A light plural fold ("relays" → "relay", "entities" → "entity"); identifiers and
    short words are left alone."""
    if len(token) > 4 and token.isalpha():
        if token.endswith("ies"):
            return token[:-3] + "y"
        if token.endswith("s") and not token.endswith(("ss", "us", "is")):
            return token[:-1]
    return token
