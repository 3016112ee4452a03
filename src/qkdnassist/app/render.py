"""The JSON shapes every front end returns, and the one way a passage's place is written.

The CLI's ``--json``, the web app's API and the other interfaces return these shapes, so
a field means the same everywhere (the README documents them). Nothing here decides
anything: it only turns the workflows' dataclasses into plain data or text.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from ..access import UserRecord
from ..citations import format_citation, format_pages
from ..types import Answer, Chunk, DocumentRecord, Hit, IngestReport, Page
from ..workflows.catalogue import Catalogue, Entry
from ..workflows.coverage import CoverageReport, DocumentCoverage
from ..workflows.diff import Diff
from ..workflows.glossary import DefinitionReport

MODEL = "qkdnassist"  # the one model the OpenAI-compatible API serves

__all__ = [
    "MODEL",
    "answer_json",
    "catalogue_json",
    "chat_chunk_json",
    "chat_chunks",
    "chat_completion_json",
    "chat_text",
    "coverage_json",
    "definition_json",
    "diff_json",
    "document_json",
    "entry_json",
    "error_json",
    "hit_json",
    "ingest_json",
    "models_json",
    "page_json",
    "passage_place",
    "search_json",
    "user_json",
]


def passage_place(chunk: Chunk) -> str:
    """Where a passage is, as a heading: "ETSI GS QKD 014 V1.1.1, clause 5.2, pp. 11–12"."""
    edition = f" {chunk.edition}" if chunk.edition else ""
    clause = f", clause {chunk.clause}" if chunk.clause else ""
    pages = format_pages(chunk.page, chunk.page_end, chunk.page_label)
    return f"{chunk.doc_id}{edition}{clause}, {pages}"


def user_json(record: UserRecord) -> dict[str, Any]:
    """A user as ``qkdnassist users list --json`` prints it (never a hash)."""
    return {
        "name": record.name,
        "role": record.role,
        "collections": list(record.collections),
        "tokens": len(record.token_hashes),
    }


def ingest_json(report: IngestReport) -> dict[str, Any]:
    """The documented JSON shape of an ingest report."""
    return {
        "indexed": [asdict(f) for f in report.indexed],
        "unchanged": list(report.unchanged),
        "removed": list(report.removed),
        "failed": [asdict(f) for f in report.failed],
        "seconds": report.seconds,
    }


def hit_json(hit: Hit) -> dict[str, Any]:
    """The documented JSON shape of a search hit."""
    c = hit.chunk
    return {
        "source": c.source,
        "doc_id": c.doc_id,
        "title": c.title,
        "edition": c.edition,
        "clause": c.clause,
        "page": c.page,
        "page_end": c.page_end,
        "score": hit.score,
        "text": c.text,
    }


def search_json(query: str, hits: list[Hit]) -> dict[str, Any]:
    """The documented JSON shape of one search (``qkdnassist search --json``)."""
    return {"query": query, "hits": [hit_json(h) for h in hits]}


def answer_json(answer: Answer) -> dict[str, Any]:
    """The documented JSON shape of an answer."""
    return {
        "question": answer.question,
        "answer": answer.text,
        "abstained": answer.abstained,
        "mode": answer.mode,
        "citations": _citations(answer),
    }


def _citations(answer: Answer) -> list[dict[str, Any]]:
    return [
        {
            "n": c.n,
            "source": c.source,
            "doc_id": c.doc_id,
            "edition": c.edition,
            "clause": c.clause,
            "page": c.page,
            "quote": c.quote,
        }
        for c in answer.citations
    ]


def page_json(source: str, doc_id: str, edition: str, page: Page) -> dict[str, Any]:
    """A document's stored page text (the MCP page resource)."""
    return {
        "source": source,
        "doc_id": doc_id,
        "edition": edition,
        "page": page.number,
        "label": page.label,
        "text": page.text,
    }


# --- the OpenAI-compatible API --------------------------------------------------------


def error_json(message: str, code: str, kind: str = "invalid_request_error") -> dict[str, Any]:
    """An error of the HTTP API, in the OpenAI API's shape."""
    return {"error": {"message": message, "type": kind, "code": code}}


def models_json(created: int) -> dict[str, Any]:
    """``GET /v1/models``: the one model, ``qkdnassist``."""
    return {"object": "list", "data": [{"id": MODEL, "object": "model", "created": created, "owned_by": "qkdnassist"}]}


def chat_text(answer: Answer) -> str:
    """An answer as a chat reply: its text with the ``[n]`` markers, then a references
    block, one line a citation, as the CLI prints it."""
    if not answer.citations:
        return answer.text
    lines = [f"[{c.n}] {format_citation(c)} ({c.source})" for c in answer.citations]
    return answer.text + "\n\nReferences:\n" + "\n".join(lines)


