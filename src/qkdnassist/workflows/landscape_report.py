"""The landscape report written out: Markdown, Word (.docx, figures embedded) or HTML,
from one list of blocks (headings, paragraphs, tables, figures), and the two figures —
the topic × body heat-map and the reference graph between bodies (matplotlib, drawn
off-screen).

Every finding line carries its citation: "doc id, clause, p. N".

This module does not search, extract or decide; it writes what :mod:`.landscape` found.
"""

from __future__ import annotations

import base64
import html
import io
import math
import textwrap
from dataclasses import dataclass
from pathlib import Path

from ..errors import UsageError
from .landscape import Landscape

__all__ = ["Block", "heatmap_png", "landscape_blocks", "reference_graph_png", "write_landscape"]

_STATUS_VALUE = {"covered": 1.0, "partial": 0.5, "not_found": 0.0}


@dataclass(frozen=True)
class Block:
    """One piece of the report: ("h1"|"h2"|"h3"|"p"|"li", text), a table or a figure."""

    kind: str
    text: str = ""
    header: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()
    image: bytes = b""


def _place(doc_id: str, clause: str, page: int) -> str:
    return f"{doc_id}" + (f", clause {clause}" if clause else "") + f", p. {page}"


def heat_values(landscape: Landscape) -> list[list[float]]:
    """Per topic and body: the sum over the body's documents of covered (1) / partial (0.5)."""
    values = []
    for finding in landscape.topics:
        row = [0.0] * len(landscape.bodies)
        for document in finding.coverage.documents:
            if document.body in landscape.bodies:
                row[landscape.bodies.index(document.body)] += _STATUS_VALUE.get(document.status, 0.0)
        values.append(row)
    return values


def _figure_png(draw: object) -> bytes:
    import matplotlib

    matplotlib.use("Agg")  # off-screen: no display on a server
    import matplotlib.pyplot as plt

    figure = draw(plt)  # type: ignore[operator]
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=110, bbox_inches="tight")
    plt.close(figure)
    return out.getvalue()


def heatmap_png(landscape: Landscape) -> bytes:
    """The topic × body heat-map as a PNG."""
    values = heat_values(landscape)

    def draw(plt: object) -> object:
        figure, axes = plt.subplots(figsize=(2 + 0.9 * len(landscape.bodies), 1.5 + 0.32 * len(values)))  # type: ignore[attr-defined]
        axes.imshow(values, cmap="YlGn", aspect="auto", vmin=0)
        axes.set_xticks(range(len(landscape.bodies)))
        axes.set_xticklabels([textwrap.fill(b, 14) for b in landscape.bodies], rotation=60, ha="right", fontsize=7)
        axes.set_yticks(range(len(values)))
        axes.set_yticklabels([f.topic.name for f in landscape.topics], fontsize=7)
        for y, row in enumerate(values):
            for x, value in enumerate(row):
                if value:
                    axes.text(x, y, f"{value:g}", ha="center", va="center", fontsize=6)
        axes.set_title("Coverage: covered = 1, partial = 0.5 per document", fontsize=8)
        return figure

    return _figure_png(draw)


def reference_graph_png(landscape: Landscape) -> bytes:
    """The reference graph between bodies (nodes on a circle; edges red = normative,
    blue = informative, grey = unknown; width by count) as a PNG."""
    nodes = sorted({e.citing for e in landscape.edges} | {e.cited for e in landscape.edges})

    def draw(plt: object) -> object:
        figure, axes = plt.subplots(figsize=(7, 7))  # type: ignore[attr-defined]
        where = {
            n: (math.cos(2 * math.pi * i / max(len(nodes), 1)), math.sin(2 * math.pi * i / max(len(nodes), 1)))
            for i, n in enumerate(nodes)
        }
        for edge in landscape.edges:
            (x0, y0), (x1, y1) = where[edge.citing], where[edge.cited]
            for count, colour, shift in (
                (edge.normative, "tab:red", -0.02),
                (edge.informative, "tab:blue", 0.0),
                (edge.unknown, "grey", 0.02),
            ):
                if count:
                    axes.annotate(
                        "",
                        xy=(x1 + shift, y1 + shift),
                        xytext=(x0 + shift, y0 + shift),
                        arrowprops={"arrowstyle": "->", "color": colour, "lw": 0.6 + math.log1p(count), "alpha": 0.7},
                    )
        for name, (x, y) in where.items():
            axes.scatter([x], [y], s=400, color="#dddddd", zorder=3)
            axes.text(x, y, textwrap.fill(name, 16), ha="center", va="center", fontsize=7, zorder=4)
        axes.set_axis_off()
        axes.set_title("References between bodies (red normative, blue informative, grey unknown)", fontsize=8)
        return figure

    return _figure_png(draw)


