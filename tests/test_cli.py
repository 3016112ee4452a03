"""The command line's machine-readable contract: JSON shapes, JSON Lines, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli_run import run, run_process
from conftest import copy_subset
from qkdnassist.config import Settings

HIT_KEYS = ["source", "doc_id", "title", "edition", "clause", "page", "page_end", "score", "text"]


def test_search_json_has_the_documented_shape(subset_index: Settings) -> None:
    done = run(["search", "Get key with key IDs", "-k", "3", "--json"], subset_index)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["query"] == "Get key with key IDs"
    assert len(result["hits"]) == 3
    for hit in result["hits"]:
        assert list(hit) == HIT_KEYS
        assert isinstance(hit["page"], int) and hit["page"] <= hit["page_end"]
        assert not Path(hit["source"]).is_absolute()


def test_search_queries_file_prints_json_lines_in_order(subset_index: Settings, tmp_path: Path) -> None:
    queries = ["ML-KEM parameter sets", "trusted node", "JCA-QKDN fifth meeting"]
    (tmp_path / "q.txt").write_text("\n".join(queries) + "\n\n", encoding="utf-8")
    done = run(["search", "--queries", str(tmp_path / "q.txt"), "-k", "2", "--doc", "FIPS 203"], subset_index)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line["query"] for line in lines] == queries
    assert all(h["doc_id"] == "NIST FIPS 203" for line in lines for h in line["hits"])


def test_docs_json_lists_indexed_documents(subset_index: Settings) -> None:
    done = run(["docs", "--json"], subset_index)
    rows = json.loads(done.stdout)
    assert {r["source"] for r in rows} == {
        "etsi/gs_qkd_014_v1.1.1.pdf",
        "nist/nist_fips_203.pdf",
        "gov/anssi_bsi_nlncsa_sma_position_paper_qkd_2024.pdf",
        "ietf/draft-irtf-qirg-principles-11.txt",
        "itu-t/jca-qkdn_4th_meeting_executive_summary_2024-05-17.txt",
    }
    etsi = next(r for r in rows if r["doc_id"] == "ETSI GS QKD 014")
    assert etsi["edition"] == "V1.1.1" and etsi["body"] == "ETSI" and etsi["pages"] == 22 and etsi["chunks"] > 0


def test_ingest_json_and_exit_code_2_when_some_files_fail(tmp_path: Path, sample_corpus: Path) -> None:
    corpus = copy_subset(
        sample_corpus, tmp_path / "corpus", ("itu-t/jca-qkdn_4th_meeting_executive_summary_2024-05-17.txt",)
    )
    (corpus / "zero.pdf").write_bytes(b"")
    settings = Settings(corpus=corpus, index=tmp_path / "index")
    done = run(["ingest", "--json"], settings)
    assert done.returncode == 2, done.stderr
    report = json.loads(done.stdout)
    assert list(report) == ["indexed", "unchanged", "removed", "failed", "seconds"]
    assert report["indexed"] == [
        {
            "source": "itu-t/jca-qkdn_4th_meeting_executive_summary_2024-05-17.txt",
            "doc_id": "JCA-QKDN 4th meeting executive summary",
            "pages": 1,
            "chunks": report["indexed"][0]["chunks"],
        }
    ]
    assert report["failed"] == [{"source": "zero.pdf", "reason": "empty file (0 bytes)"}]
    assert isinstance(report["seconds"], float)

    (corpus / "zero.pdf").unlink()
    again = run(["ingest", "--json"], settings)
    assert again.returncode == 0
    assert json.loads(again.stdout)["unchanged"] == ["itu-t/jca-qkdn_4th_meeting_executive_summary_2024-05-17.txt"]


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["search", "anything"], {"QKDN_INDEX": "/nonexistent/qkdn-index"}, "no index"),
        (["ingest", "/nonexistent/folder"], {}, "no such file or folder"),
        (["search", "x"], {"QKDN_SEARCH_K": "many"}, "QKDN_SEARCH_K must be a whole number"),
        (["search", "x", "--doc", "Y.3802"], {}, "no indexed document matches"),
    ],
)
def test_errors_are_one_clear_line_and_exit_1(
    subset_index: Settings, args: list[str], env: dict[str, str], message: str
) -> None:
    done = run_process(args, subset_index, **env)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], done.stderr


ANSWER_KEYS = ["question", "answer", "abstained", "mode", "citations"]
CITATION_KEYS = ["n", "source", "doc_id", "edition", "clause", "page", "quote"]


def test_ask_json_has_the_documented_shape(subset_index: Settings) -> None:
    question = "What error message must a KME return when the key size is not a multiple of 8?"
    done = run(["ask", question, "--json"], subset_index)
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert list(answer) == ANSWER_KEYS
    assert answer["question"] == question and answer["mode"] == "evidence" and answer["abstained"] is False
    assert "size shall be a multiple of 8" in answer["answer"]
    assert answer["citations"]
    for n, citation in enumerate(answer["citations"], start=1):
        assert list(citation) == CITATION_KEYS and citation["n"] == n
        assert isinstance(citation["page"], int) and citation["page"] >= 1
        assert not Path(citation["source"]).is_absolute() and citation["quote"]


def test_ask_questions_file_prints_json_lines_in_order(subset_index: Settings, tmp_path: Path) -> None:
    questions = [
        "Which URL does a slave SAE call to get keys with key IDs?",
        "How many physical qubits does Google's Willow quantum processor have?",
        "What is the size in bytes of the ML-KEM-768 encapsulation key?",
    ]
    (tmp_path / "q.txt").write_text("\n".join(questions) + "\n\n", encoding="utf-8")
    done = run(["ask", "--questions", str(tmp_path / "q.txt")], subset_index)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line["question"] for line in lines] == questions
    assert [line["abstained"] for line in lines] == [False, True, False]
    assert lines[1]["citations"] == []


def test_ask_prints_the_answer_and_its_sources_for_people(subset_index: Settings) -> None:
    done = run(["ask", "Which URL does a slave SAE call to get keys with key IDs?"], subset_index)
    assert done.returncode == 0, done.stderr
    assert "Sources:\n[1] ETSI GS QKD 014 V1.1.1 (2019-02), clause" in done.stdout


def test_ask_errors_are_one_line(subset_index: Settings, tmp_path: Path) -> None:
    done = run(["ask"], subset_index)
    assert done.returncode == 1
    assert done.stderr.strip() == "qkdnassist: error: give either a QUESTION or --questions FILE"
    done = run(["ask", "Get key"], subset_index, QKDN_LLM="gpt")
    assert done.returncode == 1 and "QKDN_LLM must be one of" in done.stderr
    done = run(["ask", "--questions", str(tmp_path / "missing.txt")], subset_index)
    assert done.returncode == 1 and "cannot read" in done.stderr


def test_coverage_json_topics_and_matrix(subset_index: Settings, tmp_path: Path) -> None:
    done = run(["coverage", "key delivery API between SAE and KME", "--json"], subset_index)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert list(report)[:2] == ["topic", "verdict"] and report["verdict"] == "covered"
    assert len(report["documents"]) == 5
    for d in report["documents"]:
        assert list(d) == ["source", "doc_id", "body", "status", "evidence"]
    topics = ["ML-KEM parameter sets", "Bell pair entanglement"]
    (tmp_path / "topics.txt").write_text("\n".join(topics) + "\n", encoding="utf-8")
    matrix = tmp_path / "m.csv"
    done = run(["coverage", "--topics", str(tmp_path / "topics.txt"), "--matrix", str(matrix)], subset_index)
    assert done.returncode == 0, done.stderr
    assert [json.loads(line)["topic"] for line in done.stdout.splitlines()] == topics
    assert matrix.read_text(encoding="utf-8").splitlines()[0].startswith("topic,verdict,")
    done = run(["coverage", "x", "--matrix", str(tmp_path / "m.xlsx")], subset_index)
    assert done.returncode == 1 and "--matrix must end in" in done.stderr


def test_liaison_from_the_incoming_jca_summary_writes_a_docx(subset_index: Settings, tmp_path: Path) -> None:
    from docx import Document

    incoming = subset_index.corpus / "itu-t/jca-qkdn_4th_meeting_executive_summary_2024-05-17.txt"
    out = tmp_path / "reply.docx"
    done = run(
        ["liaison", "--incoming", str(incoming), "--source", "ETSI ISG QKD", "--for", "action", "--out", str(out)],
        subset_index,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"{out}: 13 questions, ")
    rows = {r.cells[0].text: r.cells[1].text for r in Document(str(out)).tables[0].rows}
    assert rows["Source"] == "ETSI ISG QKD" and rows["For action to"] == ""  # the summary names no source
    questions = tmp_path / "q.txt"
    questions.write_text("What is a KME?\nWhich URL returns the status of a KME?\n", encoding="utf-8")
    done = run(
        ["liaison", "--questions", str(questions), "--to", "SG17", "--out", str(tmp_path / "r.md")], subset_index
    )
    assert done.returncode == 0, done.stderr
    text = (tmp_path / "r.md").read_text(encoding="utf-8")
    assert "| For information to | SG17 |" in text and text.count("## Question ") == 2
    done = run(["liaison", "--questions", str(questions), "--out", str(tmp_path / "r.pdf")], subset_index)
    assert done.returncode == 1 and "--out must end in .docx or .md" in done.stderr


def test_define_shows_each_bodys_definition(subset_index: Settings) -> None:
    done = run(["define", "KME", "--json"], subset_index)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert list(report) == ["term", "conflicting", "definitions"] and report["term"] == "KME"
    assert any(d["text"] == "Key Management Entity" for d in report["definitions"])
    assert all(d["doc_id"] and d["page"] >= 1 and d["quote"] for d in report["definitions"])
    done = run(["define", "KME"], subset_index)
    assert done.returncode == 0 and "ETSI GS QKD 014 V1.1.1, clause 3." in done.stdout


def test_remove_takes_a_document_out_of_the_index_and_the_corpus(tmp_path: Path, sample_corpus: Path) -> None:
    summary = "itu-t/jca-qkdn_4th_meeting_executive_summary_2024-05-17.txt"
    corpus = copy_subset(sample_corpus, tmp_path / "corpus", (summary, "ietf/draft-irtf-qirg-principles-11.txt"))
    settings = Settings(corpus=corpus, index=tmp_path / "index")
    assert run(["ingest"], settings).returncode == 0
    done = run(["remove", summary], settings)
    assert done.returncode == 0 and f"removed {summary}" in done.stdout
    assert [r["source"] for r in json.loads(run(["docs", "--json"], settings).stdout)] == [
        "ietf/draft-irtf-qirg-principles-11.txt"
    ]
    assert not (corpus / summary).exists()
    again = run(["remove", summary], settings)
    assert again.returncode == 1 and f"no indexed document is '{summary}'" in again.stderr
