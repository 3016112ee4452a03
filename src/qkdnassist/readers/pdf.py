"""PDF files, read page by page with pypdf.

Returns physical pages (1-based) with the printed page labels the PDF defines. A page
whose content draws ruling lines is also given to pdfplumber (:mod:`.tables`): when it
holds a real ruled table, the page's text is rebuilt with each table row on a line of
its own, cells separated by `` | ``. Does not OCR: a PDF without a text layer is
reported, not guessed at.

A hostile or broken PDF costs bounded time and memory: the page count, the size a
stream may inflate to, the tokens of one content stream, the text kept per page and
per file, and the reading time (checked between pages) all have limits, and whatever
pypdf raises becomes a :class:`~qkdnassist.errors.ReadError` naming the file and the
reason.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import struct
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import pypdf
from pypdf import PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError, LimitReachedError, PyPdfError

from ..errors import ReadError
from ..types import Page
from .limits import MAX_PAGES
from .tables import has_rules, ruled_table_pages

# pypdf logs every recoverable oddity of real-world PDFs as a warning; they are noise
# to a user ingesting a folder, and real failures surface as exceptions below.
logging.getLogger("pypdf").setLevel(logging.ERROR)

# Bounds that keep a hostile or broken file from eating the machine (the page count,
# MAX_PAGES, is shared with the other readers). For scale, the sample corpus has at most
# 146 pages, 104 KB of content stream and 11,000 operators on a page, and 4,700
# characters of text on a page and 352,000 in a file.
# Any one stream, inflated (FlateDecode, LZW, ...): a "zip bomb" stops here.
MAX_STREAM_BYTES = 16 * 2**20
# Operands and operators parsed from one content stream (pypdf's parsing budget).
MAX_STREAM_TOKENS = 300_000
# Text kept of one page; the rest of an absurdly long page is dropped.
MAX_PAGE_CHARS = 100_000
# Text extracted from a whole file, counted before the per-page cut (it is the work done).
MAX_FILE_CHARS = 20_000_000
# Reading time of one file, checked between pages; the two stream limits keep any one
# page to seconds.
MAX_SECONDS = 300.0
# Time given to table extraction (pdfplumber): a few seconds plus this multiple of
# what pypdf took to read the file (on the sample corpus it takes 1-3 times as long).
_TABLE_SECONDS_MIN = 5.0
_TABLE_SECONDS_RATIO = 8.0
# Below this many visible characters per page on average the PDF has no usable text
# layer (a scan); a real standard page has hundreds.
MIN_CHARS_PER_PAGE = 20

# What pypdf raises on damaged input besides its own errors (tests/test_fuzz.py throws it plenty).
_READ_ERRORS = (
    PyPdfError,
    ValueError,
    TypeError,
    LookupError,
    AttributeError,
    ArithmeticError,
    RecursionError,
    NotImplementedError,
    OSError,
    EOFError,
    AssertionError,
    zlib.error,
    struct.error,
)


def read_pdf(path: Path, source: str) -> list[Page]:
    """Read a PDF into pages.

    Raises:
        ReadError: not a PDF, corrupt or truncated, encrypted with a password, too
            many pages, a stream or page beyond the limits, too slow to read, in need
            of a package pypdf lacks (AES needs cryptography), or no text layer
            (image-only).
    """
    with path.open("rb") as fh:
        head = fh.read(1024)
    if b"%PDF-" not in head:
        kind = "HTML" if head.lstrip().lower().startswith((b"<!doctype", b"<html")) else "unknown data"
        raise ReadError(source, f"not a PDF file (starts with {kind}, no %PDF- header)")
    with _pypdf_limits():
        try:
            return _read(path, source)
        except LimitReachedError as exc:
            raise ReadError(source, _limit_reason(exc)) from None
        except DependencyError as exc:  # AES without the cryptography package, Brotli without brotli
            raise ReadError(source, f"needs an optional package ({_short(exc)})") from None


def _read(path: Path, source: str) -> list[Page]:
    started = time.monotonic()
    deadline = started + MAX_SECONDS
    try:
        reader = PdfReader(path, strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise ReadError(source, "encrypted PDF: a password is required to open it")
        declared = _declared_count(reader)
        if declared is not None and declared > MAX_PAGES:
            raise ReadError(source, f"too many pages ({declared} > {MAX_PAGES})")
        count = len(reader.pages)
    except (ReadError, LimitReachedError):
        raise
    except FileNotDecryptedError:
        raise ReadError(source, "encrypted PDF: a password is required to open it") from None
    except NotImplementedError as exc:
        raise ReadError(source, f"unsupported PDF feature ({_short(exc)})") from None
    except _READ_ERRORS as exc:
        raise ReadError(source, f"corrupt or truncated PDF ({_short(exc)})") from None
    if count == 0:
        raise ReadError(source, "PDF has no pages")
    if count > MAX_PAGES:
        raise ReadError(source, f"too many pages ({count} > {MAX_PAGES})")

    labels = _page_labels(reader, count)
    pages: list[Page] = []
    failed = 0
    # Characters extracted so far, before the per-page cut: the work done, which is
    # what a page of megabytes of text costs even when most of it is dropped.
    extracted = 0
    # A page tree is a tree: a page object listed twice is a bomb (or a broken file),
    # and is read once.
    seen: dict[tuple[int, int], tuple[str, int]] = {}
    ruled: list[int] = []  # pages whose content draws rules: candidates for table extraction
    for index in range(count):
        try:
            page = reader.pages[index]
            ref = page.indirect_reference
            key = (ref.idnum, ref.generation) if ref is not None else None
            if key is not None and key in seen:
                text, size = seen[key]
            else:
                raw = page.extract_text() or ""
                text, size = raw[:MAX_PAGE_CHARS], len(raw)
                if key is not None:
                    seen[key] = (text, size)
                if text.strip() and _draws_rules(page):
                    ruled.append(index + 1)
        except LimitReachedError:
            raise  # a bomb: every further page could cost as much
        except _READ_ERRORS:
            # One damaged page should not lose a whole standard; it is counted below.
            text, size = "", 0
            failed += 1
        extracted += size
        if extracted > MAX_FILE_CHARS:
            raise ReadError(source, f"too much text (more than {MAX_FILE_CHARS:,} characters)")
        pages.append(Page(number=index + 1, text=text, label=labels[index]))
        if time.monotonic() > deadline and index + 1 < count:
            stopped = f"stopped at page {index + 1} of {count}"
            raise ReadError(source, f"reading took longer than {MAX_SECONDS:g} s ({stopped})")
    if failed == count:
        raise ReadError(source, "corrupt PDF: no page could be read")
    if ruled:
        # Table extraction may take a few times what pypdf took (pdfminer lays out every
        # character), never more: a file that makes pdfminer crawl keeps pypdf's text.
        spent = time.monotonic() - started
        budget = min(max(deadline - time.monotonic(), 0.0), _TABLE_SECONDS_MIN + _TABLE_SECONDS_RATIO * spent)
        tables = ruled_table_pages(path, ruled, errors=_READ_ERRORS, seconds=budget)
        pages = [
            dataclasses.replace(p, text=tables[p.number][:MAX_PAGE_CHARS]) if p.number in tables else p for p in pages
        ]
    visible = sum(len("".join(p.text.split())) for p in pages)
    if visible < MIN_CHARS_PER_PAGE * count:
        raise ReadError(source, "no text layer (image-only or scanned PDF); run OCR on it first")
    return pages


def _draws_rules(page: pypdf.PageObject) -> bool:
    """Whether the page's content draws enough rules to hold a ruled table (a page whose
    content cannot be decoded again is left to pypdf's text)."""
    try:
        content = page.get_contents()
        return content is not None and has_rules(content.get_data())
    except _READ_ERRORS:
        return False


