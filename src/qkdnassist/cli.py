"""The ``qkdnassist`` command line. Machine-readable output is a contract: other
tools parse ``--json`` and ``--queries`` output exactly as documented in README.md.

A project error becomes one line on stderr and exit code 1; ``ingest`` exits 2 when
some files failed and the rest were indexed.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any, TextIO

from . import __version__
from .config import Settings, load_settings
from .errors import QkdnError
from .types import Answer, Hit, IngestReport

EXIT_ERROR = 1
EXIT_PARTIAL = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="qkdnassist", description="Assistant over the QKDN standards corpus.")
    parser.add_argument("--version", action="version", version=f"qkdnassist {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="index documents (incremental)")
    p.add_argument("paths", nargs="*", type=Path, help="files or folders (default: QKDN_CORPUS)")
    p.add_argument("--rebuild", action="store_true", help="re-index everything into a fresh index")
    p.add_argument("--json", action="store_true", help="print the report as one JSON object")

    p = sub.add_parser("search", help="hybrid keyword + vector search")
    p.add_argument("query", nargs="?", help="the query (or use --queries)")
    p.add_argument("-k", type=int, default=None, help="number of hits (default: QKDN_SEARCH_K, 10)")
    p.add_argument("--body", help="only documents of this body (ETSI, NIST, GSMA, IETF, ...)")
    p.add_argument("--doc", help="only this document (doc_id or a unique part of it)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--queries", type=Path, help="file with one query a line; prints JSON Lines")

    p = sub.add_parser("ask", help="answer a question with checked citations")
    p.add_argument("question", nargs="?", help="the question (or use --questions)")
    p.add_argument("--body", help="only documents of this body")
    p.add_argument("--doc", help="only this document (doc_id or a unique part of it)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--questions", type=Path, help="file with one question a line; prints JSON Lines")

    p = sub.add_parser("docs", help="list indexed documents")
    p.add_argument("--json", action="store_true", help="print a JSON array")

    p = sub.add_parser("serve", help="serve the web app")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=7860, help="port (default 7860)")
    return parser


def main(argv: Sequence[str] | None = None, *, stdout: TextIO | None = None) -> int:
    """Run the command line; returns the exit code."""
    out = stdout or sys.stdout
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
        if args.command == "ingest":
            return _ingest(args, settings, out)
        if args.command == "search":
            return _search(args, settings, out)
        if args.command == "ask":
            return _ask(args, settings, out)
        if args.command == "serve":
            return serve(settings, host=args.host, port=args.port)
        return _docs(args, settings, out)
    except QkdnError as exc:
        print(f"qkdnassist: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("qkdnassist: interrupted", file=sys.stderr)
        return 130


# --- ingest ----------------------------------------------------------------------------


def report_json(report: IngestReport) -> dict[str, Any]:
    """The documented JSON shape of an ingest report."""
    return {
        "indexed": [asdict(f) for f in report.indexed],
        "unchanged": list(report.unchanged),
        "removed": list(report.removed),
        "failed": [asdict(f) for f in report.failed],
        "seconds": report.seconds,
    }


def _ingest(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    from .ingest import ingest

    bar = _ProgressBar() if sys.stderr.isatty() else None
    try:
        report = ingest(
            args.paths or None, settings=settings, rebuild=args.rebuild, progress=bar.update if bar else None
        )
    finally:
        if bar:
            bar.close()
    if args.json:
        out.write(json.dumps(report_json(report), ensure_ascii=False) + "\n")
    else:
        for f in report.indexed:
            out.write(f"indexed    {f.source}  ({f.doc_id}; {f.pages} pages, {f.chunks} chunks)\n")
        for source in report.removed:
            out.write(f"removed    {source}\n")
        for failure in report.failed:
            out.write(f"FAILED     {failure.source}: {failure.reason}\n")
        out.write(
            f"{len(report.indexed)} indexed, {len(report.unchanged)} unchanged, {len(report.removed)} removed, "
            f"{len(report.failed)} failed in {report.seconds:.1f} s\n"
        )
    return EXIT_PARTIAL if report.failed else 0


class _ProgressBar:
    """A tqdm bar on stderr, created on the first update (when the total is known)."""

    def __init__(self) -> None:
        self._bar: Any = None

    def update(self, source: str, done: int, total: int) -> None:
        if self._bar is None:
            from tqdm import tqdm

            self._bar = tqdm(total=total, unit="file", file=sys.stderr, leave=False)
        self._bar.set_postfix_str(source[-40:], refresh=False)
        self._bar.update(done - self._bar.n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


# --- search ----------------------------------------------------------------------------


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


def _lines(path: Path) -> list[str]:
    """The non-empty lines of a UTF-8 text file."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise QkdnError(f"cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise QkdnError(f"cannot read {path}: not UTF-8 text") from None
    return [line.strip() for line in lines if line.strip()]


