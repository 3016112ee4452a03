"""Fuzzing the readers with hypothesis: mutated sample PDFs, random text files, broken
.docx archives.

The property, for every input: ``read_pages(path, source)`` returns pages or raises
ReadError naming ``source`` — never another exception, never a hang (a watchdog stops a
read that runs past :data:`HANG_SECONDS`). Each target is bounded in examples and in
time per example; the inputs tried are counted and printed at the end of the module.
"""

from __future__ import annotations

import io
import re
import signal
import warnings
import zipfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from types import FrameType

import docx
import pytest
from docx.enum.text import WD_BREAK
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ContentStream

from conftest import corpus_file
from qkdnassist.errors import ReadError
from qkdnassist.readers import read_pages
from qkdnassist.readers.limits import MAX_PAGES
from qkdnassist.types import Page

ETSI_014 = "etsi/gs_qkd_014_v1.1.1.pdf"
HANG_SECONDS = 60

# Inputs tried and outcomes, per target; printed when the module ends.
TRIED: Counter[str] = Counter()


def fuzz_settings(examples: int, seconds: float) -> settings:
    """Bounded runs: ``examples`` inputs, each within ``seconds`` (generous: the machine is shared)."""
    return settings(
        max_examples=examples,
        deadline=timedelta(seconds=seconds),
        database=None,  # no .hypothesis folder in the repository; a failure prints its input
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
    )


@pytest.fixture(scope="module", autouse=True)
def report_inputs_tried(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    reporter = request.config.pluginmanager.getplugin("terminalreporter")
    targets = sorted({key.split(":")[0] for key in TRIED})
    lines = [
        f"  {name}: {TRIED[name]} inputs ({TRIED[name + ':pages']} read, {TRIED[name + ':ReadError']} ReadError)"
        for name in targets
    ]
    total = sum(TRIED[target] for target in targets)
    capture = request.config.pluginmanager.getplugin("capturemanager")
    if reporter is None or capture is None or not total:
        return
    with capture.global_and_fixture_disabled():  # past pytest's capture, even without -s
        reporter.write_line(f"\nfuzz: {total} inputs tried")
        for line in lines:
            reporter.write_line(line)


class Hang(BaseException):
    """A read ran past the watchdog (a BaseException, so no ``except Exception`` in a
    reader can swallow it)."""


@contextmanager
def watchdog(seconds: int) -> Iterator[None]:
    def fire(signum: int, frame: FrameType | None) -> None:
        raise Hang(f"read_pages did not return within {seconds} s")

    previous = signal.signal(signal.SIGALRM, fire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def check_read(folder: Path, name: str, data: bytes, target: str) -> None:
    """The property: pages, or a ReadError that names the file — nothing else."""
    path = folder / name
    path.write_bytes(data)
    source = f"uploads/{name}"
    TRIED[target] += 1
    try:
        with watchdog(HANG_SECONDS):
            pages = read_pages(path, source)
    except ReadError as exc:
        TRIED[target + ":ReadError"] += 1
        assert exc.source == source and exc.reason.strip()
        assert str(exc).startswith(f"{source}: ")
        return
    TRIED[target + ":pages"] += 1
    assert pages and all(isinstance(page, Page) for page in pages)
    assert [page.number for page in pages] == list(range(1, len(pages) + 1))
    assert len(pages) <= MAX_PAGES + 1
    assert any(page.text.strip() for page in pages)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


# --- PDF ---------------------------------------------------------------------------

_OBJECT = re.compile(rb"\d+ \d+ obj\b.*?endobj", re.DOTALL)
_NUMBER = re.compile(rb"-?\d+(?:\.\d+)?")
# Tokens that confuse a PDF parser when inserted at random.
PDF_TOKENS = [
    b"<<",
    b">>",
    b"[",
    b"]",
    b"(",
    b")",
    b"obj",
    b"endobj",
    b"stream\n",
    b"endstream",
    b" 0 R ",
    b"/Kids [",
    b"/Count 99999999",
    b"/Length -1",
    b"/Filter /FlateDecode",
    b"xref\n0 1\n",
    b"trailer",
    b"startxref\n0\n%%EOF",
    b"\x00",
    b"%",
    b"\\",
]
HOSTILE_NUMBERS = [b"0", b"-1", b"4294967296", b"99999999999999999999", b"1e308", b"3.4.5", b"-0", b"NaN"]


def _plain_etsi() -> bytes:
    """The first four pages of ETSI GS QKD 014, rewritten by pypdf with plain objects
    (a classic xref table, no object streams) and content streams left uncompressed,
    so that mutations hit the parser rather than compressed data."""
    reader = PdfReader(corpus_file(ETSI_014))
    writer = PdfWriter()
    for page in reader.pages[:4]:
        writer.add_page(page)
    for page in writer.pages:
        page.replace_contents(ContentStream(page.get_contents(), writer))
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def etsi_bytes() -> bytes:
    return corpus_file(ETSI_014).read_bytes()


@pytest.fixture(scope="module")
def plain_etsi() -> bytes:
    return _plain_etsi()


@st.composite
def byte_mutations(draw: st.DrawFn, base: bytes, structural: bool) -> bytes:
    """``base`` with 1–4 mutations: byte flips, a truncation, inserted garbage or tokens,
    a deleted range; with ``structural``, also duplicated/removed objects and hostile numbers."""
    data = bytearray(base)
    kinds = ["flip", "truncate", "insert", "delete"] + (["duplicate", "remove", "number"] if structural else [])
    for _ in range(draw(st.integers(1, 4))):
        if not data:
            break
        kind = draw(st.sampled_from(kinds))
        at = draw(st.integers(0, len(data) - 1))
        if kind == "flip":
            for offset in draw(st.lists(st.integers(0, 4096), min_size=1, max_size=16)):
                data[(at + offset) % len(data)] ^= draw(st.integers(1, 255))
        elif kind == "truncate":
            del data[at:]
        elif kind == "insert":
            garbage = draw(
                st.one_of(
                    st.binary(min_size=1, max_size=512),
                    st.builds(lambda token, n: token * n, st.sampled_from(PDF_TOKENS), st.integers(1, 5000)),
                )
            )
            data[at:at] = garbage
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 4096))]
        else:
            pattern = _OBJECT if kind in ("duplicate", "remove") else _NUMBER
            spans = [m.span() for m in pattern.finditer(data)]
            if not spans:
                continue
            start, end = draw(st.sampled_from(spans))
            if kind == "duplicate":
                data[at:at] = data[start:end] + b"\n"
            elif kind == "remove":
                del data[start:end]
            else:
                data[start:end] = draw(st.sampled_from(HOSTILE_NUMBERS))
    return bytes(data)


