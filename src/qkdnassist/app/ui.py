"""The Gradio app: ask (streaming chat with checked citations), check coverage, draft
liaison replies, manage the library, and search — over the configured index.

Gradio types stay in this module; the logic it calls (:mod:`..answer`, the workflows)
knows nothing of them, and what it shows is rendered by :mod:`.views`. Building the app
loads nothing heavy; the model loads on the first question. Uploaded files are stored
only inside the corpus folder, under a cleaned name (:mod:`..workflows.library`).
"""

from __future__ import annotations

import html
import os
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..answer import Assistant
from ..citations import format_citation
from ..config import Settings
from ..editions import DOC_TYPES
from ..errors import QkdnError
from ..limits import MAX_QUESTION_CHARS, UPLOAD_TYPES
from ..search.retrieve import Searcher
from ..store.index import Index
from ..types import Answer, Citation
from ..workflows.library import remove_document, store_uploads
from .state import AppState
from .views import (
    failures_markdown,
    format_answer_sources,
    format_hits,
    gradio_uploads,
    heatmap_html,
    library_rows,
    passage_view,
    scope_view,
)

__all__ = ["build_ui"]

ALL = "(all)"
# "current": each document's current edition, or those the question names; "all": every edition.
EDITIONS = ["current", "all"]
STATUSES = ("published", "draft", "superseded", "withdrawn")


