"""A sentence-transformers model run with ONNX Runtime: fast to load, no torch at query time.

Importing sentence-transformers (and with it torch, transformers and scikit-learn)
takes about eight seconds on the target machines; ONNX Runtime (already installed with
Chroma) loads in well under one. The model is exported once from its safetensors
weights to ``<cache>/<name>-<sha256 prefix>.onnx`` (torch is needed for that step
only) and then run with its own ``tokenizer.json``, mean or CLS pooling as its
``1_Pooling/config.json`` says, and L2 normalisation. The vectors equal those of
sentence-transformers to within float rounding (cosine > 0.99999, checked in tests).

Only plain BERT-style encoders with a fast tokenizer and mean/CLS pooling are
handled; anything else is left to sentence-transformers.
"""

from __future__ import annotations

import json
import os
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from .fileutil import sha256_file

__all__ = ["OnnxEncoder", "supported"]


def _pooling(folder: Path) -> str | None:
    config = folder / "1_Pooling" / "config.json"
    modules = folder / "modules.json"
    if not config.is_file() or not modules.is_file() or not (folder / "tokenizer.json").is_file():
        return None
    kinds = [m.get("type", "") for m in json.loads(modules.read_text())]
    if any(not k.endswith(("models.Transformer", "models.Pooling", "models.Normalize")) for k in kinds):
        return None  # dense layers, custom modules: not reproduced here
    pooling = json.loads(config.read_text())
    if pooling.get("pooling_mode_mean_tokens"):
        return "mean"
    if pooling.get("pooling_mode_cls_token"):
        return "cls"
    return None


def supported(folder: Path) -> bool:
    """Whether the model folder can run under ONNX Runtime here."""
    return folder.is_dir() and (folder / "model.safetensors").is_file() and _pooling(folder) is not None


def _export(folder: Path, target: Path) -> None:
    """Export the transformer to ONNX with dynamic batch and sequence axes (needs torch)."""
    import torch
    from transformers import AutoModel

    base = AutoModel.from_pretrained(str(folder), local_files_only=True).eval()

    class Encoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.base = base

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.base(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    sample = torch.ones((1, 8), dtype=torch.long)
    axes = {0: "batch", 1: "sequence"}
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".onnx.tmp")
    os.close(fd)
    try:
        # The tracer warns about shape-dependent branches of the attention mask; they are
        # constant for encoder inputs (checked against sentence-transformers in tests).
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                Encoder(),
                (sample, sample, torch.zeros_like(sample)),
                tmp,
                input_names=["input_ids", "attention_mask", "token_type_ids"],
                output_names=["last_hidden_state"],
                dynamic_axes={
                    "input_ids": axes,
                    "attention_mask": axes,
                    "token_type_ids": axes,
                    "last_hidden_state": axes,
                },
                opset_version=17,
                dynamo=False,
            )
        os.replace(tmp, target)  # atomic: a half-written model is never picked up
    finally:
        Path(tmp).unlink(missing_ok=True)


class OnnxEncoder:
    """Encodes texts with an exported model; build with :meth:`open`."""

    def __init__(self, session: Any, tokenizer: Any, pooling: str, max_tokens: int) -> None:
        self.session = session
        self.tokenizer = tokenizer
        self.pooling = pooling
        self.max_tokens = max_tokens
        self._inputs = {i.name for i in session.get_inputs()}

    @classmethod
    def open(cls, folder: Path, cache: Path, max_tokens: int) -> OnnxEncoder:
        """Load (exporting first if needed) the ONNX form of the model in ``folder``."""
        import onnxruntime
        from tokenizers import Tokenizer

        digest = sha256_file(folder / "model.safetensors")[:16]
        target = cache / f"{folder.name}-{digest}.onnx"
        if not target.is_file():
            _export(folder, target)
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        session = onnxruntime.InferenceSession(str(target), options, providers=["CPUExecutionProvider"])
        tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        tokenizer.enable_truncation(max_tokens)
        tokenizer.enable_padding()
        return cls(session, tokenizer, _pooling(folder) or "mean", max_tokens)

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        """L2-normalised embeddings, batched by length to keep padding small."""
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out: np.ndarray | None = None
        for start in range(0, len(order), batch_size):
            batch = order[start : start + batch_size]
            encoded = self.tokenizer.encode_batch([texts[i] for i in batch])
            ids = np.asarray([e.ids for e in encoded], dtype=np.int64)
            mask = np.asarray([e.attention_mask for e in encoded], dtype=np.int64)
            feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            hidden = self.session.run(None, {k: v for k, v in feeds.items() if k in self._inputs})[0]
            if self.pooling == "cls":
                vectors = hidden[:, 0]
            else:
                weights = mask[..., None].astype(np.float32)
                vectors = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
            vectors = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
            if out is None:
                out = np.zeros((len(texts), vectors.shape[1]), dtype=np.float32)
            out[batch] = vectors
        return out if out is not None else np.zeros((0, 0), dtype=np.float32)