def _declared_count(reader: PdfReader) -> int | None:
    """The page count the page tree declares: it may lie, but an honest huge one is
    refused before pypdf walks the tree."""
    try:
        count = reader.root_object["/Pages"].get_object()["/Count"]  # type: ignore[index]
    except _READ_ERRORS:
        return None  # pypdf's own walk of the tree reports what is wrong with it
    return count if isinstance(count, int) else None


@contextlib.contextmanager
def _pypdf_limits() -> Iterator[None]:
    """pypdf's own resource limits, tightened to what reading text needs.

    pypdf >= 6.18 takes them per context (``apply_configuration``); an older pypdf
    keeps its built-in defaults.
    """
    apply = getattr(pypdf, "apply_configuration", None)
    if apply is None:
        yield
        return
    limits = {
        "zlib_maximum_output_length": MAX_STREAM_BYTES,
        "lzw_maximum_output_length": MAX_STREAM_BYTES,
        "run_length_maximum_output_length": MAX_STREAM_BYTES,
        "brotli_maximum_output_length": MAX_STREAM_BYTES,
        "array_based_stream_maximum_output_length": MAX_STREAM_BYTES,
        "stream_decoding_work_maximum_length": 4 * MAX_STREAM_BYTES,
        "stream_parsing_work_maximum_count": MAX_STREAM_TOKENS,
        # Pages plus the /Pages nodes above them; a lying /Count stops here.
        "page_tree_maximum_entries": 4 * MAX_PAGES,
    }
    known = {f.name for f in dataclasses.fields(pypdf.Configuration)}
    with apply(**{name: value for name, value in limits.items() if name in known}):
        yield


def _limit_reason(exc: LimitReachedError) -> str:
    """The user's words for the pypdf limit a file ran into."""
    message = str(exc).lower()
    if "depth" in message:
        return f"objects nested too deeply ({_short(exc)})"
    if "page tree" in message:
        return f"too many pages (the page tree has more than {4 * MAX_PAGES} entries; the limit is {MAX_PAGES} pages)"
    if "decompress" in message or "decoding" in message or "output length" in message:
        return f"a stream inflates beyond the limit ({MAX_STREAM_BYTES // 2**20} MiB)"
    if "tokens" in message:
        return f"a page's content is too large to parse (more than {MAX_STREAM_TOKENS:,} tokens)"
    return f"a safety limit was reached ({_short(exc)})"


def _page_labels(reader: PdfReader, count: int) -> list[str]:
    """Printed page labels when the PDF defines its own, else empty strings.

    pypdf falls back to "1", "2", ... when a PDF has no /PageLabels; those say
    nothing the physical number does not, so they are dropped.
    """
    try:
        root = reader.trailer["/Root"].get_object()
        if "/PageLabels" not in root:  # type: ignore[operator]
            return [""] * count
        labels = list(reader.page_labels)
    except _READ_ERRORS:  # a broken label tree costs the labels, not the pages
        return [""] * count
    if len(labels) != count:
        return [""] * count
    return [str(label)[:200] for label in labels]


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:160]
