"""Meeting outcomes: what a meeting report or summary asked others to do (calls to
action), what it decided or agreed, the open issues it listed, and when it meets next —
each with its section and page, and in the report's own words.

Read from the stored chunks of the report, line by line and sentence by sentence:

- a **call to action** is a sentence labelled "Call to action:" (ITU-T JCA and SG
  summaries label them), or, in a report that labels none, a sentence in which the group
  or the meeting invites / requests / encourages / urges someone; ``to`` is whom;
- a **decision** is a sentence in which the meeting (or the group) agreed, decided,
  approved, endorsed or reached consensus — unless it is about the next meeting;
- an **open issue** is an item of a list whose lead-in names "open issues" (or
  "questions for"); ``to`` is whom the lead-in asks;
- the **next meeting** is the sentence that agrees or announces it, with the further
  sentences of its section that say when, where or who is invited.

Nothing is paraphrased or inferred: every outcome's text is a sentence (or list item)
of the report. This module does not search or rank.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from ..errors import QuestionError
from ..sentences import split_sentences
from ..store.index import Index
from ..types import Chunk
from .catalogue import catalogue_of
from .references import find_document

__all__ = ["KINDS", "Outcome", "OutcomeReport", "extract_outcomes", "meeting_outcomes"]

KINDS = ("call_to_action", "decision", "open_issue", "next_meeting")

_LABEL = re.compile(r"^Call to action:\s*", re.IGNORECASE)
_INVITES = re.compile(
    r"^(?P<who>.{2,80}?)\s+(?:also\s+)?(?P<verb>invites|invited|requests|requested|encourages|encouraged|urges|urged|"
    r"asks|asked)\s+(?P<rest>.+)$"
)
_ASKER = re.compile(r"\b(?:JCA|SG\s?\d+|Study Group|meeting|TSAG|ISG|WG|group|plenary|chair)\b", re.IGNORECASE)
# "the meeting reached consensus", "SG13 agreed", "JCA-QKDN decided": the meeting is the subject
_DECISION = re.compile(
    r"\b(?:the meeting|the JCA|JCA-[A-Z]+|participants|the plenary|SG\s?\d+|TSAG|the members)\s+(?:\w+\s+){0,2}?"
    r"(?:reached (?:a )?consensus|agreed|decided|approved|endorsed|concluded|resolved)\b",
    re.IGNORECASE,
)
# "… were reviewed and their content agreed to be used as a reference": agreed by the meeting
_PASSIVE = re.compile(r"\b(?:was|were)\s+(?:\w+\s+)?(?:agreed|decided)\b|\bagreed to be\b")
_NEXT = re.compile(
    r"\b(?:next|following|(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|\d+(?:st|nd|rd|th)))"
    r"\b[\w\s-]{0,20}\bmeeting\b",
    re.IGNORECASE,
)
_NEXT_ACTION = re.compile(r"\b(?:agreed|decided|schedul\w*|will be held|to be held|will take place|announced)\b")
_OPEN_LEAD = re.compile(r"\b(?:open issues?|open questions?|questions? for)\b", re.IGNORECASE)
_BULLET = re.compile(r"^\s*(?:[·•\-–*]|\(?[a-z0-9]{1,2}[.)])\s+")
_PARTICIPATION = re.compile(r"^the participation of (?:representatives (?:from|of) )?")
_TO = re.compile(r"^(?P<to>.+?)\s+to\s+(?=(?:\w+/)?[a-z]+\b)")


@dataclass(frozen=True)
class Outcome:
    """One outcome of a meeting (its JSON shape: :func:`~qkdnassist.app.render.outcome_json`)."""

    kind: str  # call_to_action, decision, open_issue, next_meeting
    to: str  # whom it asks ("" for a decision)
    text: str  # the report's own sentence(s)
    doc_id: str
    source: str
    clause: str
    clause_title: str
    page: int


@dataclass(frozen=True)
class OutcomeReport:
    """The outcomes of one or more meeting reports, in reading order."""

    outcomes: tuple[Outcome, ...]

    def of_kind(self, kind: str) -> list[Outcome]:
        return [o for o in self.outcomes if o.kind == kind]


def _whom(rest: str) -> str:
    """Whom "invites X to do Y" asks: X (the words before the first "to <verb>")."""
    m = _TO.match(rest)
    return m.group("to").strip(" ,") if m else ""


def _lines(chunks: Sequence[Chunk]) -> list[tuple[str, Chunk]]:
    """The lines of the report with the chunk each starts in; a line a chunk boundary
    cut (the chunk before ends mid-sentence) is joined again."""
    lines: list[tuple[str, Chunk]] = []
    for chunk in chunks:
        heading = chunk.clause_title.split(" > ")[-1]
        for n, raw in enumerate(chunk.text.split("\n")):
            line = " ".join(raw.split())
            if not line or line == heading:
                continue
            previous = lines[-1] if lines else None
            if n == 0 and previous and previous[1].clause == chunk.clause and not re.search(r"[.:?!]$", previous[0]):
                lines[-1] = (f"{previous[0]} {line}", previous[1])
            else:
                lines.append((line, chunk))
    return lines


def extract_outcomes(chunks: Sequence[Chunk]) -> list[Outcome]:
    """The outcomes of one report, from its ``chunks`` in reading order."""
    lines = _lines(chunks)
    labelled = any(_LABEL.match(s) for line, _ in lines for s in split_sentences(line))
    found: list[Outcome] = []
    lead: tuple[str, str] | None = None  # (clause, whom) of an open-issue list being read
    next_meeting: Outcome | None = None

    def add(kind: str, to: str, text: str, chunk: Chunk) -> Outcome:
        title = chunk.clause_title.split(" > ")[-1]
        outcome = Outcome(kind, to, text, chunk.doc_id, chunk.source, chunk.clause, title, chunk.page)
        found.append(outcome)
        return outcome

    for line, chunk in lines:
        if next_meeting is not None and chunk.clause != next_meeting.clause:
            next_meeting = None
        if _BULLET.match(line):
            if lead is not None and lead[0] == chunk.clause:
                add("open_issue", lead[1], _BULLET.sub("", line), chunk)
                continue
            line = _BULLET.sub("", line)  # "· Part 1: … Call to action: …" is read as sentences
        lead = None
        for sentence in split_sentences(line):
            called = _LABEL.match(sentence)
            body = sentence[called.end() :] if called else sentence
            invites = _INVITES.match(body)
            if called or (not labelled and invites and _ASKER.search(invites.group("who"))):
                to = _whom(invites.group("rest")) if invites else ""
                add("call_to_action", to, body, chunk)
                if _OPEN_LEAD.search(body):
                    lead = (chunk.clause, to)
                continue
            if _NEXT.search(sentence) and _NEXT_ACTION.search(sentence) and next_meeting is None:
                next_meeting = add("next_meeting", "", sentence, chunk)
                continue
            if next_meeting is not None and chunk.clause == next_meeting.clause:
                # the section goes on: when and where, whom it invites
                to = _PARTICIPATION.sub("", _whom(invites.group("rest"))) if invites else next_meeting.to
                merged = replace(next_meeting, to=to or next_meeting.to, text=f"{next_meeting.text} {sentence}")
                found[found.index(next_meeting)] = merged
                next_meeting = merged
                continue
            if _DECISION.search(sentence) or _PASSIVE.search(sentence):
                add("decision", "", sentence, chunk)
    return found


def meeting_outcomes(index: Index, name: str = "") -> OutcomeReport:
    """The outcomes of the meeting report ``name`` names, or of every meeting report
    (the catalogue's type "meeting report") when ``name`` is empty.

    Raises:
        QuestionError: ``name`` names no indexed document (or more than one).
    """
    records = index.documents()
    heads = {r.source: index.pages(r.source)[:3] for r in records}
    catalogue = catalogue_of(records, heads)
    if name:
        source = find_document(catalogue, name)
        if not source:
            raise QuestionError(f"{name!r} names no indexed document (or more than one); see 'qkdnassist catalogue'")
        sources = [source]
    else:
        sources = [e.source for e in catalogue.entries if e.doc_type == "meeting report"]
    by_source = {r.source: r for r in records}
    outcomes: list[Outcome] = []
    for source in sources:
        chunks = [index.chunk_at(source, n) for n in range(by_source[source].chunks)]
        outcomes += extract_outcomes([c for c in chunks if c is not None])
    return OutcomeReport(tuple(outcomes))
