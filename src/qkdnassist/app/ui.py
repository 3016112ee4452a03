"""The Gradio app: ask (streaming chat with checked citations), check coverage, draft
liaison replies, manage the library, and search — over the configured index.

Gradio types stay in this module; the logic it calls (:mod:`.answer`, :mod:`.coverage`,
:mod:`.liaison`, :mod:`.ingest`) knows nothing of them. Building the app loads nothing
heavy; the model loads on the first question. Uploaded files are stored only inside
the corpus folder, under a cleaned name; file links serve only files of the corpus.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import tempfile
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..answer import Assistant
from ..citations import format_citation
from ..config import Settings
from ..errors import QkdnError
from ..search.retrieve import Searcher
from ..store.index import Index
from ..types import Answer, Citation, FileFailure, Hit, IngestReport

__all__ = ["UPLOAD_TYPES", "AppState", "build_ui", "format_answer_sources", "format_hits", "safe_upload_name"]

ALL = "(all)"
UPLOAD_TYPES = (".pdf", ".docx", ".txt", ".md")
# A stored name's stem is cut at this many characters, and the whole name at this many
# UTF-8 bytes: file systems count bytes (255 on ext4, XFS, Btrfs), and 120 CJK characters
# are already 360.
UPLOAD_NAME_CHARS = 120
UPLOAD_NAME_BYTES = 200
_COLORS = {"covered": "#1a7f37", "partial": "#d4a72c", "not_found": "#eaeef2"}


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


def safe_upload_name(name: str) -> str:
    """A file name safe to store in the corpus folder: no folders, no "..", no control
    or odd characters, a known suffix kept; the stem cut at 120 characters and the whole
    name at 200 UTF-8 bytes.

    >>> safe_upload_name("../../etc/passwd.pdf")
    'passwd.pdf'
    >>> safe_upload_name("C:\\\\docs\\\\LS 17 (draft).DOCX")
    'LS 17 (draft).docx'

    Raises:
        QkdnError: nothing usable is left of the name, or its type is not accepted.
    """
    base = unicodedata.normalize("NFKC", name).replace("\\", "/").split("/")[-1]
    stem, dot, suffix = base.rpartition(".")
    suffix = f".{suffix.lower()}" if dot else ""
    if suffix not in UPLOAD_TYPES:
        raise QkdnError(f"{name!r}: only {', '.join(UPLOAD_TYPES)} files can be added")
    stem = re.sub(r"[^\w .()\-]+", "_", stem).strip(" ._")[:UPLOAD_NAME_CHARS]
    # "ignore" drops the bytes of a character the cut went through: none is split.
    budget = UPLOAD_NAME_BYTES - len(suffix.encode())
    stem = stem.encode()[:budget].decode(errors="ignore").rstrip(" ._")
    if not stem:
        raise QkdnError(f"{name!r}: the file name has nothing usable left")
    return stem + suffix


@dataclass
class AppState:
    """What the app shares between users: the assistant, and the background ingest."""

    settings: Settings
    assistant: Assistant
    ingest_lock: threading.Lock = field(default_factory=threading.Lock)
    ingest_status: str = ""
    last_ingest: str = ""
    failures: list[FileFailure] = field(default_factory=list)

    @property
    def searcher(self) -> Searcher:
        return self.assistant.searcher

    def status(self) -> str:
        """The status line: index size, embedder, language model, last ingest."""
        from ..llm import describe_llm

        documents = self.searcher.documents()
        chunks = sum(d.chunks for d in documents)
        parts = [
            f"{len(documents)} documents, {chunks} passages",
            f"embedder: {self.settings.embed_model}",
            f"LLM: {describe_llm(self.assistant.settings)}",
        ]
        if self.ingest_status:
            parts.append(self.ingest_status)
        elif self.last_ingest:
            parts.append(f"last ingest: {self.last_ingest}")
        return " · ".join(parts)

    def ingest(self, paths: list[Path] | None, progress: Callable[[str, int, int], None] | None = None) -> IngestReport:
        """Ingest ``paths`` (default: the corpus) unless an ingest is already running.

        Raises:
            QkdnError: another ingest is running, or the ingest fails.
        """
        from ..ingest import ingest

        if not self.ingest_lock.acquire(blocking=False):
            raise QkdnError("an ingest is already running; try again when it has finished")
        try:

            def track(source: str, done: int, total: int) -> None:
                self.ingest_status = f"ingesting {done}/{total} files"
                if progress:
                    progress(source, done, total)

            self.ingest_status = "ingesting…"
            # Its own connection: searches on the app's index never see an open transaction.
            index = Index.from_settings(replace(self.settings, index=self.searcher.index.folder))
            try:
                report = ingest(
                    paths, settings=self.settings, index=index, embedder=self.searcher.embedder, progress=track
                )
            finally:
                index.close()
            self.last_ingest = time.strftime("%Y-%m-%d %H:%M", time.localtime()) + (
                f" ({len(report.indexed)} indexed, {len(report.failed)} failed)"
            )
            known = {f.source for f in report.failed}
            self.failures = [f for f in self.failures if f.source not in known] + list(report.failed)
            return report
        finally:
            self.ingest_status = ""
            self.ingest_lock.release()

    def ingest_in_background(self) -> threading.Thread:
        """Index the corpus in a thread (first start on an empty index)."""

        def run() -> None:
            try:
                self.ingest(None)
            except QkdnError as exc:
                self.last_ingest = f"failed: {exc}"

        thread = threading.Thread(target=run, name="qkdnassist-first-ingest", daemon=True)
        thread.start()
        return thread


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
    sources = gr.Markdown(elem_id="sources")
    with gr.Row():
        cite = gr.Dropdown([], label="Open a citation", elem_id="citation", interactive=True)
    passage = gr.HTML(elem_id="passage-view")
    cited = gr.State([])  # this session's last citations

    def ask(message: str, history: list[dict[str, Any]], body: str, doc: str) -> Iterator[Any]:
        message = " ".join((message or "").split())
        if not message:
            yield history, "", "_Ask a question about the indexed documents._", gr.update(choices=[], value=None), []
            return
        if len(message) > 2000:
            yield history, "", "**Error:** the question is longer than 2,000 characters.", gr.update(), []
            return
        previous = list(history)
        history = [*previous, {"role": "user", "content": message}, {"role": "assistant", "content": ""}]
        filters = {"body": None if body == ALL else body, "doc": None if doc == ALL else doc}
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
    question.submit(ask, [question, chat, body, doc], outputs, api_name="ask", concurrency_limit=4)
    ask_button.click(ask, [question, chat, body, doc], outputs, api_visibility="private", concurrency_limit=4)
    cite.change(open_citation, [cite, cited], passage, api_name="citation")


# --- Coverage ---------------------------------------------------------------------------


def heatmap_html(reports: list[Any]) -> str:
    """Topics × documents as a coloured table, documents grouped by body."""
    from ..workflows.coverage import _columns

    columns = _columns(reports)
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


def _coverage_tab(gr: Any, state: AppState) -> None:
    from ..workflows.coverage import CoverageChecker, matrix_csv, matrix_markdown

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
        lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
        if not lines:
            return "<p>Type one topic a line.</p>", [], None, None
        # Several short lines are several topics; one long line or a paragraph is a draft.
        as_topics = len(lines) > 1 and all(len(line.split()) <= 16 for line in lines)
        try:
            reports = [checker.check(t) for t in (lines if as_topics else [" ".join(lines)])]
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
    from ..fileutil import sha256_file
    from ..workflows.liaison import (
        ACTIONS,
        LiaisonFields,
        draft_reply,
        extract_questions,
        read_incoming,
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
            exclude: list[str] = []
            if upload:
                path = Path(upload if isinstance(upload, str) else upload.name)
                text, stated = read_incoming(path)
                digest = sha256_file(path)
                exclude = [r.info.doc_id for r in state.searcher.documents() if r.sha256 == digest]
            fields = LiaisonFields(
                source=source,
                title=title,
                action=action,
                to=to or stated.get("Source", ""),
                deadline=deadline,
                contact=contact,
                incoming=stated.get("Title", Path(upload if isinstance(upload, str) else upload.name).name)
                if upload
                else "",
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


def library_rows(state: AppState) -> list[list[Any]]:
    return [
        [d.info.doc_id, d.info.body, d.info.edition, d.info.date, d.pages, d.chunks, d.source]
        for d in state.searcher.documents()
    ]


def store_uploads(settings: Settings, files: list[Any], max_mb: int) -> tuple[list[Path], list[str]]:
    """Copy uploaded files into ``corpus/uploads`` under safe names; returns the stored
    paths and the refusals (by name, with the reason)."""
    target = (settings.corpus / "uploads").resolve()
    stored, refused = [], []
    for item in files or []:
        path = Path(item if isinstance(item, str) else item.name)
        original = getattr(item, "orig_name", None) or path.name
        try:
            name = safe_upload_name(original)
            if path.stat().st_size > max_mb * 1024 * 1024:
                raise QkdnError(f"{original!r} is larger than {max_mb} MB")
            target.mkdir(parents=True, exist_ok=True)
            destination = (target / name).resolve()
            if not destination.is_relative_to(target):
                raise QkdnError(f"{original!r}: not a file name")
            shutil.copyfile(path, destination)
            stored.append(destination)
        except QkdnError as exc:
            refused.append(str(exc))
        except OSError as exc:
            refused.append(f"{original!r}: cannot store it ({exc.strerror})")
    return stored, refused


def failures_markdown(state: AppState) -> str:
    """Files the app's ingests could not read, with the reason."""
    if not state.failures:
        return ""
    return "**Files that could not be indexed:**\n\n" + "\n".join(f"- `{f.source}`: {f.reason}" for f in state.failures)


