"""The MCP server through the official SDK's own client: over streamable HTTP against the
real web server (a small real index, FakeEmbedder) and over stdio against
``python -m qkdnassist mcp`` (the sample subset index, the real model)."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.shared.exceptions import MCPError

from apis import fake_assistant, running, small_index
from conftest import ROOT, free_port
from qkdnassist.app.serve import build_app
from qkdnassist.config import Settings

TOOLS = {"search", "ask", "coverage", "define", "catalogue", "diff", "refs", "requirements", "outcomes"}
ETSI = "etsi/gs_qkd_014_v1.1.1.pdf"


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return small_index(tmp_path_factory.mktemp("mcp"))


@pytest.fixture(scope="module")
def server_url(small: Settings) -> Iterator[str]:
    with running(build_app(small, assistant=fake_assistant(small)), free_port()) as url:
        yield url


def payload(result: Any) -> dict[str, Any]:
    """A tool result's JSON (its text content), after checking it is not an error."""
    assert not result.is_error, result.content
    data: dict[str, Any] = json.loads(result.content[0].text)
    assert result.structured_content in (None, data) or result.structured_content.get("result") == data
    return data


async def test_http_lists_the_tools_and_the_page_resource(server_url: str) -> None:
    async with Client(f"{server_url}/mcp") as client:
        tools = await client.list_tools()
        assert {t.name for t in tools.tools} == TOOLS
        assert all(t.description for t in tools.tools)
        templates = await client.list_resource_templates()
        assert [t.uri_template for t in templates.resource_templates] == ["qkdn://page/{page}/{+source}"]


async def test_http_tools_return_the_cli_json(server_url: str) -> None:
    async with Client(f"{server_url}/mcp") as client:
        found = payload(await client.call_tool("search", {"query": "Get status of keys", "k": 3}))
        assert found["query"] == "Get status of keys" and len(found["hits"]) == 3
        assert set(found["hits"][0]) == {
            "source", "doc_id", "title", "edition", "clause", "page", "page_end", "score", "text",
        }  # fmt: skip
        assert found["hits"][0]["doc_id"] == "ETSI GS QKD 014"

        answer = payload(
            await client.call_tool("ask", {"question": "Which URL does a slave SAE call to get keys with key IDs?"})
        )
        assert not answer["abstained"] and "dec_keys" in answer["answer"]
        assert answer["citations"][0]["doc_id"] == "ETSI GS QKD 014" and answer["citations"][0]["page"] == 18

        report = payload(await client.call_tool("coverage", {"topic": "key delivery API between SAE and KME"}))
        assert {d["doc_id"]: d["status"] for d in report["documents"]}["ETSI GS QKD 014"] in ("covered", "partial")

        definition = payload(await client.call_tool("define", {"term": "SAE"}))
        assert definition["term"] == "SAE"
        assert any("Secure Application Entity" in d["text"] for d in definition["definitions"])

        catalogue = payload(await client.call_tool("catalogue", {}))
        assert {e["source"] for e in catalogue["documents"]} == {
            ETSI,
            "itu-t/jca-qkdn_4th_meeting_executive_summary_2024-05-17.txt",
        }


async def test_http_follow_up_uses_the_history(server_url: str) -> None:
    first = "Which URL does a slave SAE call to get keys with key IDs?"
    async with Client(f"{server_url}/mcp") as client:
        before = payload(await client.call_tool("ask", {"question": first}))
        history = [{"role": "user", "content": first}, {"role": "assistant", "content": before["answer"]}]
        after = payload(
            await client.call_tool("ask", {"question": "Which HTTP method does it use?", "history": history})
        )
    assert after["question"] == "Which HTTP method does it use?"
    assert not after["abstained"] and after["citations"][0]["doc_id"] == "ETSI GS QKD 014"


async def test_http_errors_are_mcp_errors(server_url: str) -> None:
    async with Client(f"{server_url}/mcp") as client:
        empty = await client.call_tool("search", {"query": "   "})
        assert empty.is_error and "empty" in empty.content[0].text
        unknown = await client.call_tool("ask", {"question": "keys", "doc": "FIPS 999"})
        assert unknown.is_error and "no indexed document" in unknown.content[0].text
        one_edition = await client.call_tool("diff", {"doc": "QKD 014"})
        assert one_edition.is_error and one_edition.content[0].text
        with pytest.raises(MCPError, match="no indexed document"):
            await client.read_resource("qkdn://page/1/etsi/missing.pdf")
        with pytest.raises(MCPError):
            await client.read_resource("qkdn://page/1/../../etc/passwd")


