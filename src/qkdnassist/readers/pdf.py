"""PDF files, read page by page with pypdf.

Returns physical pages (1-based) with the printed page labels the PDF defines.
Does not OCR: a PDF without a text layer is reported, not guessed at.
"""

from __future__ import annotations

import logging
from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import FileNotDecryptedError, PdfReadError, PdfStreamError

from ..errors import ReadError
from ..types import Page

# pypdf logs every recoverable oddity of real-world PDFs as a warning; they are noise
# to a user ingesting a folder, and real failures surface as exceptions below.
logging.getLogger("pypdf").setLevel(logging.ERROR)

# Bounds that keep a hostile or broken file from eating the machine.
MAX_PAGES = 5000
# Below this many visible characters per page on average the PDF has no usable text
# layer (a scan); a real standard page has hundreds.
MIN_CHARS_PER_PAGE = 20

_READ_ERRORS = (
    PdfReadError,
    PdfStreamError,
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    AttributeError,
    RecursionError,
    OSError,
    EOFError,
    AssertionError,
    ZeroDivisionError,
)


def read_pdf(path: Path, source: str) -> list[Page]:
    """Read a PDF into pages.

    Raises:
        ReadError: not a PDF, corrupt or truncated, encrypted with a password,
            too many pages, or no text layer (image-only).
    """
    with path.open("rb") as fh:
        head = fh.read(1024)
    if b"%PDF-" not in head:
        kind = "HTML" if head.lstrip().lower().startswith((b"<!doctype", b"<html")) else "unknown data"
        raise ReadError(source, f"not a PDF file (starts with {kind}, no %PDF- header)")
    try:
        reader = PdfReader(path, strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise ReadError(source, "encrypted PDF: a password is required to open it")
        count = len(reader.pages)
    except ReadError:
        raise
    except FileNotDecryptedError:
        raise ReadError(source, "encrypted PDF: a password is required to open it") from None
    except NotImplementedError as exc:
        raise ReadError(source, f"unsupported PDF feature ({exc})") from None
    except _READ_ERRORS as exc:
        raise ReadError(source, f"corrupt or truncated PDF ({_short(exc)})") from None
    if count == 0:
        raise ReadError(source, "PDF has no pages")
    if count > MAX_PAGES:
        raise ReadError(source, f"PDF has {count} pages, more than the limit of {MAX_PAGES}")

    labels = _page_labels(reader, count)
    pages: list[Page] = []
    failed = 0
    for index in range(count):
        try:
            text = reader.pages[index].extract_text() or ""
        except _READ_ERRORS:
            # One damaged page should not lose a whole standard; it is counted below.
            text = ""
            failed += 1
        pages.append(Page(number=index + 1, text=text, label=labels[index]))
    if failed == count:
        raise ReadError(source, "corrupt PDF: no page could be read")
    visible = sum(len("".join(p.text.split())) for p in pages)
    if visible < MIN_CHARS_PER_PAGE * count:
        raise ReadError(source, "no text layer (image-only or scanned PDF); run OCR on it first")
    return pages


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
    except _READ_ERRORS:
        return [""] * count
    if len(labels) != count:
        return [""] * count
    return [str(label) for label in labels]


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:160]
