"""Language-model backends, with real parts: the bundled SmolLM2 GGUF in process, the
same model behind llama.cpp's OpenAI-compatible server, and real sockets for failures.

Answers are held to a few tokens so the module stays quick on a busy 2-core machine.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from langchain_core.messages import HumanMessage, SystemMessage, ToolMessage
from langchain_openai import ChatOpenAI

from conftest import free_port
from qkdnassist.config import Settings
from qkdnassist.errors import LLMError
from qkdnassist.gguf import BUNDLED_GGUF, loaded_model, resolve_gguf
from qkdnassist.llm import LlamaCppChat, chat_model, describe_llm, llm_errors

QUESTION = [SystemMessage("You are terse."), HumanMessage("What is the capital of France?")]
COUNT = "Count from 1 to 10, one number per line."


def text_of(reply: object) -> str:
    content = getattr(reply, "content", None)
    assert isinstance(content, str), reply
    return content


# --- resolving the GGUF file -------------------------------------------------------


def test_resolve_gguf_finds_the_bundled_model() -> None:
    path = resolve_gguf("bundled")
    assert path.name == BUNDLED_GGUF
    with path.open("rb") as handle:
        assert handle.read(4) == b"GGUF"


def test_resolve_gguf_names_a_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-model.gguf"
    with pytest.raises(LLMError, match=r"no-such-model\.gguf"):
        resolve_gguf(str(missing))


def test_resolve_gguf_rejects_a_file_that_is_not_gguf(tmp_path: Path) -> None:
    fake = tmp_path / "notes.gguf"
    fake.write_text("not a model")
    with pytest.raises(LLMError, match="not a GGUF model file"):
        resolve_gguf(str(fake))


def test_resolve_gguf_accepts_a_gguf_path(smollm2_gguf: Path) -> None:
    assert resolve_gguf(str(smollm2_gguf)) == smollm2_gguf


# --- building models and describing them ---------------------------------------------


def test_chat_model_is_none_without_an_llm() -> None:
    assert chat_model(Settings(llm="none")) is None


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        (Settings(), "none (extractive evidence answers)"),
        (Settings(llm="llamacpp"), "llamacpp: SmolLM2-135M-Instruct.Q4_1.gguf"),
        (Settings(llm="llamacpp", llm_gguf="/models/qwen2.5-0.5b.gguf"), "llamacpp: qwen2.5-0.5b.gguf"),
        (Settings(llm="openai", llm_model="gpt-4o-mini"), "openai: gpt-4o-mini at api.openai.com"),
        (
            Settings(llm="openai", llm_model="smollm2", llm_base_url="http://127.0.0.1:8080/v1"),
            "openai: smollm2 at http://127.0.0.1:8080/v1",
        ),
    ],
)
def test_describe_llm(settings: Settings, expected: str) -> None:
    assert describe_llm(settings) == expected


def test_chat_model_openai_follows_the_settings() -> None:
    settings = Settings(
        llm="openai", llm_model="smollm2", llm_base_url="http://127.0.0.1:8080/v1", llm_max_tokens=50, llm_timeout=7
    )
    model = chat_model(settings)
    assert isinstance(model, ChatOpenAI)
    assert (model.model_name, model.openai_api_base) == ("smollm2", "http://127.0.0.1:8080/v1")
    assert (model.temperature, model.max_tokens, model.request_timeout, model.max_retries) == (0, 50, 7, 1)
    # llama.cpp's server ignores max_completion_tokens; the classic field goes along.
    assert model.extra_body == {"max_tokens": 50}


def test_chat_model_llamacpp_uses_the_bundled_gguf() -> None:
    model = chat_model(Settings(llm="llamacpp", llm_max_tokens=64))
    assert isinstance(model, LlamaCppChat)
    assert Path(model.model_path).name == BUNDLED_GGUF
    assert (model.max_tokens, model.temperature, model._llm_type) == (64, 0.0, "llamacpp")


def test_chat_model_llamacpp_names_a_missing_gguf(tmp_path: Path) -> None:
    with pytest.raises(LLMError, match=r"gone\.gguf"):
        chat_model(Settings(llm="llamacpp", llm_gguf=str(tmp_path / "gone.gguf")))


def test_llamacpp_refuses_tool_messages_before_loading(tmp_path: Path) -> None:
    model = LlamaCppChat(model_path=str(tmp_path / "never-loaded.gguf"), max_tokens=16)
    with pytest.raises(LLMError, match="'tool'"):
        model.invoke([ToolMessage("42", tool_call_id="1")])


# --- the real SmolLM2 in process -------------------------------------------------------


@pytest.fixture(scope="module")
def local_chat(smollm2_gguf: Path) -> LlamaCppChat:
    return LlamaCppChat(model_path=str(smollm2_gguf), max_tokens=24)


@pytest.mark.slow
def test_llamacpp_invoke_answers(local_chat: LlamaCppChat) -> None:
    # What the model itself says to the same chat, asked through llama_cpp directly: the
    # wrapper must pass the roles and the limits through unchanged. (Whether a 135M
    # model knows Paris depends on the llama.cpp build: it is not this code's property.)
    model = loaded_model(local_chat.model_path, local_chat.n_ctx, local_chat.n_threads)
    with model.lock:
        direct = model.llama.create_chat_completion(
            messages=[
                {"role": "system", "content": "You are terse."},
                {"role": "user", "content": QUESTION[1].content},
            ],
            temperature=0,
            max_tokens=24,
        )
    reply = local_chat.invoke(QUESTION)
    assert text_of(reply).strip() and text_of(reply) == direct["choices"][0]["message"]["content"]
    assert reply.usage_metadata is not None
    assert 0 < reply.usage_metadata["output_tokens"] <= 24


@pytest.mark.slow
def test_llamacpp_stream_yields_tokens(local_chat: LlamaCppChat) -> None:
    pieces = [text_of(chunk) for chunk in local_chat.stream(COUNT)]
    assert len([piece for piece in pieces if piece]) > 3
    assert "".join(pieces).strip()


@pytest.mark.slow
def test_llamacpp_honours_stop(local_chat: LlamaCppChat) -> None:
    text = text_of(local_chat.invoke(COUNT, stop=["3"]))
    assert "2" in text
    assert "3" not in text
    streamed = "".join(text_of(chunk) for chunk in local_chat.stream(COUNT, stop=["3"]))
    assert "3" not in streamed


@pytest.mark.slow
def test_llamacpp_context_overflow_is_an_llm_error(local_chat: LlamaCppChat) -> None:
    settings = Settings(llm="llamacpp")
    with pytest.raises(LLMError, match="does not fit the local model SmolLM2"), llm_errors(settings):
        local_chat.invoke("word " * 5000)


# --- the real llama.cpp OpenAI-compatible server ------------------------------------------


def server_settings(url: str, **changes: object) -> Settings:
    fields: dict = {"llm": "openai", "llm_base_url": url, "llm_model": "smollm2", "llm_max_tokens": 16}
    return Settings(**(fields | changes))


@pytest.mark.slow
def test_openai_backend_invokes_through_the_llamacpp_server(llm_server_url: str) -> None:
    settings = server_settings(llm_server_url)
    model = chat_model(settings)
    assert model is not None
    with llm_errors(settings):
        reply = model.invoke(QUESTION)
    # The same chat through the official openai client gives the same reply: the
    # backend passes roles and limits through unchanged.
    import openai

    direct = openai.OpenAI(base_url=llm_server_url, api_key="none").chat.completions.create(
        model="smollm2",
        messages=[
            {"role": "system", "content": "You are terse."},
            {"role": "user", "content": "What is the capital of France?"},
        ],
        temperature=0,
        max_tokens=16,
    )
    assert text_of(reply).strip() and text_of(reply) == direct.choices[0].message.content
    # The answer is held to QKDN_LLM_MAX_TOKENS (the server reads max_tokens only).
    with llm_errors(settings):
        story = model.invoke("Write a long story about a dragon.")
    assert story.usage_metadata is not None
    assert story.usage_metadata["output_tokens"] <= 16


@pytest.mark.slow
def test_openai_backend_streams_through_the_llamacpp_server(llm_server_url: str) -> None:
    settings = server_settings(llm_server_url)
    model = chat_model(settings)
    assert model is not None
    with llm_errors(settings):
        pieces = [text_of(chunk) for chunk in model.stream(COUNT)]
    assert len([piece for piece in pieces if piece]) > 3
    assert "".join(pieces).strip()


@pytest.mark.slow
def test_wrong_server_path_is_a_404_llm_error(llm_server_url: str) -> None:
    url = llm_server_url.removesuffix("/v1") + "/nowhere"
    settings = server_settings(url)
    model = chat_model(settings)
    assert model is not None
    with pytest.raises(LLMError, match="404") as caught, llm_errors(settings):
        model.invoke("hello")
    assert url in str(caught.value)


# --- failures with real sockets ------------------------------------------------------------


def test_unreachable_server_is_a_quick_llm_error() -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    settings = server_settings(url, llm_timeout=5)
    model = chat_model(settings)
    assert model is not None
    started = time.monotonic()
    with pytest.raises(LLMError, match="cannot reach the LLM server at") as caught, llm_errors(settings):
        model.invoke("hello")
    assert url in str(caught.value)
    assert time.monotonic() - started < 15


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A socket that accepts connections and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/v1"


def test_silent_server_is_a_timeout_llm_error(silent_server: str) -> None:
    settings = server_settings(silent_server, llm_timeout=1)
    model = chat_model(settings)
    assert model is not None
    with pytest.raises(LLMError, match=r"did not answer within 1 s") as caught, llm_errors(settings):
        model.invoke("hello")
    assert silent_server in str(caught.value)


def test_llm_errors_passes_llm_errors_and_bugs_unchanged() -> None:
    settings = Settings(llm="openai", llm_model="m")
    original = LLMError("already clear")
    with pytest.raises(LLMError) as caught, llm_errors(settings):
        raise original
    assert caught.value is original
    with pytest.raises(KeyError), llm_errors(settings):
        raise KeyError("a bug, not the backend")