async def test_http_page_resource_is_the_cited_page(server_url: str, small: Settings) -> None:
    async with Client(f"{server_url}/mcp") as client:
        answer = payload(
            await client.call_tool("ask", {"question": "Which URL does a slave SAE call to get keys with key IDs?"})
        )
        cited = answer["citations"][0]
        result = await client.read_resource(f"qkdn://page/{cited['page']}/{cited['source']}")
    page = json.loads(result.contents[0].text)
    assert (page["source"], page["page"], page["doc_id"]) == (cited["source"], cited["page"], cited["doc_id"])
    assert " ".join(cited["quote"].split()[:8]) in " ".join(page["text"].split())


@pytest.mark.slow  # spawns the command with the real embedding model over the sample subset
async def test_stdio_command_serves_the_same_tools(subset_index: Settings) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]),
        "QKDN_INDEX": str(subset_index.index),
        "QKDN_CORPUS": str(subset_index.corpus),
        "QKDN_MANIFEST": str(subset_index.manifest),
        "QKDN_LLM": "none",
    }
    params = StdioServerParameters(command=sys.executable, args=["-m", "qkdnassist", "mcp"], env=env)
    async with Client(params, read_timeout_seconds=120) as client:
        assert {t.name for t in (await client.list_tools()).tools} == TOOLS
        answer = payload(
            await client.call_tool("ask", {"question": "What is the parameter set of ML-KEM-768?", "doc": "FIPS 203"})
        )
        assert answer["citations"] and answer["citations"][0]["doc_id"] == "NIST FIPS 203"
        found = payload(await client.call_tool("search", {"query": "key delivery API", "k": 2, "doc": "QKD 014"}))
        assert [h["doc_id"] for h in found["hits"]] == ["ETSI GS QKD 014"] * 2
        bad = await client.call_tool("define", {"term": " "})
        assert bad.is_error and "empty" in bad.content[0].text
        page = await client.read_resource(f"qkdn://page/11/{ETSI}")
        assert "api/v1/keys" in json.loads(page.contents[0].text)["text"]


@pytest.mark.slow  # spawns the command with the real embedding model over the sample subset
async def test_stdio_acts_as_the_user_named_by_qkdn_user(subset_index: Settings, tmp_path: Path) -> None:
    from cli_run import run_process
    from qkdnassist.access import Users

    users = Users(tmp_path / "users.json")
    users.add("eve", "reader", ["etsi"], "pw")  # the ETSI folder only: no NIST, IETF, ...
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]),
        "QKDN_INDEX": str(subset_index.index),
        "QKDN_CORPUS": str(subset_index.corpus),
        "QKDN_MANIFEST": str(subset_index.manifest),
        "QKDN_USERS": str(users.path),
        "QKDN_USER": "eve",
    }
    params = StdioServerParameters(command=sys.executable, args=["-m", "qkdnassist", "mcp"], env=env)
    async with Client(params, read_timeout_seconds=120) as client:
        found = payload(await client.call_tool("search", {"query": "ML-KEM-768 encapsulation key size", "k": 5}))
        assert found["hits"] and {h["source"] for h in found["hits"]} == {ETSI}
        answer = payload(await client.call_tool("ask", {"question": "What is the ML-KEM-768 encapsulation key size?"}))
        assert all(c["source"] == ETSI for c in answer["citations"])
        hidden = await client.call_tool("search", {"query": "keys", "doc": "FIPS 203"})
        assert hidden.is_error and "no indexed document matches 'FIPS 203'" in hidden.content[0].text
        with pytest.raises(MCPError, match="no indexed document"):
            await client.read_resource("qkdn://page/1/nist/nist_fips_203.pdf")
    refused = run_process(["mcp"], subset_index, QKDN_USERS=str(users.path), QKDN_USER="")
    assert refused.returncode == 1 and "set QKDN_USER" in refused.stderr


async def test_http_landscape_tools_return_the_cli_json(server_url: str) -> None:
    async with Client(f"{server_url}/mcp") as client:
        refs = payload(await client.call_tool("refs", {"doc": "ETSI GS QKD 014"}))
        kinds = {r["id"]: r["kind"] for r in refs["references"]}
        assert kinds["RFC 8446"] == "normative" and kinds["ETSI GS QKD 004"] == "informative"

        required = payload(await client.call_tool("requirements", {"doc": "ETSI GS QKD 014", "strength": "shall"}))
        assert required["doc_id"] == "ETSI GS QKD 014" and required["requirements"]
        assert all(r["strength"].startswith("shall") for r in required["requirements"])

        outcomes = payload(await client.call_tool("outcomes", {}))
        calls = [o for o in outcomes["outcomes"] if o["kind"] == "call_to_action"]
        assert len(calls) == 7 and all(o["doc_id"] == "JCA-QKDN 4th meeting executive summary" for o in calls)

        missing = await client.call_tool("refs", {"doc": "ETSI GS QKD 999"})
        assert missing.is_error
