"""Writing the evidence answer: the lead statement first with the value asked for in
bold, then the supporting statements grouped by document, each with its citation
markers, then the note that the answer is quoted, not written by a model.

This module does not choose or locate statements (:mod:`.evidence` does).
"""

from __future__ import annotations

from collections.abc import Sequence

from ..citations import format_document, format_location
from ..types import Citation, Statement
from .evidence import Located
from .features import in_question
from .qtypes import QuestionType, values
from .query import content_words

__all__ = ["mark_value", "render"]


_MARKABLE = (
    "url",
    "method",
    "status",
    "size",
    "count",
    "date",
    "duration",
    "percentage",
    "place",
    "person",
    "organisation",
    "name",
)


def mark_value(text: str, qtype: QuestionType, question: str, header: str = "") -> str:
    """``text`` with the value the question asks for in bold (Markdown ``**``); the
    text unchanged when the question asks for no markable value or none is found.

    In a table row, the cell under the column whose header shares most of the
    question's words is preferred.
    """
    kinds = [k for k in qtype.values if k in _MARKABLE]
    if not kinds:
        return text
    preferred = _preferred_cell(text, header, question)
    for kind in kinds[:3]:
        spans = [(a, b) for a, b in values(text, kind) if not in_question(text[a:b], kind, question) and b > a]
        if not spans:
            continue
        if preferred is not None:
            inside = [(a, b) for a, b in spans if preferred[0] <= a and b <= preferred[1]]
            spans = inside or spans
        a, b = spans[0]
        while b > a and text[b - 1] in ".,;:":
            b -= 1  # a value, not its sentence's punctuation
        return f"{text[:a]}**{text[a:b]}**{text[b:]}"
    return text


def _preferred_cell(row: str, header: str, question: str) -> tuple[int, int] | None:
    """The span of the row's cell under the header column that best matches the question."""
    if " | " not in row or " | " not in header:
        return None
    cells, names = row.split(" | "), header.split(" | ")
    if len(cells) != len(names):
        return None
    wanted = content_words(question)
    best = max(range(len(names)), key=lambda i: (len(content_words(names[i]) & wanted), -i))
    if not content_words(names[best]) & wanted:
        return None
    start = sum(len(c) + 3 for c in cells[:best])
    return start, start + len(cells[best])


_NOTE = "_Extractive answer: quoted from the documents, not written by a model._"


def render(located: Sequence[Located], qtype: QuestionType, question: str) -> tuple[str, list[Statement]]:
    """The answer text: the lead statement (value in bold) with its citation, then the
    supporting statements grouped by document; and the statements, lead first."""
    if not located:
        return "", []
    lead, rest = located[0], located[1:]
    statements = [Statement(lead.text, tuple(c.n for c in lead.citations))]
    lines = [_statement_line(lead, qtype, question, lead=True)]
    lines.append(f"— {_where(lead.citations)}")
    groups: dict[str, list[Located]] = {}
    for item in rest:
        groups.setdefault(item.citations[0].source, []).append(item)
    if groups:
        lines += ["", "Supporting passages:"]
    for items in groups.values():
        lines.append(f"{format_document(items[0].citations[0])}:")
        for item in items:
            lines.append(f"- {_statement_line(item, qtype, question)} ({_locations(item.citations)})")
            statements.append(Statement(item.text, tuple(c.n for c in item.citations)))
    lines += ["", _NOTE]
    return "\n".join(lines), statements


def _markers(citations: Sequence[Citation]) -> str:
    return "".join(f"[{c.n}]" for c in citations)


def _statement_line(item: Located, qtype: QuestionType, question: str, *, lead: bool = False) -> str:
    candidate = item.candidate
    shown = mark_value(item.text, qtype, question, candidate.header) if lead else item.text
    if candidate.kind == "row" and (candidate.caption or candidate.header):
        table = " — ".join(p for p in (candidate.caption, candidate.header) if p)
        return (
            f"{table}:\n  “{shown}” {_markers(item.citations)}"
            if lead
            else f"{table}: “{shown}” {_markers(item.citations)}"
        )
    if candidate.kind == "list" and len(item.parts) > 1:
        head, *items = item.parts
        body = "\n".join(f"  {i}" for i in items)
        return f"“{head}”\n{body} {_markers(item.citations)}"
    return f"“{shown}” {_markers(item.citations)}"


def _locations(citations: Sequence[Citation]) -> str:
    return "; ".join(format_location(c) for c in citations)


def _where(citations: Sequence[Citation]) -> str:
    return f"{format_document(citations[0])}, {_locations(citations)}"
