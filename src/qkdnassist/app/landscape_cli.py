"""The ``qkdnassist`` commands of the standards landscape: ``refs`` (and the others of
issue 14 as they come). Each calls one workflow and renders its result; no rules here.
"""

from __future__ import annotations

import argparse
import json
from typing import TextIO

from ..config import Settings
from .render import references_json

__all__ = ["add_parsers", "run"]

COMMANDS = ("refs",)


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the landscape subcommands to the ``qkdnassist`` parser."""
    p = sub.add_parser("refs", help="a document's references (resolved to indexed documents) and who cites it")
    p.add_argument("doc", help="the document (doc id, or a unique part of it)")
    p.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    """Run the landscape subcommand ``args.command``; returns the exit code."""
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
