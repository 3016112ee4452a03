"""The Gradio app. For now: search the indexed corpus with filters, hits shown with
document, edition, clause and page. Cited answers, coverage, liaison drafting and the
library tab come with the later issues.

Gradio types stay in this module; the logic it calls (:mod:`.retrieve`) knows nothing
of them. Building the app loads nothing heavy; the model loads on the first search.
"""

from __future__ import annotations

import os
from typing import Any

from .config import Settings
from .errors import QkdnError
from .index import Index
from .retrieve import Searcher
from .types import Hit

__all__ = ["build_ui", "format_hits"]

ALL = "(all)"


def format_hits(hits: list[Hit]) -> str:
    """Hits as Markdown: a citation line, then the passage quoted."""
    if not hits:
        return "_No passage matches._"
    parts = []
    for n, hit in enumerate(hits, start=1):
        c = hit.chunk
        edition = f" {c.edition}" if c.edition else ""
        clause = f", clause {c.clause}" if c.clause else ""
        pages = f"p. {c.page}" if c.page == c.page_end else f"pp. {c.page}–{c.page_end}"
        label = f" (printed {c.page_label})" if c.page_label and c.page_label != str(c.page) else ""
        quote = "\n".join(f"> {line}" for line in c.text.splitlines() if line.strip())
        parts.append(f"**[{n}] {c.doc_id}{edition}{clause}, {pages}{label}** — `{c.source}`\n\n{quote}")
    return "\n\n---\n\n".join(parts)


def build_ui(settings: Settings, searcher: Searcher | None = None) -> Any:
    """The Gradio Blocks app over the configured index (or the given searcher)."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # nothing leaves the machine
    import gradio as gr

    from .embedding import Embedder

    searcher = searcher or Searcher(Index(settings.index), Embedder.from_settings(settings))
    documents = searcher.documents()
    bodies = sorted({d.info.body for d in documents if d.info.body})
    doc_ids = sorted({d.info.doc_id for d in documents})

    def search(query: str, body: str, doc: str, k: float) -> str:
        if not query.strip():
            return "_Type a question, a term or an identifier (FIPS 203, QKD 014 clause 5.2, ML-KEM-768)._"
        try:
            hits = searcher.search(query, int(k), body=None if body == ALL else body, doc=None if doc == ALL else doc)
        except QkdnError as exc:
            return f"**Error:** {exc}"
        return format_hits(hits)

    with gr.Blocks(title="qkdnassist") as app:
        gr.Markdown(
            f"# qkdnassist\nSearch {len(documents)} indexed documents "
            f"({', '.join(bodies) or 'none yet: run `qkdnassist ingest`'})."
        )
        with gr.Row():
            query = gr.Textbox(
                label="Question, term or identifier",
                scale=4,
                elem_id="query",
                placeholder="e.g. What TLS version must the SAE–KME link use?",
            )
            button = gr.Button("Search", variant="primary", scale=1, elem_id="search")
        with gr.Row():
            body = gr.Dropdown([ALL, *bodies], value=ALL, label="Body")
            doc = gr.Dropdown([ALL, *doc_ids], value=ALL, label="Document")
            k = gr.Slider(1, 20, value=5, step=1, label="Passages")
        results = gr.Markdown(elem_id="results")
        query.submit(search, [query, body, doc, k], results)
        button.click(search, [query, body, doc, k], results)
    return app