def _search(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    if bool(args.query) == bool(args.queries):
        raise QkdnError("give either a QUERY or --queries FILE")
    k = args.k if args.k is not None else settings.search_k
    if not 1 <= k <= 200:
        raise QkdnError("-k must be from 1 to 200")
    queries = _lines(args.queries) if args.queries else [args.query]
    from .retrieve import Searcher

    searcher = Searcher.open(settings)
    for query in queries:
        hits = searcher.search(query, k, body=args.body, doc=args.doc)
        if args.json or args.queries:
            out.write(json.dumps({"query": query, "hits": [hit_json(h) for h in hits]}, ensure_ascii=False) + "\n")
            continue
        for n, hit in enumerate(hits, start=1):
            c = hit.chunk
            where = f"clause {c.clause}, " if c.clause else ""
            pages = f"p. {c.page}" if c.page == c.page_end else f"pp. {c.page}-{c.page_end}"
            out.write(f"[{n}] {c.doc_id} {c.edition}, {where}{pages}  ({c.source}, score {hit.score:.4f})\n")
            snippet = " ".join(c.text.split())
            out.write(f"    {snippet[:300]}{'…' if len(snippet) > 300 else ''}\n")
    return 0


# --- ask -------------------------------------------------------------------------------


def answer_json(answer: Answer) -> dict[str, Any]:
    """The documented JSON shape of an answer."""
    return {
        "question": answer.question,
        "answer": answer.text,
        "abstained": answer.abstained,
        "mode": answer.mode,
        "citations": [
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
        ],
    }


def _ask(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    from .answer import Assistant
    from .citations import format_citation

    if bool(args.question) == bool(args.questions):
        raise QkdnError("give either a QUESTION or --questions FILE")
    questions = _lines(args.questions) if args.questions else [args.question]
    assistant = Assistant.from_settings(settings)
    filters = {"body": args.body, "doc": args.doc}
    for question in questions:
        answer = assistant.ask(question, filters=filters)
        if args.json or args.questions:
            out.write(json.dumps(answer_json(answer), ensure_ascii=False) + "\n")
            out.flush()
            continue
        out.write(answer.text + "\n")
        if answer.citations:
            out.write("\nSources:\n")
            for c in answer.citations:
                out.write(f"[{c.n}] {format_citation(c)}  ({c.source})\n")
        for note in answer.notes:
            out.write(f"note: {note}\n")
    return 0


# --- docs ------------------------------------------------------------------------------


def _docs(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    from .index import Index

    records = Index(settings.index).documents() if (settings.index / "records.sqlite").is_file() else []
    if args.json:
        rows = [
            {
                "source": r.source,
                **asdict(r.info),
                "pages": r.pages,
                "chunks": r.chunks,
                "sha256": r.sha256,
                "indexed_at": r.indexed_at,
            }
            for r in records
        ]
        out.write(json.dumps(rows, ensure_ascii=False) + "\n")
        return 0
    if not records:
        out.write(f"no documents indexed in {settings.index}\n")
    for r in records:
        edition = f" {r.info.edition}" if r.info.edition else ""
        out.write(f"{r.info.doc_id}{edition} [{r.info.body or '?'}]  {r.pages} pages, {r.chunks} chunks  {r.source}\n")
    return 0


def serve(settings: Settings, *, host: str = "127.0.0.1", port: int = 7860) -> int:
    """Build the web app and serve it until interrupted."""
    from .ui import build_ui

    build_ui(settings).launch(server_name=host, server_port=port, show_error=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
