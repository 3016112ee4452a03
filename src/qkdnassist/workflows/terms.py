"""Parsing of terms, definitions and abbreviations clauses: lines in, entries out.

Standards print their vocabulary in a few layouts, all line based:

- ``term: definition`` (ETSI clause 3.1, RFC-style lists);
- a term followed by its definition on the same line or on the next lines, the term
  sometimes wrapped over several short lines (NIST FIPS 203/204 section 2.1, GSMA
  Annex definitions, the glossary of the ANSSI/BSI position paper);
- abbreviation rows, ``KME Key Management Entity`` (ETSI clause 3.3, NIST acronyms,
  GSMA abbreviations).

:func:`parse_entries` reads such lines and returns :class:`Entry` values. It is
deliberately cautious: an abbreviation is taken only when the words after it spell
its letters in order (:func:`expansion_of`), and a term only when it is short and the
line structure says where its definition starts. A layout it does not recognise
yields no entry rather than a term paired with the wrong text. The text layer of a
PDF also breaks words ("Encr yption"); given the document's vocabulary the parser
joins such pieces in the term and text it returns (the lines, used for quoting, stay
verbatim).

This module is pure logic: it knows nothing of the index, pages or quoting.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from .lexicon import FUNCTION_WORDS, abbreviation_like, expansion_of, join_lines, repair_words

__all__ = [
    "Entry",
    "Kind",
    "clause_kind",
    "parse_entries",
]

Kind = Literal["term", "abbreviation"]

# Titles of the clauses that hold a document's vocabulary; the innermost title counts
# (so "2.4 Interpreting the Pseudocode" under "2 Terms, Acronyms, and Notation" does not).
_GLOSSARY_TITLE = re.compile(
    r"(?<![\w-])(?:terms|definitions|glossary|abbreviations|acronyms|terminology)(?![\w-])", re.IGNORECASE
)
_TERMS_TITLE = re.compile(r"(?<![\w-])(?:terms|definitions|glossary|terminology)(?![\w-])", re.IGNORECASE)
_NOT_GLOSSARY = re.compile(r"terms of reference|terms and conditions|terms of use", re.IGNORECASE)
# Words a term does not start with: a line beginning so is prose, not a glossary entry.
_NOT_TERM_START = FUNCTION_WORDS | frozenset(
    "all also any each example note see some such there these they this those when where it".split()
)
_DETERMINERS = frozenset({"A", "An", "The"})

_HEADING = re.compile(
    r"^(?:\d+(?:\.\d+)*\.?|Annex\s+[A-Z](?:\.\d+)*|Appendix\s+[A-Z](?:\.\d+)*|[A-Z]\.\d+(?:\.\d+)*)\s+"
    r".*(?:terms|definitions|glossary|abbreviations|acronyms|terminology|symbols)",
    re.IGNORECASE,
)
_TABLE_HEADER = re.compile(
    r"^(?:terms?|abbreviations?|acronyms?|symbols?)\s+(?:descriptions?|definitions?|meanings?|expansions?|explanations?)$",
    re.IGNORECASE,
)
_INTRO = re.compile(
    r"^(?:for the purposes? of|the following (?:terms|abbreviations|acronyms|definitions|symbols))", re.I
)
_VOID = re.compile(r"^void\.?$", re.IGNORECASE)
_NOTE = re.compile(r"^(?:NOTE|EXAMPLE)\s*\d*\s*:")
_BULLET = re.compile(r"^(?:[o*•▪–-])\s+")
_COLON = re.compile(r"^(?P<head>[^:]{1,80}?):\s+(?P<body>\S.*)$")
_LIST_NUMBER = re.compile(r"^(?:\d+|[a-z]|[ivx]+)[.)]", re.IGNORECASE)


@dataclass(frozen=True)
class Entry:
    """One entry of a terms or abbreviations clause, as parsed.

    Attributes:
        term: the term or abbreviation ("key pair", "KME").
        kind: "term" or "abbreviation".
        text: the definition, or the expansion for an abbreviation row (with any
            further text of the entry, as GSMA definitions of ``ML-DSA`` have).
        lines: the entry's lines as printed, each with the page it stands on
            (0 when the lines were given without pages).
    """

    term: str
    kind: Kind
    text: str
    lines: tuple[tuple[int, str], ...]

    @property
    def expansion(self) -> str:
        """What an abbreviation stands for ("" for a term)."""
        if self.kind != "abbreviation":
            return ""
        return expansion_of(self.term, self.text) or self.text


def clause_kind(clause_title: str) -> Literal["terms", "abbreviations"] | None:
    """Whether a clause holds terms (and maybe abbreviations), abbreviations only, or neither.

    Only the innermost title of a title path counts.

    >>> clause_kind("3 Definition of terms, symbols and abbreviations > 3.3 Abbreviations")
    'abbreviations'
    >>> clause_kind("6 Outcome of discussion related to revision of the Terms of Reference") is None
    True
    """
    title = clause_title.rsplit(" > ", 1)[-1]
    if _NOT_GLOSSARY.search(title) or not _GLOSSARY_TITLE.search(title):
        return None
    return "terms" if _TERMS_TITLE.search(title) else "abbreviations"


_CELL = " | "  # cell separator of table rows (readers.tables)


def _valid_term(head: str) -> bool:
    """A short noun phrase: 1–8 words, no sentence punctuation outside parentheses."""
    words = head.split()
    if not 1 <= len(words) <= 8 or len(head) > 80:
        return False
    if not (head[0].isalnum() or head[0] == "(") or _LIST_NUMBER.match(head) or not any(c.isalpha() for c in head):
        return False
    depth = 0
    for ch in head:
        depth += (ch == "(") - (ch == ")")
        if depth < 0 or (depth == 0 and ch in '.,;:!?"“”[]{}='):
            return False
    if depth or any(dash in head for dash in (" – ", " — ", " - ")):
        return False
    return words[0].lower().lstrip("(") not in _NOT_TERM_START and words[-1].lower() not in FUNCTION_WORDS


def _split(line: str, *, determiner: bool = False) -> tuple[str, str] | None:
    """A line that is a term followed by its definition: "shared secret A secret value ...".

    The definition starts at a capitalised word followed by a lower-case one, a
    determiner first ("Post Quantum cryptography The goal"), or where the line
    repeats its opening words ("Quantum Safe Quantum Safe secures ..."). With
    ``determiner``, only a determiner or a repetition will do.
    """
    if _CELL in line:  # a glossary read as a table row: "Public-key cryptography | Cryptographic …"
        head, _, rest = line.partition(_CELL)
        head, rest = head.strip(), rest.replace(_CELL, " ").strip()
        return (head, rest) if rest and _valid_term(head) else None
    words = line.split()
    if len(words) < 4:
        return None
    for k in range(1, min(8, len(words) // 2) + 1):
        if words[:k] == words[k : 2 * k] and len(words) - k >= 3:
            return " ".join(words[:k]), " ".join(words[k:])
    candidates = [i for i in range(1, min(9, len(words) - 2)) if words[i][0].isupper() and words[i + 1][0].islower()]
    ordered = [i for i in candidates if words[i] in _DETERMINERS][:1] + ([] if determiner else candidates[:1])
    for i in ordered:
        head = " ".join(words[:i])
        if _valid_term(head):
            return head, " ".join(words[i:])
    return None


def _fragment(line: str) -> bool:
    """A short line that may be (part of) a term printed on its own."""
    words = line.split()
    return (
        1 <= len(words) <= 4
        and len(line) <= 40
        and line[-1] not in ".;:,"
        and (line[0].isalnum() or line[0] == "(")
        and not _LIST_NUMBER.match(line)
        and any(c.isalpha() for c in line)
    )


def _abbreviation_row(line: str) -> tuple[str, str] | None:
    """An abbreviation and its expansion: "KME Key Management Entity", "NIST IR NIST Interagency ..."."""
    if _CELL in line:
        head, _, rest = line.partition(_CELL)
        head, rest = head.strip(), rest.replace(_CELL, " ").strip()
        return (head, rest) if abbreviation_like(head) and expansion_of(head, rest) else None
    words = line.split()
    for n in (3, 2, 1):
        if n < len(words):
            head, rest = " ".join(words[:n]), " ".join(words[n:])
            if abbreviation_like(head) and expansion_of(head, rest):
                return head, rest
    return None


@dataclass
class _Draft:
    head: list[str]
    body: list[str]
    lines: list[tuple[int, str]]
    row: bool = False


class _Parser:
    """The state of one pass over a clause's lines (see :func:`parse_entries`)."""

    def __init__(self, abbreviations_only: bool, words: Counter[str] | None, width: int, colon: bool) -> None:
        self.abbreviations_only = abbreviations_only
        self.words = words
        self.width = width
        self.colon = colon
        self.entries: list[Entry] = []
        self.current: _Draft | None = None
        self.fragments: list[tuple[int, str, str]] = []  # page, line as printed, normalised
        # May an entry start on the next line? "hard" after a sentence end or a heading,
        # "soft" after the short last line of a paragraph that ends without a stop.
        self.boundary = "hard"
        self.intro = False

    def feed(self, page: int, raw: str) -> None:
        line = " ".join(_BULLET.sub("", raw.strip()).split())
        if not line:
            return
        if self.intro or _HEADING.match(line) or _TABLE_HEADER.match(line) or _INTRO.match(line) or _VOID.match(line):
            self.intro = bool(_INTRO.match(line) or self.intro) and line[-1] not in ":."
            self._close()
            self.boundary = "hard"
            return
        if _NOTE.match(line):
            self._close()  # a note belongs to the entry but is not its definition
            self.boundary = "hard" if line[-1] in ".)" else ""
            return
        if self.colon:
            self._colon(page, raw, line)
        else:
            self._layout(page, raw, line)
        self.boundary = self._closes(line)

    def _colon(self, page: int, raw: str, line: str) -> None:
        match = _COLON.match(line)
        if match and _valid_term(match["head"]):
            self._start([match["head"]], [match["body"]], page, raw)
        elif self.current is not None:
            self._continue(self.current, page, raw, line)

    def _layout(self, page: int, raw: str, line: str) -> None:
        rows = self.abbreviations_only or self.boundary or (self.current is not None and self.current.row)
        row = _abbreviation_row(line) if rows else None
        if row:
            self._start([row[0]], [row[1]], page, raw, row=True)
            return
        soft = self.boundary == "soft" and not self.fragments
        split = _split(line, determiner=soft) if self.boundary or self.fragments else None
        if split and not self.fragments and self.boundary:
            self._start([split[0]], [split[1]], page, raw)
            return
        if split and self.fragments and split[0][0].islower():
            # "claimed signa" / "tory From the verifier's perspective, ...": the term goes on
            self._start_from_fragments([split[0]], [split[1]], page, raw)
            return
        if (self.boundary or self.fragments) and _fragment(line):
            if not self.fragments:
                self._close()
            self.fragments.append((page, raw, line))
            return
        if self.fragments:
            self._start_from_fragments([], [line], page, raw)
            return
        if self.current is not None:
            self._continue(self.current, page, raw, line)

    def _continue(self, draft: _Draft, page: int, raw: str, line: str) -> None:
        wrapped = line[0].islower() or line[0] == "(" or not self.boundary
        if draft.row and self.abbreviations_only and not wrapped:
            self._close()  # a row that does not spell its abbreviation, not a wrapped expansion
            return
        draft.body.append(line)
        draft.lines.append((page, raw))

    def _start(
        self,
        head: list[str],
        body: list[str],
        page: int,
        raw: str,
        *,
        row: bool = False,
        more: Sequence[tuple[int, str]] = (),
    ) -> None:
        self._close()
        self.current = _Draft(head=head, body=body, lines=[(page, raw), *more], row=row)

    def _start_from_fragments(self, head: list[str], body: list[str], page: int, raw: str) -> None:
        """An entry whose term is the pending short lines (plus ``head``), defined from this line on."""
        fragments, self.fragments = self.fragments, []
        (first_page, first_raw, _), *rest = fragments
        heads = [text for _, _, text in fragments] + head
        more = [(p, r) for p, r, _ in rest] + [(page, raw)]
        self._start(heads, body, first_page, first_raw, more=more)

    def _closes(self, line: str) -> str:
        """Whether an entry may start after ``line``: "hard" when it ends a sentence,
        "soft" when it is the short last line of a paragraph (not one ending in "of",
        "and", a comma...), else ""."""
        end = line.rstrip(")]\"'”’")
        if not end or end[-1] in ".!?":
            return "hard"
        if end[-1] in ",;:-–—/(" or end.split()[-1].lower() in FUNCTION_WORDS:
            return ""
        return "soft" if len(line) < 0.75 * self.width else ""

    def _close(self) -> None:
        self.fragments = []
        draft, self.current = self.current, None
        if draft is None:
            return
        head = repair_words(join_lines(draft.head, self.words), self.words)
        text = repair_words(join_lines(draft.body, self.words), self.words)
        if abbreviation_like(head) and expansion_of(head, text):
            kind: Kind = "abbreviation"
        elif self.abbreviations_only or not _valid_term(head) or len(text.split()) < 2:
            return
        else:
            kind = "term"
        self.entries.append(Entry(term=head, kind=kind, text=text, lines=tuple(draft.lines)))

    def finish(self) -> list[Entry]:
        self._close()
        return self.entries


def parse_entries(
    lines: str | Iterable[str | tuple[int, str]],
    *,
    abbreviations_only: bool = False,
    words: Counter[str] | None = None,
) -> list[Entry]:
    """The entries of a terms or abbreviations clause.

    Args:
        lines: the clause's lines as printed (a string is split at line breaks), each
            optionally paired with its page number.
        abbreviations_only: the clause lists abbreviations only; any other entry is dropped.
        words: the corpus's :func:`vocabulary`, to rejoin words the text layer split.

    Returns:
        The entries in document order.
    """
    items = lines.split("\n") if isinstance(lines, str) else lines
    numbered = [(0, item) if isinstance(item, str) else item for item in items]
    stripped = [" ".join(raw.split()) for _, raw in numbered]
    width = max((len(s) for s in stripped), default=0)
    heads = [m for s in stripped if (m := _COLON.match(s)) and _valid_term(m["head"])]
    colon = len(heads) >= 2 and len(heads) >= 0.2 * sum(1 for s in stripped if s)
    parser = _Parser(abbreviations_only, words, width, colon)
    for page, raw in numbered:
        parser.feed(page, raw)
    return parser.finish()
