"""Liaison replies: questions extracted from the real JCA-QKDN summary, answered with
resolving citations, exported to a .docx that python-docx reads back, and to Markdown."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import corpus_file
from qkdnassist.answer import Assistant
from qkdnassist.errors import QkdnError
from qkdnassist.search.quotes import check_citation
from qkdnassist.search.retrieve import Searcher
from qkdnassist.workflows.liaison import (
    NOT_COVERED,
    LiaisonDraft,
    LiaisonFields,
    draft_reply,
    extract_questions,
    read_incoming,
    to_docx,
    to_markdown,
)

JCA = "itu-t/jca-qkdn_4th_meeting_executive_summary_2024-05-17.txt"
JCA_ID = "JCA-QKDN 4th meeting executive summary"


@pytest.fixture(scope="module")
def jca_questions() -> list[str]:
    text, _ = read_incoming(corpus_file(JCA))
    return extract_questions(text)


def test_the_13_open_questions_of_the_jca_summary_are_extracted(jca_questions: list[str]) -> None:
    assert len(jca_questions) == 13
    assert jca_questions[0].startswith("What is the current progress on and plans for the development of QKD")
    assert jca_questions[3] == "Is there duplication/overlap of QKD specifications or standards?"
    assert jca_questions[6].count("?") == 2  # one bullet, two related questions
    assert jca_questions[-1].endswith("beyond QKD?")


def test_questions_from_plain_lists_and_requests() -> None:
    assert extract_questions("What is a KME?\nHow are keys relayed?\n") == ["What is a KME?", "How are keys relayed?"]
    text = "Source: SG17\nTitle: LS on PQC\nSG17 kindly asks ETSI ISG QKD to provide its view on hybrid schemes."
    assert extract_questions(text) == ["SG17 kindly asks ETSI ISG QKD to provide its view on hybrid schemes."]
    assert extract_questions("1) Which API do you use?\n2) Is there overlap\nwith ETSI?") == [
        "Which API do you use?",
        "Is there overlap with ETSI?",
    ]


@pytest.fixture(scope="module")
def draft(searcher: Searcher, jca_questions: list[str]):  # type: ignore[no-untyped-def]
    fields = LiaisonFields(
        questions="Q16/13",
        study_group="SG13",
        source="ETSI ISG QKD",
        action="comment",
        to="JCA-QKDN",
        deadline="2025-03-01",
        contact="J. Doe, Example Org, j.doe@example.org",
        incoming="JCA-QKDN-LS4 (4th meeting summary)",
    )
    return draft_reply(Assistant(searcher), jca_questions, fields, exclude=[JCA_ID])


def test_every_question_gets_one_cited_answer_or_an_explicit_not_covered(draft, searcher: Searcher) -> None:  # type: ignore[no-untyped-def]
    assert len(draft.items) == 13
    assert any(item.covered for item in draft.items)
    for item in draft.items:
        if item.covered:
            assert item.references and all(f"[{n}]" in item.text for n in item.references)
        else:
            assert item.text == NOT_COVERED and not item.references
    numbers = [c.n for c in draft.references]
    assert numbers == list(range(1, len(numbers) + 1))
    for citation in draft.references:
        assert citation.doc_id != JCA_ID  # the incoming LS does not answer itself
        assert check_citation(citation, searcher.index.pages(citation.source))


def test_docx_export_reads_back_with_every_field(draft, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from docx import Document

    path = to_docx(draft, tmp_path / "reply.docx")
    document = Document(str(path))
    rows = {row.cells[0].text: row.cells[1].text for row in document.tables[0].rows}
    assert list(rows) == [
        "Question(s)",
        "Study Group",
        "Meeting, date",
        "Source",
        "Title",
        "For action to",
        "For comment to",
        "For information to",
        "Approval",
        "Deadline",
        "Contact",
    ]
    assert rows["For comment to"] == "JCA-QKDN" and rows["For action to"] == ""
    assert rows["Title"] == "Reply to JCA-QKDN-LS4 (4th meeting summary)" and rows["Study Group"] == "SG13"
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert headings == [*(f"Question {i}" for i in range(1, 14)), "References"]
    body = "\n".join(p.text for p in document.paragraphs)
    assert "JCA-QKDN-LS4" in body and body.count("[1] ") >= 1


def test_markdown_export(draft) -> None:  # type: ignore[no-untyped-def]
    text = to_markdown(draft)
    assert text.startswith("# LIAISON STATEMENT") and "| For comment to | JCA-QKDN |" in text
    assert text.count("## Question ") == 13 and "## References" in text


def test_bad_requests_are_clear_errors(searcher: Searcher, tmp_path: Path) -> None:
    with pytest.raises(QkdnError, match="action"):
        LiaisonFields(action="approval")
    with pytest.raises(QkdnError, match="no question"):
        draft_reply(Assistant(searcher), ["  "], LiaisonFields())
    fields = LiaisonFields()
    with pytest.raises(QkdnError, match="cannot write"):
        to_docx(draft_reply(Assistant(searcher), ["What is a KME?"], fields), tmp_path / "missing" / "r.docx")


# --- the reply answers from evidence, not from the questions -----------------------


def _restates(quote: str, question: str) -> bool:
    """The quote says the question back: most of its words, or a question itself."""
    words = {w for w in question.lower().replace("/", " ").split() if len(w) > 3}
    quoted = {w.strip("“”\"'.,?:;()") for w in quote.lower().replace("/", " ").split()}
    return quote.rstrip("” ").endswith("?") or len(words & quoted) >= 0.7 * len(words)


@pytest.fixture(scope="module")
def reply_with_the_summary_indexed(searcher: Searcher, jca_questions: list[str]):  # type: ignore[no-untyped-def]
    """The reply to the 13 open issues when the summary that lists them is indexed and
    not excluded — as with ``liaison --questions``."""
    return draft_reply(Assistant(searcher), jca_questions, LiaisonFields(source="ETSI ISG QKD", to="JCA-QKDN"))


def test_no_answer_of_the_reply_is_its_question(reply_with_the_summary_indexed, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from docx import Document

    draft = reply_with_the_summary_indexed
    path = to_docx(draft, tmp_path / "reply.docx")
    body = [p.text for p in Document(str(path)).paragraphs]
    assert sum(text.startswith("Question ") for text in body) == 13
    answered = [item for item in draft.items if item.covered]
    assert len(answered) >= 10  # the subset index answers most of them from evidence
    for item in draft.items:
        for citation in (draft.references[n - 1] for n in item.references):
            assert not _restates(citation.quote, item.question), (item.question, citation.quote)
            assert "invites" not in citation.quote  # a call for contributions is no answer
    cited = {c.doc_id for c in draft.references}
    assert len(cited) >= 4  # spread over the documents (the subset has five)
    for item in answered:
        assert item.basis.startswith("This answer rests on ") and item.basis in body


def test_the_introduction_reads_as_english(reply_with_the_summary_indexed) -> None:  # type: ignore[no-untyped-def]
    intro = reply_with_the_summary_indexed.introduction
    assert intro.startswith("ETSI ISG QKD thanks the sender. Answers to its 13 questions follow")
    assert LiaisonDraft(LiaisonFields(), ()).introduction.startswith("We thank the sender. Answers to its 0 questions")


def test_a_bullet_with_two_questions_is_one_question_in_a_plain_list(jca_questions: list[str]) -> None:
    assert extract_questions("\n".join(jca_questions)) == jca_questions  # one a line, 13 in, 13 out
