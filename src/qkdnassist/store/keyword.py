"""The keyword side of hybrid search: a BM25 index over the tokens of
:func:`qkdnassist.textnorm.tokenize`.

The BM25 index is rebuilt whenever the indexed set changes and saved beside the vector
store. Rebuilding is linear in the number of chunks, so the tokens of each chunk are
computed once, when it is written, and kept with it (:data:`TOKENIZER` names the
tokenizer they came from): a rebuild then only counts them (:meth:`KeywordIndex.from_tokens`;
about 0.15 ms a chunk, against 0.55 ms with tokenizing). This module knows nothing of
Chroma or of files other than its own folder.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from ..textnorm import tokenize

__all__ = ["KeywordIndex"]


class KeywordIndex:
    """BM25 over chunk texts, addressed by chunk id.

    Build with :meth:`build`, persist with :meth:`save`, reopen with :meth:`load`.
    """

    def __init__(self, ids: Sequence[str], retriever: Any, generation: int = -1) -> None:
        self.ids = list(ids)
        self._retriever = retriever
        self.generation = generation  # of the records it was built from

    @cached_property
    def positions(self) -> dict[str, int]:
        """Row of each chunk id in :attr:`ids` (and in :meth:`scores`)."""
        return {chunk_id: i for i, chunk_id in enumerate(self.ids)}

    @classmethod
    def build(cls, ids: Sequence[str], texts: Sequence[str]) -> KeywordIndex:
        """Index ``texts`` (one per chunk id)."""
        return cls.from_tokens(ids, (tokenize(text) for text in texts))

    @classmethod
    def from_tokens(cls, ids: Sequence[str], tokens: Iterable[Sequence[str]]) -> KeywordIndex:
        """Index chunks given as their :func:`tokenize` tokens (one sequence per chunk id).

        Tokens become vocabulary numbers as they stream in, so memory holds one small
        integer reference per token, not the token strings of the whole corpus.
        """
        vocab: dict[str, int] = {}
        number = vocab.setdefault
        rows = [[number(t, len(vocab)) for t in chunk_tokens] for chunk_tokens in tokens]
        if len(rows) != len(ids):  # counted after the tokens: ``ids`` may fill as they stream
            raise ValueError(f"{len(ids)} ids but {len(rows)} token lists")
        if not rows:
            return cls([], None)
        import bm25s
        from bm25s.tokenization import Tokenized

        # Every chunk gets a sentinel token so one with no other token still has a row.
        empty = number("__empty__", len(vocab))
        rows = [row or [empty] for row in rows]
        retriever = bm25s.BM25(k1=1.2, b=0.75)
        retriever.index(Tokenized(ids=rows, vocab=vocab), show_progress=False)
        return cls(ids, retriever)

    def save(self, folder: Path, generation: int) -> None:
        """Write the index to ``folder`` tagged with the records' generation number."""
        folder.mkdir(parents=True, exist_ok=True)
        if self._retriever is not None:
            self._retriever.save(str(folder))
        (folder / "ids.json").write_text(json.dumps({"generation": generation, "ids": self.ids}))

    @classmethod
    def load(cls, folder: Path, generation: int) -> KeywordIndex | None:
        """Reopen a saved index; None when missing, unreadable or of another generation."""
        meta = folder / "ids.json"
        if not meta.is_file():
            return None
        try:
            saved = json.loads(meta.read_text())
        except (OSError, ValueError):
            return None
        if not isinstance(saved, dict) or saved.get("generation") != generation or "ids" not in saved:
            return None
        if not saved["ids"]:
            return cls([], None, generation)
        import bm25s

        try:
            retriever = bm25s.BM25.load(str(folder))
        except (OSError, ValueError, KeyError):
            return None
        return cls(saved["ids"], retriever, generation)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every indexed chunk for ``query`` (aligned with :attr:`ids`)."""
        if self._retriever is None:
            return np.zeros(0, dtype=np.float32)
        tokens = [t for t in tokenize(query) if t in self._vocab]
        if not tokens:
            return np.zeros(len(self.ids), dtype=np.float32)
        return np.asarray(self._retriever.get_scores(tokens), dtype=np.float32)

    def document_frequency(self, tokens: Sequence[str]) -> dict[str, int]:
        """How many indexed chunks contain each of ``tokens`` (0 for tokens never seen)."""
        if self._retriever is None:
            return dict.fromkeys(tokens, 0)
        vocab = self._vocab
        indptr = self._retriever.scores["indptr"]
        return {t: int(indptr[vocab[t] + 1] - indptr[vocab[t]]) if t in vocab else 0 for t in tokens}

    @property
    def _vocab(self) -> dict[str, int]:
        return self._retriever.vocab_dict
