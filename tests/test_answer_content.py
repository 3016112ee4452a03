"""Answers that answer, on the real subset index: the fact first with the value in bold,
coordination questions across bodies, no echoes of the question, abstention on
generated variants of answerable questions, and whole sentences only."""

from __future__ import annotations

import re

import pytest

from qkdnassist.answer import Assistant, check_citation
from qkdnassist.search.retrieve import Searcher
from qkdnassist.sentences import split_sentences

pytestmark = pytest.mark.slow


def norm(text: str) -> str:
    return " ".join(text.replace("**", "").split()).casefold()


@pytest.fixture(scope="module")
def assistant(searcher: Searcher) -> Assistant:
    return Assistant(searcher)


@pytest.mark.parametrize(
    ("question", "value"),
    [
        ("Which URL does a slave SAE call to get keys with key IDs?", "/api/v1/keys/{master_SAE_ID}/dec_keys"),
        ("Which HTTP method does the Get status method of ETSI GS QKD 014 use?", "GET"),
        ("Which HTTP status code does a KME return for a bad request format?", "400"),
        ("How many bytes is the ML-KEM-1024 ciphertext?", "1568"),
        ("When was the fourth JCA-QKDN meeting held?", "17 May 2024"),
        (
            "What error message does a KME return when the key size is not a multiple of 8?",
            "size shall be a multiple of 8",
        ),
    ],
)
def test_the_answer_opens_with_the_statement_that_holds_the_value(
    assistant: Assistant, question: str, value: str
) -> None:
    answer = assistant.ask(question)
    assert not answer.abstained, answer.text
    lead = answer.text.split("\n— ")[0]
    assert norm(value) in norm(lead), answer.text
    assert norm(value) in norm(answer.statements[0].text)
    assert "**" in lead or len(value.split()) > 3  # a value asked for is marked in bold
    for citation in answer.citations:
        assert check_citation(citation, assistant.searcher.index.pages(citation.source))


def test_at_most_four_supporting_statements_follow_grouped_by_document(assistant: Assistant) -> None:
    answer = assistant.ask("What must a KME do when it cannot meet the extension_mandatory parameters?")
    assert 1 <= len(answer.statements) <= 5
    supporting = answer.text.split("Supporting passages:")[1] if "Supporting passages:" in answer.text else ""
    headers = [line for line in supporting.splitlines() if line.endswith(":") and not line.startswith("-")]
    assert len(headers) == len(set(headers))  # each document once


@pytest.mark.parametrize(
    "question",
    [
        "What do the documents say about the certification of QKD products?",
        "Which bodies work on QKD standardization and what have they published?",
    ],
)
def test_a_coordination_question_is_answered_across_bodies(assistant: Assistant, question: str) -> None:
    answer = assistant.ask(question)
    assert not answer.abstained, answer.text
    assert answer.text.startswith("Across ")
    assert len({c.body for c in answer.citations}) >= 2, answer.text
    assert len({c.doc_id for c in answer.citations}) >= 2


def test_the_list_of_open_questions_is_never_evidence_for_them(assistant: Assistant) -> None:
    """The JCA summary lists these questions; the answer must come from elsewhere or
    from what the summary states, never from the list."""
    for question in (
        "Is there duplication/overlap of QKD specifications or standards?",
        "What are the lessons learnt from the development and utilization of current international QKD standards?",
    ):
        answer = assistant.ask(question)
        for citation in answer.citations:
            assert not citation.quote.rstrip("” ").endswith("?"), citation.quote
            assert "invites" not in citation.quote and "list of open issues" not in citation.quote


@pytest.mark.parametrize(
    ("answerable", "unanswerable"),
    [
        # a real document number replaced by one the corpus never contains
        (
            "What is the size in bytes of the ML-KEM-768 encapsulation key?",
            "What is the size in bytes of the ML-KEM-1536 encapsulation key?",
        ),
        ("Which URL does Get status use in ETSI GS QKD 014?", "Which URL does Get status use in ETSI GS QKD 027?"),
        # a real meeting's future successor
        ("When was the fourth JCA-QKDN meeting held?", "In which city was the ninth JCA-QKDN meeting held?"),
    ],
)
def test_variants_that_name_what_the_corpus_lacks_are_declined(
    assistant: Assistant, answerable: str, unanswerable: str
) -> None:
    assert not assistant.ask(answerable).abstained
    declined = assistant.ask(unanswerable)
    assert declined.abstained and not declined.citations, declined.text


_ENDS = re.compile(r"[.!?:;)\]”\"']$")
_ITEM = re.compile(r"^(?:[•*\-–·]|\d{1,2}[.)]|\(?[a-z][.)])\s")


def test_no_statement_is_cut_inside_a_sentence(assistant: Assistant) -> None:
    questions = [
        "What did ITU-T SG15 say about time synchronization for QKDN?",
        "What do the QIRG principles say about Bell pairs being indistinguishable?",
        "Why do the agencies say QKD needs an authenticated channel?",
    ]
    for question in questions:
        answer = assistant.ask(question)
        for statement in answer.statements:
            text = statement.text.strip()
            if " | " in text or _ITEM.match(text):
                continue  # a table row, or a list item ("2. Bell Pairs are indistinguishable")
            assert _ENDS.search(text), text
            assert len(split_sentences(text)) >= 1
    sg15 = assistant.ask(questions[0])
    assert "time synchronization needs and solutions to support QKDN" in sg15.text.replace("**", "")
