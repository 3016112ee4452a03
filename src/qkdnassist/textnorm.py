"""How the indexes see text: one normal form for keyword tokens and embedder input.

PDF text layers carry Unicode that reads the same but compares differently: math
italic letters (``𝑐𝑡𝑥`` for ctx), ligatures (``ﬁ``), full-width digits, soft hyphens,
and in some fonts wrong look-alike letters (``Ǫuantum``). Folding them lets a query
typed on a keyboard match. The text shown to users and quoted stays verbatim.
"""

from __future__ import annotations

import unicodedata

__all__ = ["fold"]

_LOOKALIKES = str.maketrans(
    {"Ǫ": "Q", "ǫ": "q", "\u00ad": "", "−": "-", "‐": "-", "‑": "-", "–": "-", "’": "'", "‘": "'"}
)


def fold(text: str, *, lower: bool = True) -> str:
    """NFKC, look-alike letters repaired, and (by default) lower case."""
    folded = unicodedata.normalize("NFKC", text).translate(_LOOKALIKES)
    return folded.lower() if lower else folded