def landscape_blocks(landscape: Landscape, *, figures: bool = True) -> list[Block]:
    """The report as blocks, in order."""
    blocks = [
        Block("h1", "The QKDN standards landscape"),
        Block(
            "p",
            f"{len(landscape.catalogue.entries)} documents of {len(landscape.bodies)} bodies; "
            f"{len(landscape.topics)} topics. Every finding cites its document, clause and page.",
        ),
        Block("h2", "1 Catalogue by body"),
    ]
    for body in landscape.bodies:
        rows = tuple(
            (e.doc_id, e.edition, e.date, e.doc_type, e.status, e.title)
            for e in landscape.catalogue.entries
            if e.body == body
        )
        blocks += [
            Block("h3", body),
            Block("table", header=("document", "edition", "date", "type", "status", "title"), rows=rows),
        ]
    blocks.append(Block("h2", "2 Topics × bodies"))
    if figures:
        blocks.append(Block("figure", "Figure 1: coverage of each topic by each body", image=heatmap_png(landscape)))
    values = heat_values(landscape)
    blocks.append(
        Block(
            "table",
            header=("topic", *landscape.bodies),
            rows=tuple(
                (f.topic.name, *(f"{v:g}" for v in row)) for f, row in zip(landscape.topics, values, strict=True)
            ),
        )
    )
    blocks.append(Block("h2", "3 Per topic: coverage, overlaps, gaps"))
    group = ""
    for finding in landscape.topics:
        if finding.topic.group != group:
            group = finding.topic.group
            blocks.append(Block("h3", group))
        report = finding.coverage
        blocks.append(Block("p", f"{finding.topic.name} — {report.verdict.replace('_', ' ')}."))
        for document in report.documents:
            if document.status == "not_found" or not document.evidence:
                continue
            e = document.evidence[0]
            where = _place(document.doc_id, e.clause, e.page)
            blocks.append(
                Block("li", f"{document.doc_id} [{document.body}] ({document.status}): “{e.quote[:240]}” ({where})")
            )
        for overlap in report.overlaps[:3]:
            blocks.append(
                Block("li", f"Overlap: {overlap.a.doc_id} [{overlap.a.body}] and {overlap.b.doc_id} [{overlap.b.body}]")
            )
        if finding.gaps:
            blocks.append(Block("li", f"Gap: no document of {', '.join(finding.gaps)} covers it."))
        for r in finding.examples[:2]:
            blocks.append(
                Block("li", f"Requirement ({r.strength}): “{r.text[:200]}” ({_place(r.doc_id, r.clause, r.page)})")
            )
    blocks.append(Block("h2", "4 References between bodies"))
    if figures and landscape.edges:
        blocks.append(
            Block("figure", "Figure 2: the reference graph between bodies", image=reference_graph_png(landscape))
        )
    blocks.append(
        Block(
            "table",
            header=("citing body", "cited body", "normative", "informative", "unknown"),
            rows=tuple(
                (e.citing, e.cited, str(e.normative), str(e.informative), str(e.unknown)) for e in landscape.edges
            ),
        )
    )
    for link in landscape.links:
        where = _place(link.citing, link.clause, link.page)
        blocks.append(Block("li", f"{link.citing} cites {link.cited} ({link.kind}) as [{link.label}] ({where})"))
    blocks.append(Block("h2", "5 Requirements per topic and body"))
    blocks.append(
        Block(
            "table",
            header=("topic", *landscape.bodies),
            rows=tuple(
                (f.topic.name, *(str(f.requirements.get(b, 0)) for b in landscape.bodies)) for f in landscape.topics
            ),
        )
    )
    blocks.append(Block("h2", "6 Meeting outcomes"))
    for o in landscape.outcomes.outcomes:
        to = f" → {o.to}" if o.to else ""
        blocks.append(Block("li", f"{o.kind.replace('_', ' ')}{to}: {o.text} ({_place(o.doc_id, o.clause, o.page)})"))
    return blocks


