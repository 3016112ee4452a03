"""File → pages. Nothing else: no structure, no metadata, no chunking.

Each reader returns the physical pages of one file as :class:`~qkdnassist.types.Page`
objects and raises :class:`~qkdnassist.errors.ReadError` (naming the file and the
reason) when the file cannot be turned into text.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import ReadError
from ..types import Page
from .docx import read_docx
from .pdf import read_pdf
from .text import read_text

__all__ = ["SUPPORTED_SUFFIXES", "read_pages"]

SUPPORTED_SUFFIXES = frozenset({".pdf", ".txt", ".md", ".docx"})

# A file this large is almost certainly not a standard; refusing it early bounds
# memory and time (PDF bombs, mis-dropped archives).
MAX_FILE_BYTES = 200 * 1024 * 1024


def read_pages(path: Path, source: str) -> list[Page]:
    """Read one file into its pages.

    Args:
        path: where the file is.
        source: the name to report errors under (path relative to the corpus root).

    Raises:
        ReadError: the file is empty, too large, of an unsupported type, or its
            reader cannot extract text from it.
    """
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise ReadError(source, f"unsupported file type {suffix or '(none)'}")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ReadError(source, f"cannot open file ({exc.strerror})") from None
    if size == 0:
        raise ReadError(source, "empty file (0 bytes)")
    if size > MAX_FILE_BYTES:
        raise ReadError(source, f"file too large ({size // 2**20} MiB > {MAX_FILE_BYTES // 2**20} MiB)")
    if suffix == ".pdf":
        pages = read_pdf(path, source)
    elif suffix == ".docx":
        pages = read_docx(path, source)
    else:
        pages = read_text(path, source)
    if not any(page.text.strip() for page in pages):
        raise ReadError(source, "no text found in the file")
    return pages