def _library_tab(gr: Any, state: AppState, status: Any) -> None:
    headers = ["doc_id", "body", "edition", "date", "pages", "passages", "source"]
    library = gr.Dataframe(library_rows(state), headers=headers, elem_id="library", interactive=False, wrap=True)
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
        stored, refused = store_uploads(state.settings, files, state.settings.upload_mb)
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
        index = state.searcher.index
        index.remove_document(source)
        path = (state.settings.corpus / source).resolve()
        if path.is_relative_to(state.settings.corpus.resolve()) and path.is_file():
            path.unlink()  # or the next ingest of the corpus would add it again
        sources = [d.source for d in state.searcher.documents()]
        return f"- removed {source}", library_rows(state), gr.update(choices=sources, value=None), state.status()

    def reload() -> Any:
        sources = [d.source for d in state.searcher.documents()]
        return library_rows(state), gr.update(choices=sources), failures_markdown(state), state.status()

    outputs = [report, library, remove, status]
    upload.upload(add, upload, outputs, api_name="upload", concurrency_limit=1)
    remove_button.click(drop, remove, outputs, api_name="remove", concurrency_limit=1)
    refresh.click(reload, None, [library, remove, failures, status], api_name="library")


# --- Search -----------------------------------------------------------------------------


def _search_tab(gr: Any, state: AppState) -> None:
    """The search tab: a query, filters, and hits rendered as citations."""
    bodies, doc_ids = _filters(state)

    def search(query: str, body: str, doc: str, k: float) -> str:
        if not query.strip():
            return "_Type a question, a term or an identifier (FIPS 203, QKD 014 clause 5.2, ML-KEM-768)._"
        try:
            hits = state.searcher.search(
                query, int(k), body=None if body == ALL else body, doc=None if doc == ALL else doc
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
    results = gr.Markdown(elem_id="results")
    query.submit(search, [query, body, doc, k], results, api_name="search")
    button.click(search, [query, body, doc, k], results, api_visibility="private")