def _markdown(blocks: list[Block], figure_names: list[str]) -> str:
    lines: list[str] = []
    figures = iter(figure_names)
    for b in blocks:
        if b.kind in ("h1", "h2", "h3"):
            lines += ["#" * int(b.kind[1]) + " " + b.text, ""]
        elif b.kind == "p":
            lines += [b.text, ""]
        elif b.kind == "li":
            lines.append(f"- {b.text}")
        elif b.kind == "table":
            lines += ["", "| " + " | ".join(b.header) + " |", "|" + "---|" * len(b.header)]
            lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in b.rows]
            lines.append("")
        elif b.kind == "figure":
            lines += ["", f"![{b.text}]({next(figures)})", ""]
    return "\n".join(lines) + "\n"


def _html(blocks: list[Block]) -> str:
    parts = ["<!doctype html><meta charset='utf-8'><title>QKDN standards landscape</title>"]
    for b in blocks:
        if b.kind in ("h1", "h2", "h3", "p"):
            parts.append(f"<{b.kind}>{html.escape(b.text)}</{b.kind}>")
        elif b.kind == "li":
            parts.append(f"<ul><li>{html.escape(b.text)}</li></ul>")
        elif b.kind == "table":
            head = "".join(f"<th>{html.escape(h)}</th>" for h in b.header)
            body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in b.rows)
            parts.append(f"<table border='1'><tr>{head}</tr>{body}</table>")
        elif b.kind == "figure":
            data = base64.b64encode(b.image).decode()
            caption = html.escape(b.text)
            parts.append(f"<figure><img src='data:image/png;base64,{data}'><figcaption>{caption}</figcaption></figure>")
    return "\n".join(parts) + "\n"


def _docx(blocks: list[Block], path: Path) -> None:
    from docx import Document
    from docx.shared import Inches

    document = Document()
    for b in blocks:
        if b.kind in ("h1", "h2", "h3"):
            document.add_heading(b.text, level=int(b.kind[1]) - 1 if b.kind != "h1" else 0)
        elif b.kind == "p":
            document.add_paragraph(b.text)
        elif b.kind == "li":
            document.add_paragraph(b.text, style="List Bullet")
        elif b.kind == "table":
            table = document.add_table(rows=1, cols=len(b.header))
            table.style = "Table Grid"
            for cell, text in zip(table.rows[0].cells, b.header, strict=True):
                cell.text = text
            for row in b.rows:
                for cell, text in zip(table.add_row().cells, row, strict=True):
                    cell.text = text
        elif b.kind == "figure":
            document.add_picture(io.BytesIO(b.image), width=Inches(6.5))
            document.add_paragraph(b.text)
    document.save(str(path))


def write_landscape(landscape: Landscape, path: Path) -> None:
    """Write the report to ``path``: .md (figures as PNG files beside it), .docx or .html.

    Raises:
        UsageError: another suffix, or the file cannot be written.
    """
    suffix = path.suffix.lower()
    if suffix not in (".md", ".docx", ".html"):
        raise UsageError(f"--out must end in .md, .docx or .html, not {path.name!r}")
    blocks = landscape_blocks(landscape)
    try:
        if suffix == ".docx":
            _docx(blocks, path)
        elif suffix == ".html":
            path.write_text(_html(blocks), encoding="utf-8")
        else:
            names = []
            for n, b in enumerate(b for b in blocks if b.kind == "figure"):
                name = f"{path.stem}-figure-{n + 1}.png"
                (path.parent / name).write_bytes(b.image)
                names.append(name)
            path.write_text(_markdown(blocks, names), encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc}") from exc
