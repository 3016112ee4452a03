"""The web app, served for real on loopback and queried through Gradio's own client."""

from __future__ import annotations

import socket
from pathlib import Path

from conftest import MANIFEST
from qkdnassist.answer import Assistant
from qkdnassist.config import Settings
from qkdnassist.retrieve import Searcher
from qkdnassist.ui import build_ui, format_answer_sources, format_hits


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_hits_render_as_citations_with_quoted_passages(searcher: Searcher) -> None:
    text = format_hits(searcher.search("QKD 014 clause 5.2 Get status", 2))
    assert text.startswith(
        ("**[1] ETSI GS QKD 014 V1.1.1, clause 5.2, p. 11", "**[1] ETSI GS QKD 014 V1.1.1, clause 5.2, pp. 11")
    )
    assert "`etsi/gs_qkd_014_v1.1.1.pdf`" in text and "\n> " in text
    assert format_hits([]) == "_No passage matches._"


def test_served_app_answers_a_search(subset_index: Settings, searcher: Searcher) -> None:
    from gradio_client import Client

    app = build_ui(subset_index, searcher)
    port = free_port()
    app.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    try:
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        result = client.predict("ML-KEM-768 parameter set", "NIST", "(all)", 3, api_name="/search")
        assert "NIST FIPS 203" in result and "ML-KEM-768" in result
        hint = client.predict("   ", "(all)", "(all)", 3, api_name="/search")
        assert hint.startswith("_Type a question")
    finally:
        app.close()


def test_app_builds_on_an_empty_index(tmp_path: Path) -> None:
    settings = Settings(corpus=tmp_path / "corpus", index=tmp_path / "index", manifest=MANIFEST)
    app = build_ui(settings)
    assert app.title == "qkdnassist"


def test_answer_sources_show_each_citation_with_its_quote(searcher: Searcher) -> None:
    assistant = Assistant(searcher)
    answer = assistant.ask("What error message must a KME return when the key size is not a multiple of 8?")
    text = format_answer_sources(answer)
    assert text.startswith("**[1] ETSI GS QKD 014 V1.1.1 (2019-02), clause ")
    assert "`etsi/gs_qkd_014_v1.1.1.pdf`" in text and "\n\n> " in text
    declined = assistant.ask("How many physical qubits does Google's Willow quantum processor have?")
    assert format_answer_sources(declined).startswith("**Not covered by the indexed documents.**")


def test_served_app_answers_a_question_in_the_chat(subset_index: Settings, searcher: Searcher) -> None:
    from gradio_client import Client

    app = build_ui(subset_index, assistant=Assistant(searcher))
    port = free_port()
    app.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    try:
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        question = "Which URL does a slave SAE call to get keys with key IDs?"
        chat, cleared, sources = client.predict(question, [], "(all)", "(all)", api_name="/ask")
        assert cleared == "" and chat[0]["role"] == "user" and chat[-1]["role"] == "assistant"
        assert "dec_keys" in str(chat[-1]["content"]) and "[1]" in str(chat[-1]["content"])
        assert sources.startswith("**[1] ETSI GS QKD 014")
        follow, _, _ = client.predict("Which HTTP method does it use?", chat, "(all)", "(all)", api_name="/ask")
        assert len(follow) == 4 and follow[-1]["role"] == "assistant"
    finally:
        app.close()
