"""Words and abbreviations of a glossary: the corpus vocabulary, what looks like an
abbreviation, the part of a text that spells one out, and words the PDF text layer
broke ("Encr yption", "ap-" / "proved") joined again.

This module does not find glossary clauses or parse their entries (:mod:`.terms`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

__all__ = ["FUNCTION_WORDS", "abbreviation_like", "expansion_of", "join_lines", "repair_words", "vocabulary"]

FUNCTION_WORDS = frozenset(
    "a an and as at be but by for from if in into is are its nor of on or than that the their to via which with".split()
)
_ABBREVIATION_TOKEN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9&/+\-]{0,14}$")
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_VOCABULARY_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
_RARE = 5  # a word piece seen this often or less in the corpus is no word of its own
_SPLIT_EXPANSION = (" – ", " — ", " - ", " (", ". ", "; ", ", ")


def vocabulary(texts: Iterable[str]) -> Counter[str]:
    """How often each lower-case word (hyphenated words whole) occurs in ``texts``."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(_VOCABULARY_WORD.findall(text.lower()))  # one lower() a text, not a word
    return counts


def abbreviation_like(text: str) -> bool:
    """True for "KME", "ML-DSA", "5G AKA", "NIST IR", "QoS", "eUICC"; False for words.

    One to three tokens of 1–15 characters, each with two capitals, or a capital and a digit.
    """
    tokens = text.split()
    if not 1 <= len(tokens) <= 3:
        return False
    for token in tokens:
        if not _ABBREVIATION_TOKEN.match(token) or token[-1] in "-/":
            return False
        capitals = sum(ch.isupper() for ch in token)
        digits = sum(ch.isdigit() for ch in token)
        if capitals < 2 and not (capitals and digits):
            return False
    return True


def expansion_of(abbreviation: str, text: str) -> str | None:
    """The part of ``text`` that spells out ``abbreviation``, or None.

    The text is tried whole and cut before a dash, a parenthesis, a sentence end or a
    comma, shortest first; a candidate fits when the abbreviation's letters occur in
    it in order, the first at the start (or a capital) of its first word, and it has
    no more words than the letters allow (Schwartz and Hearst's rule).

    >>> expansion_of("TLS", "Transport Layer Security (a major Internet secure communication protocol)")
    'Transport Layer Security'
    >>> expansion_of("KME", "Quantum Key Distribution") is None
    True
    """
    base = " ".join(text.split()).rstrip(".")
    candidates = {base.split(sep, 1)[0].strip().rstrip(".") for sep in _SPLIT_EXPANSION if sep in base}
    candidates.add(base)
    for candidate in sorted(candidates, key=len):
        if candidate and _spells(abbreviation, candidate):
            return candidate
    return None


def _spells(abbreviation: str, expansion: str) -> bool:
    chars = [ch.lower() for ch in abbreviation if ch.isalnum()]
    letters = sum(ch.isalpha() for ch in chars)
    words = _WORD.findall(re.sub(r"^(?:the|a|an)\s+", "", expansion.replace("(", " ").replace(")", " "), flags=re.I))
    if not words or not letters or len(words) > min(len(chars) + 5, 2 * len(chars)):
        return False
    if words[0].lower() in FUNCTION_WORDS or words[0].lower() == abbreviation.lower():
        return False
    first = words[0]
    if chars[0].isdigit() and first[0] != chars[0]:
        chars = chars[1:]  # "5G AKA" may spell its digit or not
    lead = chars[0]
    # The first letter starts the first word, or is one of its capitals ("eXtendable"),
    # or stands early in it ("XOF Extendable-Output Function").
    if lead.isalpha() and lead not in first[:3].lower() and lead not in {ch.lower() for ch in first if ch.isupper()}:
        return False
    squashed = "".join(word.lower() for word in words)
    position = 0
    for ch in chars:
        found = squashed.find(ch, position)
        if found < 0:
            if ch.isdigit():
                continue  # "M2M Machine to Machine", "EC3 Elastic Cloud Computing Cluster"
            return False
        position = found + 1
    return True


def repair_words(text: str, words: Counter[str] | None) -> str:
    """Join pieces of words the PDF text layer split ("Encr yption" → "Encryption")."""
    tokens = text.split()
    if not words or len(tokens) < 2:
        return " ".join(tokens)
    out = [tokens[0]]
    for token in tokens[1:]:
        left, right = out[-1], token.rstrip(".,;:)")
        joined = (left + right).lower()
        # Both pieces rare and the second in lower case: "Encr yption", "en tity", but
        # not "Hyper Text" (printed so) although "Hypertext" occurs elsewhere.
        if (
            left.isalpha()
            and right.isalpha()
            and right[0].islower()
            and words[joined] > 0
            and words[left.lower()] <= _RARE
            and words[right.lower()] <= _RARE
        ):
            out[-1] = left + token
        else:
            out.append(token)
    return " ".join(out)


def join_lines(lines: Sequence[str], words: Counter[str] | None) -> str:
    """Lines joined into one text; a word hyphenated at a line end is rejoined when known."""
    text = ""
    for line in lines:
        line = line.strip()
        if re.search(r"\w-$", text) and line[:1].isalpha():
            head = re.search(r"(\w+)-$", text)
            tail = re.match(r"\w+", line)
            known = line[0].islower() and head and tail and words and words[(head.group(1) + tail.group(0)).lower()]
            text = (text[:-1] if known else text) + line  # "ap-" "proved"; "Post-" "Quantum/Traditional"
        else:
            text = f"{text} {line}" if text else line
    return " ".join(text.split())
