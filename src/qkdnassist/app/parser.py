"""The ``qkdnassist`` command's arguments: every subcommand, its options and their help."""

from __future__ import annotations

import argparse
from pathlib import Path

from .. import __version__

__all__ = ["parser"]

_EDITION_HELP = "editions of a document to search: current (default; or those the question names), all, or one (-05)"


def parser() -> argparse.ArgumentParser:
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
    p.add_argument("--edition", default="current", help=_EDITION_HELP)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--queries", type=Path, help="file with one query a line; prints JSON Lines")

    p = sub.add_parser("ask", help="answer a question with checked citations")
    p.add_argument("question", nargs="?", help="the question (or use --questions)")
    p.add_argument("--body", help="only documents of this body")
    p.add_argument("--doc", help="only this document (doc_id or a unique part of it)")
    p.add_argument("--edition", default="current", help=_EDITION_HELP)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--questions", type=Path, help="file with one question a line; prints JSON Lines")

    p = sub.add_parser("coverage", help="which documents cover a topic, and where bodies overlap")
    p.add_argument("topic", nargs="?", help="the topic, or draft text (or use --topics)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--topics", type=Path, help="file with one topic a line; prints JSON Lines")
    p.add_argument("--matrix", type=Path, help="also write the topic × document table (.csv, .md or .json)")

    p = sub.add_parser("liaison", help="draft a liaison-statement reply, every answer cited")
    given = p.add_mutually_exclusive_group(required=True)
    given.add_argument("--questions", type=Path, help="file of questions (one a line, or bullets)")
    given.add_argument("--incoming", type=Path, help="the incoming liaison statement (.docx, .pdf, .txt)")
    p.add_argument("--to", default="", help="addressees (default: the incoming LS's source)")
    p.add_argument("--source", default="", help="the replying group")
    p.add_argument("--for", dest="action", choices=["action", "comment", "information"], default="information")
    p.add_argument("--title", default="", help="title of the reply (default: Reply to <incoming title>)")
    p.add_argument("--question", default="", help="ITU-T Question(s), e.g. Q16/13")
    p.add_argument("--study-group", default="", help="e.g. SG13")
    p.add_argument("--meeting", default="", help="meeting place and date")
    p.add_argument("--approval", default="", help="e.g. Agreed at the SG13 meeting")
    p.add_argument("--deadline", default="")
    p.add_argument("--contact", default="", help="name, organization, e-mail")
    p.add_argument("--out", type=Path, required=True, help="reply.docx or reply.md")

    p = sub.add_parser("define", help="what each body's documents say a term or abbreviation means")
    p.add_argument("term")
    p.add_argument("--json", action="store_true", help="print one JSON object")

    p = sub.add_parser("catalogue", help="the standards database: every document's identity, status and editions")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--csv", type=Path, help="also write the catalogue as CSV")

    p = sub.add_parser("diff", help="what changed between two editions of a document, clause by clause")
    p.add_argument("doc", help="the document (doc id, or a unique part of it)")
    p.add_argument("--from", dest="old", default="", help="the older edition (default: the one before the newest)")
    p.add_argument("--to", dest="new", default="", help="the newer edition (default: the newest)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--out", type=Path, help="also write the changes as Markdown (.md)")

    p = sub.add_parser("remove", help="remove a document from the index and the corpus folder")
    p.add_argument("source", help="the document's source, as 'docs' lists it")

    p = sub.add_parser("docs", help="list indexed documents")
    p.add_argument("--json", action="store_true", help="print a JSON array")

    sub.add_parser("mcp", help="serve MCP over stdin/stdout (for desktop and IDE assistants; as QKDN_USER)")

    p = sub.add_parser("users", help="users, roles, collections and API tokens (the QKDN_USERS file)")
    users = p.add_subparsers(dest="action", required=True)
    q = users.add_parser("add", help="add a user (the password is read from the terminal or stdin)")
    q.add_argument("name")
    q.add_argument("--role", choices=["reader", "editor", "admin"], required=True)
    q.add_argument("--collections", required=True, help="collections the user reads, C1,C2 ('*': all)")
    q = users.add_parser("passwd", help="set a user's password")
    q.add_argument("name")
    q = users.add_parser("token", help="print a new API token for a user (only its hash is kept)")
    q.add_argument("name")
    q = users.add_parser("list", help="the users, their roles and collections")
    q.add_argument("--json", action="store_true", help="print a JSON array")
    q = users.add_parser("remove", help="remove a user (its tokens stop working)")
    q.add_argument("name")

    from .landscape_cli import add_parsers

    add_parsers(sub)

    p = sub.add_parser("serve", help="serve the web app, the OpenAI-compatible API (/v1) and MCP (/mcp)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=7860, help="port (default 7860)")
    return parser
