"""The Gradio app: ask (a streaming chat with checked citations) and search the indexed
corpus, with body and document filters. Coverage, liaison drafting and the library
tab come with the later issues.

Gradio types stay in this module; the logic it calls (:mod:`.retrieve`) knows nothing
of them. Building the app loads nothing heavy; the model loads on the first search.
"""

from __future__ import annotations

import os
from typing import Any

from .answer import Assistant
from .citations import format_citation
from .config import Settings
from .errors import QkdnError
from .index import Index
from .retrieve import Searcher
from .types import Answer, Hit

__all__ = ["build_ui", "format_answer_sources", "format_hits"]

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


def format_answer_sources(answer: Answer) -> str:
    """The citations of an answer as Markdown: the citation, the file, the quote."""
    if answer.abstained:
        head = "**Not covered by the indexed documents.** Nearest passages:\n\n"
        return head + format_hits(list(answer.hits[:3]))
    parts = [f"**[{c.n}] {format_citation(c)}** — `{c.source}`\n\n> {c.quote}" for c in answer.citations]
    notes = "".join(f"\n\n_Note: {note}_" for note in answer.notes)
    return ("\n\n".join(parts) or "_No citations._") + notes


def build_ui(settings: Settings, searcher: Searcher | None = None, assistant: Assistant | None = None) -> Any:
    """The Gradio Blocks app over the configured index (or the given searcher/assistant)."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # nothing leaves the machine
    import gradio as gr

    from .embedding import Embedder
    from .llm import chat_model, describe_llm

    if assistant is not None:
        searcher = assistant.searcher
    searcher = searcher or Searcher(Index(settings.index), Embedder.from_settings(settings))
    if assistant is None:
        assistant = Assistant(
            searcher, llm=chat_model(settings), settings=settings, context_tokens=settings.llm_context
        )
    mode = (
        f"LLM mode — {describe_llm(assistant.settings)}; every citation checked"
        if assistant.llm is not None
        else "Evidence mode — extractive answers quoted from the documents (no language model)"
    )
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

    def ask(message: str, history: list[dict[str, Any]], body: str, doc: str) -> Any:
        message = " ".join((message or "").split())
        if not message:
            yield history, "", "_Ask a question about the indexed documents._"
            return
        previous = list(history)
        history = [*previous, {"role": "user", "content": message}, {"role": "assistant", "content": ""}]
        filters = {"body": None if body == ALL else body, "doc": None if doc == ALL else doc}
        try:
            for event in assistant.stream(message, previous, filters=filters):
                if isinstance(event, Answer):
                    history[-1] = {"role": "assistant", "content": event.text}
                    yield history, "", format_answer_sources(event)
                else:
                    history[-1] = {"role": "assistant", "content": history[-1]["content"] + event}
                    yield history, "", "_…_"
        except QkdnError as exc:
            history[-1] = {"role": "assistant", "content": f"Error: {exc}"}
            yield history, "", ""

    with gr.Blocks(title="qkdnassist") as app:
        gr.Markdown(
            f"# qkdnassist\n{len(documents)} indexed documents "
            f"({', '.join(bodies) or 'none yet: run `qkdnassist ingest`'})."
        )
        gr.Markdown(f"**{mode}**", elem_id="mode")
        with gr.Tab("Ask"):
            chat = gr.Chatbot(label="Conversation", elem_id="chat", height=420)
            with gr.Row():
                question = gr.Textbox(
                    label="Question",
                    scale=4,
                    elem_id="question",
                    placeholder="e.g. Which URL does a slave SAE call to get keys with key IDs?",
                )
                ask_button = gr.Button("Ask", variant="primary", scale=1, elem_id="ask")
            with gr.Row():
                ask_body = gr.Dropdown([ALL, *bodies], value=ALL, label="Body")
                ask_doc = gr.Dropdown([ALL, *doc_ids], value=ALL, label="Document")
            sources = gr.Markdown(elem_id="sources")
            inputs = [question, chat, ask_body, ask_doc]
            question.submit(ask, inputs, [chat, question, sources], api_name="ask")
            ask_button.click(ask, inputs, [chat, question, sources], api_visibility="private")
        with gr.Tab("Search"):
            _search_tab(gr, search, bodies, doc_ids)
    return app


def _search_tab(gr: Any, search: Any, bodies: list[str], doc_ids: list[str]) -> None:
    """The search tab: a query, filters, and hits rendered as citations."""
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
    query.submit(search, [query, body, doc, k], results, api_name="search")
    button.click(search, [query, body, doc, k], results, api_visibility="private")
