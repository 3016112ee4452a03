"""The normal form the indexes see: what a keyboard query must match."""

from __future__ import annotations

import pytest

from qkdnassist.textnorm import fold


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("context string 𝑐𝑡𝑥", "context string ctx"),  # math italic letters from FIPS PDFs
        ("Ǫuantum-safe PǪC", "quantum-safe pqc"),  # a font's look-alike letter
        ("ﬁeld", "field"),  # ligature
        ("２０２６", "2026"),  # full-width digits
        ("de\u00adcapsulation", "decapsulation"),  # soft hyphen
        ("2025–2030 − 1", "2025-2030 - 1"),  # dashes and minus
    ],
)
def test_fold_makes_pdf_text_match_typed_text(raw: str, folded: str) -> None:
    assert fold(raw) == folded


def test_fold_can_keep_case_for_the_embedder() -> None:
    assert fold("ML-KEM 𝑘", lower=False) == "ML-KEM k"
