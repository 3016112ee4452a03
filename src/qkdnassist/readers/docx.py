"""Word (.docx) files: ITU meeting documents and liaison statements.

A .docx has no fixed pages; explicit page breaks split pages, otherwise the file is
one page. Headings keep their text, and tables are emitted row by row with cells
separated by `` | `` so rows stay together.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

from ..errors import ReadError
from ..types import Page

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def read_docx(path: Path, source: str) -> list[Page]:
    """Read a .docx into pages split on explicit page breaks.

    Raises:
        ReadError: the file is not a valid .docx (not a zip, no document part).
    """
    import docx  # python-docx; imported here so reading PDFs does not pay for it
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise ReadError(source, f"not a valid .docx file ({type(exc).__name__})") from None
    except OSError as exc:
        raise ReadError(source, f"cannot read file ({exc})") from None

    pages: list[list[str]] = [[]]
    for element in document.element.body.iterchildren():
        if element.tag == f"{_W}p":
            _paragraph(element, pages)
        elif element.tag == f"{_W}tbl":
            for row in element.iter(f"{_W}tr"):
                cells = [" ".join(_text(cell).split()) for cell in row.iter(f"{_W}tc")]
                if any(cells):
                    pages[-1].append(" | ".join(cells))
    return [Page(number=i, text="\n".join(lines)) for i, lines in enumerate(pages, start=1)]


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
