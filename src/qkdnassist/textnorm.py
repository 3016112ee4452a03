"""How the indexes see text: one normal form for keyword tokens and embedder input,
and the identifier-aware tokenizer of keyword search.

Standards text is full of identifiers that a plain word tokenizer breaks apart or a
dense embedder blurs: ``ML-KEM-768``, ``FIPS 203``, ``Y.3802``, ``clause 5.2``,
``/api/v1/keys/{slave_SAE_ID}/enc_keys``. :func:`tokenize` emits the parts *and* the
whole of such identifiers, plus "name number" pairs (``fips_203``, ``qkd_014``), so
that a query naming one finds it exactly.

PDF text layers carry Unicode that reads the same but compares differently: math
italic letters (``𝑐𝑡𝑥`` for ctx), ligatures (``ﬁ``), full-width digits, soft hyphens,
and in some fonts wrong look-alike letters (``Ǫuantum``). Folding them lets a query
typed on a keyboard match. The text shown to users and quoted stays verbatim.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["TOKENIZER", "fold", "is_stopword", "keyword_text", "tokenize"]

_LOOKALIKES = str.maketrans(
    {"Ǫ": "Q", "ǫ": "q", "\u00ad": "", "−": "-", "‐": "-", "‑": "-", "–": "-", "’": "'", "‘": "'"}
)


def fold(text: str, *, lower: bool = True) -> str:
    """NFKC, look-alike letters repaired, and (by default) lower case."""
    folded = unicodedata.normalize("NFKC", text).translate(_LOOKALIKES)
    return folded.lower() if lower else folded


# Bump when tokenize() changes what it emits: tokens kept with the chunks are then stale.
TOKENIZER = "2026-11-29"

_WORD = re.compile(r"\S+")
_EDGE = "\"'()[]<>,;:.!?“”‘’«»*"
_PARTS = re.compile(r"[a-z0-9]+", re.IGNORECASE)
_NUMBERISH = re.compile(r"^(?:\d+(?:\.\d+)*|[a-z]?\d+[a-z]?)$")

# Words too common in this corpus and in questions to carry signal.
_STOP = frozenset(
    "a an and are as at be by can could do does for from has have how in into is it its of on or "
    "shall should such that the their them there these this those to was were what when where "
    "which who why will with would".split()
)


def is_stopword(token: str) -> bool:
    """True for the words :func:`tokenize` leaves out as carrying no signal."""
    return token in _STOP


def tokenize(text: str, *, pairs: bool = True) -> list[str]:
    """Lower-case tokens of ``text`` for BM25, identifiers kept whole and in parts.

    Adjacent words also give a pair token ("shelf+time") so that a phrase outranks
    the same words scattered over a passage, and a name followed by a number gives a
    "name_number" token ("fips_203"); ``pairs=False`` leaves both out.

    >>> tokenize("ML-KEM-768 per FIPS 203")
    ['ml-kem-768', 'ml', 'kem', '768', 'per', 'fips', '203', 'fips_203', 'per+fips']
    """
    tokens: list[str] = []
    pair_tokens: list[str] = []
    previous = ""  # the last plain word, for "name number" and word-pair tokens
    for match in _WORD.finditer(fold(text)):
        whole = match.group(0).strip(_EDGE)
        parts = _PARTS.findall(whole)
        if not parts:
            previous = ""
            continue
        if len(parts) > 1:
            tokens.append(whole)
            if "/" in whole:  # path segments: "{slave_sae_id}", "enc_keys"
                tokens.extend(seg.strip("{}") for seg in whole.split("/") if len(_PARTS.findall(seg)) > 1)
        tokens.extend(part for part in parts if part not in _STOP)
        word = whole.isalpha() and whole not in _STOP
        # "FIPS 203", "QKD 014", "clause 5.2", "Table 2": a name followed by a number.
        if previous and _NUMBERISH.match(whole):
            pair_tokens.append(f"{previous}_{whole}")
        elif previous and word:
            pair_tokens.append(f"{previous}+{whole}")
        previous = whole if word else ""
    if not pairs:
        return tokens
    return tokens + [t for t in pair_tokens if "_" in t] + [t for t in pair_tokens if "+" in t]


def keyword_text(doc_id: str, clause_title: str, context: str, text: str) -> str:
    """What keyword search indexes of a chunk: its document id, clause title and context
    (a continued table's caption) before the passage itself."""
    return f"{doc_id} {clause_title} {context}\n{text}"
