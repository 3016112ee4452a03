"""Tests of qkdnassist.readers: real corpus files in, pages out; bad files raise ReadError."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import docx
import pytest
from docx.enum.text import WD_BREAK
from pypdf import PdfWriter
from pypdf.generic import ContentStream

from conftest import corpus_file
from qkdnassist.errors import ReadError
from qkdnassist.readers import read_pages
from qkdnassist.readers.docx import read_docx
from qkdnassist.readers.pdf import read_pdf
from qkdnassist.readers.text import read_text
from qkdnassist.types import Page

ETSI_014 = "etsi/gs_qkd_014_v1.1.1.pdf"
FIPS_203 = "nist/nist_fips_203.pdf"
POSITION_PAPER = "gov/anssi_bsi_nlncsa_sma_position_paper_qkd_2024.pdf"
PRINCIPLES = "ietf/draft-irtf-qirg-principles-11.txt"


@pytest.fixture(scope="module")
def etsi_pages() -> list[Page]:
    return read_pages(corpus_file(ETSI_014), ETSI_014)


@pytest.fixture(scope="module")
def fips_203_pages() -> list[Page]:
    return read_pages(corpus_file(FIPS_203), FIPS_203)


# --- PDF ---------------------------------------------------------------------------


def test_etsi_pdf_has_22_pages_numbered_from_1(etsi_pages: list[Page]) -> None:
    assert len(etsi_pages) == 22
    assert [page.number for page in etsi_pages] == list(range(1, 23))


def test_etsi_pdf_page_11_holds_clause_5_2(etsi_pages: list[Page]) -> None:
    assert "5.2 Get status" in etsi_pages[10].text
    assert etsi_pages[10].number == 11


def test_etsi_pdf_labels_come_from_its_page_labels(etsi_pages: list[Page]) -> None:
    # The ETSI file defines /PageLabels that simply count 1, 2, 3 ...
    assert [page.label for page in etsi_pages] == [str(n) for n in range(1, 23)]


def test_fips_203_labels_are_the_printed_ones(fips_203_pages: list[Page]) -> None:
    labels = [page.label for page in fips_203_pages]
    assert len(labels) == 56
    # Cover "A", two unlabelled pages, roman front matter i–vi, then arabic 1–47.
    assert labels[:9] == ["A", "", "", "i", "ii", "iii", "iv", "v", "vi"]
    assert labels[9:] == [str(n) for n in range(1, 48)]
    assert fips_203_pages[9].number == 10


def test_pdf_without_page_labels_gives_empty_labels() -> None:
    pages = read_pages(corpus_file(POSITION_PAPER), POSITION_PAPER)
    assert len(pages) == 7
    assert [page.label for page in pages] == [""] * 7


def test_read_pdf_directly_matches_read_pages(etsi_pages: list[Page]) -> None:
    assert read_pdf(corpus_file(ETSI_014), ETSI_014) == etsi_pages


# --- plain text --------------------------------------------------------------------


def test_rfc_text_splits_on_form_feeds() -> None:
    path = corpus_file(PRINCIPLES)
    raw = path.read_text(encoding="utf-8")
    pages = read_pages(path, PRINCIPLES)
    # 45 form feeds; the piece after the last one carries the authors' addresses, so it is a page.
    assert raw.count("\f") == 45
    assert len(pages) == 46
    assert [page.number for page in pages] == list(range(1, 47))
    assert pages[1].text == raw.split("\f")[1]
    assert "This Internet-Draft will expire on 2 March 2023." in pages[1].text
    assert "Email: marcello.caleffi@unina.it" in pages[-1].text


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("one\ntwo\n", ["one\ntwo\n"]),
        ("page one\fpage two", ["page one", "page two"]),
        ("page one\fpage two\f", ["page one", "page two"]),
        ("page one\fpage two\f\n\n", ["page one", "page two"]),
        ("crlf line\r\nnext\r\n", ["crlf line\nnext\n"]),
        ("\ufeffwith a byte-order mark", ["with a byte-order mark"]),
    ],
    ids=["no-form-feed", "two-pages", "final-form-feed-dropped", "blank-tail-dropped", "crlf", "bom"],
)
def test_text_file_pages(tmp_path: Path, content: str, expected: list[str]) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(content.encode("utf-8"))
    pages = read_text(path, "notes.txt")
    assert [page.text for page in pages] == expected
    assert [page.number for page in pages] == list(range(1, len(expected) + 1))
    assert all(page.label == "" for page in pages)


def test_latin1_text_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "old.txt"
    path.write_bytes("Schrödinger's cat".encode("latin-1"))
    assert read_pages(path, "old.txt")[0].text == "Schrödinger's cat"


# --- docx --------------------------------------------------------------------------


def _build_docx(path: Path) -> None:
    document = docx.Document()
    document.add_heading("1 Scope", level=1)
    document.add_paragraph("The present document specifies a key delivery API.")
    document.add_paragraph("It applies to QKD networks.")
    table = document.add_table(rows=2, cols=3)
    for r, row in enumerate([["Name", "Type", "Description"], ["key_ID", "UUID", "ID  of the key"]]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    document.add_page_break()
    document.add_heading("2 References", level=1)
    document.add_paragraph("Normative references follow.")
    document.save(str(path))


def test_docx_splits_pages_at_explicit_break(tmp_path: Path) -> None:
    path = tmp_path / "liaison.docx"
    _build_docx(path)
    pages = read_pages(path, "liaison.docx")
    assert [page.number for page in pages] == [1, 2]
    assert pages[0].text.split("\n")[:3] == [
        "1 Scope",
        "The present document specifies a key delivery API.",
        "It applies to QKD networks.",
    ]
    assert pages[1].text == "2 References\nNormative references follow."


def test_docx_table_rows_become_cell_lines(tmp_path: Path) -> None:
    path = tmp_path / "liaison.docx"
    _build_docx(path)
    lines = read_docx(path, "liaison.docx")[0].text.split("\n")
    assert lines[3:] == ["Name | Type | Description", "key_ID | UUID | ID of the key"]


@pytest.mark.parametrize("separator", ["\t", "\n"], ids=["tab", "line-break"])
def test_docx_tabs_and_line_breaks_keep_words_apart(tmp_path: Path, separator: str) -> None:
    document = docx.Document()
    document.add_paragraph(f"Key{separator}delivery")
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 0).text = f"key{separator}ID"
    table.cell(0, 1).text = "UUID"
    path = tmp_path / "separators.docx"
    document.save(str(path))
    text = read_pages(path, "separators.docx")[0].text
    assert " ".join(text.split()) == "Key delivery key ID | UUID"


def test_docx_page_break_inside_paragraph_splits_its_text(tmp_path: Path) -> None:
    document = docx.Document()
    paragraph = document.add_paragraph("text before the break")
    paragraph.add_run().add_break(WD_BREAK.PAGE)
    paragraph.add_run("text after the break")
    path = tmp_path / "inline_break.docx"
    document.save(str(path))
    assert [page.text for page in read_pages(path, "inline_break.docx")] == [
        "text before the break",
        "text after the break",
    ]


def test_docx_page_break_before_switched_off_is_no_break(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_paragraph("first paragraph")
    document.add_paragraph("second paragraph").paragraph_format.page_break_before = False
    path = tmp_path / "no_break.docx"
    document.save(str(path))
    assert [page.text for page in read_pages(path, "no_break.docx")] == ["first paragraph\nsecond paragraph"]


def test_docx_page_break_before_starts_a_page(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_paragraph("first paragraph")
    document.add_paragraph("second paragraph").paragraph_format.page_break_before = True
    path = tmp_path / "break_before.docx"
    document.save(str(path))
    assert [page.text for page in read_pages(path, "break_before.docx")] == ["first paragraph", "second paragraph"]


# --- encrypted PDFs ----------------------------------------------------------------


def _encrypted_copy(path: Path, **encrypt_args: str) -> None:
    writer = PdfWriter()
    writer.append(str(corpus_file(POSITION_PAPER)))
    writer.encrypt(**encrypt_args)
    with path.open("wb") as fh:
        writer.write(fh)


@pytest.mark.parametrize("algorithm", ["RC4-128", "AES-128", "AES-256"])
def test_pdf_encrypted_with_empty_user_password_is_read(tmp_path: Path, algorithm: str) -> None:
    # AES needs the cryptography package (pypdf[crypto]): without it pypdf cannot even
    # try the empty password, and such a PDF was refused.
    path = tmp_path / "open.pdf"
    _encrypted_copy(path, user_password="", owner_password="owner", algorithm=algorithm)
    pages = read_pages(path, "open.pdf")
    original = read_pages(corpus_file(POSITION_PAPER), POSITION_PAPER)
    assert [page.text for page in pages] == [page.text for page in original]
    assert "Quantum Key Distribution" in pages[0].text


# --- bad input ---------------------------------------------------------------------


def _empty_pdf(path: Path) -> None:
    path.write_bytes(b"")


def _html_as_pdf(path: Path) -> None:
    path.write_text("<!DOCTYPE html>\n<html><head><title>404</title></head><body>Not found</body></html>\n")


def _truncated_pdf(path: Path) -> None:
    data = corpus_file(ETSI_014).read_bytes()
    path.write_bytes(data[: len(data) * 3 // 10])


def _garbage_after_header(path: Path) -> None:
    path.write_bytes(b"%PDF-1.7\n" + random.Random(20240517).randbytes(20_000))


def _password_pdf(path: Path) -> None:
    _encrypted_copy(path, user_password="secret")


def _aes_256_password_pdf(path: Path) -> None:
    _encrypted_copy(path, user_password="secret", algorithm="AES-256")


def _blank_pages_pdf(path: Path) -> None:
    writer = PdfWriter()
    for _ in range(3):
        writer.add_blank_page(width=595, height=842)
    with path.open("wb") as fh:
        writer.write(fh)


def _rectangle_only_pdf(path: Path) -> None:
    writer = PdfWriter()
    for _ in range(2):
        page = writer.add_blank_page(width=595, height=842)
        # A filled rectangle and a stroked line: marks on the page, no text operators.
        drawing = ContentStream(None, None)
        drawing.set_data(b"0.2 0.2 0.2 rg 72 72 451 698 re f 1 0 0 RG 4 w 100 100 m 495 742 l S")
        page.replace_contents(drawing)
    with path.open("wb") as fh:
        writer.write(fh)


def _spreadsheet(path: Path) -> None:
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 64)


def _binary_text(path: Path) -> None:
    path.write_bytes(b"RFC 9340\n\x00\x01\x02\x03\xff\xfe binary")


def _not_a_zip_docx(path: Path) -> None:
    path.write_text("This is plain text with a .docx name.")


def _zip_without_document_docx(path: Path) -> None:
    import zipfile

    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "not a word document")


def _empty_text(path: Path) -> None:
    path.write_text("\n\n   \n")


BAD_FILES: list[tuple[str, Callable[[Path], None], tuple[str, ...]]] = [
    ("empty.pdf", _empty_pdf, ("empty",)),
    ("saved_page.pdf", _html_as_pdf, ("not a pdf",)),
    ("truncated.pdf", _truncated_pdf, ("corrupt", "truncated")),
    ("garbage.pdf", _garbage_after_header, ("corrupt", "truncated")),
    ("locked.pdf", _password_pdf, ("password",)),
    ("aes_locked.pdf", _aes_256_password_pdf, ("password",)),
    ("blank.pdf", _blank_pages_pdf, ("no text layer",)),
    ("drawing.pdf", _rectangle_only_pdf, ("no text layer",)),
    ("table.xlsx", _spreadsheet, ("unsupported file type .xlsx",)),
    ("blob.txt", _binary_text, ("binary",)),
    ("letter.docx", _not_a_zip_docx, ("not a valid .docx",)),
    ("archive.docx", _zip_without_document_docx, ("not a valid .docx",)),
    ("blank.txt", _empty_text, ("no text",)),
]


@pytest.mark.parametrize(("name", "make", "phrases"), BAD_FILES, ids=[name for name, _, _ in BAD_FILES])
def test_bad_file_raises_read_error_naming_it(
    tmp_path: Path, name: str, make: Callable[[Path], None], phrases: tuple[str, ...]
) -> None:
    path = tmp_path / name
    make(path)
    source = f"uploads/{name}"
    with pytest.raises(ReadError) as caught:
        read_pages(path, source)
    assert caught.value.source == source
    assert any(phrase in caught.value.reason.lower() for phrase in phrases), caught.value.reason
    assert str(caught.value).startswith(f"{source}: ")


@pytest.mark.parametrize("fraction", [0.05, 0.3, 0.6, 0.95])
def test_truncated_pdf_is_a_read_error_at_any_length(tmp_path: Path, fraction: float) -> None:
    data = corpus_file(ETSI_014).read_bytes()
    path = tmp_path / "cut.pdf"
    path.write_bytes(data[: int(len(data) * fraction)])
    with pytest.raises(ReadError, match="corrupt or truncated"):
        read_pages(path, "cut.pdf")


def test_missing_file_is_a_read_error(tmp_path: Path) -> None:
    with pytest.raises(ReadError) as caught:
        read_pages(tmp_path / "gone.pdf", "gone.pdf")
    assert caught.value.source == "gone.pdf"
    assert "cannot open" in caught.value.reason
