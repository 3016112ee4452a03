"""Tables as tables: ruled tables read cell by cell, chunked with caption and header,
and quoted row by row with their header — on generated PDFs and the sample's own
API and parameter tables."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import MANIFEST, corpus_file
from pdfs import build_pdf, table_page
from qkdnassist.answer import Assistant, check_citation
from qkdnassist.config import Settings
from qkdnassist.embedding import Embedder
from qkdnassist.indexing import ingest
from qkdnassist.readers import read_pages
from qkdnassist.readers.tables import has_rules, table_rows
from qkdnassist.search.retrieve import Searcher
from qkdnassist.store.index import Index

ERRORS = [
    ["HTTP status code", "Response data model", "Description"],
    ["400", "Error", "Bad request format."],
    ["401", "-", "Unauthorized."],
    ["503", "Error", "Error on server side."],
]


def error_table_pdf(path: Path) -> Path:
    content = table_page(
        ["7 Error handling", "The delivery service may return error responses as follows.", "Table 4"],
        ERRORS,
        ["A client shall retry a request that failed with an error on the server side after one second."],
        widths=[120, 140, 220],
    )
    path.write_bytes(build_pdf([content]))
    return path


def test_a_ruled_table_is_read_row_by_row_with_cells_separated(tmp_path: Path) -> None:
    (page,) = read_pages(error_table_pdf(tmp_path / "errors.pdf"), "errors.pdf")
    lines = page.text.split("\n")
    assert "HTTP status code | Response data model | Description" in lines
    assert "503 | Error | Error on server side." in lines
    # the text around the table is kept, in reading order
    assert lines.index("Table 4") < lines.index("400 | Error | Bad request format.")
    assert page.text.rstrip().endswith("after one second.")


def test_continuation_rows_are_folded_and_empty_columns_dropped() -> None:
    raw = [
        ["Items", "", "Description", ""],
        ["max_SAE_ID_count", None, 'Maximum number. "0" when the', None],
        [None, None, "KME does not support key multicast", None],
        ["status_extension", None, "(Option) for future use", None],
    ]
    assert table_rows(raw) == [
        ["Items", "Description"],
        ["max_SAE_ID_count", 'Maximum number. "0" when the KME does not support key multicast'],
        ["status_extension", "(Option) for future use"],
    ]


def test_a_framed_text_box_is_not_a_table() -> None:
    assert table_rows([["Key takeaways: start now."], ["Use the time to build capability."]]) == []


def test_a_page_without_rules_is_left_to_pypdf() -> None:
    assert not has_rules(b"BT /F1 10 Tf 56 800 Td (no rules here) Tj ET")
    assert has_rules(b"10 10 50 18 re S\n" * 8)


def test_the_sample_api_table_keeps_its_rows(sample_corpus: Path) -> None:
    pages = read_pages(corpus_file("etsi/gs_qkd_014_v1.1.1.pdf"), "etsi/gs_qkd_014_v1.1.1.pdf")
    page_11 = pages[10].text.split("\n")
    assert "No. | Method name | URL | Access Method" in page_11
    assert (
        "3 | Get key with key IDs | https://{KME_hostname}/api/v1/keys/{master_SAE_ID}/dec_keys | POST (or GET)"
        in page_11
    )


@pytest.fixture(scope="module")
def table_assistant(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Assistant:
    base = tmp_path_factory.mktemp("tables")
    (base / "corpus").mkdir()
    error_table_pdf(base / "corpus" / "delivery-errors.pdf")
    settings = Settings(corpus=base / "corpus", index=base / "index", manifest=MANIFEST)
    assert not ingest(settings=settings, embedder=embedder).failed
    return Assistant(Searcher(Index(settings.index), embedder), threshold=0.0)


@pytest.mark.slow
def test_a_table_row_answers_with_its_header_and_the_value_in_bold(table_assistant: Assistant) -> None:
    answer = table_assistant.ask("Which HTTP status code does the service return on an error on the server side?")
    assert not answer.abstained
    first = answer.text.split("\n\n")[0]
    assert "HTTP status code | Response data model | Description" in first  # the row's header
    assert "“**503** | Error | Error on server side.”" in first
    assert answer.statements[0].text == "503 | Error | Error on server side."
    pages = table_assistant.searcher.index.pages(answer.citations[0].source)
    assert all(check_citation(c, pages) for c in answer.citations)


@pytest.mark.slow
def test_the_sample_parameter_table_is_quoted_row_by_row(searcher: Searcher) -> None:
    answer = Assistant(searcher).ask("What is the size in bytes of the ML-KEM-768 encapsulation key in FIPS 203?")
    assert not answer.abstained and "1184" in answer.text
    holding = [s for s in answer.statements if "1184" in s.text]
    assert holding and all(len(s.text.split()) < 40 for s in holding)  # a row, not a page of numbers


def test_a_page_box_pdfplumber_cannot_read_keeps_pypdfs_text(tmp_path: Path) -> None:
    # Found by the fuzzer: a name in /MediaBox makes pdfplumber raise while laying the
    # page out — and again when the file is closed. The page keeps pypdf's text.
    sound = error_table_pdf(tmp_path / "errors.pdf").read_bytes()
    broken = tmp_path / "broken-box.pdf"
    broken.write_bytes(sound.replace(b"/MediaBox [0 0 595 842]", b"/MediaBox [/X 0 0 595 842]"))
    (page,) = read_pages(broken, "broken-box.pdf")
    assert "Error on server side." in page.text and "7 Error handling" in page.text
