"""Evidence answers on small hand-made passages (pure logic: no model, no corpus).

Candidate statements (sentences joined over breaks, table rows with their header,
lists with their lead-in), what is never evidence (questions, requests, echoes,
boilerplate), question typing, the value marked in bold, and the answer-first
rendering.
"""

from __future__ import annotations

import pytest

from qkdnassist.answer.calibration import Logistic, calibration
from qkdnassist.answer.compose import mark_value, render
from qkdnassist.answer.evidence import Located, Scored, choose, features, score_candidates
from qkdnassist.answer.qtypes import question_type, values
from qkdnassist.answer.query import QueryTerms
from qkdnassist.answer.statements import candidates, complete, flags, restates
from qkdnassist.store.keyword import KeywordIndex
from qkdnassist.types import Chunk, Citation, Hit

TEXTS = {
    "a": "Get key. The master SAE requests keys from its KME. The KME returns a key container. "
    "The key container holds key IDs.",
    "b": "Table 9\nItems | Data type | Description\nkey_size | integer | Default size of key (in bit)\n"
    "max_SAE_ID_count | integer | Maximum number of additional_slave_SAE_IDs the KME allows. "
    '"0" when the KME does not support key multicast',
    "c": "Scope. The present document specifies a REST-based key delivery API for QKD networks.",
    "d": "Trusted nodes relay keys hop by hop across a QKD network. Each node must be trusted.",
}


def chunk(key: str, text: str | None = None, **fields: object) -> Chunk:
    values: dict[str, object] = {
        "id": key,
        "source": f"doc-{key}.pdf",
        "doc_id": f"DOC {key.upper()}",
        "title": "",
        "body": "ETSI",
        "edition": "V1",
        "clause": "5.1",
        "clause_title": "5 API > 5.1 Status",
        "page": 1,
        "page_end": 1,
        "page_label": "",
        "text": TEXTS[key] if text is None else text,
        "ordinal": 3,
    }
    values.update(fields)
    return Chunk(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def keyword() -> KeywordIndex:
    return KeywordIndex.build(list(TEXTS), list(TEXTS.values()))


# --- question words ---------------------------------------------------------------


def test_query_terms_weigh_rare_words_more_and_find_unseen_names(keyword: KeywordIndex) -> None:
    terms = QueryTerms.of("Which KME field tells about key multicast in Micius FIPS-205?", keyword)
    assert terms.weights["multicast"] > terms.weights["key"]  # one passage vs all of them
    assert set(terms.unseen) == {"field", "tells", "about", "micius", "fips-205", "fips", "205"}
    assert 0 < terms.unseen_share < 1
    assert terms.unseen_identifier  # "FIPS-205" has digits and the corpus lacks it
    assert "multicast+field" not in terms.weights  # a pair the corpus lacks says nothing


def test_everyday_words_count_less_than_names_when_word_pieces_are_known(keyword: KeywordIndex) -> None:
    pieces = {"tells": 1, "micius": 3}
    terms = QueryTerms.of("Who tells Micius?", keyword, pieces=lambda w: pieces.get(w, 1))
    assert terms.unseen == {"tells": 0.25, "micius": 1.0}
    assert terms.unseen_identifier  # a name the embedder spells in pieces
    assert not QueryTerms.of("Who tells?", keyword, pieces=lambda w: pieces.get(w, 1)).unseen_identifier


def test_a_multi_word_name_whose_words_never_stand_together_is_unseen(keyword: KeywordIndex) -> None:
    assert QueryTerms.of("How many nodes has the Trusted Container Network?", keyword).unseen_names
    assert not QueryTerms.of("What do Trusted Nodes relay?", keyword).unseen_names  # "trusted nodes" is there


def test_compound_words_whose_parts_are_known_are_not_unseen(keyword: KeywordIndex) -> None:
    terms = QueryTerms.of("key-container trusted-node HQC-128", keyword)
    assert "key-container" not in terms.unseen and "trusted-node" not in terms.unseen
    assert "hqc-128" in terms.unseen  # an identifier must match whole


# --- what a question asks ---------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Which URL does a slave SAE call to get keys with key IDs?", "url"),
        ("Which HTTP method does Get status use?", "method"),
        ("What HTTP status code does the KME return for a bad request?", "status"),
        ("How many bytes is the ML-KEM-768 ciphertext?", "size"),
        ("How many proposals were submitted in the first round?", "count"),
        ("When was FIPS 203 published?", "date"),
        ("In which city will the next meeting be held?", "place"),
        ("What is the budget of the programme?", "money"),
        ("Who proposed restricting hybrids to fixed-length secrets?", "person"),
        ("What does SAE stand for?", "definition"),
        ("Which three calls of the older interface correspond to it?", "list"),
    ],
)
def test_questions_are_typed_by_the_value_they_ask_for(question: str, kind: str) -> None:
    assert question_type(question).value == kind


def test_when_inside_a_sentence_does_not_make_a_date_question() -> None:
    assert not question_type("Which OID is placed in front of the digest when SHA-512 is used?").wants("date")


