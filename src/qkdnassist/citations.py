"""Citations the way standards people write them: document, edition, date, clause (or
section), page and printed page label.

``ETSI GS QKD 014 V1.1.1 (2019-02), clause 5.2, p. 11``; ``draft-irtf-qirg-principles-11,
section 4.2, p. 9``. One formatter for the command line, the web app, the answers and
the reports. Locating a quote on its page is :mod:`.search.quotes`'s job.
"""

from __future__ import annotations

from .types import Chunk, Citation, DocumentRecord, Page

__all__ = ["format_citation", "format_document", "format_location", "format_pages", "passage_citation"]


def passage_citation(
    chunk: Chunk, record: DocumentRecord | None, *, n: int = 0, page: Page | None = None, quote: str = ""
) -> Citation:
    """A citation of ``chunk`` (at ``page`` when given, else its first page)."""
    return Citation(
        n=n,
        source=chunk.source,
        doc_id=chunk.doc_id,
        edition=chunk.edition,
        date=record.info.date if record else "",
        body=chunk.body,
        clause=chunk.clause,
        clause_title=chunk.clause_title,
        page=page.number if page else chunk.page,
        page_label=page.label if page else chunk.page_label,
        quote=quote,
    )


_SECTION_BODIES = ("IETF", "IRTF")


def format_document(citation: Citation) -> str:
    """Document, edition and date: "ETSI GS QKD 014 V1.1.1 (2019-02)", "draft-irtf-qirg-principles-11"."""
    name = citation.doc_id
    if citation.edition:
        name += citation.edition if citation.edition.startswith("-") else f" {citation.edition}"
    if citation.date:
        name += f" ({citation.date})"
    return name


def format_location(citation: Citation) -> str:
    """Clause (or section) and page: "clause 5.2, p. 11", "section 4.2, p. 9", "Annex A, p. 30 (printed 28)"."""
    parts = []
    if citation.clause:
        if citation.clause.startswith(("Annex", "Appendix")):
            parts.append(citation.clause)
        else:
            word = "section" if citation.body in _SECTION_BODIES or citation.doc_id.startswith("draft-") else "clause"
            parts.append(f"{word} {citation.clause}")
    page = f"p. {citation.page}"
    if citation.page_label and citation.page_label != str(citation.page):
        page += f" (printed {citation.page_label})"
    parts.append(page)
    return ", ".join(parts)


def format_citation(citation: Citation) -> str:
    """The citation as standards people write it.

    >>> c = Citation(1, "etsi/x.pdf", "ETSI GS QKD 014", "V1.1.1", "2019-02", "ETSI", "5.2", "", 11, "11", "q")
    >>> format_citation(c)
    'ETSI GS QKD 014 V1.1.1 (2019-02), clause 5.2, p. 11'
    """
    return f"{format_document(citation)}, {format_location(citation)}"


def format_pages(page: int, page_end: int = 0, label: str = "") -> str:
    """A page or a page range as users read it: "p. 11", "pp. 11–12", "p. 30 (printed 28)"."""
    text = f"pp. {page}–{page_end}" if page_end and page_end != page else f"p. {page}"
    if label and label != str(page):
        text += f" (printed {label})"
    return text
