"""The ``qkdnassist`` commands of the standards landscape: ``refs`` (and the others of
issue 14 as they come). Each calls one workflow and renders its result; no rules here.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TextIO

from ..config import Settings
from .render_landscape import outcomes_json, references_json, requirements_json, requirements_matrix_json

__all__ = ["add_parsers", "run"]

COMMANDS = ("refs", "requirements", "outcomes", "landscape")


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the landscape subcommands to the ``qkdnassist`` parser."""
    p = sub.add_parser("refs", help="a document's references (resolved to indexed documents) and who cites it")
    p.add_argument("doc", help="the document (doc id, or a unique part of it)")
    p.add_argument("--json", action="store_true", help="print one JSON object")

    p = sub.add_parser("requirements", help="a document's normative statements, or every document's on a topic")
    p.add_argument("doc", nargs="?", default="", help="the document (default: all documents; needs --topic)")
    p.add_argument("--topic", default="", help="only statements on this topic (all its words)")
    p.add_argument("--strength", choices=["shall", "should", "may", "can"], default="", help="only this level")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--csv", type=Path, help="also write the statements as CSV")
    p.add_argument("--xlsx", type=Path, help="also write the statements as an Excel workbook")

    p = sub.add_parser("outcomes", help="what meetings asked others to do, decided, left open, and when they meet next")
    p.add_argument("doc", nargs="?", default="", help="the meeting report (default: every meeting report)")
    p.add_argument("--json", action="store_true", help="print one JSON object")

    p = sub.add_parser("landscape", help="the standards landscape report: coverage, gaps, references, requirements")
    p.add_argument("--taxonomy", type=Path, help="the topic taxonomy (TOML; default: the bundled one)")
    p.add_argument("--out", type=Path, required=True, help="report.md, report.docx or report.html")


def run(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    """Run the landscape subcommand ``args.command``; returns the exit code."""
    if args.command == "requirements":
        return _requirements(args, settings, out)
    if args.command == "outcomes":
        return _outcomes(args, settings, out)
    if args.command == "landscape":
        return _landscape(args, settings, out)
    return _refs(args, settings, out)


def _refs(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    from ..store.index import Index
    from ..workflows.references import references

    report = references(Index.existing(settings), args.doc)
    if args.json:
        out.write(json.dumps(references_json(report), ensure_ascii=False) + "\n")
        return 0
    out.write(f"{report.doc_id}: {len(report.references)} references\n")
    for r in report.references:
        ident = r.id or "(no standard number)"
        edition = f" {r.edition}" if r.edition else ""
        resolved = f"  → indexed: {r.resolved}" if r.resolved else ""
        out.write(f"  [{r.label}] {ident}{edition} ({r.kind}) {r.title[:90]}{resolved}\n")
    out.write(f"cited by {len({c.source for c in report.cited_by})} documents:\n")
    for c in report.cited_by:
        clause = f", clause {c.clause}" if c.clause else ""
        out.write(f"  {c.doc_id}{clause}, p. {c.page}: {c.quote[:120]}\n")
    return 0


def _requirements(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    from ..errors import UsageError
    from ..store.index import Index
    from ..workflows.requirements import all_requirements, document_requirements, requirements_csv, requirements_xlsx

    index = Index.existing(settings)
    if not args.doc and not args.topic:
        raise UsageError("requirements: name a document, or give --topic for the matrix of all documents")
    if args.doc:
        reports = [document_requirements(index, args.doc, topic=args.topic, level=args.strength)]
    else:
        reports = all_requirements(index, topic=args.topic, level=args.strength)
    statements = [r for report in reports for r in report.requirements]
    if args.csv:
        args.csv.write_text(requirements_csv(statements), encoding="utf-8")
    if args.xlsx:
        requirements_xlsx(statements, args.xlsx)
    if args.json:
        shown = requirements_json(reports[0]) if args.doc else requirements_matrix_json(args.topic, reports)
        out.write(json.dumps(shown, ensure_ascii=False) + "\n")
        return 0
    for report in reports:
        if not report.requirements and not args.doc:
            continue
        out.write(f"{report.doc_id} ({report.rules} drafting rules): {len(report.requirements)} statements\n")
        for r in report.requirements:
            subject = f" [{r.subject}]" if r.subject else ""
            out.write(f"  {r.id} {r.strength.upper()}{subject} (p. {r.page}) {r.text}\n")
    return 0


_HEADINGS = {
    "call_to_action": "Calls to action",
    "decision": "Decisions and agreements",
    "open_issue": "Open issues",
    "next_meeting": "Next meeting",
}


def _outcomes(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    from ..store.index import Index
    from ..workflows.outcomes import KINDS, meeting_outcomes

    report = meeting_outcomes(Index.existing(settings), args.doc)
    if args.json:
        out.write(json.dumps(outcomes_json(report), ensure_ascii=False) + "\n")
        return 0
    if not report.outcomes:
        out.write("no meeting outcomes found\n")
    for kind in KINDS:
        outcomes = report.of_kind(kind)
        if outcomes:
            out.write(f"{_HEADINGS[kind]} ({len(outcomes)}):\n")
        for o in outcomes:
            to = f" → {o.to}" if o.to else ""
            out.write(f"  [{o.doc_id}, section {o.clause}, p. {o.page}]{to}\n    {o.text}\n")
    return 0


def _landscape(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    from ..answer import Assistant
    from ..store.index import Index
    from ..workflows.coverage import CoverageChecker
    from ..workflows.landscape import build_landscape, load_taxonomy
    from ..workflows.landscape_report import write_landscape

    topics = load_taxonomy(args.taxonomy)
    index = Index.existing(settings)
    assistant = Assistant.from_settings(settings)
    landscape = build_landscape(index, CoverageChecker(assistant.searcher, pieces=assistant.word_pieces), topics)
    write_landscape(landscape, args.out)
    gaps = sum(bool(f.gaps) for f in landscape.topics)
    out.write(
        f"wrote {args.out}: {len(landscape.catalogue.entries)} documents, {len(topics)} topics "
        f"({gaps} with gaps), {len(landscape.edges)} body-to-body reference edges, "
        f"{len(landscape.outcomes.outcomes)} meeting outcomes ({landscape.seconds:.1f} s)\n"
    )
    return 0
