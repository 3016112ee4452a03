"""Plain data passed between the stages: read → structure → chunk → index → retrieve.

Frozen dataclasses only; no behaviour beyond small derived properties. Framework
types (LangChain documents, Chroma results) never appear here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    """One physical page of a file, as text.

    Attributes:
        number: 1-based physical page number in the file.
        text: the page's text, lines separated by ``\\n``.
        label: the printed page label when the file defines one ("iii", "11"), else "".
    """

    number: int
    text: str
    label: str = ""


@dataclass(frozen=True)
class DocumentInfo:
    """What a document is: identity and bibliographic metadata.

    Attributes:
        doc_id: the identifier standards people use ("ETSI GS QKD 014", "NIST FIPS 203").
        title: the document's title.
        body: the publishing body or SDO ("ETSI", "ITU-T", "IETF", "NIST", "GSMA", ...).
        edition: edition/version as printed ("V1.1.1", "-11", "Version 1.0").
        date: publication date as printed or ISO ("2019-02").
        doc_type: "standard", "internet-draft", "report", "meeting-report", ...
        url: the official address, when known.
    """

    doc_id: str
    title: str = ""
    body: str = ""
    edition: str = ""
    date: str = ""
    doc_type: str = ""
    url: str = ""


@dataclass(frozen=True)
class ParsedDocument:
    """A file read into pages, with its identity.

    Attributes:
        source: path relative to the corpus root (POSIX separators).
        sha256: hex digest of the file's bytes.
        info: the document's metadata.
        pages: the physical pages in order.
    """

    source: str
    sha256: str
    info: DocumentInfo
    pages: tuple[Page, ...]


@dataclass(frozen=True)
class Block:
    """A unit of body text after structure detection: a paragraph, a table or a list.

    Attributes:
        text: the text, with running headers/footers removed.
        page: 1-based physical page the block starts on.
        page_end: physical page the block ends on.
        clause: the clause number it belongs to ("5.2.1", "Annex A", "" for front matter).
        clause_title: the title path of that clause ("5 Key delivery API > 5.2 Get key").
        kind: "text" or "table".
    """

    text: str
    page: int
    page_end: int
    clause: str = ""
    clause_title: str = ""
    kind: str = "text"


@dataclass(frozen=True)
class Chunk:
    """A retrievable passage of one document, inside one clause.

    Attributes:
        id: content-derived id (stable across runs for the same file and text).
        source: path of the file relative to the corpus root.
        doc_id, title, body, edition: copied from the document's :class:`DocumentInfo`.
        clause: clause number ("" when none applies).
        clause_title: clause title path.
        page, page_end: first and last 1-based physical pages of the passage.
        page_label: printed label of ``page`` when the file has labels, else "".
        text: the passage as shown to users (verbatim corpus text).
        ordinal: position of the chunk within its document.
        context: text that situates the passage but is not part of it (the caption and
            header row of a table continued from an earlier chunk); indexed, not shown.
        last_ordinal: for a passage of several neighbouring chunks merged by search,
            the ordinal of its last chunk (-1: the passage is one chunk).
    """

    id: str
    source: str
    doc_id: str
    title: str
    body: str
    edition: str
    clause: str
    clause_title: str
    page: int
    page_end: int
    page_label: str
    text: str
    ordinal: int
    context: str = ""
    last_ordinal: int = -1

    @property
    def end_ordinal(self) -> int:
        """Ordinal of the passage's last chunk."""
        return self.last_ordinal if self.last_ordinal >= 0 else self.ordinal

    @property
    def embed_text(self) -> str:
        """The text given to the embedder: document and clause titles, then the passage."""
        heading = f"{self.doc_id}: {self.title}"
        if self.clause_title:
            # The two innermost levels say what the passage is about; deeper paths
            # would spend the embedder's 256 word pieces on repetition.
            heading += " | " + " > ".join(self.clause_title.split(" > ")[-2:])
        if self.context:
            heading += f" | {self.context}"
        return f"{heading}\n{self.text}"


@dataclass(frozen=True)
class Hit:
    """One search result.

    Attributes:
        chunk: the passage (neighbouring chunks of one clause may be merged into it).
        score: fused relevance score (higher is better; comparable within one search).
        similarity: cosine similarity of the query and the passage's best chunk on the
            dense side (0.0 when the dense side did not rank it).
    """

    chunk: Chunk
    score: float
    similarity: float = 0.0


@dataclass(frozen=True)
class IndexedFile:
    """One file (re)indexed by an ingest run."""

    source: str
    doc_id: str
    pages: int
    chunks: int


@dataclass(frozen=True)
class FileFailure:
    """One file an ingest run could not read, and why."""

    source: str
    reason: str


@dataclass(frozen=True)
class IngestReport:
    """What one ingest run did.

    Attributes:
        indexed: files read and (re)indexed in this run.
        unchanged: sources whose content was already indexed.
        removed: sources purged because their file is gone.
        failed: files that could not be read, with the reason.
        seconds: wall time of the run.
    """

    indexed: tuple[IndexedFile, ...] = ()
    unchanged: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    failed: tuple[FileFailure, ...] = ()
    seconds: float = 0.0


@dataclass(frozen=True)
class DocumentRecord:
    """An indexed document as the index knows it (for ``qkdnassist docs``)."""

    source: str
    sha256: str
    info: DocumentInfo
    pages: int
    chunks: int
    indexed_at: str = ""


@dataclass(frozen=True)
class Citation:
    """Where a statement of an answer comes from, down to a verbatim quote.

    Attributes:
        n: the marker number used in the answer text (``[n]``).
        source: path of the file relative to the corpus root.
        doc_id, edition, date, body: the document's identity.
        clause: clause (or section) number, "" when none applies.
        clause_title: title path of that clause.
        page: 1-based physical page on which :attr:`quote` stands.
        page_label: the printed label of that page, "" when the file has none.
        quote: a passage of that page, verbatim up to white space.
    """

    n: int
    source: str
    doc_id: str
    edition: str
    date: str
    body: str
    clause: str
    clause_title: str
    page: int
    page_label: str
    quote: str


@dataclass(frozen=True)
class Statement:
    """One sentence of an answer with the citation numbers that support it.

    Attributes:
        text: the sentence without markers.
        citations: numbers of the citations that support it (empty when none does).
        supported: False when the sentence was checked and no source supports it
            (shown flagged, never as cited).
    """

    text: str
    citations: tuple[int, ...] = ()
    supported: bool = True


@dataclass(frozen=True)
class Answer:
    """The reply to one question.

    Attributes:
        question: the question as asked.
        query: the stand-alone query used for retrieval (the question, or a follow-up
            made self-contained with the conversation).
        text: the answer as shown, with ``[n]`` citation markers.
        citations: the citations the markers point to, numbered from 1.
        abstained: True when the corpus does not cover the question; ``text`` says so
            and ``hits`` holds the nearest passages.
        mode: "evidence" (extractive, no language model) or "llm".
        hits: the retrieved passages the answer was built from.
        statements: the answer's sentences with their citation numbers.
        confidence: estimated probability that the corpus answers the question (0..1).
        notes: remarks for the reader (flagged sentences, removed markers, ...).
    """

    question: str
    query: str
    text: str
    citations: tuple[Citation, ...]
    abstained: bool
    mode: str
    hits: tuple[Hit, ...] = ()
    statements: tuple[Statement, ...] = ()
    confidence: float = 0.0
    notes: tuple[str, ...] = ()