@pytest.mark.parametrize(
    "question",
    [
        "What is the current progress on QKD specifications within ITU-T and in other SDOs?",
        "Is there duplication or overlap of QKD specifications?",
        "Who are the stakeholders relevant for QKD standardization?",
        "What do security agencies say about QKD?",
    ],
)
def test_landscape_questions_are_broad_unless_they_name_one_document(question: str) -> None:
    assert question_type(question).broad
    assert not question_type(question, names_document=True).broad


def test_values_find_what_the_type_names() -> None:
    text = "Call https://kme/api/v1/keys/{slave_SAE_ID}/status with GET; 503 on error; 1184 bytes in 2024."
    assert [text[a:b] for a, b in values(text, "url")] == ["https://kme/api/v1/keys/{slave_SAE_ID}/status"]
    assert [text[a:b] for a, b in values(text, "method")] == ["GET"]
    assert "503" in [text[a:b] for a, b in values(text, "status")]
    assert [text[a:b] for a, b in values(text, "size")] == ["1184 bytes"]
    assert "2024" in [text[a:b] for a, b in values(text, "date")]


# --- candidates -------------------------------------------------------------------


def test_rows_carry_their_caption_and_header() -> None:
    rows = [c for c in candidates(Hit(chunk("b"), 0.03), 0) if c.kind == "row"]
    assert [r.text.split(" | ")[0] for r in rows] == ["key_size", "max_SAE_ID_count"]
    assert all(r.caption == "Table 9" and r.header == "Items | Data type | Description" for r in rows)


def test_a_table_continued_from_an_earlier_passage_takes_its_header_from_the_context() -> None:
    continued = chunk("b", "min_key_size | integer | Minimum size", context="Table 9\nItems | Data type | Description")
    (row,) = candidates(Hit(continued, 0.03), 0)
    assert row.kind == "row" and row.header == "Items | Data type | Description" and row.caption == "Table 9"


def test_a_sentence_broken_over_a_page_is_one_statement_in_two_parts() -> None:
    text = "The KME shall return the keys\nwhose IDs the master SAE supplied. Nothing else is returned."
    first = candidates(Hit(chunk("a", text), 0.03), 0)[0]
    assert first.text == "The KME shall return the keys whose IDs the master SAE supplied."
    assert first.parts == ("The KME shall return the keys", "whose IDs the master SAE supplied.")


def test_a_sentence_that_refers_back_is_also_read_with_the_one_before_it() -> None:
    text = "Mitigation time is the time needed to migrate. This time is estimated to be between 5 and 20 years."
    joined = [c for c in candidates(Hit(chunk("a", text), 0.03), 0) if c.joined]
    assert len(joined) == 1 and joined[0].text == text


def test_a_list_is_one_candidate_with_its_lead_in_and_is_completed_from_the_next_passage() -> None:
    here = chunk("a", "There exist three schemes:\n* At mid-point: a source sits midway.\n* At source: one node emits.")
    after = chunk("a", "* Sender-receiver: the photon travels all the way. It is absorbed.\nOther text.", ordinal=4)
    (listed,) = [c for c in candidates(Hit(here, 0.03), 0) if c.kind == "list"]
    assert listed.open_end and listed.parts[0] == "There exist three schemes:"
    whole = complete(listed, lambda c, step: after if step > 0 else None)
    assert whole.parts[-1] == "* Sender-receiver: the photon travels all the way."
    assert whole.part_chunks[-1] is after and not whole.open_end


def test_a_sentence_cut_by_the_end_of_its_passage_is_completed_from_the_next_one() -> None:
    here = chunk("a", "Keys are delivered. SG15 intends to address time synchronization needs and")
    after = chunk("a", "solutions to support QKDN as part of Q13/15 work. Another sentence.", ordinal=4)
    last = candidates(Hit(here, 0.03), 0)[-1]
    assert last.open_end
    whole = complete(last, lambda c, step: after if step > 0 else None)
    assert whole.text.endswith("time synchronization needs and solutions to support QKDN as part of Q13/15 work.")


# --- what is never evidence -------------------------------------------------------


QUESTION = "Is there duplication or overlap of QKD specifications or standards?"


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        ("· Is there duplication/overlap of QKD specifications or standards?", "question"),
        ("JCA-QKDN invites SDOs and Forums to provide their feedback on this list of open issues:", "request"),
        ("There is duplication and overlap of QKD specifications and standards.", "echo"),
        ("The present document has been produced and approved by the ISG QKD.", "boilerplate"),
        ("© ETSI 2019. All rights reserved.", "boilerplate"),
        ("ETSI GS QKD 014 maps its REST API onto the IDL calls of ETSI GS QKD 004 (Annex B).", ""),
    ],
)
def test_questions_requests_echoes_and_boilerplate_are_never_evidence(text: str, flag: str) -> None:
    (candidate,) = [c for c in candidates(Hit(chunk("a", text), 0.03), 0) if c.kind == "sentence"][:1]
    assert flags(candidate, QUESTION) == flag


