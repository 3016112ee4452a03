"""Liaison-statement replies in ITU-T form, each answer grounded and cited.

Input: questions (a list, or text with one question per line or bullet) or an incoming
liaison statement (.docx, .pdf, .txt, .md) from which its questions and requests are
extracted, plus the fields of the reply (to, source, action, deadline, contact, ...).
Output: a :class:`LiaisonDraft` — the ITU-T liaison fields, a body that references the
incoming LS and answers each question in turn with the same checked citations as
``ask`` (one reference list for the whole reply), and an explicit "not covered by the
documents at hand" where that is the truth — exported to Markdown and ``.docx``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..answer import Assistant
from ..citations import format_citation, format_document
from ..errors import LiaisonError
from ..sentences import split_sentences
from ..types import Answer, Citation, DocumentRecord

__all__ = [
    "ACTIONS",
    "Incoming",
    "LiaisonDraft",
    "LiaisonFields",
    "ReplyItem",
    "draft_reply",
    "extract_questions",
    "incoming_ls",
    "read_incoming",
    "to_docx",
    "to_markdown",
]

ACTIONS = ("action", "comment", "information")
NOT_COVERED = "Not covered by the documents at hand."

_BULLET = re.compile(r"^\s*(?:[·•\-–*]|\(?\d{1,2}[).]|\(?[a-z][).])\s+")
_REQUEST = re.compile(
    r"\b(?:(?:kindly|please)\s+\w+|(?:invites?|requests?|asks?)\s+(?:\w+\s+){0,8}?to\s+(?:provide|share|consider|"
    r"inform|send|comment|review|respond|advise|indicate))\b",
    re.IGNORECASE,
)
_FIELD = re.compile(
    r"^\s*(Question\(s\)|Study Group|Meeting|Source|Title|Contact|For action to|For comment to|"
    r"For information to|Approval|Deadline)\s*:\s*(.+?)\s*$",
    re.IGNORECASE | re.MULTILINE,
)


@dataclass(frozen=True)
class LiaisonFields:
    """The header of an ITU-T liaison statement (all free text).

    Attributes:
        questions: ITU-T Question(s) ("Q16/13"), study_group ("SG13"), meeting (place,
            date), source (the sending group), title of the reply, action: "action",
            "comment" or "information", to: the addressees, approval, deadline,
            contact (name, organization, e-mail), incoming: the LS this replies to.
    """

    questions: str = ""
    study_group: str = ""
    meeting: str = ""
    source: str = ""
    title: str = ""
    action: str = "information"
    to: str = ""
    approval: str = ""
    deadline: str = ""
    contact: str = ""
    incoming: str = ""

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise LiaisonError(f"the action must be one of {', '.join(ACTIONS)}, got {self.action!r}")

    def rows(self) -> list[tuple[str, str]]:
        """The field table, in the order of ITU-T's liaison template."""
        addressed = {a: self.to if self.action == a else "" for a in ACTIONS}
        return [
            ("Question(s)", self.questions),
            ("Study Group", self.study_group),
            ("Meeting, date", self.meeting),
            ("Source", self.source),
            ("Title", self.title),
            ("For action to", addressed["action"]),
            ("For comment to", addressed["comment"]),
            ("For information to", addressed["information"]),
            ("Approval", self.approval),
            ("Deadline", self.deadline),
            ("Contact", self.contact),
        ]


@dataclass(frozen=True)
class ReplyItem:
    """One question of the incoming LS with its grounded answer.

    Attributes:
        question: the question as extracted.
        answer: the assistant's answer (citations numbered locally).
        text: the answer as written in the reply, with the reply's reference numbers.
        references: the reply-wide numbers of the citations it uses.
        basis: the documents the answer rests on, as a sentence.
    """

    question: str
    answer: Answer
    text: str
    references: tuple[int, ...] = ()
    basis: str = ""

    @property
    def covered(self) -> bool:
        return self.text != NOT_COVERED


