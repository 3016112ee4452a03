"""The QKDN standards landscape (Part 2 of the JCA-QKDN roadmap): who covers what, where
bodies overlap, where the gaps are, how the documents depend on one another, what they
require, and what the meetings asked for — built on the other workflows.

- the catalogue (:mod:`.catalogue`), by body;
- a topic taxonomy (an editable TOML data file, :data:`DEFAULT_TAXONOMY`): per topic, the
  coverage of every document (:mod:`.coverage`) with its best evidence, the overlaps
  between bodies and the bodies that do not cover it (the gaps);
- the reference graph (:mod:`.references`): which body's documents cite which body's,
  normatively or informatively, and the links between indexed documents;
- requirement counts (:mod:`.requirements`) per topic and body;
- the meeting outcomes (:mod:`.outcomes`).

Every finding keeps its citation (document, clause, page). Writing the report (Markdown,
Word, HTML, the figures) is :mod:`.landscape_report`'s job; this module does not render.
"""

from __future__ import annotations

import time
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import UsageError
from ..store.index import Index
from .catalogue import Catalogue, build_catalogue
from .coverage import CoverageChecker, CoverageReport
from .outcomes import OutcomeReport, meeting_outcomes
from .references import id_resolver, parse_references, resolve
from .requirements import LEVELS, Requirement, all_requirements, matches_topic

__all__ = [
    "DEFAULT_TAXONOMY",
    "BodyEdge",
    "DocumentLink",
    "Landscape",
    "Topic",
    "TopicFindings",
    "build_landscape",
    "load_taxonomy",
]

DEFAULT_TAXONOMY = Path(__file__).with_name("taxonomy.toml")

# The body an identifier belongs to, for references to documents that are not indexed.
_FAMILIES = (
    ("RFC ", "IETF"),
    ("draft-", "IETF"),
    ("ETSI ", "ETSI"),
    ("NIST ", "NIST"),
    ("ISO/IEC ", "ISO/IEC"),
    ("ITU-T ", "ITU-T"),
    ("GSMA ", "GSMA"),
    ("3GPP ", "3GPP"),
)


@dataclass(frozen=True)
class Topic:
    """One topic of the taxonomy."""

    group: str
    name: str
    query: str
    terms: tuple[str, ...]


@dataclass(frozen=True)
class TopicFindings:
    """A topic's coverage over every document, its gaps and its requirement counts."""

    topic: Topic
    coverage: CoverageReport
    gaps: tuple[str, ...]  # bodies of the corpus with no document covering the topic
    requirements: dict[str, int]  # body → statements on the topic
    examples: tuple[Requirement, ...] = ()  # a few of those statements, to cite


@dataclass(frozen=True)
class BodyEdge:
    """References from one body's documents to another body's."""

    citing: str
    cited: str
    normative: int
    informative: int
    unknown: int

    @property
    def total(self) -> int:
        return self.normative + self.informative + self.unknown


@dataclass(frozen=True)
class DocumentLink:
    """A reference entry that resolves to an indexed document."""

    citing: str  # doc id
    cited: str  # doc id
    kind: str
    label: str
    clause: str
    page: int


@dataclass(frozen=True)
class Landscape:
    """Everything the landscape report shows."""

    catalogue: Catalogue
    bodies: tuple[str, ...]
    topics: tuple[TopicFindings, ...]
    edges: tuple[BodyEdge, ...]
    links: tuple[DocumentLink, ...]
    outcomes: OutcomeReport
    seconds: float = 0.0


def load_taxonomy(path: Path | None = None) -> list[Topic]:
    """The topics of a taxonomy file (default: :data:`DEFAULT_TAXONOMY`).

    Raises:
        UsageError: the file cannot be read or is not a taxonomy.
    """
    path = path or DEFAULT_TAXONOMY
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        topics = [
            Topic(str(g["name"]), str(t["name"]), str(t.get("query") or t["name"]), tuple(t.get("terms", [t["name"]])))
            for g in data["group"]
            for t in g["topic"]
        ]
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, KeyError, TypeError) as exc:
        raise UsageError(f"cannot read the taxonomy {path}: {exc}") from exc
    if not topics:
        raise UsageError(f"the taxonomy {path} has no topics")
    return topics


def _family(reference_id: str) -> str:
    return next((body for prefix, body in _FAMILIES if reference_id.startswith(prefix)), "")


def build_landscape(index: Index, checker: CoverageChecker, topics: Sequence[Topic]) -> Landscape:
    """The landscape of ``index`` over ``topics``: catalogue, coverage per topic (by
    ``checker``), the reference graph, requirement counts and meeting outcomes."""
    started = time.monotonic()
    catalogue = build_catalogue(index)
    current = [e for e in catalogue.entries if e.is_current]
    bodies = tuple(sorted({e.body for e in current if e.body}))
    body_of = {e.source: e.body for e in catalogue.entries}
    id_of = {e.source: e.doc_id for e in catalogue.entries}

    statements = [r for report in all_requirements(index) for r in report.requirements]
    findings = []
    for topic in topics:
        report = checker.check(topic.query)
        covering = {d.body for d in report.documents if d.status in ("covered", "partial")}
        on_topic = [r for r in statements if any(matches_topic(r, term) for term in topic.terms)]
        counts = {body: sum(body_of.get(r.source) == body for r in on_topic) for body in bodies}
        gaps = tuple(b for b in bodies if b not in covering)
        strongest = sorted(on_topic, key=lambda r: LEVELS.index(r.level))  # shall before should, may, can
        findings.append(TopicFindings(topic, report, gaps, counts, tuple(strongest[:3])))

    edges: dict[tuple[str, str], list[int]] = {}
    links: list[DocumentLink] = []
    resolver = id_resolver(catalogue)
    for entry in current:
        for ref in parse_references(index.pages(entry.source)):
            target = resolve(ref, resolver)
            cited_body = body_of.get(target, "") or _family(ref.id)
            if not cited_body:
                continue
            counts_ = edges.setdefault((entry.body, cited_body), [0, 0, 0])
            counts_[("normative", "informative", "unknown").index(ref.kind)] += 1
            if target:
                links.append(DocumentLink(entry.doc_id, id_of[target], ref.kind, ref.label, ref.clause, ref.page))
    edge_list = tuple(
        BodyEdge(citing, cited, *counts_) for (citing, cited), counts_ in sorted(edges.items(), key=lambda kv: kv[0])
    )
    return Landscape(
        catalogue=catalogue,
        bodies=bodies,
        topics=tuple(findings),
        edges=edge_list,
        links=tuple(links),
        outcomes=meeting_outcomes(index),
        seconds=time.monotonic() - started,
    )
