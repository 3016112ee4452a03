"""A deterministic stand-in for the embedding model, for tests of pure logic.

:class:`FakeEmbedder` is an :class:`~qkdnassist.embedding.Embedder` that needs no model:
a text's vector is its hashed bag of lower-case words (384 dimensions, L2-normalised,
so texts that share words are near), and a word piece is a word. Search, ingest,
answers and the store run on it exactly as on the real model, in milliseconds; what
depends on the real model's sense of meaning is tested with the real one.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import numpy as np

from qkdnassist.embedding import Embedder

DIMENSION = 384
_WORD = re.compile(r"\w+")


class _HashingEncoder:
    def encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        vectors = np.zeros((len(texts), DIMENSION), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in _WORD.findall(text.lower()):
                slot = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=4).digest(), "little")
                vectors[row, slot % DIMENSION] += 1.0 if slot & 1 << 31 else -1.0
            norm = np.linalg.norm(vectors[row])
            vectors[row] = vectors[row] / norm if norm else vectors[row]
        return vectors


class FakeEmbedder(Embedder):
    """Hashed bags of words instead of a model (see the module's docstring)."""

    def __init__(self) -> None:
        super().__init__("fake")
        self._model = _HashingEncoder()

    @property
    def model(self) -> Any:
        return self._model

    @property
    def max_tokens(self) -> int:  # type: ignore[override]
        return 256

    def count_tokens(self, text: str) -> int:
        return len(_WORD.findall(text)) + 2  # [CLS] and [SEP]
