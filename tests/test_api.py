"""The OpenAI-compatible API and the server around it, through the official ``openai``
client against the real web server (FastAPI + the mounted Gradio app, uvicorn) over a
small real index (real Chroma, FakeEmbedder, evidence mode)."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Iterator
from dataclasses import replace

import httpx
import openai
import pytest
from mcp import Client

from apis import fake_assistant, running, small_index
from conftest import free_port
from qkdnassist.app.serve import build_app
from qkdnassist.app.service import Service
from qkdnassist.config import Settings
from qkdnassist.limits import API_BODY_BYTES

QUESTION = "Which URL does a slave SAE call to get keys with key IDs?"


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return small_index(tmp_path_factory.mktemp("api"))


@pytest.fixture(scope="module")
def server_url(small: Settings) -> Iterator[str]:
    with running(build_app(small, assistant=fake_assistant(small)), free_port()) as url:
        yield url


@pytest.fixture(scope="module")
def client(server_url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server_url}/v1", api_key="unused", max_retries=0)


def test_models_lists_qkdnassist(client: openai.OpenAI) -> None:
    assert [m.id for m in client.models.list()] == ["qkdnassist"]


def test_a_reply_carries_markers_references_and_structured_citations(client: openai.OpenAI) -> None:
    reply = client.chat.completions.create(model="qkdnassist", messages=[{"role": "user", "content": QUESTION}])
    message = reply.choices[0].message
    assert reply.object == "chat.completion" and reply.choices[0].finish_reason == "stop"
    text = message.content or ""
    assert "dec_keys" in text and "[1]" in text
    answer, _, references = text.partition("\n\nReferences:\n")
    citations = (message.model_extra or {})["citations"]
    assert citations[0]["doc_id"] == "ETSI GS QKD 014" and citations[0]["page"] == 18
    assert references.splitlines()[0].startswith("[1] ETSI GS QKD 014 V1.1.1 (2019-02), clause 6.4, p. 18")
    assert len(references.splitlines()) == len(citations)
    assert all(f"[{c['n']}]" in answer for c in citations[:1])


def test_a_streamed_reply_is_the_same_reply_in_sse_chunks(client: openai.OpenAI, server_url: str) -> None:
    whole = client.chat.completions.create(model="qkdnassist", messages=[{"role": "user", "content": QUESTION}])
    stream = client.chat.completions.create(
        model="qkdnassist", messages=[{"role": "user", "content": QUESTION}], stream=True
    )
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == whole.choices[0].message.content
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert (chunks[-1].choices[0].delta.model_extra or {})["citations"] == (whole.choices[0].message.model_extra or {})[
        "citations"
    ]
    raw = httpx.post(
        f"{server_url}/v1/chat/completions",
        json={"messages": [{"role": "user", "content": QUESTION}], "stream": True},
        timeout=60,
    )
    assert raw.headers["content-type"].startswith("text/event-stream")
    events = [line for line in raw.text.splitlines() if line]
    assert events[-1] == "data: [DONE]" and all(e.startswith("data: ") for e in events)


def test_multi_turn_messages_are_a_follow_up(client: openai.OpenAI) -> None:
    first = client.chat.completions.create(model="qkdnassist", messages=[{"role": "user", "content": QUESTION}])
    messages = [
        {"role": "system", "content": "You are helpful."},
        {"role": "user", "content": QUESTION},
        {"role": "assistant", "content": first.choices[0].message.content or ""},
        {"role": "user", "content": "Which HTTP method does it use?"},
    ]
    reply = client.chat.completions.create(model="qkdnassist", messages=messages)  # type: ignore[arg-type]
    alone = client.chat.completions.create(
        model="qkdnassist", messages=[{"role": "user", "content": "Which HTTP method does it use?"}]
    )
    followed = (reply.choices[0].message.model_extra or {})["citations"]
    assert followed and followed[0]["doc_id"] == "ETSI GS QKD 014"
    assert reply.choices[0].message.content != alone.choices[0].message.content


def test_filters_and_errors(client: openai.OpenAI) -> None:
    scoped = client.chat.completions.create(
        model="qkdnassist",
        messages=[{"role": "user", "content": "What did the meeting agree?"}],
        extra_body={"doc": "JCA-QKDN"},
    )
    cited = {c["doc_id"] for c in (scoped.choices[0].message.model_extra or {})["citations"]}
    assert cited <= {"JCA-QKDN 4th meeting executive summary"}
    with pytest.raises(openai.NotFoundError, match="does not exist"):
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": QUESTION}])
    with pytest.raises(openai.BadRequestError, match="last message"):
        client.chat.completions.create(model="qkdnassist", messages=[{"role": "assistant", "content": "hi"}])
    with pytest.raises(openai.BadRequestError, match="no indexed document"):
        client.chat.completions.create(
            model="qkdnassist", messages=[{"role": "user", "content": QUESTION}], extra_body={"doc": "FIPS 999"}
        )
    with pytest.raises(openai.BadRequestError, match="messages"):
        client.chat.completions.create(model="qkdnassist", messages=[])
    with pytest.raises(openai.BadRequestError, match="empty"):
        client.chat.completions.create(model="qkdnassist", messages=[{"role": "user", "content": "  "}])


def test_oversized_requests_are_refused(server_url: str) -> None:
    big = {"model": "qkdnassist", "messages": [{"role": "user", "content": "x" * (API_BODY_BYTES + 10)}]}
    response = httpx.post(f"{server_url}/v1/chat/completions", json=big, timeout=30)
    assert response.status_code == 413 and response.json()["error"]["code"] == "request_too_large"

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        yield b'{"messages": [{"role": "user", "content": "'
        for _ in range(API_BODY_BYTES // 65536 + 2):
            yield b"y" * 65536
        yield b'"}]}'

    response = httpx.post(f"{server_url}/v1/chat/completions", content=chunks(), timeout=30)
    assert response.status_code == 413


def test_the_rest_routes_are_on_the_openapi_page_and_the_web_app_is_served(server_url: str) -> None:
    paths = httpx.get(f"{server_url}/openapi.json", timeout=30).json()["paths"]
    assert {"/v1/models", "/v1/chat/completions"} <= set(paths)
    assert httpx.get(f"{server_url}/docs", timeout=30).status_code == 200
    page = httpx.get(f"{server_url}/", timeout=30)
    assert page.status_code == 200 and "qkdnassist" in page.text
    from gradio_client import Client as GradioClient

    result = GradioClient(f"{server_url}/", verbose=False).predict(
        "Get status", "(all)", "(all)", 3, "current", api_name="/search"
    )
    assert "ETSI GS QKD 014" in result


def test_log_in_and_rate_limit(small: Settings) -> None:
    settings = replace(small, api_rate=4, auth="alice:s3cret")
    with running(build_app(settings, assistant=fake_assistant(settings)), free_port()) as url:  # 1 request
        assert httpx.get(f"{url}/v1/models", timeout=10).status_code == 401
        assert httpx.get(f"{url}/v1/models", headers={"Authorization": "Bearer alice:wrong"}).status_code == 401
        assert httpx.post(f"{url}/mcp", json={}, timeout=10).status_code == 401
        # failed log-ins count against the address: the fifth in a minute is refused
        assert httpx.get(f"{url}/v1/models", headers={"Authorization": "Bearer bob:guess"}).status_code == 429
        good = openai.OpenAI(base_url=f"{url}/v1", api_key="alice:s3cret", max_retries=0)
        for _ in range(4):
            assert [m.id for m in good.models.list()] == ["qkdnassist"]
        with pytest.raises(openai.RateLimitError, match="too many requests"):
            good.models.list()
        limited = httpx.get(f"{url}/v1/models", headers={"Authorization": "Bearer alice:s3cret"})
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1


@pytest.mark.parametrize("path", ["chat", "mcp"])
def test_api_overhead_over_the_in_process_call(small: Settings, server_url: str, path: str) -> None:
    """p50 of the served call minus p50 of the same call in process (issue target: 20 ms)."""
    import asyncio

    service = Service(small, fake_assistant(small))
    query = "Get status of keys"
    body = {"model": "qkdnassist", "messages": [{"role": "user", "content": QUESTION}]}

    def p50(call: object, n: int = 15) -> float:
        times = []
        for _ in range(n):
            start = time.perf_counter()
            call()  # type: ignore[operator]
            times.append(time.perf_counter() - start)
        return statistics.median(times)

    if path == "chat":
        with httpx.Client(timeout=60) as http:
            http.post(f"{server_url}/v1/chat/completions", json=body)
            served = p50(lambda: http.post(f"{server_url}/v1/chat/completions", json=body).raise_for_status())
        service.ask(QUESTION)
        local = p50(lambda: service.ask(QUESTION))
    else:

        async def measure() -> float:
            async with Client(f"{server_url}/mcp") as mcp:
                await mcp.call_tool("search", {"query": query, "k": 5})
                times = []
                for _ in range(15):
                    start = time.perf_counter()
                    result = await mcp.call_tool("search", {"query": query, "k": 5})
                    times.append(time.perf_counter() - start)
                    assert json.loads(result.content[0].text)["hits"]
                return statistics.median(times)

        served = asyncio.run(measure())
        local = p50(lambda: service.search(query, 5))
    overhead_ms = (served - local) * 1000
    print(f"{path}: served p50 {served * 1000:.1f} ms, in process {local * 1000:.1f} ms, overhead {overhead_ms:.1f} ms")
    assert overhead_ms < 60  # 20 ms is the target on an idle machine; this one is shared by three