def test_an_answer_that_repeats_the_question_words_and_adds_the_answer_is_no_echo() -> None:
    question = "Who published the Crypto Agility Risk Assessment Framework, and when?"
    text = "The Crypto Agility Risk Assessment Framework was published by Comcast Cybersecurity in April 2021."
    assert restates(text, question)
    (candidate,) = candidates(Hit(chunk("a", text), 0.03), 0)
    assert flags(candidate, question) == ""


def test_calls_to_action_are_evidence_when_the_question_asks_what_was_requested() -> None:
    text = "JCA-QKDN invites other Member States to share their progress on quantum technologies."
    (candidate,) = candidates(Hit(chunk("a", text), 0.03), 0)
    assert flags(candidate, "What has the JCA asked other SDOs and Member States to do?") == ""


# --- scoring, choosing, rendering ------------------------------------------------


def test_the_shipped_statement_model_prefers_the_row_that_answers(keyword: KeywordIndex) -> None:
    question = "Which field of the Status data tells whether the KME supports key multicast?"
    qtype = question_type(question)
    terms = QueryTerms.of(question, keyword)
    hits = [Hit(chunk("b"), 0.03, 0.6), Hit(chunk("a"), 0.02, 0.5), Hit(chunk("c"), 0.01, 0.3)]
    scored = score_candidates(question, terms, qtype, hits, calibration().statement, embed=None, query_vector=None)
    assert scored[0].candidate.text.startswith("max_SAE_ID_count")
    lead, *supports = choose(scored)
    assert lead is scored[0] and len(supports) <= 4 and all(s.usable for s in supports)


def test_features_say_whether_the_asked_value_is_there(keyword: KeywordIndex) -> None:
    question = "How many bits is the default key size?"
    terms, qtype = QueryTerms.of(question, keyword), question_type(question)
    row, _ = [c for c in candidates(Hit(chunk("b"), 0.02), 0) if c.kind == "row"]
    assert features(row, terms, qtype, question, Hit(chunk("b"), 0.02), 0.0)["coverage"] > 0
    sentence = candidates(Hit(chunk("d"), 0.02), 0)[0]
    f = features(sentence, terms, qtype, question, Hit(chunk("d"), 0.02), 0.0)
    assert f["value"] == 0.0 and f["missing"] == 1.0


def test_choose_skips_unusable_and_overlapping_statements() -> None:
    c = candidates(Hit(chunk("a"), 0.03), 0)
    scored = [Scored(c[0], {}, 0.9, "echo"), Scored(c[1], {}, 0.8), Scored(c[1], {}, 0.7), Scored(c[2], {}, 0.6)]
    assert [s.candidate.text for s in choose(scored)] == [c[1].text, c[2].text]


def test_the_value_asked_for_is_marked_in_bold_in_the_cell_under_the_matching_header() -> None:
    question = "How many bytes is the ML-KEM-768 ciphertext?"
    row = "ML-KEM-768 | 1184 bytes | 2400 bytes | 1088 bytes"
    header = "Parameter set | Encapsulation key | Decapsulation key | Ciphertext"
    assert (
        mark_value(row, question_type(question), question, header)
        == "ML-KEM-768 | 1184 bytes | 2400 bytes | **1088 bytes**"
    )
    url = "Access URL | https://{KME_hostname}/api/v1/keys/{master_SAE_ID}/dec_keys"
    marked = mark_value(url, question_type("Which URL gets keys with key IDs?"), "Which URL gets keys with key IDs?")
    assert marked == "Access URL | **https://{KME_hostname}/api/v1/keys/{master_SAE_ID}/dec_keys**"
    assert (
        mark_value("Trusted nodes relay keys.", question_type("Why relay?"), "Why relay?")
        == "Trusted nodes relay keys."
    )


def test_render_opens_with_the_lead_statement_then_groups_the_supporting_ones() -> None:
    def located(key: str, n: int, text: str) -> Located:
        candidate = candidates(Hit(chunk(key, text), 0.03), 0)[0]
        citation = Citation(n, f"doc-{key}.pdf", f"DOC {key.upper()}", "V1", "", "ETSI", "5.1", "", 2, "", text)
        return Located(Scored(candidate, {}, 0.5), text, (citation,))

    question = "When was the standard published?"
    items = [
        located("a", 1, "It was published in 2019."),
        located("b", 2, "A draft came in 2018."),
        located("a", 3, "V2 came in 2024."),
    ]
    text, statements = render(items, question_type(question), question)
    assert text.startswith("“It was published in **2019**.” [1]")
    supporting = text.index("Supporting passages:")
    assert supporting < text.index("DOC B V1:") < text.index("DOC A V1:") < text.index("V2 came in 2024.")
    assert [s.citations for s in statements] == [(1,), (2,), (3,)]
    assert statements[0].text == "It was published in 2019."  # statements carry the quote unmarked
    assert "not written by a model" in text.splitlines()[-1]


def test_a_logistic_model_reads_missing_features_as_zero() -> None:
    model = Logistic({"a": 2.0, "b": -1.0}, bias=0.0)
    assert model.probability({"a": 0.0}) == pytest.approx(0.5)
    assert model.probability({"a": 1.0}) > 0.5 > model.probability({"b": 1.0})
