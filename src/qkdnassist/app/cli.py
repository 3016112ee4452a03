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
from pathlib import Path
from typing import TextIO

from ..config import Settings, load_settings
from ..errors import QkdnError, UsageError
from .landscape_cli import COMMANDS as LANDSCAPE_COMMANDS
from .parser import parser
from .progress import ProgressBar
from .render import (
    answer_json,
    catalogue_json,
    coverage_json,
    definition_json,
    diff_json,
    document_json,
    ingest_json,
    passage_place,
    search_json,
)

EXIT_ERROR = 1
EXIT_PARTIAL = 2


def main(argv: Sequence[str] | None = None, *, stdout: TextIO | None = None) -> int:
    """Run the command line; returns the exit code."""
    out = stdout or sys.stdout
    args = parser().parse_args(argv)
    try:
        settings = load_settings()
        if args.command == "ingest":
            return _ingest(args, settings, out)
        if args.command == "search":
            return _search(args, settings, out)
        if args.command == "ask":
            return _ask(args, settings, out)
        if args.command == "coverage":
            return _coverage(args, settings, out)
        if args.command == "liaison":
            return _liaison(args, settings, out)
        if args.command == "define":
            return _define(args, settings, out)
        if args.command == "diff":
            return _diff(args, settings, out)
        if args.command == "catalogue":
            return _catalogue(args, settings, out)
        if args.command == "remove":
            return _remove(args, settings, out)
        if args.command == "mcp":
            from .mcp_server import run_stdio
            from .service import Service
            from .users_cli import stdio_principal

            return run_stdio(Service(settings, principal=stdio_principal(settings)))
        if args.command == "users":
            from .users_cli import users_command

            return users_command(args, settings, out)
        if args.command in LANDSCAPE_COMMANDS:
            from .landscape_cli import run

            return run(args, settings, out)
        if args.command == "serve":
            from .serve import serve

            return serve(settings, host=args.host, port=args.port)
        return _docs(args, settings, out)
    except QkdnError as exc:
        print(f"qkdnassist: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("qkdnassist: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader of our output went away (| head)
        sys.stderr.close()
        return 0
    finally:
        gguf = sys.modules.get("qkdnassist.gguf")  # imported only if a command used a local model
        if gguf is not None:
            gguf.close_models()


# --- ingest ----------------------------------------------------------------------------


def _ingest(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    from ..indexing import ingest

    bar = ProgressBar() if sys.stderr.isatty() else None
    try:
        report = ingest(
            args.paths or None, settings=settings, rebuild=args.rebuild, progress=bar.update if bar else None
        )
    finally:
        if bar:
            bar.close()
    if args.json:
        out.write(json.dumps(ingest_json(report), ensure_ascii=False) + "\n")
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


# --- search ----------------------------------------------------------------------------


def _lines(path: Path) -> list[str]:
    """The non-empty lines of a UTF-8 text file."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise UsageError(f"cannot read {path}: not UTF-8 text") from None
    return [line.strip() for line in lines if line.strip()]


def _search(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    if bool(args.query) == bool(args.queries):
        raise UsageError("give either a QUERY or --queries FILE")
    k = args.k if args.k is not None else settings.search_k
    if not 1 <= k <= 200:
        raise UsageError("-k must be from 1 to 200")
    queries = _lines(args.queries) if args.queries else [args.query]
    from ..search.retrieve import Searcher

    searcher = Searcher.open(settings)
    for query in queries:
        hits = searcher.search(query, k, body=args.body, doc=args.doc, edition=args.edition)
        if args.json or args.queries:
            out.write(json.dumps(search_json(query, hits), ensure_ascii=False) + "\n")
            continue
        for n, hit in enumerate(hits, start=1):
            c = hit.chunk
            out.write(f"[{n}] {passage_place(c)}  ({c.source}, score {hit.score:.4f})\n")
            snippet = " ".join(c.text.split())
            out.write(f"    {snippet[:300]}{'…' if len(snippet) > 300 else ''}\n")
    return 0


# --- ask -------------------------------------------------------------------------------


def _ask(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    from ..answer import Assistant
    from ..citations import format_citation

    if bool(args.question) == bool(args.questions):
        raise UsageError("give either a QUESTION or --questions FILE")
    questions = _lines(args.questions) if args.questions else [args.question]
    assistant = Assistant.from_settings(settings)
    filters = {"body": args.body, "doc": args.doc, "edition": args.edition}
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


# --- coverage and liaison ----------------------------------------------------------------


def _coverage(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    from ..answer import Assistant
    from ..workflows.coverage import CoverageChecker, matrix_csv, matrix_json, matrix_markdown

    if bool(args.topic) == bool(args.topics):
        raise UsageError("give either a TOPIC or --topics FILE")
    writers = {".csv": matrix_csv, ".md": matrix_markdown, ".json": matrix_json}
    if args.matrix and args.matrix.suffix.lower() not in writers:
        raise UsageError(f"--matrix must end in .csv, .md or .json, not {args.matrix.name!r}")
    topics = _lines(args.topics) if args.topics else [args.topic]
    assistant = Assistant.from_settings(settings)
    checker = CoverageChecker(assistant.searcher, pieces=assistant.word_pieces)
    reports = []
    for topic in topics:
        report = checker.check(topic)
        reports.append(report)
        if args.json or args.topics:
            out.write(json.dumps(coverage_json(report), ensure_ascii=False) + "\n")
            continue
        out.write(
            f"{report.topic}: {report.verdict}" + (f" ({', '.join(report.bodies)})" if report.bodies else "") + "\n"
        )
        for d in report.documents:
            if d.status == "not_found":
                continue
            out.write(f"  {d.status:8} {d.doc_id} [{d.body}]\n")
            for e in d.evidence[:2]:
                where = f"clause {e.clause}, " if e.clause else ""
                out.write(f"           {where}p. {e.page}: “{e.quote[:160]}{'…' if len(e.quote) > 160 else ''}”\n")
        for overlap in report.overlaps[:5]:
            out.write(f"  overlap  {overlap.a.doc_id} [{overlap.a.body}] ↔ {overlap.b.doc_id} [{overlap.b.body}]\n")
    if args.matrix:
        _write(args.matrix, writers[args.matrix.suffix.lower()](reports))
    return 0


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}") from None


def _liaison(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    from ..answer import Assistant
    from ..workflows.liaison import LiaisonFields, draft_reply, extract_questions, incoming_ls, to_docx, to_markdown

    if args.out.suffix.lower() not in (".docx", ".md"):
        raise UsageError(f"--out must end in .docx or .md, not {args.out.name!r}")
    assistant = Assistant.from_settings(settings)
    incoming: dict[str, str] = {}
    exclude: tuple[str, ...] = ()
    if args.incoming:
        if not args.incoming.is_file():
            raise UsageError(f"cannot read {args.incoming}: no such file")
        request = incoming_ls(args.incoming, assistant.searcher.documents())
        text, incoming, exclude = request.text, request.fields, request.exclude
    else:
        text = "\n".join(_lines(args.questions))
    questions = extract_questions(text)
    fields = LiaisonFields(
        questions=args.question or incoming.get("Question(s)", ""),
        study_group=args.study_group,
        meeting=args.meeting,
        source=args.source,
        title=args.title,
        action=args.action,
        to=args.to or incoming.get("Source", ""),
        approval=args.approval,
        deadline=args.deadline,
        contact=args.contact,
        incoming=incoming.get("Title", args.incoming.name if args.incoming else ""),
    )
    draft = draft_reply(assistant, questions, fields, exclude=exclude)
    if args.out.suffix.lower() == ".docx":
        to_docx(draft, args.out)
    else:
        _write(args.out, to_markdown(draft))
    covered = sum(item.covered for item in draft.items)
    out.write(f"{args.out}: {len(draft.items)} questions, {covered} answered from the documents, ")
    out.write(f"{len(draft.references)} references\n")
    return 0


def _define(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    from ..citations import format_citation
    from ..store.index import Index
    from ..workflows.glossary import Glossary, define, definition_citation

    report = define(Glossary.build(Index.existing(settings)), args.term)
    if args.json:
        out.write(json.dumps(definition_json(report), ensure_ascii=False) + "\n")
        return 0
    if not report.definitions:
        out.write(f"{args.term}: no definition in the indexed documents' terms, definitions or abbreviations\n")
        return 0
    for d in report.definitions:
        out.write(f"{d.term} ({d.body}): {d.text}\n    {format_citation(definition_citation(d))}\n")
    if report.conflicting:
        out.write("note: the bodies' definitions differ\n")
    return 0


# --- docs ------------------------------------------------------------------------------


def _catalogue(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    from ..metadata import load_manifest
    from ..store.index import Index
    from ..workflows.catalogue import build_catalogue, catalogue_csv

    catalogue = build_catalogue(Index.existing(settings), manifest=load_manifest(settings.manifest))
    if args.csv:
        _write(args.csv, catalogue_csv(catalogue))
    if args.json:
        out.write(json.dumps(catalogue_json(catalogue), ensure_ascii=False) + "\n")
        return 0
    for e in catalogue.entries:
        date = f" ({e.date})" if e.date else ""
        flag = "" if e.is_current else f"  → current: {e.current}"
        out.write(f"{e.doc_id} {e.edition}{date} [{e.body}] {e.doc_type}, {e.status}{flag}\n")
        for note in e.notes:
            out.write(f"    note: {note}\n")
    return 0


def _diff(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    from ..store.index import Index
    from ..workflows.diff import compare_editions, diff_markdown

    diff = compare_editions(Index.existing(settings), args.doc, old=args.old, new=args.new)
    if args.out:
        _write(args.out, diff_markdown(diff))
    out.write(json.dumps(diff_json(diff), ensure_ascii=False) + "\n" if args.json else diff_markdown(diff))
    return 0


def _remove(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    from ..workflows.library import remove_document

    remove_document(settings, args.source)
    out.write(f"removed {args.source}\n")
    return 0


def _docs(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    from ..store.index import Index

    records = Index.from_settings(settings).documents() if (settings.index / "records.sqlite").is_file() else []
    if args.json:
        rows = [document_json(r) for r in records]
        out.write(json.dumps(rows, ensure_ascii=False) + "\n")
        return 0
    if not records:
        out.write(f"no documents indexed in {settings.index}\n")
    for r in records:
        edition = f" {r.info.edition}" if r.info.edition else ""
        out.write(f"{r.info.doc_id}{edition} [{r.info.body or '?'}]  {r.pages} pages, {r.chunks} chunks  {r.source}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