@dataclass(frozen=True)
class LiaisonDraft:
    """A reply ready to export: fields, per-question answers, one reference list."""

    fields: LiaisonFields
    items: tuple[ReplyItem, ...]
    references: tuple[Citation, ...] = field(default=())

    @property
    def introduction(self) -> str:
        thanks = f"{self.fields.source} thanks" if self.fields.source else "We thank"
        incoming = f" for the liaison statement {self.fields.incoming}" if self.fields.incoming else ""
        covered = sum(item.covered for item in self.items)
        n = len(self.items)
        questions = "question" if n == 1 else "questions"
        addressed = (
            f"all {n} are addressed by those documents"
            if covered == n
            else f"{covered} of the {n} are addressed by those documents; the others are marked as not covered"
        )
        return (
            f"{thanks} the sender{incoming}. Answers to its {n} {questions} follow, each grounded in the "
            f"documents at hand and cited with document, edition, clause and page: {addressed}."
        )


def extract_questions(text: str) -> list[str]:
    """The questions and requests of a liaison statement or a pasted list.

    Bullet or numbered items that ask something are taken whole (an item may hold two
    related questions); otherwise every sentence ending in "?", then sentences that
    request something ("invites ... to provide"), in document order, without repeats.
    """
    items: list[str] = []
    current: list[str] = []
    for line in text.splitlines():
        if _BULLET.match(line):
            if current:
                items.append(" ".join(current))
            current = [_BULLET.sub("", line).strip()]
        elif current and line.strip() and not _FIELD.match(line):
            if current[-1].endswith("?") or re.match(r"^\s*\d+(?:\.\d+)*\s+[A-Z]", line):
                items.append(" ".join(current))
                current = []
            else:
                current.append(line.strip())
        elif current:
            items.append(" ".join(current))
            current = []
    if current:
        items.append(" ".join(current))
    asked = [" ".join(i.split()) for i in items if re.search(r"\?(?:\s|$)", i)]
    if not asked:
        for line in text.splitlines():
            if _FIELD.match(line):
                continue
            if line.rstrip().endswith("?"):
                asked.append(" ".join(line.split()))  # a line that asks is one question, however many "?" it has
                continue
            for sentence in split_sentences(line):
                if sentence.endswith("?") or _REQUEST.search(sentence):
                    asked.append(sentence)
    if not asked:  # a plain list: one question or request a line
        asked = [line.strip() for line in text.splitlines() if len(line.split()) >= 3 and not _FIELD.match(line)]
    return list(dict.fromkeys(asked))


@dataclass(frozen=True)
class Incoming:
    """An incoming LS as the reply needs it: its text, the fields it states, and the
    doc_ids of indexed copies of it (by content), which must not answer it."""

    text: str
    fields: dict[str, str]
    exclude: tuple[str, ...]

    @property
    def questions(self) -> list[str]:
        return extract_questions(self.text)


def incoming_ls(path: Path, documents: Sequence[DocumentRecord]) -> Incoming:
    """Read an incoming LS, and find it among the indexed ``documents`` (by sha256).

    Raises:
        ReadError: the file cannot be read.
    """
    from ..fileutil import sha256_file

    text, fields = read_incoming(path)
    digest = sha256_file(path)
    return Incoming(text, fields, tuple(r.info.doc_id for r in documents if r.sha256 == digest))


def read_incoming(path: Path) -> tuple[str, dict[str, str]]:
    """The text of an incoming LS and the fields it states ("Source", "Title", ...).

    Raises:
        ReadError: the file cannot be read (see :mod:`.readers`).
    """
    from ..readers import read_pages

    text = "\n".join(page.text for page in read_pages(path, path.name))
    fields: dict[str, str] = {}
    for match in _FIELD.finditer(text):
        fields.setdefault(match.group(1).title().replace("(S)", "(s)"), match.group(2))
    return text, fields


