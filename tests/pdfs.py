"""Small real PDFs built byte by byte for tests: text lines and ruled tables.

The files are valid PDFs (correct xref table, Helvetica) that pypdf and pdfplumber
read like any other; a table is drawn as one stroked rectangle per cell, so
pdfplumber's lattice detection finds it the way it finds a standard's tables.
"""

from __future__ import annotations

from collections.abc import Sequence

_FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"


def _escape(text: str) -> bytes:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)").encode("latin-1")


def _text(x: float, y: float, text: str, size: int = 10) -> bytes:
    return b"BT /F1 %d Tf %.1f %.1f Td (%s) Tj ET\n" % (size, x, y, _escape(text))


def table_page(
    lines_before: Sequence[str],
    rows: Sequence[Sequence[str]],
    lines_after: Sequence[str] = (),
    widths: Sequence[int] = (),
) -> bytes:
    """The content stream of one A4 page: text lines, then a ruled table of ``rows``
    (the first is the header), then more text lines."""
    out = bytearray()
    y = 800.0
    for line in lines_before:
        out += _text(56, y, line)
        y -= 16
    y -= 8
    columns = len(rows[0])
    widths = list(widths) or [480 // columns] * columns
    height = 18
    for row in rows:
        x = 56.0
        for width, cell in zip(widths, row, strict=True):
            out += b"%.1f %.1f %d %d re S\n" % (x, y - height, width, height)
            out += _text(x + 3, y - 13, cell, 9)
            x += width
        y -= height
    y -= 20
    for line in lines_after:
        out += _text(56, y, line)
        y -= 16
    return bytes(out)


def build_pdf(contents: Sequence[bytes]) -> bytes:
    """A PDF of one page per content stream."""
    count = len(contents)
    objects: list[bytes] = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    kids = b" ".join(b"%d 0 R" % (4 + 2 * i) for i in range(count))
    objects.append(b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, count))
    objects.append(_FONT)
    for i, content in enumerate(contents):
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents %d 0 R "
            b"/Resources << /Font << /F1 3 0 R >> >> >>" % (5 + 2 * i)
        )
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content))
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)
