"""Ruled tables of PDF pages, read cell by cell with pdfplumber.

pypdf reads a page in content-stream order: a table comes out as its cells' lines,
interleaved, so a row such as ``max_SAE_ID_count | integer | Maximum number of …`` is
lost in the flow of text. For a page whose content draws ruling lines, this module
asks pdfplumber for the tables those lines make and, when it finds a real one (two
rows and two columns of text at least), rebuilds the page's text: the lines outside
the tables as pdfplumber reads them, and each table row on a line of its own with its
cells separated by `` | `` (the same form the .docx reader gives rows). Everything
else is left to pypdf.

Continuation rows (a cell's text wrapped below a row line that the other columns do
not draw) are folded into their row; columns empty in every row (merged cells) are
dropped. Borderless tables (no ruling lines) are not found here: they stay as pypdf
reads them, and the structure stage knows them by their caption.

This module does not decide what a table means; it only keeps rows together.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["CELL_SEPARATOR", "has_rules", "rows_text", "ruled_table_pages", "table_rows"]

CELL_SEPARATOR = " | "
# Path operators that draw rules: a page without rectangles or line segments cannot
# hold a ruled table, and is not given to pdfplumber at all.
_RULE_OPERATORS = re.compile(rb"(?<![A-Za-z])(?:re|l)\s")
MIN_RULE_OPERATORS = 8
_MIN_ROWS = 2
# Time given to table extraction in one file; pages not reached keep pypdf's text.
MAX_SECONDS = 120.0
_MIN_COLUMNS = 2


def has_rules(content: bytes) -> bool:
    """Whether a page's content stream draws enough rectangles or line segments to
    hold a ruled table."""
    return len(_RULE_OPERATORS.findall(content, 0, 4_000_000)) >= MIN_RULE_OPERATORS


def _clean(cell: Any) -> str | None:
    return None if cell is None else " ".join(str(cell).split())


def table_rows(raw: Sequence[Sequence[Any]]) -> list[list[str]]:
    """The rows of one extracted table, continuation rows folded into their row and
    columns that are empty throughout dropped; [] when it is not a real table."""
    rows = [[_clean(c) for c in row] for row in raw if any(_clean(c) for c in row)]
    if not rows:
        return []
    width = max(len(r) for r in rows)
    rows = [r + [None] * (width - len(r)) for r in rows]
    keep = [i for i in range(width) if any(r[i] for r in rows)]
    rows = [[r[i] for i in keep] for r in rows]
    merged: list[list[str | None]] = []
    for row in rows:
        filled = [c for c in row if c]
        continues = (
            merged
            and row[0] is None  # the first column is spanned from the row above
            and (len(filled) == 1 or filled[0][:1].islower())
        )
        if continues:
            previous = merged[-1]
            for i, cell in enumerate(row):
                if cell:
                    previous[i] = f"{previous[i]} {cell}" if previous[i] else cell
        else:
            merged.append(list(row))
    table = [[c or "" for c in row] for row in merged]
    if len(table) < _MIN_ROWS or sum(1 for i in range(len(keep)) if any(r[i] for r in table)) < _MIN_COLUMNS:
        return []
    # A "table" whose rows are single cells is a text box drawn with a frame.
    if sum(1 for row in table if sum(1 for c in row if c) >= 2) < _MIN_ROWS:
        return []
    return table


def rows_text(rows: Sequence[Sequence[str]]) -> str:
    """A table's rows as text: a line per row, cells separated by `` | ``."""
    return "\n".join(CELL_SEPARATOR.join(c.replace("|", "/") for c in row if c) for row in rows)


def _page_text(page: Any) -> str | None:
    """The page's text with its ruled tables rebuilt row by row, or None when the page
    has no real table."""
    found = []
    for table in page.find_tables():
        rows = table_rows(table.extract())
        if rows:
            found.append((table.bbox, rows))
    if not found:
        return None
    boxes = [bbox for bbox, _ in found]

    def outside(obj: dict[str, Any]) -> bool:
        x = (obj["x0"] + obj["x1"]) / 2
        y = (obj["top"] + obj["bottom"]) / 2
        return not any(b[0] <= x <= b[2] and b[1] <= y <= b[3] for b in boxes)

    lines = [(line["top"], line["text"]) for line in page.filter(outside).extract_text_lines(return_chars=False)]
    lines += [(bbox[1], rows_text(rows)) for bbox, rows in found]
    lines.sort(key=lambda item: item[0])
    return "\n".join(text for _, text in lines)


def ruled_table_pages(
    path: Path, numbers: Sequence[int], *, errors: tuple[type[BaseException], ...], seconds: float = MAX_SECONDS
) -> dict[int, str]:
    """For the given 1-based pages of a PDF, the rebuilt text of those that hold a real
    ruled table (page number → text). Pages without one are left out, and so are
    pages pdfplumber fails on with one of ``errors`` (they keep pypdf's text), and
    the pages left when ``seconds`` have passed."""
    import pdfplumber
    from pdfminer.psexceptions import PSException
    from pdfplumber.utils.exceptions import MalformedPDFException, PdfminerException

    # MalformedPDFException also comes from closing the file (pdfplumber lays out every
    # page then): a box with a non-number in it.
    errors = (*errors, PSException, PdfminerException, MalformedPDFException)
    deadline = time.monotonic() + seconds

    rebuilt: dict[int, str] = {}
    try:
        with pdfplumber.open(path) as pdf:
            for number in numbers:
                if time.monotonic() > deadline:
                    break  # the remaining pages keep pypdf's text
                try:
                    page = pdf.pages[number - 1]
                    text = _page_text(page)
                    page.close()
                except errors:
                    continue  # a page pdfminer cannot lay out keeps pypdf's text
                if text:
                    rebuilt[number] = text
    except errors:
        return rebuilt  # pdfminer cannot open what pypdf could read: the other pages keep pypdf's text
    return rebuilt
