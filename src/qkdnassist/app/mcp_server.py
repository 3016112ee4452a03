"""The MCP server (the official ``mcp`` SDK): qkdnassist's workflows as tools for
desktop and IDE assistants, over stdio (``qkdnassist mcp``) or streamable HTTP (``/mcp``
on the web server).

Tools: ``search``, ``ask``, ``coverage``, ``define``, ``catalogue``, ``diff``; each returns
the JSON of the CLI's ``--json`` (:mod:`.render`). Resource: a document's stored page text
by citation, ``qkdn://page/{page}/{source}`` (``source`` and ``page`` as a citation gives
them). A project error becomes an MCP error: a tool result with ``isError`` and the
message, or a resource error.

This module holds no rules: the :class:`~.service.Service` calls the workflows.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceNotFoundError, ToolError

from ..access import Authenticator
from ..errors import QkdnError
from .render import (
    answer_json,
    catalogue_json,
    coverage_json,
    definition_json,
    diff_json,
    page_json,
    search_json,
)
from .render_landscape import outcomes_json, references_json, requirements_json
from .service import Service

__all__ = ["PAGE_URI", "build_mcp", "run_stdio"]

PAGE_URI = "qkdn://page/{page}/{+source}"
INSTRUCTIONS = (
    "qkdnassist answers from Quantum Key Distribution Network standards (ETSI, ITU-T, IETF, NIST, "
    "GSMA, …) with checked citations. Use `ask` for a cited answer, `search` for passages, `coverage` "
    "for which documents treat a topic, `define` for each body's definition of a term, `catalogue` for "
    "the documents and their editions, `diff` for what changed between two editions. Read a cited page "
    "with the resource qkdn://page/{page}/{source}."
)
T = TypeVar("T")


def _tool(call: Callable[[], T]) -> T:
    """Run a workflow; a project error becomes the tool's error message (``isError``)."""
    try:
        return call()
    except QkdnError as exc:
        raise ToolError(str(exc)) from None


def build_mcp(service: Service, auth: Authenticator | None = None) -> Any:
    """The MCP server over ``service`` (an ``mcp.server.mcpserver.MCPServer``). Over HTTP,
    ``auth`` names the user of each request from its bearer token (the web server's
    guard has refused requests without a valid one); over stdio the service's own
    principal applies (``QKDN_USER``)."""
    from .. import __version__

    mcp = MCPServer("qkdnassist", instructions=INSTRUCTIONS, version=__version__, log_level="WARNING")

    def user(ctx: Context) -> Service:
        if auth is None or not auth.required:
            return service
        bearer = (ctx.headers or {}).get("authorization", "")
        principal = auth.from_token(bearer[7:].strip() if bearer[:7].lower() == "bearer " else "")
        if principal is None:  # the guard lets none through; never fall back to everything
            raise ToolError("a valid API token is needed")
        return service.as_user(principal)

    @mcp.tool()
    def search(
        query: str, ctx: Context, k: int = 10, body: str = "", doc: str = "", edition: str = "current"
    ) -> dict[str, Any]:
        """Hybrid keyword + vector search: the k best passages, each with doc_id, edition,
        clause, page and text. Filters: body (ETSI, ITU-T, …), doc (a document id), edition
        (current, all, or one edition)."""
        return _tool(lambda: search_json(query, user(ctx).search(query, k, body=body, doc=doc, edition=edition)))

    @mcp.tool()
    def ask(
        question: str,
        ctx: Context,
        history: list[dict[str, str]] | None = None,
        body: str = "",
        doc: str = "",
        edition: str = "current",
    ) -> dict[str, Any]:
        """A cited answer: text with [n] markers, and citations (doc_id, edition, clause,
        page, verbatim quote). history: the earlier turns as {"role": "user"|"assistant",
        "content"} messages, to ask a follow-up. abstained is true when the documents do
        not answer."""
        filters = {"body": body, "doc": doc, "edition": edition}
        return _tool(lambda: answer_json(user(ctx).ask(question, history or (), filters=filters)))

    @mcp.tool()
    def coverage(topic: str, ctx: Context) -> dict[str, Any]:
        """Every indexed document's status for a topic (covered, partial, not_found), with
        quoted evidence, the bodies that cover it and overlaps between bodies."""
        return _tool(lambda: dict(coverage_json(user(ctx).coverage(topic))))

    @mcp.tool()
    def define(term: str, ctx: Context) -> dict[str, Any]:
        """Each body's definition or expansion of a term or abbreviation, quoted from the
        documents' terms/definitions/abbreviations clauses; conflicting when they differ."""
        return _tool(lambda: dict(definition_json(user(ctx).define(term))))

    @mcp.tool()
    def catalogue(ctx: Context) -> dict[str, Any]:
        """The standards database: every document's identity, type, status, date, scope
        and editions."""
        return _tool(lambda: dict(catalogue_json(user(ctx).catalogue())))

    @mcp.tool()
    def diff(doc: str, ctx: Context, old: str = "", new: str = "") -> dict[str, Any]:
        """What changed between two editions of a document, clause by clause (default:
        the newest and the one before)."""
        return _tool(lambda: dict(diff_json(user(ctx).diff(doc, old, new))))

    @mcp.tool()
    def refs(doc: str, ctx: Context) -> dict[str, Any]:
        """A document's references (id, edition, kind normative/informative, the indexed
        document each resolves to) and the documents that cite it."""
        return _tool(lambda: dict(references_json(user(ctx).refs(doc))))

    @mcp.tool()
    def requirements(doc: str, ctx: Context, topic: str = "", strength: str = "") -> dict[str, Any]:
        """A document's normative statements (shall / should / may …) by its body's
        drafting rules, with subject, clause and page; optionally one topic or strength."""
        return _tool(lambda: dict(requirements_json(user(ctx).requirements(doc, topic, strength))))

    @mcp.tool()
    def outcomes(ctx: Context, doc: str = "") -> dict[str, Any]:
        """Meeting outcomes — calls to action (and whom they ask), decisions, open issues,
        the next meeting — of one meeting report, or of every one."""
        return _tool(lambda: dict(outcomes_json(user(ctx).outcomes(doc))))

    @mcp.resource(PAGE_URI, name="page", mime_type="application/json")
    def page(page: str, source: str, ctx: Context) -> str:
        """The stored text of one page of an indexed document (a citation's source and page)."""
        try:
            doc_id, edition, found = user(ctx).page(source, int(page) if page.isdigit() else 0)
        except (QkdnError, ToolError) as exc:
            raise ResourceNotFoundError(str(exc)) from None
        return json.dumps(page_json(source, doc_id, edition, found), ensure_ascii=False)

    return mcp


def run_stdio(service: Service) -> int:
    """Serve MCP over stdin/stdout until the client closes it."""
    build_mcp(service).run("stdio")
    return 0