@pytest.mark.slow  # reads a whole sample PDF (many times): minutes, not seconds
@fuzz_settings(examples=60, seconds=20)
@given(data=st.data())
def test_mutated_sample_pdf_reads_or_raises_read_error(folder: Path, etsi_bytes: bytes, data: st.DataObject) -> None:
    """The real ETSI GS QKD 014 file (object streams, xref stream), flipped, cut, spliced."""
    check_read(folder, "qkd014.pdf", data.draw(byte_mutations(etsi_bytes, structural=False)), "pdf-sample")


@pytest.mark.slow  # reads a whole sample PDF (many times): minutes, not seconds
@fuzz_settings(examples=120, seconds=20)
@given(data=st.data())
def test_structurally_mutated_pdf_reads_or_raises_read_error(
    folder: Path, plain_etsi: bytes, data: st.DataObject
) -> None:
    """Plain objects: duplicated and removed objects, hostile numbers, parser tokens."""
    check_read(folder, "qkd014-plain.pdf", data.draw(byte_mutations(plain_etsi, structural=True)), "pdf-structural")


# --- plain text --------------------------------------------------------------------

TEXT_PIECES = [
    b"key delivery ",
    b"\x00",
    b"\f",
    b"\r\n",
    b"\r",
    b"\n",
    b"\xef\xbb\xbf",  # a BOM, anywhere
    b"\xc3",  # a truncated UTF-8 sequence
    b"\xed\xa0\x80",  # an encoded surrogate
    b"\xc0\xaf",  # an overlong "/"
    b"\xf4\x90\x80\x80",  # beyond U+10FFFF
    "é".encode("latin-1"),
    "\u202e\u200b\U000e0041".encode(),
]


def _huge_line(unit: bytes, length: int) -> bytes:
    return b"RFC 9340\n" + unit * (length // len(unit)) + b"\nend\n"


def _form_feeds(count: int, page: bytes) -> bytes:
    return b"\f".join([page] * count)


text_files = st.one_of(
    st.binary(min_size=1, max_size=4096),
    st.lists(st.sampled_from(TEXT_PIECES), min_size=1, max_size=400).map(b"".join),
    # any code points, lone surrogates included
    st.text(st.characters(exclude_categories=()), min_size=1, max_size=2000).map(
        lambda text: text.encode("utf-8", "surrogatepass")
    ),
    st.builds(
        _huge_line, st.sampled_from([b"a", b"key ", "\u200b".encode(), b"\xff", b"\t"]), st.integers(1, 4_000_000)
    ),
    st.builds(_form_feeds, st.integers(0, 2 * MAX_PAGES), st.sampled_from([b"", b"x", b"Page text\n", b"\x00"])),
    # a NUL beyond the first 64 KiB, where the binary check does not look
    st.builds(lambda n: b"a" * 70_000 + b"\x00" * n + b"text", st.integers(1, 1000)),
)


@fuzz_settings(examples=150, seconds=10)
@given(content=text_files, suffix=st.sampled_from([".txt", ".md"]))
def test_random_text_file_reads_or_raises_read_error(folder: Path, content: bytes, suffix: str) -> None:
    check_read(folder, f"notes{suffix}", content, "text")


# --- docx --------------------------------------------------------------------------

_W_NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def _sample_docx() -> bytes:
    document = docx.Document()
    document.add_heading("1 Scope", level=1)
    document.add_paragraph("The present document specifies a key delivery API between SAE and KME.")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "key_ID"
    table.cell(1, 1).text = "UUID"
    document.add_paragraph("before").add_run().add_break(WD_BREAK.PAGE)
    document.add_paragraph("Normative references follow.")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def sample_docx() -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(_sample_docx())) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


