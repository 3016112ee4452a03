"""Word (.docx) files: ITU meeting documents and liaison statements.

A .docx has no fixed pages; explicit page breaks split pages, otherwise the file is
one page. Headings keep their text, and tables are emitted row by row with cells
separated by `` | `` so rows stay together.

A .docx is a zip: its members are inflated here, in bounded pieces and within size
limits, before python-docx sees them, so a zip bomb is refused rather than inflated.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any

from ..errors import ReadError
from ..types import Page
from .limits import MAX_PAGES

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"

# All members together, inflated (images included); and any one XML part, which lxml
# turns into a tree of about ten times its size.
MAX_UNZIPPED_BYTES = 256 * 2**20
MAX_XML_BYTES = 32 * 2**20


def read_docx(path: Path, source: str) -> list[Page]:
    """Read a .docx into pages split on explicit page breaks.

    Raises:
        ReadError: the file is not a valid .docx (not a zip, a damaged member, no
            document part, malformed XML), inflates beyond the limits, or has more
            pages than the limit.
    """
    import docx  # python-docx; imported here so reading PDFs does not pay for it
    from docx.exceptions import PythonDocxError
    from docx.opc.exceptions import PackageNotFoundError
    from lxml.etree import LxmlError

    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ReadError(source, f"cannot read file ({exc.strerror})") from None
    try:
        document = docx.Document(io.BytesIO(_unpacked(raw, source)))
        body = getattr(document.element, "body", None)
    except ReadError:
        raise
    except (
        PackageNotFoundError,
        PythonDocxError,
        LxmlError,
        zipfile.BadZipFile,
        zlib.error,
        struct.error,
        LookupError,
        ValueError,
        TypeError,
        AttributeError,
        NotImplementedError,  # a compression method zipfile does not know
        RuntimeError,  # an encrypted member
        EOFError,
        OSError,
    ) as exc:
        kinds = ((LxmlError, "malformed XML"), (zlib.error, "damaged compressed data"))
        why = next((kind for cls, kind in kinds if isinstance(exc, cls)), type(exc).__name__)
        raise ReadError(source, f"not a valid .docx file ({why})") from None
    if body is None:
        raise ReadError(source, "not a valid .docx file (no document body)")

    pages: list[list[str]] = [[]]
    for element in body.iterchildren():
        if element.tag == f"{_W}p":
            _paragraph(element, pages)
        elif element.tag == f"{_W}tbl":
            for row in element.iter(f"{_W}tr"):
                cells = [" ".join(_text(cell).split()) for cell in row.iter(f"{_W}tc")]
                if any(cells):
                    pages[-1].append(" | ".join(cells))
        if len(pages) > MAX_PAGES:
            raise ReadError(source, f"too many pages (more than {MAX_PAGES} page breaks)")
    return [Page(number=i, text="\n".join(lines)) for i, lines in enumerate(pages, start=1)]


def _unpacked(raw: bytes, source: str) -> bytes:
    """The .docx re-packed with its members inflated within the limits (stored, so
    python-docx inflates nothing itself).

    zipfile inflates a member whole before cutting it to its declared size, so a member
    that declares 1 KB and inflates to 1 GB would cost 1 GB; read in bounded pieces
    here, it costs at most what it declares (and then fails its checksum, if it lied).

    Raises:
        ReadError: a member or all of them together inflate beyond the limits, a name
            appears twice, or a member uses a compression Word never writes.
        zipfile.BadZipFile, zlib.error, ...: not a zip, or a damaged one (the caller
            reports it).
    """
    out = io.BytesIO()
    total = 0
    names: set[str] = set()
    with zipfile.ZipFile(io.BytesIO(raw)) as archive, zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as clean:
        for member in archive.infolist():
            name = member.filename[:80]
            if member.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                method = member.compress_type
                raise ReadError(source, f"not a valid .docx file ({name} uses compression method {method})")
            if member.filename in names:
                raise ReadError(source, f"not a valid .docx file ({name} appears twice)")
            names.add(member.filename)
            limit = MAX_XML_BYTES if member.filename.endswith((".xml", ".rels")) else MAX_UNZIPPED_BYTES
            if member.file_size > limit:
                size = f"{name}: {member.file_size // 2**20} MiB > {limit // 2**20} MiB"
                raise ReadError(source, f"the .docx inflates beyond the limit ({size})")
            total += member.file_size
            if total > MAX_UNZIPPED_BYTES:
                size = f"all parts: more than {MAX_UNZIPPED_BYTES // 2**20} MiB"
                raise ReadError(source, f"the .docx inflates beyond the limit ({size})")
            with archive.open(member) as fh:
                data = fh.read(member.file_size)  # a bounded read inflates piece by piece
            clean.writestr(member, data, compress_type=zipfile.ZIP_STORED)
    return out.getvalue()


def _on(element: Any) -> bool:
    """Whether an on/off property element is on (``w:val`` absent, or not 0/false/off)."""
    return element.get(f"{_W}val", "true") not in {"0", "false", "off"}


def _paragraph(element: Any, pages: list[list[str]]) -> None:
    """Append a paragraph's text to the current page, starting new pages at its breaks."""
    before = element.find(f"{_W}pPr/{_W}pageBreakBefore")
    if before is not None and _on(before) and any(pages[-1]):
        pages.append([])
    line = ""
    for node in element.iter(f"{_W}t", f"{_W}tab", f"{_W}br", f"{_W}cr"):
        if node.tag == f"{_W}t":
            line += node.text or ""
        elif node.tag == f"{_W}tab":
            line += "\t"
        elif node.get(f"{_W}type") == "page":
            if line.strip():
                pages[-1].append(line)
            line = ""
            pages.append([])
        else:
            line += "\n"
    if line.strip():
        pages[-1].append(line)


def _text(element: Any) -> str:
    """Text of a table cell: its paragraphs on separate lines, tabs and breaks kept."""
    parts = []
    for paragraph in element.iter(f"{_W}p"):
        collected: list[list[str]] = [[]]
        _paragraph(paragraph, collected)
        parts.append(" ".join(" ".join(page) for page in collected))
    return "\n".join(parts)
