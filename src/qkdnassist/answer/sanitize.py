"""Document text as data a model may read: what could steer a language model is removed.

Before a passage reaches a prompt, hidden characters are removed and the text
NFKC-normalised, chat-template control tokens are stripped, forged chat turns are
withheld whole, and sentences that address an AI assistant ("ignore the previous
instructions…") are replaced by :data:`WITHHELD`. Quotes shown to users are always
taken from the stored passage, never from this text.

This module does not build prompts or call a model.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Sequence

from ..sentences import split_sentences

__all__ = ["WITHHELD", "sanitize"]

# Control tokens of common chat templates (ChatML, Llama, Gemma, Phi, ...).
_CONTROL = re.compile(
    r"<\|[^|<>\n]{1,40}\|>|</?s>|\[/?INST\]|<</?SYS>>|<(?:start|end)_of_turn>|</?(?:system|assistant|user)>"
    r"|^#{2,}\s*(?:system|instruction|assistant|user)\b.*$",
    re.IGNORECASE | re.MULTILINE,
)
# Of those, the ones that open a chat turn and the ones that close it: what a document
# puts between them is a forged message, withheld whole.
_TURN_OPENS = re.compile(
    r"<\|(?:im_?start|start_header_id|system|user|assistant)\|>|\[INST\]|<<SYS>>|<start_of_turn>"
    r"|<(?:system|assistant|user)>",
    re.IGNORECASE,
)
_TURN_CLOSES = re.compile(
    r"<\|(?:im_?end|eot_id|eom_id|end|endoftext)\|>|</s>|\[/INST\]|<</SYS>>|<end_of_turn>"
    r"|</(?:system|assistant|user)>",
    re.IGNORECASE,
)
# Cyrillic and Greek letters drawn like Latin ones (from Unicode's confusables list,
# one character for one, so match positions stay valid): "Ignоre" with a Cyrillic "о"
# reads as "Ignore" to a model and must match as such. Used for matching only.
_LATIN_LOOKALIKES = str.maketrans(
    "аеорсухіјѕԁԛԝһӏАВЕКМНОРСТХІЈЅοαεικνρτυχΑΒΕΖΗΙΚΜΝΟΡΤΥΧ",
    "aeopcyxijsdqwhlABEKMHOPCTXIJSoaeikvptuxABEZHIKMNOPTYX",
)
# Sentences that speak to the assistant rather than about the subject.
_INSTRUCTION = re.compile(
    r"\b(?:ignore|disregard|forget|override)\b.{0,60}\b(?:instructions?|prompts?|rules?|guidelines?|above|previous|prior)\b"
    r"|\b(?:you are now|act as|pretend to be|from now on,? you)\b"
    r"|\b(?:system prompt|new instructions?|developer mode|jailbreak)\b"
    r"|\b(?:assistant|AI|model|chatbot|LLM)s?\b.{0,40}\b(?:must|should|shall)\b.{0,20}\b(?:reply|respond|answer|say|output|print|write)\b",
    re.IGNORECASE,
)
WITHHELD = "[text addressed to an AI assistant withheld]"


def sanitize(text: str) -> str:
    """``text`` as data a model may read: hidden characters gone, chat-template control
    tokens removed, forged chat turns and sentences that address an AI assistant
    withheld.

    The checks run on what a model would read, not on the code points: format
    characters (zero-width, soft hyphen, the invisible Unicode tag block) are removed
    and the text is NFKC-normalised first, so "Ig\\u200bnore", full-width letters or
    "<\\u200b|im_start|>" are seen as the words and tokens they spell. NFKC also turns
    ligatures and superscripts into plain letters and digits; that is harmless here,
    because quotes are taken from the stored passage, never from this text.
    """
    units = split_sentences(_forged_turns_withheld(_plain(text)))
    withheld = _addressed_to_an_assistant(units)
    out: list[str] = []
    for i, sentence in enumerate(units):
        if i in withheld:
            sentence = WITHHELD
        if not (sentence == WITHHELD and out and out[-1] == WITHHELD):
            out.append(sentence)
    return " ".join(out)


def _plain(text: str) -> str:
    """``text`` without format characters (Unicode category Cf: zero-width characters,
    soft hyphens, bidi controls, the tag block U+E0000-E007F) or variation selectors,
    then NFKC-normalised. Removal comes first, so that a letter split from its accent by
    a zero-width character still composes."""
    visible = "".join(ch for ch in text if unicodedata.category(ch) != "Cf" and not _is_invisible_mark(ch))
    return unicodedata.normalize("NFKC", visible)


def _is_invisible_mark(ch: str) -> bool:
    """Variation selectors and the combining grapheme joiner: marks (category Mn) that
    show nothing, yet split a word as a zero-width character does."""
    code = ord(ch)
    return 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF or code == 0x034F


def _forged_turns_withheld(text: str) -> str:
    """``text`` with chat-template control tokens removed, and what stands between a
    turn-opening token and its closing one (or the end of the text, when none closes
    it) replaced by :data:`WITHHELD` on a line of its own: a document that forges a
    system or user message has nothing in it worth showing. One pass over the tokens,
    so linear in the length of the text however the tokens nest."""
    pieces: list[str] = []
    depth = 0
    position = 0
    for match in _CONTROL.finditer(text):
        token = match.group(0)
        if depth == 0:
            pieces.append(text[position : match.start()])
        if _TURN_OPENS.fullmatch(token):
            if depth == 0:
                pieces.append(f"\n{WITHHELD}\n")
            depth += 1
        else:
            if _TURN_CLOSES.fullmatch(token):
                depth = max(0, depth - 1)
            if depth == 0:
                pieces.append(" ")
        position = match.end()
    if depth == 0:
        pieces.append(text[position:])
    return "".join(pieces)


def _addressed_to_an_assistant(units: Sequence[str]) -> set[int]:
    """Indexes of the sentences/lines among ``units`` that speak to an AI assistant.

    A line that does not end its sentence is read together with the lines that follow
    up to the sentence's end, so that "Ignore all previous\\ninstructions" is caught;
    only the lines a match touches are withheld, so a table row next to an injected one
    stays.
    """
    withheld: set[int] = set()
    group: list[int] = []

    def check_group() -> None:
        starts, position = [], 0
        for i in group:
            starts.append(position)
            position += len(units[i]) + 1
        joined = " ".join(units[i] for i in group)
        for match in _INSTRUCTION.finditer(joined.translate(_LATIN_LOOKALIKES)):
            first = bisect.bisect_right(starts, match.start()) - 1
            last = bisect.bisect_left(starts, match.end()) - 1
            withheld.update(group[first : last + 1])
        group.clear()

    for i, unit in enumerate(units):
        if unit == WITHHELD:
            check_group()
            continue
        group.append(i)
        if unit.rstrip("\"')]”’").endswith((".", "!", "?")):  # else the sentence goes on
            check_group()
    check_group()
    return withheld
