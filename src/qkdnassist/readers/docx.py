"""Word (.docx) files: ITU meeting documents and liaison statements.

A .docx has no fixed pages; explicit page breaks split pages, otherwise the file is
one page. Headings keep their text, and tables are emitted row by row with cells
separated by `` | `` so rows stay together.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

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
    body = document.element.body
    for element in body.iterchildren():
        if element.tag == f"{_W}p":
            if element.findall(f".//{_W}br[@{_W}type='page']") or element.findall(f".//{_W}pageBreakBefore"):
                pages.append([])
            text = "".join(node.text or "" for node in element.iter(f"{_W}t"))
            if text.strip():
                pages[-1].append(text)
        elif element.tag == f"{_W}tbl":
            for row in element.iter(f"{_W}tr"):
                cells = []
                for cell in row.iter(f"{_W}tc"):
                    cells.append(" ".join("".join(t.text or "" for t in cell.iter(f"{_W}t")).split()))
                if any(cells):
                    pages[-1].append(" | ".join(cells))
    return [Page(number=i, text="\n".join(lines)) for i, lines in enumerate(pages, start=1)]
