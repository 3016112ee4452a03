"""The web app, served for real on loopback and queried through Gradio's own client."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from conftest import MANIFEST, free_port
from qkdnassist.answer import Assistant
from qkdnassist.app.state import AppState
from qkdnassist.app.ui import build_ui
from qkdnassist.app.views import file_link, format_answer_sources, format_hits, gradio_uploads, heatmap_html
from qkdnassist.config import Settings, auth_users
from qkdnassist.errors import ConfigError, QkdnError
from qkdnassist.search.retrieve import Searcher
from qkdnassist.workflows.library import safe_upload_name, store_uploads


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
        result = client.predict("ML-KEM-768 parameter set", "NIST", "(all)", 3, "current", api_name="/search")
        assert "NIST FIPS 203" in result and "ML-KEM-768" in result
        hint = client.predict("   ", "(all)", "(all)", 3, "current", api_name="/search")
        assert hint.startswith("_Type a question")
    finally:
        app.close()


@pytest.mark.slow  # loads the embedding model
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
        chat, cleared, sources, cite = client.predict(question, [], "(all)", "(all)", "current", api_name="/ask")
        assert cleared == "" and chat[0]["role"] == "user" and chat[-1]["role"] == "assistant"
        assert "dec_keys" in str(chat[-1]["content"]) and "[1]" in str(chat[-1]["content"])
        assert sources.startswith("**[1] ETSI GS QKD 014")
        assert cite["choices"][0][0].startswith("[1] ETSI GS QKD 014 V1.1.1 (2019-02), ")
        follow, *_ = client.predict(
            "Which HTTP method does it use?", chat, "(all)", "(all)", "current", api_name="/ask"
        )
        assert len(follow) == 4 and follow[-1]["role"] == "assistant"
        heatmap, rows, csv_path, _ = client.predict("key delivery API\nML-KEM parameter sets", api_name="/coverage")
        assert 'class="covered"' in heatmap and rows["data"]
        assert Path(csv_path).read_text(encoding="utf-8").startswith("topic,verdict,")
        preview, docx_path, _ = client.predict(
            "JCA-QKDN",
            "ETSI ISG QKD",
            "comment",
            "",
            "",
            "",
            "What is a KME?\nWhat is ML-KEM?",
            None,
            api_name="/liaison",
        )
        assert preview.startswith("# LIAISON STATEMENT") and Path(docx_path).suffix == ".docx"
    finally:
        app.close()


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("LS-17 reply.pdf", "LS-17 reply.pdf"),
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("/abs/path/x.TXT", "x.txt"),
        ("C:\\Users\\me\\spec.docx", "spec.docx"),
        ("ｆｕｌｌｗｉｄｔｈ.pdf", "fullwidth.pdf"),
        ("a\x00b;rm -rf.md", "a_b_rm -rf.md"),
        ("..pdf.pdf", "pdf.pdf"),
        ("a" * 300 + ".pdf", "a" * 120 + ".pdf"),  # 120 characters of stem
        ("é" * 150 + ".md", "é" * 98 + ".md"),  # 199 bytes: 2 bytes a character, 200 in all at most
    ],
)
def test_upload_names_are_cleaned(name: str, expected: str) -> None:
    assert safe_upload_name(name) == expected


@pytest.mark.parametrize("name", ["evil.exe", "noext", "../.pdf", "....pdf", "x.pdf.sh"])
def test_bad_upload_names_are_refused(name: str) -> None:
    with pytest.raises(QkdnError):
        safe_upload_name(name)


def test_uploads_are_stored_only_inside_the_corpus(tmp_path: Path) -> None:
    settings = Settings(corpus=tmp_path / "corpus", index=tmp_path / "index")
    (tmp_path / "corpus").mkdir()
    small = tmp_path / "upload-1"
    small.write_text("A note on trusted nodes.\n", encoding="utf-8")
    big = tmp_path / "upload-2"
    big.write_bytes(b"x" * (2 * 1024 * 1024 + 1))

    class GradioFile:  # what Gradio hands over: a temp file and the name the user gave
        def __init__(self, path: Path, orig_name: str) -> None:
            self.name, self.orig_name = str(path), orig_name

    files = [GradioFile(small, "../../../../tmp/evil.txt"), GradioFile(big, "big.pdf"), str(small)]
    uploads = gradio_uploads(files)
    assert [u.name for u in uploads] == ["../../../../tmp/evil.txt", "big.pdf", "upload-1"]
    stored, refused = store_uploads(settings, uploads, max_mb=2)
    assert stored == [(tmp_path / "corpus" / "uploads" / "evil.txt").resolve()]
    assert len(refused) == 2 and "larger than 2 MB" in refused[0] and "only .pdf" in refused[1]  # no suffix
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus", "upload-1", "upload-2"]


def test_file_links_serve_only_corpus_files(subset_index: Settings) -> None:
    link = file_link(subset_index, "etsi/gs_qkd_014_v1.1.1.pdf", 11)
    assert link.startswith("/gradio_api/file=/") and link.endswith("gs_qkd_014_v1.1.1.pdf#page=11")
    assert file_link(subset_index, "../../../etc/passwd", 1) == ""
    assert file_link(subset_index, "missing.pdf", 1) == ""


def test_heatmap_marks_each_cell_with_its_status(searcher: Searcher) -> None:
    from qkdnassist.workflows.coverage import CoverageChecker

    report = CoverageChecker(searcher).check("key delivery API between SAE and KME")
    table = heatmap_html([report])
    assert table.count("<td title=") == len(report.documents)
    assert 'class="covered"' in table and "ETSI GS QKD 014" in table


def test_status_line_and_one_ingest_at_a_time(subset_index: Settings, searcher: Searcher) -> None:
    state = AppState(subset_index, Assistant(searcher))
    line = state.status()
    assert line.startswith("5 documents, ") and "LLM: none (extractive evidence answers)" in line
    with state.ingest_lock, pytest.raises(QkdnError, match="already running"):
        state.ingest(None)


@pytest.mark.parametrize(
    ("value", "users"),
    [("", []), ("alice:s3cret", [("alice", "s3cret")]), ("a:1, b:x:y", [("a", "1"), ("b", "x:y")])],
)
def test_auth_setting(value: str, users: list[tuple[str, str]]) -> None:
    assert auth_users(Settings(auth=value)) == users


def test_auth_file_and_bad_entries(tmp_path: Path) -> None:
    users = tmp_path / "users"
    users.write_text("# delegates\nalice:one\nbob:two\n", encoding="utf-8")
    assert auth_users(Settings(auth=str(users))) == [("alice", "one"), ("bob", "two")]
    with pytest.raises(ConfigError, match="user:password"):
        auth_users(Settings(auth="alice:, :x"))
    with pytest.raises(ConfigError, match="cannot read"):
        auth_users(Settings(auth=str(tmp_path / "missing")))


@pytest.mark.slow  # a real ingest
def test_first_start_on_an_empty_index_serves_at_once_and_ingests_in_the_background(tmp_path: Path) -> None:
    from gradio_client import Client

    from qkdnassist.app.serve import serve

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "relay.txt").write_text(
        "Trusted node relay\n\nTrusted nodes relay keys hop by hop between QKD links.\n", encoding="utf-8"
    )
    (corpus / "broken.pdf").write_bytes(b"%PDF-1.7 not really a pdf")
    settings = Settings(corpus=corpus, index=tmp_path / "index", manifest=MANIFEST)
    port = free_port()
    app = serve(settings, port=port, block=False)
    try:
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)  # served while the index is empty
        state = app.qkdn_state
        for _ in range(240):
            if state.last_ingest:
                break
            time.sleep(0.5)
        assert "1 indexed, 1 failed" in state.last_ingest
        rows, _, failures, status = client.predict(api_name="/library")
        assert len(rows["data"]) == 1 and rows["data"][0][-1] == "relay.txt"
        assert "broken.pdf" in failures and status.startswith("1 documents, ")
    finally:
        app.close()
