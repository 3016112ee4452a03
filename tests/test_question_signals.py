"""Pure logic of the signals added to the answer layer: which document a question
points at by description, its proper names, whether a value is the question's own,
and the abstention signals for a value asked but missing (no index, no model)."""

from __future__ import annotations

from qkdnassist.answer.analysis import signals
from qkdnassist.answer.calibration import calibration
from qkdnassist.answer.evidence import choose, score_candidates
from qkdnassist.answer.features import in_question
from qkdnassist.answer.qtypes import question_type
from qkdnassist.answer.query import QueryTerms, proper_names
from qkdnassist.search.refs import document_mentions, document_words
from qkdnassist.store.keyword import KeywordIndex
from qkdnassist.types import Chunk, DocumentInfo, DocumentRecord, Hit


def record(doc_id: str, title: str, body: str) -> DocumentRecord:
    return DocumentRecord(f"{doc_id}.pdf", "0" * 64, DocumentInfo(doc_id, title=title, body=body), 10, 10)


DOCUMENTS = [
    record("CSA/GovTech/IMDA Quantum-Safe Handbook", "Quantum-Safe Migration Handbook", "CSA (Singapore)"),
    record("India DST/NQM Quantum Safe Task Force Report", "Implementation of Quantum Safe Ecosystem", "DST (India)"),
    record("GSMA PQ.03", "Post Quantum Cryptography – Guidelines for Telecom Use Cases", "GSMA"),
    record("GSMA PQ.02", "Guidelines for Quantum Risk Management for Telco", "GSMA"),
    record("NIST FIPS 203", "Module-Lattice-Based Key-Encapsulation Mechanism Standard", "NIST"),
]


def test_a_question_points_at_a_document_by_its_id_or_by_words_few_others_share() -> None:
    assert document_mentions("What does GSMA PQ.03 say about TLS?", DOCUMENTS)["GSMA PQ.03"] == 1.0
    by_description = document_mentions("What is gained, per the Singapore handbook?", DOCUMENTS)
    assert by_description == {"CSA/GovTech/IMDA Quantum-Safe Handbook": 1.0}
    # "Indian" names India; "quantum" and "guidelines" are shared and point nowhere
    assert "India DST/NQM Quantum Safe Task Force Report" in document_mentions("the Indian report", DOCUMENTS)
    assert document_mentions("Which quantum guidelines apply?", DOCUMENTS) == {}


def test_proper_names_leave_out_framing_words_identifier_prefixes_and_document_names() -> None:
    question = "How many nodes make up the Tokyo QKD Network, per RFC 8784 and the Singapore handbook?"
    names = proper_names(question)
    assert "tokyo" in names and "how" not in names and "rfc" not in names
    known = document_words(DOCUMENTS)
    assert "singapore" in known  # the assistant drops names that name an indexed document


def test_a_value_written_in_the_question_is_not_its_answer_but_case_counts_for_methods() -> None:
    assert in_question("GET", "method", "Which HTTP method does the Get status method use?") is False
    assert in_question("GET", "method", "Is GET used by the Get status method?") is True
    assert in_question("1184 bytes", "size", "Is the key 1184 BYTES long?") is True


def _hit(key: str, text: str) -> Hit:
    fields = dict(source=f"{key}.pdf", doc_id=key.upper(), title="", body="ETSI", edition="V1", clause="5")
    fields |= dict(clause_title="5 API", page=1, page_end=1, page_label="", text=text, ordinal=3)
    return Hit(Chunk(id=key, **fields), 0.02)  # type: ignore[arg-type]


def _keyword(*texts: str) -> KeywordIndex:
    texts = (*texts, "other text about something else")
    return KeywordIndex.build([str(i) for i in range(len(texts))], list(texts))


def test_a_question_asking_for_a_date_and_a_place_gets_no_answer_from_a_date_alone() -> None:
    question = "When and where did the fifth meeting take place?"
    keyword = _keyword("the fifth meeting took place on 12 March 2025")
    terms = QueryTerms.of(question, keyword)
    qtype = question_type(question)
    assert {"date", "place"} <= set(qtype.values)
    hits = [_hit("a", "The fifth meeting took place on 12 March 2025.")]
    scored = score_candidates(question, terms, qtype, hits, calibration().statement, embed=None, query_vector=None)
    assert signals(terms, qtype, hits, scored, question=question).value_partial == 1.0
    hits = [_hit("a", "The fifth meeting took place on 12 March 2025 in Geneva.")]
    scored = score_candidates(question, terms, qtype, hits, calibration().statement, embed=None, query_vector=None)
    assert signals(terms, qtype, hits, scored, question=question).value_partial == 0.0


def test_proper_names_the_best_statements_lack_raise_name_absent() -> None:
    question = "How many qubits does the Willow processor have?"
    keyword = _keyword("a processor with many qubits")
    terms = QueryTerms.of(question, keyword)
    qtype = question_type(question)
    hits = [_hit("a", "A quantum processor with many qubits was shown.")]
    scored = score_candidates(question, terms, qtype, hits, calibration().statement, embed=None, query_vector=None)
    assert signals(terms, qtype, hits, scored, question=question, names=["willow"]).name_absent == 1.0
    assert choose(scored)  # the statement is still there for the nearest-passages list


def test_an_example_gives_way_to_the_normative_statement_of_a_value() -> None:
    question = "Which URL does a slave SAE call to get keys?"
    text = (
        "EXAMPLE: An access URL for Get key is https://kme/api/v1/keys/x/dec_keys?key_ID=1 as follows.\n"
        "The slave SAE calls https://{KME_hostname}/api/v1/keys/{master_SAE_ID}/dec_keys to get keys."
    )
    keyword = _keyword(text)
    terms = QueryTerms.of(question, keyword)
    qtype = question_type(question)
    scored = score_candidates(
        question, terms, qtype, [_hit("a", text)], calibration().statement, embed=None, query_vector=None
    )
    lead = choose(scored, narrow=True)[0]
    assert not lead.candidate.text.startswith("EXAMPLE")


def test_an_api_method_named_in_the_question_does_not_ask_for_an_http_method() -> None:
    assert "method" not in question_type("What is the response data model of the Get status method?").values
    assert question_type("Which HTTP method does the Get status method use?").value == "method"