def build_ui(settings: Settings, searcher: Searcher | None = None, assistant: Assistant | None = None) -> Any:
    """The Gradio Blocks app over the configured index (or the given searcher/assistant)."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # nothing leaves the machine
    import gradio as gr

    from ..embedding import Embedder
    from ..llm import chat_model, describe_llm

    if assistant is None:
        searcher = searcher or Searcher(Index.from_settings(settings), Embedder.from_settings(settings))
        assistant = Assistant(
            searcher, llm=chat_model(settings), settings=settings, context_tokens=settings.llm_context
        )
    state = AppState(settings, assistant)
    mode = (
        f"LLM mode — {describe_llm(assistant.settings)}; every citation is checked against its source"
        if assistant.llm is not None
        else "Evidence mode — extractive answers quoted from the documents (no language model)"
    )

    with gr.Blocks(title="qkdnassist") as app:
        app.qkdn_state = state
        gr.Markdown("# qkdnassist")
        status = gr.Markdown(state.status(), elem_id="status")
        gr.Markdown(f"**{mode}**", elem_id="mode")
        gr.Timer(3.0).tick(state.status, None, status, show_progress="hidden", api_visibility="private")
        with gr.Tab("Ask", elem_id="tab-ask"):
            _ask_tab(gr, state)
        with gr.Tab("Coverage", elem_id="tab-coverage"):
            _coverage_tab(gr, state)
        with gr.Tab("Liaison", elem_id="tab-liaison"):
            _liaison_tab(gr, state)
        with gr.Tab("Library", elem_id="tab-library"):
            _library_tab(gr, state, status)
        with gr.Tab("Search", elem_id="tab-search"):
            _search_tab(gr, state)
    return app


def _filters(state: AppState) -> tuple[list[str], list[str]]:
    documents = state.searcher.documents()
    return [ALL, *sorted({d.info.body for d in documents if d.info.body})], [
        ALL,
        *sorted({d.info.doc_id for d in documents}),
    ]


# --- Ask --------------------------------------------------------------------------------


def _ask_tab(gr: Any, state: AppState) -> None:
    bodies, doc_ids = _filters(state)
    chat = gr.Chatbot(label="Conversation", elem_id="chat", height=380)
    with gr.Row():
        question = gr.Textbox(
            label="Question",
            scale=4,
            elem_id="question",
            placeholder="e.g. Which URL does a slave SAE call to get keys with key IDs?",
        )
        ask_button = gr.Button("Ask", variant="primary", scale=1, elem_id="ask")
    with gr.Row():
        body = gr.Dropdown(bodies, value=ALL, label="Body")
        doc = gr.Dropdown(doc_ids, value=ALL, label="Document")
        edition = gr.Dropdown(EDITIONS, value="current", label="Editions", elem_id="edition")
    sources = gr.Markdown(elem_id="sources")
    with gr.Row():
        cite = gr.Dropdown([], label="Open a citation", elem_id="citation", interactive=True)
    passage = gr.HTML(elem_id="passage-view")
    cited = gr.State([])  # this session's last citations

    def ask(message: str, history: list[dict[str, Any]], body: str, doc: str, edition: str) -> Iterator[Any]:
        message = " ".join((message or "").split())
        if not message:
            yield history, "", "_Ask a question about the indexed documents._", gr.update(choices=[], value=None), []
            return
        if len(message) > MAX_QUESTION_CHARS:
            notice = f"**Error:** the question is longer than {MAX_QUESTION_CHARS:,} characters."
            yield history, "", notice, gr.update(), []
            return
        previous = list(history)
        history = [*previous, {"role": "user", "content": message}, {"role": "assistant", "content": ""}]
        filters = {"body": None if body == ALL else body, "doc": None if doc == ALL else doc, "edition": edition}
        try:
            for event in state.assistant.stream(message, previous, filters=filters):
                if isinstance(event, Answer):
                    history[-1] = {"role": "assistant", "content": event.text}
                    choices = [f"[{c.n}] {format_citation(c)}" for c in event.citations]
                    update = gr.update(choices=choices, value=None)
                    yield history, "", format_answer_sources(event), update, list(event.citations)
                else:
                    history[-1] = {"role": "assistant", "content": history[-1]["content"] + event}
                    yield history, "", "_…_", gr.update(), []
        except QkdnError as exc:
            history[-1] = {"role": "assistant", "content": f"Error: {exc}"}
            yield history, "", "", gr.update(choices=[], value=None), []

    def open_citation(choice: str | None, citations: list[Citation]) -> str:
        if not choice or not choice.startswith("["):
            return ""
        n = int(choice[1 : choice.index("]")])
        citation = next((c for c in citations if c.n == n), None)
        return passage_view(state, citation) if citation else ""

    outputs = [chat, question, sources, cite, cited]
    inputs = [question, chat, body, doc, edition]
    question.submit(ask, inputs, outputs, api_name="ask", concurrency_limit=4)
    ask_button.click(ask, inputs, outputs, api_visibility="private", concurrency_limit=4)
    cite.change(open_citation, [cite, cited], passage, api_name="citation")


# --- Coverage ---------------------------------------------------------------------------


def _coverage_tab(gr: Any, state: AppState) -> None:
    from ..workflows.coverage import CoverageChecker, matrix_csv, matrix_markdown, topics_of

    checker = CoverageChecker(state.searcher, pieces=state.assistant.word_pieces)
    topics = gr.Textbox(
        label="Topics (one a line) or a pasted draft",
        lines=4,
        elem_id="topics",
        placeholder="key delivery API between applications and key managers\ntrusted node key relay",
    )
    check = gr.Button("Check coverage", variant="primary", elem_id="check")
    heatmap = gr.HTML(elem_id="heatmap-view")
    table = gr.Dataframe(
        headers=["topic", "document", "body", "status", "clause", "page", "evidence"],
        elem_id="coverage-table",
        wrap=True,
    )
    with gr.Row():
        csv_file = gr.File(label="CSV", elem_id="coverage-csv")
        md_file = gr.File(label="Markdown", elem_id="coverage-md")

    def run(text: str) -> Any:
        topics = topics_of(text)
        if not topics:
            return "<p>Type one topic a line.</p>", [], None, None
        try:
            reports = [checker.check(t) for t in topics]
        except QkdnError as exc:
            return f"<p><b>Error:</b> {html.escape(str(exc))}</p>", [], None, None
        rows = [
            [
                r.topic[:80],
                d.doc_id,
                d.body,
                d.status.replace("_", " "),
                d.evidence[0].clause if d.evidence else "",
                d.evidence[0].page if d.evidence else "",
                d.evidence[0].quote[:300] if d.evidence else "",
            ]
            for r in reports
            for d in r.documents
            if d.status != "not_found"
        ]
        folder = Path(tempfile.mkdtemp(prefix="qkdn-coverage-"))
        (folder / "coverage.csv").write_text(matrix_csv(reports), encoding="utf-8")
        (folder / "coverage.md").write_text(matrix_markdown(reports), encoding="utf-8")
        return heatmap_html(reports), rows, str(folder / "coverage.csv"), str(folder / "coverage.md")

    check.click(run, topics, [heatmap, table, csv_file, md_file], api_name="coverage", concurrency_limit=2)


# --- Liaison ----------------------------------------------------------------------------


def _liaison_tab(gr: Any, state: AppState) -> None:
    from ..workflows.liaison import (
        ACTIONS,
        LiaisonFields,
        draft_reply,
        extract_questions,
        incoming_ls,
        to_docx,
        to_markdown,
    )

    with gr.Row():
        to = gr.Textbox(label="To (addressees)", elem_id="ls-to")
        source = gr.Textbox(label="Source (replying group)", elem_id="ls-source")
        action = gr.Radio(list(ACTIONS), value="information", label="For", elem_id="ls-action")
    with gr.Row():
        title = gr.Textbox(label="Title (default: Reply to the incoming LS)", elem_id="ls-title")
        deadline = gr.Textbox(label="Deadline", elem_id="ls-deadline")
        contact = gr.Textbox(label="Contact (name, organization, e-mail)", elem_id="ls-contact")
    questions = gr.Textbox(label="Questions (one a line), or upload the incoming LS", lines=5, elem_id="ls-questions")
    incoming = gr.File(label="Incoming LS (.docx, .pdf, .txt)", file_types=list(UPLOAD_TYPES), elem_id="ls-incoming")
    draft_button = gr.Button("Draft reply", variant="primary", elem_id="draft")
    preview = gr.Markdown(elem_id="ls-preview")
    with gr.Row():
        docx_file = gr.File(label=".docx", elem_id="ls-docx")
        md_file = gr.File(label="Markdown", elem_id="ls-md")

    def run(to: str, source: str, action: str, title: str, deadline: str, contact: str, text: str, upload: Any) -> Any:
        try:
            stated: dict[str, str] = {}
            exclude: tuple[str, ...] = ()
            if upload:
                path = Path(upload if isinstance(upload, str) else upload.name)
                incoming = incoming_ls(path, state.searcher.documents())
                text, stated, exclude = incoming.text, incoming.fields, incoming.exclude
            fields = LiaisonFields(
                source=source,
                title=title,
                action=action,
                to=to or stated.get("Source", ""),
                deadline=deadline,
                contact=contact,
                incoming=stated.get("Title", path.name) if upload else "",
            )
            draft = draft_reply(state.assistant, extract_questions(text or ""), fields, exclude=exclude)
        except QkdnError as exc:
            return f"**Error:** {exc}", None, None
        folder = Path(tempfile.mkdtemp(prefix="qkdn-liaison-"))
        markdown = to_markdown(draft)
        (folder / "reply.md").write_text(markdown, encoding="utf-8")
        to_docx(draft, folder / "reply.docx")
        return markdown, str(folder / "reply.docx"), str(folder / "reply.md")

    inputs = [to, source, action, title, deadline, contact, questions, incoming]
    draft_button.click(run, inputs, [preview, docx_file, md_file], api_name="liaison", concurrency_limit=2)


# --- Library ----------------------------------------------------------------------------


def _library_tab(gr: Any, state: AppState, status: Any) -> None:
    headers = ["doc_id", "body", "edition", "date", "status", "type", "pages", "passages", "source"]
    bodies, _ = _filters(state)
    with gr.Row():
        by_body = gr.Dropdown(bodies, value=ALL, label="Body", elem_id="library-body")
        by_status = gr.Dropdown([ALL, *STATUSES], value=ALL, label="Status", elem_id="library-status")
        by_type = gr.Dropdown([ALL, *DOC_TYPES], value=ALL, label="Type", elem_id="library-type")
    library = gr.Dataframe(library_rows(state), headers=headers, elem_id="library", interactive=False, wrap=True)
    scope = gr.Markdown(elem_id="library-scope")
    upload = gr.File(
        label=f"Add documents ({', '.join(UPLOAD_TYPES)}; up to {state.settings.upload_mb} MB each)",
        file_count="multiple",
        file_types=list(UPLOAD_TYPES),
        elem_id="upload",
    )
    report = gr.Markdown(elem_id="upload-report")
    failures = gr.Markdown(failures_markdown(state), elem_id="failures")
    with gr.Row():
        sources = [d.source for d in state.searcher.documents()]
        remove = gr.Dropdown(sources, value=None, label="Remove a document", elem_id="remove")
        remove_button = gr.Button("Remove", variant="stop", elem_id="remove-button")
        refresh = gr.Button("Refresh", elem_id="refresh")

    def add(files: list[Any], progress: Any = gr.Progress()) -> Any:  # noqa: B008 (Gradio's idiom)
        stored, refused = store_uploads(state.settings, gradio_uploads(files))
        lines = [f"- refused: {reason}" for reason in refused]
        if stored:

            def tick(source: str, done: int, total: int) -> None:
                progress((done, total), desc=f"indexing {source}")

            try:
                result = state.ingest(stored, tick)
                lines += [f"- indexed **{f.doc_id}** ({f.pages} pages, {f.chunks} passages)" for f in result.indexed]
                lines += [f"- already indexed: {s}" for s in result.unchanged]
                lines += [f"- **failed** {f.source}: {f.reason}" for f in result.failed]
            except QkdnError as exc:
                lines.append(f"- **failed**: {exc}")
        sources = [d.source for d in state.searcher.documents()]
        return "\n".join(lines) or "_Nothing added._", library_rows(state), gr.update(choices=sources), state.status()

    def drop(source: str | None) -> Any:
        if not source:
            return "_Choose a document to remove._", library_rows(state), gr.update(), state.status()
        try:
            remove_document(replace(state.settings, index=state.searcher.index.folder), source)
            done = f"- removed {source}"
        except QkdnError as exc:
            done = f"- **not removed** {source}: {exc}"
        sources = [d.source for d in state.searcher.documents()]
        return done, library_rows(state), gr.update(choices=sources, value=None), state.status()

    def reload() -> Any:
        sources = [d.source for d in state.searcher.documents()]
        return library_rows(state), gr.update(choices=sources), failures_markdown(state), state.status()

    def filtered(body: str, shown: str, doc_type: str) -> Any:
        return library_rows(
            state,
            body="" if body == ALL else body,
            status="" if shown == ALL else shown,
            doc_type="" if doc_type == ALL else doc_type,
        )

    def open_scope(rows: Any, evt: gr.SelectData) -> str:
        data = rows.values.tolist() if hasattr(rows, "values") else rows
        row = evt.index[0] if isinstance(evt.index, list | tuple) else evt.index
        return scope_view(state, str(data[row][-1])) if 0 <= row < len(data) else ""

    for choice in (by_body, by_status, by_type):
        choice.change(filtered, [by_body, by_status, by_type], library, api_visibility="private")
    library.select(open_scope, library, scope, api_visibility="private")

    outputs = [report, library, remove, status]
    upload.upload(add, upload, outputs, api_name="upload", concurrency_limit=1)
    remove_button.click(drop, remove, outputs, api_name="remove", concurrency_limit=1)
    refresh.click(reload, None, [library, remove, failures, status], api_name="library")


# --- Search -----------------------------------------------------------------------------


def _search_tab(gr: Any, state: AppState) -> None:
    """The search tab: a query, filters, and hits rendered as citations."""
    bodies, doc_ids = _filters(state)

    def search(query: str, body: str, doc: str, k: float, edition: str) -> str:
        if not query.strip():
            return "_Type a question, a term or an identifier (FIPS 203, QKD 014 clause 5.2, ML-KEM-768)._"
        try:
            hits = state.searcher.search(
                query, int(k), body=None if body == ALL else body, doc=None if doc == ALL else doc, edition=edition
            )
        except QkdnError as exc:
            return f"**Error:** {exc}"
        return format_hits(hits)

    with gr.Row():
        query = gr.Textbox(
            label="Question, term or identifier",
            scale=4,
            elem_id="query",
            placeholder="e.g. What TLS version must the SAE–KME link use?",
        )
        button = gr.Button("Search", variant="primary", scale=1, elem_id="search")
    with gr.Row():
        body = gr.Dropdown(bodies, value=ALL, label="Body")
        doc = gr.Dropdown(doc_ids, value=ALL, label="Document")
        k = gr.Slider(1, 20, value=5, step=1, label="Passages")
        edition = gr.Dropdown(EDITIONS, value="current", label="Editions")
    results = gr.Markdown(elem_id="results")
    query.submit(search, [query, body, doc, k, edition], results, api_name="search")
    button.click(search, [query, body, doc, k, edition], results, api_visibility="private")
