"""Plain-text files: IETF/IRTF drafts and RFCs, Markdown, meeting summaries.

Pages are split on form feeds (as RFCs and paginated Internet-Drafts are); a file
without form feeds is one page. Nothing is removed here: running headers and
footers are the structure stage's job.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import ReadError
from ..types import Page


def read_text(path: Path, source: str) -> list[Page]:
    """Read a UTF-8 (or Latin-1) text file into pages split on form feeds.

    Raises:
        ReadError: the file is binary (has NUL bytes) or cannot be read.
    """
    try:
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
    pieces = text.split("\f")
    if len(pieces) > 1 and not pieces[-1].strip():
        pieces.pop()  # a final form feed ends the last page; it does not start a new one
    return [Page(number=i, text=piece) for i, piece in enumerate(pieces, start=1)]