def draft_reply(
    assistant: Assistant, questions: Sequence[str], fields: LiaisonFields, *, exclude: Sequence[str] = ()
) -> LiaisonDraft:
    """Answer each question with ``assistant`` and assemble the reply.

    Args:
        exclude: doc_ids not to answer from — the incoming LS itself when it is indexed
            (it would answer its own questions with their own text).

    Raises:
        LiaisonError: there is no question (answering can raise any QkdnError).
    """
    questions = [q for q in (" ".join(q.split()) for q in questions) if q]
    if not questions:
        raise LiaisonError("no question to answer: give questions, or an incoming LS that asks some")
    references: list[Citation] = []
    numbers: dict[tuple[str, int, str], int] = {}
    items = []
    for question in questions:
        answer = assistant.ask(question, filters={"exclude": tuple(exclude)})
        local_to_global: dict[int, int] = {}
        for citation in answer.citations:
            key = (citation.source, citation.page, citation.quote)
            if key not in numbers:
                numbers[key] = len(references) + 1
                references.append(replace(citation, n=numbers[key]))
            local_to_global[citation.n] = numbers[key]
        text = _reply_text(answer, local_to_global)
        basis = _basis(answer) if text != NOT_COVERED else ""
        items.append(ReplyItem(question, answer, text, tuple(dict.fromkeys(local_to_global.values())), basis))
    title = fields.title or (f"Reply to {fields.incoming}" if fields.incoming else "Reply to questions on QKDN")
    return LiaisonDraft(replace(fields, title=title), tuple(items), tuple(references))


def _reply_text(answer: Answer, numbers: dict[int, int]) -> str:
    """The answer for the reply body: each statement with the document it comes from and
    the reply-wide reference numbers, then the documents the answer rests on."""
    if answer.abstained:
        return NOT_COVERED
    by_n = {c.n: c for c in answer.citations}
    lines = []
    for statement in answer.statements:
        cited = [by_n[n] for n in statement.citations if n in by_n and n in numbers]
        refs = "".join(f"[{numbers[c.n]}]" for c in cited)
        if answer.mode == "evidence" and cited:
            lines.append(f"{format_document(cited[0])}: “{statement.text}” {refs}")
        elif answer.mode != "evidence" and statement.supported:
            lines.append(f"{statement.text} {refs}".strip())
    return "\n".join(lines) or NOT_COVERED


def _basis(answer: Answer) -> str:
    """Which documents an answer rests on, as one sentence ("" when it rests on none)."""
    documents = list(dict.fromkeys(format_document(c) for c in answer.citations))
    return f"This answer rests on {_join(documents)}." if documents and not answer.abstained else ""


def _join(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


# --- export -----------------------------------------------------------------------------


def to_markdown(draft: LiaisonDraft) -> str:
    """The reply as Markdown: field table, introduction, answers, references."""
    lines = ["# LIAISON STATEMENT", "", "| Field | |", "|---|---|"]
    lines += [f"| {name} | {value.replace('|', '/')} |" for name, value in draft.fields.rows()]
    lines += ["", draft.introduction, ""]
    for i, item in enumerate(draft.items, start=1):
        lines += [f"## Question {i}", "", f"> {item.question}", ""]
        lines += [f"- {line}" if item.covered else line for line in item.text.splitlines()]
        if item.basis:
            lines += ["", item.basis]
        lines.append("")
    if draft.references:
        lines += ["## References", ""]
        lines += [f"[{c.n}] {format_citation(c)} — “{c.quote}”" for c in draft.references]
    return "\n".join(lines) + "\n"


def to_docx(draft: LiaisonDraft, path: Path) -> Path:
    """Write the reply as a Word document (python-docx) and return its path.

    Raises:
        LiaisonError: the file cannot be written.
    """
    from docx import Document

    document = Document()
    document.add_heading("LIAISON STATEMENT", level=0)
    table = document.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    for name, value in draft.fields.rows():
        cells = table.add_row().cells
        cells[0].text = name
        cells[1].text = value
    document.add_paragraph()
    document.add_paragraph(draft.introduction)
    for i, item in enumerate(draft.items, start=1):
        document.add_heading(f"Question {i}", level=1)
        document.add_paragraph(item.question, style="Intense Quote")
        for line in item.text.splitlines():
            document.add_paragraph(line, style="List Bullet" if item.covered else None)
        if item.basis:
            document.add_paragraph(item.basis)
    if draft.references:
        document.add_heading("References", level=1)
        for c in draft.references:
            document.add_paragraph(f"[{c.n}] {format_citation(c)} — “{c.quote}”")
    try:
        document.save(str(path))
    except OSError as exc:
        raise LiaisonError(f"cannot write {path}: {exc.strerror or exc}") from None
    return path
