"""What the web app shows, as Markdown or HTML: hits, an answer's sources, a cited page
with its quote marked, the coverage heat-map, the library table.

Pure functions of the workflows' dataclasses (and, for pages and file links, the
index and the corpus folder); no Gradio types. File links serve only files inside the
corpus folder.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from ..citations import format_citation
from ..config import Settings
from ..types import Answer, Citation, Hit
from ..workflows.library import Upload
from .render import passage_place
from .state import AppState

__all__ = [
    "failures_markdown",
    "file_link",
    "format_answer_sources",
    "format_hits",
    "gradio_uploads",
    "heatmap_html",
    "library_rows",
    "passage_view",
    "scope_view",
]

_COLORS = {"covered": "#1a7f37", "partial": "#d4a72c", "not_found": "#eaeef2"}


def format_hits(hits: list[Hit]) -> str:
    """Hits as Markdown: a citation line, then the passage quoted."""
    if not hits:
        return "_No passage matches._"
    parts = []
    for n, hit in enumerate(hits, start=1):
        c = hit.chunk
        quote = "\n".join(f"> {line}" for line in c.text.splitlines() if line.strip())
        parts.append(f"**[{n}] {passage_place(c)}** — `{c.source}`\n\n{quote}")
    return "\n\n---\n\n".join(parts)


def format_answer_sources(answer: Answer) -> str:
    """The citations of an answer as Markdown: the citation, the file, the quote."""
    if answer.abstained:
        head = "**Not covered by the indexed documents.** Nearest passages:\n\n"
        return head + format_hits(list(answer.hits[:3]))
    parts = [f"**[{c.n}] {format_citation(c)}** — `{c.source}`\n\n> {c.quote}" for c in answer.citations]
    notes = "".join(f"\n\n_Note: {note}_" for note in answer.notes)
    return ("\n\n".join(parts) or "_No citations._") + notes


def file_link(settings: Settings, source: str, page: int) -> str:
    """A link that opens a corpus file at a page (only files inside the corpus are served)."""
    path = (settings.corpus / source).resolve()
    if not path.is_relative_to(settings.corpus.resolve()) or not path.is_file():
        return ""
    anchor = f"#page={page}" if path.suffix.lower() == ".pdf" else ""
    return f"/gradio_api/file={path}{anchor}"


def passage_view(state: AppState, citation: Citation) -> str:
    """The cited page's text with the quote highlighted, and a link to the file at that page."""
    pages = {p.number: p for p in state.searcher.index.pages(citation.source)}
    page = pages.get(citation.page)
    text = " ".join(page.text.split()) if page else ""
    shown = html.escape(text)
    quote = html.escape(citation.quote)
    if quote and quote in shown:
        shown = shown.replace(quote, f'<mark id="quote">{quote}</mark>', 1)
    link = file_link(state.settings, citation.source, citation.page)
    opener = (
        f' — <a href="{link}" target="_blank" id="open-page">open the file at p. {citation.page}</a>' if link else ""
    )
    return (
        f'<div id="passage"><p><b>[{citation.n}] {html.escape(format_citation(citation))}</b>{opener}</p>'
        f'<p style="max-height:24em;overflow:auto">{shown}</p></div>'
    )


def heatmap_html(reports: list[Any]) -> str:
    """Topics × documents as a coloured table, documents grouped by body."""
    from ..workflows.coverage import document_columns

    columns = document_columns(reports)
    head = "".join(
        f'<th title="{html.escape(d.doc_id)}" style="writing-mode:vertical-rl;font-weight:normal;font-size:11px">'
        f"{html.escape(d.body)}<br>{html.escape(d.doc_id)}</th>"
        for d in columns
    )
    rows = []
    for report in reports:
        status = {d.doc_id: d.status for d in report.documents}
        cells = "".join(
            f'<td title="{status.get(d.doc_id, "not_found")}" class="{status.get(d.doc_id, "not_found")}" '
            f'style="background:{_COLORS[status.get(d.doc_id, "not_found")]};min-width:18px"></td>'
            for d in columns
        )
        rows.append(f"<tr><td>{html.escape(report.topic[:80])}</td>{cells}</tr>")
    legend = " ".join(
        f'<span style="background:{color};padding:0 8px;margin:0 4px"></span>{name.replace("_", " ")}'
        for name, color in _COLORS.items()
    )
    return (
        f'<div id="heatmap"><table style="border-collapse:separate;border-spacing:2px"><tr><th></th>{head}</tr>'
        f"{''.join(rows)}</table><p>{legend}</p></div>"
    )


def library_rows(state: AppState, *, body: str = "", status: str = "", doc_type: str = "") -> list[list[Any]]:
    """The library as the standards database shows it: a row per document, its ISO date,
    status (a superseded edition names its current one) and type; only the rows of the
    body, status and type given (empty: every one)."""
    from ..workflows.catalogue import catalogue_of

    entries = catalogue_of(state.searcher.documents(), {}).by_source()
    rows = []
    for d in state.searcher.documents():
        e = entries[d.source]
        if (body and e.body != body) or (status and e.status != status) or (doc_type and e.doc_type != doc_type):
            continue
        shown = e.status if e.is_current else f"superseded by {e.current}"
        rows.append(
            [d.info.doc_id, d.info.body, d.info.edition, e.date, shown, e.doc_type, d.pages, d.chunks, d.source]
        )
    return rows


def scope_view(state: AppState, source: str) -> str:
    """A document's scope (or abstract) quoted with its page, and a link to the file there."""
    from ..workflows.catalogue import find_scope

    pages = state.searcher.index.pages(source)
    scope = find_scope(pages[:12])
    if scope is None:
        return f"`{source}`: no Scope, Abstract or Introduction found on its first pages."
    link = file_link(state.settings, source, scope.page)
    opener = f" — [open the file at p. {scope.page}]({link})" if link else ""
    return f"**Scope** (`{source}`, p. {scope.page}){opener}\n\n> {scope.text}"


def gradio_uploads(files: list[Any] | None) -> list[Upload]:
    """Gradio's uploaded files (paths or file objects) with the names they came with."""
    uploads = []
    for item in files or []:
        path = Path(item if isinstance(item, str) else item.name)
        uploads.append(Upload(path, getattr(item, "orig_name", None) or path.name))
    return uploads


def failures_markdown(state: AppState) -> str:
    """Files the app's ingests could not read, with the reason."""
    if not state.failures:
        return ""
    return "**Files that could not be indexed:**\n\n" + "\n".join(f"- `{f.source}`: {f.reason}" for f in state.failures)
