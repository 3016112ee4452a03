"""Evidence selection and abstention signals, on small hand-made passages (pure logic)."""

from __future__ import annotations

import pytest

from qkdnassist.abstain import Signals, confidence, signals
from qkdnassist.evidence import QueryTerms, render_evidence, select_quotes
from qkdnassist.keyword import KeywordIndex
from qkdnassist.types import Chunk, Citation, Hit

TEXTS = {
    "a": "Get key. The master SAE requests keys from its KME. The KME returns a key container. "
    "The key container holds key IDs.",
    "b": "Status. The status response has the field max_SAE_ID_count.\n"
    "max_SAE_ID_count integer Maximum number of additional slave SAEs.\n"
    "0 when the KME does not support key multicast",
    "c": "Scope. The present document specifies a REST-based key delivery API for QKD networks.",
    "d": "Trusted nodes relay keys hop by hop across a QKD network. Each node must be trusted.",
}


def chunk(key: str, ordinal: int = 0) -> Chunk:
    return Chunk(
        id=key,
        source=f"doc-{key}.pdf",
        doc_id=f"DOC {key.upper()}",
        title="",
        body="ETSI",
        edition="V1",
        clause="5.1",
        clause_title="",
        page=1,
        page_end=1,
        page_label="",
        text=TEXTS[key],
        ordinal=ordinal,
    )


@pytest.fixture(scope="module")
def keyword() -> KeywordIndex:
    return KeywordIndex.build(list(TEXTS), list(TEXTS.values()))


def test_query_terms_weigh_rare_words_more_and_find_unseen_names(keyword: KeywordIndex) -> None:
    terms = QueryTerms.of("Which KME field tells about key multicast in Micius FIPS-205?", keyword)
    assert terms.weights["multicast"] > terms.weights["key"]  # one passage vs all of them
    assert set(terms.unseen) == {"tells", "about", "micius", "fips-205", "fips", "205"}
    assert 0 < terms.unseen_share < 1
    assert "multicast+field" not in terms.weights  # a pair the corpus lacks says nothing


def test_everyday_words_count_less_than_names_when_word_pieces_are_known(keyword: KeywordIndex) -> None:
    pieces = {"tells": 1, "micius": 3}
    terms = QueryTerms.of("Who tells Micius?", keyword, pieces=lambda w: pieces.get(w, 1))
    assert terms.unseen == {"tells": 0.25, "micius": 1.0}


def test_compound_words_whose_parts_are_known_are_not_unseen(keyword: KeywordIndex) -> None:
    terms = QueryTerms.of("key-container status-response HQC-128", keyword)
    assert "key-container" not in terms.unseen and "status-response" not in terms.unseen
    assert "hqc-128" in terms.unseen  # an identifier must match whole


def test_possessives_and_plurals_find_their_word(keyword: KeywordIndex) -> None:
    assert not QueryTerms.of("the KME's containers", keyword).unseen


def test_the_sentence_answering_the_question_is_quoted_with_what_completes_it(keyword: KeywordIndex) -> None:
    terms = QueryTerms.of("Which field of the status response tells whether key multicast is supported?", keyword)
    hits = [Hit(chunk("a"), 0.03), Hit(chunk("b"), 0.02), Hit(chunk("c"), 0.01)]
    quotes = select_quotes(terms, hits)
    assert quotes[0].chunk.id == "b"
    quoted = " ".join(q.text for q in quotes)
    assert "does not support key multicast" in quoted and "max_SAE_ID_count" in quoted
    assert all(q.score >= 0.5 * quotes[0].score for q in quotes)


def test_quotes_do_not_repeat_and_respect_the_limits(keyword: KeywordIndex) -> None:
    terms = QueryTerms.of("key", keyword)
    hits = [Hit(chunk(k), 0.01) for k in TEXTS]
    quotes = select_quotes(terms, hits, max_quotes=3, per_hit=1, min_ratio=0.0)
    assert len(quotes) == 3 and len({q.chunk.id for q in quotes}) == 3
    for i, a in enumerate(quotes):
        assert not any(a.overlaps(b) for b in quotes[i + 1 :])


def test_a_paraphrase_with_no_shared_word_gets_the_opening_of_the_best_passage(keyword: KeywordIndex) -> None:
    quotes = select_quotes(QueryTerms.of("zebra umbrella", keyword), [Hit(chunk("d"), 0.03), Hit(chunk("a"), 0.02)])
    assert len(quotes) == 1 and quotes[0].chunk.id == "d" and quotes[0].start == 0


def test_headings_are_never_quoted_alone(keyword: KeywordIndex) -> None:
    fields = {**chunk("a").__dict__, "id": "h", "clause": "5.2", "clause_title": "5 API > 5.2 Get key"}
    heading = Chunk(**{**fields, "text": "5.2 Get key\nThe master SAE requests keys."})
    quotes = select_quotes(QueryTerms.of("get key", keyword), [Hit(heading, 0.03)])
    assert quotes and all(not q.text.startswith("5.2") for q in quotes)


def test_render_groups_quotes_by_document_and_numbers_them() -> None:
    def cite(n: int, source: str, doc_id: str) -> Citation:
        return Citation(n, source, doc_id, "V1", "", "ETSI", "5.1", "", 2, "", f"quote {n}")

    terms_hit = [
        (None, cite(1, "a.pdf", "DOC A")),
        (None, cite(2, "b.pdf", "DOC B")),
        (None, cite(3, "a.pdf", "DOC A")),
    ]
    text, statements = render_evidence(terms_hit)  # type: ignore[arg-type]
    assert text.index("DOC A V1:") < text.index("“quote 3”") < text.index("DOC B V1:")
    assert "not written by a model" in text.splitlines()[0]
    assert [s.citations for s in statements] == [(1,), (3,), (2,)]
    assert "(clause 5.1, p. 2) [2]" in text


def test_signals_and_confidence(keyword: KeywordIndex) -> None:
    terms = QueryTerms.of("Which status field says the KME does not support key multicast?", keyword)
    hits = [Hit(chunk("b"), 2 / 61, similarity=0.7)]
    strong = signals(terms, hits, select_quotes(terms, hits))
    assert strong.coverage > 0.3 and strong.similarity == 0.7 and strong.agreement == pytest.approx(1.0)
    weak = Signals(unseen=0.6, coverage=0.1, similarity=0.4, agreement=0.9)
    assert confidence(strong) > confidence(weak)
    assert 0.0 < confidence(weak) < 0.5 < confidence(Signals(0.0, 0.9, 0.8, 1.0)) < 1.0
    assert signals(terms, [], []) == Signals(terms.unseen_share, 0.0, 0.0, 0.0)
