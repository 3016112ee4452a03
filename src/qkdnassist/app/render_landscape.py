"""The JSON shapes of the landscape commands (``refs``, ``requirements``, ``outcomes``),
as the CLI prints them with ``--json`` (the other shapes are in :mod:`.render`)."""

from __future__ import annotations

from ..workflows.outcomes import OutcomeReport
from ..workflows.references import ReferenceReport
from ..workflows.requirements import LEVELS, Requirement, RequirementReport

__all__ = ["outcomes_json", "references_json", "requirement_json", "requirements_json", "requirements_matrix_json"]


def references_json(report: ReferenceReport) -> dict[str, object]:
    """The documented JSON shape (``qkdnassist refs --json``): the entries of the
    document's reference clauses (``resolved`` is the indexed document's source or null)
    and the places in other documents that cite it."""
    return {
        "doc_id": report.doc_id,
        "source": report.source,
        "references": [
            {
                "label": r.label,
                "id": r.id or None,
                "title": r.title,
                "edition": r.edition,
                "date": r.date,
                "kind": r.kind,
                "clause": r.clause,
                "page": r.page,
                "resolved": r.resolved or None,
            }
            for r in report.references
        ],
        "cited_by": [
            {"doc_id": c.doc_id, "source": c.source, "clause": c.clause, "page": c.page, "quote": c.quote}
            for c in report.cited_by
        ],
    }


def requirement_json(r: Requirement) -> dict[str, object]:
    """One requirement: ``strength`` as the drafting rules name it, ``level`` its group."""
    return {
        "id": r.id,
        "strength": r.strength,
        "level": r.level,
        "subject": r.subject,
        "text": r.text,
        "clause": r.clause,
        "page": r.page,
    }


def requirements_json(report: RequirementReport) -> dict[str, object]:
    """The documented JSON shape (``qkdnassist requirements DOC --json``)."""
    return {
        "doc_id": report.doc_id,
        "source": report.source,
        "rules": report.rules,
        "requirements": [requirement_json(r) for r in report.requirements],
    }


def requirements_matrix_json(topic: str, reports: list[RequirementReport]) -> dict[str, object]:
    """The cross-body matrix (``qkdnassist requirements --topic T --json``): per document,
    how many statements of each level it makes on the topic, and the statements."""
    return {
        "topic": topic,
        "documents": [
            {
                "doc_id": report.doc_id,
                "body": report.body,
                "rules": report.rules,
                "counts": {level: sum(r.level == level for r in report.requirements) for level in LEVELS},
                "requirements": [requirement_json(r) for r in report.requirements],
            }
            for report in reports
            if report.requirements
        ],
    }


def outcomes_json(report: OutcomeReport) -> dict[str, object]:
    """The documented JSON shape (``qkdnassist outcomes --json``): every outcome in the
    report's own words, with its section (``clause``) and page."""
    return {
        "outcomes": [
            {
                "kind": o.kind,
                "to": o.to,
                "text": o.text,
                "doc_id": o.doc_id,
                "source": o.source,
                "clause": o.clause,
                "clause_title": o.clause_title,
                "page": o.page,
            }
            for o in report.outcomes
        ]
    }
