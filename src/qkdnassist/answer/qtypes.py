"""What a question asks for: the type of value ("which URL", "how many bytes", "when"),
and whether it asks about the landscape across bodies rather than one fact.

:func:`question_type` reads the question's wording only — never the corpus — so the
same rules hold on any collection of documents. :func:`values` finds the values of a
type in a statement, which the evidence scorer rewards and the answer marks in bold.

This module does not score or retrieve anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["VALUE_TYPES", "QuestionType", "question_type", "values"]

# --- what a question asks -----------------------------------------------------------

_CUES: dict[str, re.Pattern[str]] = {
    "url": re.compile(r"\b(?:url|uri|path|endpoint|web ?address|resource address|web ?site|e-?mail address)s?\b", re.I),
    # "which HTTP method", "what access method" — not "the Get status method", which
    # names an API method
    "method": re.compile(
        r"\b(?:http|access|request) (?:method|verb)s?\b|\b(?:which|what) (?:method|verb)s?\b(?!\s+(?:of|for) \w)",
        re.I,
    ),
    "status": re.compile(
        r"\b(?:status|error|response|http|return|result) codes?\b|\bwhich (?:http )?codes?\b|\bwhat (?:http )?codes?\b",
        re.I,
    ),
    "size": re.compile(
        r"\bhow (?:large|big|small)\b|\bsizes?\b|\bhow many (?:bytes|bits)\b|\blength\b|\bin bytes\b|\bin bits\b"
        r"|\bhow long (?:is|are) (?:the|an?|its|each)\b",
        re.I,
    ),
    "count": re.compile(r"\bhow many\b|\bnumber of\b|\bcount of\b", re.I),
    "money": re.compile(
        r"\bhow much (?:money|funding|does|did|will|is)\b|\b(?:cost|costs|price|prices|budget|spend|spending|funding|"
        r"invest(?:ment|ed)?|earmarked|market (?:size|value)|revenue|worth)\b",
        re.I,
    ),
    "rate": re.compile(r"\b(?:key rates?|rates?|throughput|bit ?rate|speed|bandwidth)\b", re.I),
    "date": re.compile(
        r"^\s*when\b|\bby when\b|\bsince when\b|\band when\b|\bwhen (?:did|was|were|will|is|are|does|do|should"
        r"|must|can)\b(?=[^?]*\?\s*$)"
        r"|\b(?:what|which) (?:year|date|month|day|quarter)\b|\bdeadline\b|\bby what (?:year|date)\b"
        r"|\bin what year\b|\bwhat time\b|\bfrom what year\b|\bdated?\b|\btimeline\b|\bmilestones?\b",
        re.I,
    ),
    "duration": re.compile(
        r"\bhow long (?:does|do|did|will|would|should|can|must|may)\b|\bduration\b|\bhow many (?:years|months"
        r"|days|hours)\b",
        re.I,
    ),
    "percentage": re.compile(r"\bpercent(?:age)?\b|\bwhat (?:share|proportion|fraction)\b", re.I),
    "person": re.compile(
        r"^\s*who\b|\bwhich (?:person|people|author|authors|editor|editors|chair)\b|\bwho (?:wrote|proposed"
        r"|authored|edits|chairs|leads)\b",
        re.I,
    ),
    "organisation": re.compile(
        r"\bwhich (?:organi[sz]ations?|bod(?:y|ies)|agenc(?:y|ies)|groups?|companies|company|sdos?|ministr(?:y|ies)|"
        r"study groups?|working groups?|countries|country|institutions?)\b|\bwho (?:publishe[sd]|issue[sd]"
        r"|certifie[sd]|runs?|funds?)\b",
        re.I,
    ),
    "place": re.compile(
        r"\bwhere (?:was|is|will|were|are|did)\b.*\b(?:held|located|take place|meet|hosted|based)\b"
        r"|\bwhich (?:city|venue|place)\b|\bin what city\b",
        re.I,
    ),
    "name": re.compile(
        r"\bwhat (?:is|are) (?:it|they|this|these|that|the \w+(?: \w+)?) called\b|\bcalled\b|\bwhat name\b"
        r"|\bwhich term\b"
        r"|\bnamed?\b|\bwhat (?:is|are) the names?\b|\bwhat do(?:es)? \w+(?: \w+)? call\b|\bidentifier\b"
        r"|\bwhich (?:field|parameter|algorithm|function|scheme|standard|document|protocol|mechanism)s?\b",
        re.I,
    ),
    "definition": re.compile(
        r"\bdefin(?:e|es|ed|ition)\b|\bmeaning\b|\bstands? for\b|\bwhat does .{1,40} mean\b|\bexpan(?:d|sion)\b"
        r"|\babbreviat"
        r"|^\s*what (?:is|are) (?:an? |the )?[\w\-/ ]{1,40}\?\s*$",
        re.I,
    ),
    "list": re.compile(
        r"\bwhich (?:two|three|four|five|six|seven|\d+)\b|\b(?:two|three|four|five|six"
        r"|seven) (?:\w+ ){0,2}(?:are|does|do|did)\b"
        r"|\blist\b|\bname (?:the|all|both)\b|\bwhat are the\b|\bwhich are the\b|\bgive the\b|\benumerate\b",
        re.I,
    ),
    "requirement": re.compile(
        r"^\s*(?:is|are|does|do|can|must|may|should|shall|will)\b|\bis it (?:true|allowed|required|permitted"
        r"|mandatory)\b"
        r"|\bwhat (?:must|shall|should)\b|\brequired\b|\brequirements?\b|\bmandatory\b|\ballowed\b|\bpermitted\b",
        re.I,
    ),
}
VALUE_TYPES = tuple(_CUES)

# Questions about the landscape across bodies, not one value (issue of coordination).
_BROAD = re.compile(
    r"\b(?:what is the (?:current )?(?:progress|status|state)|progress (?:on|of|in)|plans? for the development"
    r"|which (?:bodies|organi[sz]ations|sdos|standards? (?:bodies|organi[sz]ations"
    r"|development organi[sz]ations)|groups|"
    r"documents|agencies|countries|governments|stakeholders|initiatives|programmes|programs)"
    r"|(?:is|are) there (?:any )?(?:duplication|overlaps?|gaps?|differences|conflicts|need)"
    r"|duplication|overlaps?\b|harmoni[sz]ation|consolidation|cohesion|coordinat\w*|joint work|collaborat\w*"
    r"|who (?:are|is) the (?:stakeholders|players|actors|bodies)|stakeholders|eco-?system|lessons? (?:learn"
    r"|learnt|learned)"
    r"|what do (?:the )?(?:agencies|governments|documents|bodies|standards|sdos|regulators|operators|security agencies|"
    r"national|european|telecom) |across (?:bodies|sdos|documents|the documents|standards|organi[sz]ations|countries)"
    r"|landscape|(?:how|where) (?:do|does|is|are|can) .{0,60}\b(?:coexist|co-exist|fit together|compare|differ)"
    r"|compare|comparison|in other sdos|other sdos|beyond qkd|what (?:role|roles) (?:do|does|can|could)"
    r"|how (?:can|could|should) (?:industry|the jca|sdos|operators|governments|organi[sz]ations) "
    r"|what are the (?:priorities|main|key|common|different) (?:for |approaches|positions|views|recommendations"
    r"|challenges|concerns|risks)"
    r"|priorities for|concrete steps|what (?:approaches|strategies|positions|views|recommendations) (?:do|does|are)"
    r"|who (?:coordinates|works on|is working on|covers|addresses|deals with|publishes)|which documents?)\b",
    re.I,
)


@dataclass(frozen=True)
class QuestionType:
    """What a question asks for.

    Attributes:
        values: the value types it asks for, strongest cue first ("url", "method",
            "status", "size", "count", "date", "duration", "percentage", "person",
            "organisation", "place", "name", "definition", "list", "requirement").
        broad: it asks about the landscape (several bodies, progress, overlaps,
            who does what) rather than one fact.
        items: how many items a list question asks for ("which three …"), 0 if unsaid.
    """

    values: tuple[str, ...] = ()
    broad: bool = False
    items: int = 0

    @property
    def value(self) -> str:
        return self.values[0] if self.values else ""

    def wants(self, kind: str) -> bool:
        return kind in self.values


# A question whose subject is the documents themselves, in the plural ("the existing
# QKD specifications", "these documents", "the guides", "governments"): what they
# say together, not one value of one of them.
_COLLECTIVE = re.compile(
    r"\b(?:the|these|existing|different|other|today's|various|several|national)\s+(?:[\w/-]+\s+){0,2}"
    r"(?:documents|specifications|standards|guides|guidelines|roadmaps|reports|governments|groups|bodies|designs"
    r"|frameworks)\b(?!\s+(?:of|in|from)\s+(?:the\s+)?(?:[A-Z]|\w+\s+\d))|\bgovernments\b|\bguides\b",
    re.I,
)

_NUMBER_WORDS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "both": 2}
_ITEMS = re.compile(r"\b(two|three|four|five|six|seven|both|\d)\b", re.I)


def question_type(question: str, *, names_document: bool = False) -> QuestionType:
    """The type of ``question``. A question that names one document is never broad:
    it asks about that document, however it is worded."""
    found = [(m.start(), i, kind) for i, (kind, cue) in enumerate(_CUES.items()) if (m := cue.search(question))]
    kinds = [kind for _, _, kind in sorted(found)]  # the cue that comes first in the question leads
    if (
        "duration" in kinds
        and "size" in kinds
        and re.search(r"\bhow long (?:does|do|did|will|would)\b", question, re.I)
    ):
        kinds.remove("size")
    if "definition" in kinds and len(kinds) > 1 and not re.search(r"\bdefin|\bstands? for\b|\bmean", question, re.I):
        kinds.remove("definition")  # "what is the URL?" asks for a URL, not a definition
    items = 0
    if "list" in kinds and (m := _ITEMS.search(question)):
        word = m.group(1).lower()
        items = int(word) if word.isdigit() else _NUMBER_WORDS[word]
    broad = bool(_BROAD.search(question) or _COLLECTIVE.search(question)) and not names_document
    return QuestionType(tuple(kinds), broad, items)


# --- values in statements -----------------------------------------------------------

_UNIT = (
    r"(?:bytes?|bits?|octets?|B|KB|kB|MB|GB|kbit/s|Mbit/s|Gbit/s|kbps|Mbps|Gbps|bit/s|km|m|ms|µs|us|ns|s|dB|"
    r"dB/km|Hz|kHz|MHz|GHz|qubits?)"
)
_VALUES: dict[str, re.Pattern[str]] = {
    "url": re.compile(
        r"https?://[^\s\"'<>|]+|(?<![\w/])/[A-Za-z0-9_{}\-]+(?:/[A-Za-z0-9_{}\-.]+)+|\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b"
    ),
    "method": re.compile(r"\b(?:GET|POST|PUT|DELETE|PATCH|HEAD)\b"),
    "status": re.compile(r"\b[1-5]\d\d\b(?![\d.,])"),
    "size": re.compile(rf"\b\d[\d,.]*\s?(?:[-–]\s?\d[\d,.]*\s?)?{_UNIT}(?![A-Za-z])"),
    "money": re.compile(
        r"[$€£¥₹]\s?\d[\d,.]*(?:\s?(?:million|billion|trillion|bn|m|k))?|\b\d[\d,.]*\s?(?:million|billion|trillion)?\s?"
        r"(?:USD|EUR|GBP|INR|SGD|JPY|KRW|CNY|dollars|euros|pounds|rupees|crore|lakh|won)\b|\bRs\.?\s?\d[\d,.]*",
        re.I,
    ),
    "rate": re.compile(
        r"\b\d[\d,.]*\s?(?:[kMG]?bit/s|[kMG]?bps|[kMG]?b/s|bits? per (?:second|pulse|pass)|keys? per \w+|Hz|/s)\b"
    ),
    "count": re.compile(
        r"\b\d[\d,.]*\b|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|twelve|dozens?|hundreds?)\b", re.I
    ),
    "date": re.compile(
        r"\b(?:\d{1,2} )?(?:January|February|March|April|May|June|July|August|September|October|November|December)"
        r"(?: \d{1,2},?)?(?: \d{4})?\b|\b(?:19|20)\d\d(?:-\d\d(?:-\d\d)?)?\b|\b(?:Q[1-4]|H[12]) (?:19|20)\d\d\b"
    ),
    "duration": re.compile(
        r"\b\d[\d,.]*(?:\s?[-–]\s?\d+)?\s?(?:years?|months?|weeks?|days?|hours?|minutes?|seconds?)\b", re.I
    ),
    "percentage": re.compile(r"\b\d[\d,.]*\s?(?:%|percent)"),
    "person": re.compile(r"\b(?:Dr\.|Prof\.|Mr\.|Ms\.)?\s?[A-Z][a-z]+(?: [A-Z]\.)? [A-Z][a-z]+(?:-[A-Z][a-z]+)?\b"),
    "organisation": re.compile(r"\b[A-Z][A-Za-z]*[A-Z][A-Za-z]*\b(?:[ /-][A-Z0-9][\w-]*)*"),
    "place": re.compile(r"\b(?:in|at) ([A-Z][a-z]+(?:[ ,]+[A-Z][a-z]+)*)"),
    "name": re.compile(
        r"[\"“][^\"”]{2,60}[\"”]|\b[A-Z][\w\-]*(?:[ -][A-Z0-9][\w\-]*)+\b|\b\w+(?:_\w+)+\b|\b[A-Z]{2,}[\w\-]*\b"
    ),
    "list": re.compile(r"(?:[^,;]+,){2,}|•|\b\w+ and \w+\b"),
    "requirement": re.compile(r"\b(?:shall|must|should|may|required|recommended|not allowed|prohibited)\b", re.I),
}


def values(text: str, kind: str) -> list[tuple[int, int]]:
    """Spans of values of ``kind`` in ``text`` (start, end), in order."""
    pattern = _VALUES.get(kind)
    if pattern is None:
        return []
    spans = []
    for match in pattern.finditer(text):
        start, end = match.span(1) if kind == "place" and match.lastindex else match.span()
        if end > start:
            spans.append((start, end))
    return spans
