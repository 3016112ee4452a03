"""Plain-text files: IETF/IRTF drafts and RFCs, Markdown, meeting summaries.

Pages are split on form feeds (as RFCs and paginated Internet-Drafts are); a file
without form feeds is one page. Nothing is removed here: running headers and
footers are the structure stage's job.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import ReadError
from ..types import Page
from .limits import MAX_PAGES

# A text file this large is no draft or RFC (the largest RFCs are ~1 MB); refusing it
# bounds memory, which decoding multiplies by up to four.
MAX_TEXT_BYTES = 32 * 2**20


def read_text(path: Path, source: str) -> list[Page]:
    """Read a UTF-8 (or Latin-1) text file into pages split on form feeds.

    Raises:
        ReadError: the file is binary (has NUL bytes), too large, has more form-feed
            pages than the limit, or cannot be read.
    """
    try:
        size = path.stat().st_size
        if size > MAX_TEXT_BYTES:
            raise ReadError(source, f"text file too large ({size // 2**20} MiB > {MAX_TEXT_BYTES // 2**20} MiB)")
        raw = path.read_bytes()
    except OSError as exc:
        raise ReadError(source, f"cannot read file ({exc.strerror})") from None
    if b"\x00" in raw[:65536]:
        raise ReadError(source, "binary data in a text file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Older RFC mirrors and Word "save as text" files are often Latin-1.
        text = raw.decode("latin-1")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    feeds = text.count("\f")
    if feeds > MAX_PAGES:  # counted before splitting: a million form feeds would be a million pages
        raise ReadError(source, f"too many pages ({feeds} form feeds > {MAX_PAGES})")
    pieces = text.split("\f")
    if len(pieces) > 1 and not pieces[-1].strip():
        pieces.pop()  # a final form feed ends the last page; it does not start a new one
    return [Page(number=i, text=piece) for i, piece in enumerate(pieces, start=1)]