# Random WordprocessingML: paragraphs, runs, text, tabs, breaks, tables, nested at random.
_w_text = st.text(st.characters(exclude_categories=["Cs", "Cc"]), max_size=40).map(
    lambda text: text.replace("&", "&amp;").replace("<", "&lt;")
)
_w_leaf = st.one_of(
    _w_text.map(lambda text: f"<w:r><w:t>{text}</w:t></w:r>"),
    st.sampled_from(
        [
            "<w:r><w:tab/></w:r>",
            '<w:r><w:br w:type="page"/></w:r>',
            "<w:r><w:br/></w:r>",
            "<w:r><w:cr/></w:r>",
            '<w:pPr><w:pageBreakBefore w:val="0"/></w:pPr>',
            "<w:pPr><w:pageBreakBefore/></w:pPr>",
            "<w:t/>",
            "<w:unknown>?</w:unknown>",
        ]
    ),
)
_w_body = st.recursive(
    _w_leaf,
    lambda inner: st.one_of(
        st.lists(inner, max_size=6).map(lambda parts: "<w:p>" + "".join(parts) + "</w:p>"),
        st.lists(inner, max_size=4).map(
            lambda parts: "<w:tbl><w:tr><w:tc>" + "".join(parts) + "</w:tc></w:tr></w:tbl>"
        ),
        st.lists(inner, max_size=4).map("".join),
    ),
    max_leaves=40,
)
_document_xml = st.one_of(
    _w_body.map(lambda body: f"<w:document {_W_NS}><w:body>{body}</w:body></w:document>".encode()),
    st.binary(max_size=512),
    st.sampled_from(
        [
            b"",
            f"<w:document {_W_NS}/>".encode(),
            f"<w:document {_W_NS}><w:body/></w:document>".encode(),
            b"<foo/>",
            f"<w:document {_W_NS}><w:body>{'<w:p>' * 3000}{'</w:p>' * 3000}</w:body></w:document>".encode(),
        ]
    ),
)


@st.composite
def broken_docx(draw: st.DrawFn, members: dict[str, bytes]) -> bytes:
    """A .docx with its zip broken, or a valid zip whose members are wrong."""
    kind = draw(st.sampled_from(["truncate", "flip", "random", "members"]))
    original = _zip(members, zipfile.ZIP_DEFLATED)
    if kind == "truncate":
        return original[: draw(st.integers(0, len(original) - 1))]
    if kind == "flip":
        data = bytearray(original)
        for at in draw(st.lists(st.integers(0, len(data) - 1), min_size=1, max_size=20)):
            data[at] ^= draw(st.integers(1, 255))
        return bytes(data)
    if kind == "random":
        return b"PK\x03\x04" + draw(st.binary(max_size=2048))
    names = sorted(members)
    dropped = set(draw(st.lists(st.sampled_from(names), max_size=2)))
    kept = {name: data for name, data in members.items() if name not in dropped}
    if draw(st.booleans()):
        kept["word/document.xml"] = draw(_document_xml)
    for name in draw(st.lists(st.sampled_from(names), max_size=3)):
        kept[name] = draw(st.one_of(st.binary(max_size=256), st.sampled_from(list(members.values()))))
    for _ in range(draw(st.integers(0, 2))):
        kept[draw(st.sampled_from([*names, "word/extra.xml", "../evil.xml", "/abs.xml", "word/"]))] = b"<x/>"
    method = draw(st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED]))
    return _zip(kept, method, duplicate=draw(st.sampled_from([None, *names])))


def _zip(members: dict[str, bytes], method: int, duplicate: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buffer, "w", method) as archive:
        warnings.simplefilter("ignore")  # "Duplicate name": wanted here
        for name, data in members.items():
            archive.writestr(name, data)
        if duplicate is not None and duplicate in members:
            archive.writestr(duplicate, b"<w:document/>")
    return buffer.getvalue()


@fuzz_settings(examples=150, seconds=10)
@given(data=st.data())
def test_broken_docx_reads_or_raises_read_error(
    folder: Path, sample_docx: dict[str, bytes], data: st.DataObject
) -> None:
    check_read(folder, "liaison.docx", data.draw(broken_docx(sample_docx)), "docx")


@fuzz_settings(examples=100, seconds=10)
@given(document=_w_body)
def test_random_wordprocessing_markup_reads_or_raises_read_error(
    folder: Path, sample_docx: dict[str, bytes], document: str
) -> None:
    """Valid zips whose document part is random (well-formed) WordprocessingML."""
    members = dict(sample_docx)
    members["word/document.xml"] = f"<w:document {_W_NS}><w:body>{document}</w:body></w:document>".encode()
    check_read(folder, "markup.docx", _zip(members, zipfile.ZIP_DEFLATED), "docx-markup")