def chat_completion_json(answer: Answer, completion_id: str, created: int) -> dict[str, Any]:
    """``POST /v1/chat/completions``: the reply, its structured ``citations`` on the message,
    and qkdnassist's own fields (``abstained``, ``mode``) beside them."""
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": created,
        "model": MODEL,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": chat_text(answer), "citations": _citations(answer)},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
        "qkdnassist": {"abstained": answer.abstained, "mode": answer.mode},
    }


def chat_chunk_json(
    completion_id: str, created: int, delta: dict[str, Any], finish_reason: str | None = None
) -> dict[str, Any]:
    """One ``chat.completion.chunk`` of a streamed reply (the last one's delta carries the citations)."""
    return {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": MODEL,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
    }


def chat_chunks(answer: Answer, completion_id: str, created: int) -> list[dict[str, Any]]:
    """A finished answer as the chunks of a stream: the role, the text with its
    references, then the citations and the end."""
    return [
        chat_chunk_json(completion_id, created, {"role": "assistant", "content": ""}),
        chat_chunk_json(completion_id, created, {"content": chat_text(answer)}),
        chat_chunk_json(completion_id, created, {"citations": _citations(answer)}, "stop"),
    ]


def document_json(record: DocumentRecord) -> dict[str, Any]:
    """The documented JSON shape of an indexed document (``qkdnassist docs --json``)."""
    return {
        "source": record.source,
        **asdict(record.info),
        "pages": record.pages,
        "chunks": record.chunks,
        "sha256": record.sha256,
        "indexed_at": record.indexed_at,
    }


def coverage_json(report: CoverageReport) -> dict[str, object]:
    """The documented JSON shape of a coverage report (``qkdnassist coverage --json``)."""
    return {
        "topic": report.topic,
        "verdict": report.verdict,
        "bodies": list(report.bodies),
        "documents": [
            {
                "source": d.source,
                "doc_id": d.doc_id,
                "body": d.body,
                "status": d.status,
                "evidence": [{"page": e.page, "clause": e.clause, "quote": e.quote} for e in d.evidence],
            }
            for d in report.documents
        ],
        "overlaps": [
            {
                "a": {"doc_id": o.a.doc_id, "body": o.a.body, **_first(o.a)},
                "b": {"doc_id": o.b.doc_id, "body": o.b.body, **_first(o.b)},
            }
            for o in report.overlaps
        ],
        "subtopics": [
            {"topic": s.topic, "verdict": s.verdict, "documents": {d.doc_id: d.status for d in s.documents}}
            for s in report.subtopics
        ],
    }


def _first(document: DocumentCoverage) -> dict[str, object]:
    e = document.evidence[0]
    return {"clause": e.clause, "page": e.page, "quote": e.quote}


def definition_json(report: DefinitionReport) -> dict[str, object]:
    """The report as JSON-ready data: ``{"term", "conflicting", "definitions": [...]}``,
    each definition with doc_id, body, edition, clause, page, source, kind, text and quote."""
    return {
        "term": report.term,
        "conflicting": report.conflicting,
        "definitions": [
            {
                "doc_id": d.doc_id,
                "body": d.body,
                "edition": d.edition,
                "clause": d.clause,
                "page": d.page,
                "source": d.source,
                "kind": d.kind,
                "text": d.text,
                "quote": d.quote,
            }
            for d in report.definitions
        ],
    }


def catalogue_json(catalogue: Catalogue) -> dict[str, object]:
    """The documented JSON shape of the catalogue (``qkdnassist catalogue --json``)."""
    return {"documents": [entry_json(e) for e in catalogue.entries]}


def entry_json(entry: Entry) -> dict[str, object]:
    """The documented JSON shape of a catalogue entry (``qkdnassist catalogue --json``)."""
    return {
        "doc_id": entry.doc_id,
        "lineage": entry.lineage,
        "edition": entry.edition,
        "date": entry.date,
        "date_printed": entry.date_printed,
        "title": entry.title,
        "body": entry.body,
        "group": entry.group,
        "doc_type": entry.doc_type,
        "status": entry.status,
        "stage": entry.stage,
        "scope": {"text": entry.scope.text, "page": entry.scope.page} if entry.scope else None,
        "source": entry.source,
        "pages": entry.pages,
        "chunks": entry.chunks,
        "current": entry.current,
        "editions": list(entry.editions),
        "provenance": entry.provenance,
        "notes": list(entry.notes),
    }


def diff_json(diff: Diff) -> dict[str, object]:
    """The documented JSON shape (``qkdnassist diff --json``)."""
    return {
        "doc": diff.doc,
        "from": diff.old,
        "to": diff.new,
        "summary": diff.summary,
        "changes": [
            {
                "kind": c.kind,
                "clause_from": c.clause_from,
                "clause_to": c.clause_to,
                "title": c.title,
                "from": [{"page": page, "text": text} for text, page in c.old],
                "to": [{"page": page, "text": text} for text, page in c.new],
            }
            for c in diff.changes
        ],
    }
