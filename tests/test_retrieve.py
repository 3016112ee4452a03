"""Hybrid search on a real index of sample documents: identifiers, filters, fusion."""

from __future__ import annotations

import pytest

from qkdnassist.errors import QkdnError
from qkdnassist.search.refs import doc_aliases, parse_refs
from qkdnassist.search.retrieve import Searcher
from qkdnassist.types import DocumentInfo, DocumentRecord


def _record(doc_id: str) -> DocumentRecord:
    return DocumentRecord(source=f"{doc_id}.pdf", sha256="", info=DocumentInfo(doc_id=doc_id), pages=1, chunks=1)


DOCS = [
    _record("ETSI GS QKD 014"),
    _record("NIST FIPS 203"),
    _record("GSMA PQ.03"),
    _record("draft-irtf-qirg-principles"),
]


@pytest.mark.parametrize(
    ("query", "doc_ids", "clauses"),
    [
        ("What does FIPS 203 say about decapsulation?", {"NIST FIPS 203"}, set()),
        ("QKD 014 clause 5.2 status", {"ETSI GS QKD 014"}, {"5.2"}),
        ("PQ.03 section 4.5.2 on TLS", {"GSMA PQ.03"}, {"4.5.2"}),
        ("pq03 hybrid certificates", {"GSMA PQ.03"}, set()),
        ("draft-irtf-qirg-principles entanglement", {"draft-irtf-qirg-principles"}, set()),
        ("Annex A of the key delivery API", set(), {"A"}),
        ("how are keys delivered", set(), set()),
    ],
)
def test_parse_refs_finds_named_documents_and_clauses(query: str, doc_ids: set[str], clauses: set[str]) -> None:
    refs = parse_refs(query, DOCS)
    assert refs.doc_ids == doc_ids
    assert refs.clauses == clauses


def test_named_document_is_taken_out_of_the_keyword_query() -> None:
    refs = parse_refs("FIPS 203 decapsulation key check", DOCS)
    assert "203" not in refs.keyword_query and "decapsulation" in refs.keyword_query


def test_definition_questions_are_recognised() -> None:
    assert parse_refs("How does QKD 014 define a Trusted Node?", DOCS).definition
    assert parse_refs("What does KME stand for?", DOCS).definition
    assert not parse_refs("How many keys can a KME deliver per request?", DOCS).definition


def test_doc_aliases_cover_the_short_names_people_use() -> None:
    assert "qkd014" in doc_aliases("ETSI GS QKD 014")
    assert "fips203" in doc_aliases("NIST FIPS 203")
    assert "pq03" in doc_aliases("GSMA PQ.03")


@pytest.mark.parametrize(
    ("query", "source", "page"),
    [
        ("/api/v1/keys/{master_SAE_ID}/dec_keys", "etsi/gs_qkd_014_v1.1.1.pdf", 11),
        ("ML-KEM-768 encapsulation key size in bytes", "nist/nist_fips_203.pdf", 48),
        ("QKD 014 clause 5.2 Get status", "etsi/gs_qkd_014_v1.1.1.pdf", 11),
        ("draft-irtf-qirg-principles section 4.2 Bell pairs", "ietf/draft-irtf-qirg-principles-11.txt", 11),
    ],
)
def test_identifier_queries_find_their_document_and_page(
    searcher: Searcher, query: str, source: str, page: int
) -> None:
    hits = searcher.search(query, 5)
    assert any(h.chunk.source == source and h.chunk.page <= page <= h.chunk.page_end for h in hits), [
        (h.chunk.source, h.chunk.page, h.chunk.clause) for h in hits
    ]


def test_clause_reference_ranks_that_clause_first(searcher: Searcher) -> None:
    hits = searcher.search("QKD 014 clause 5.2", 3)
    assert hits[0].chunk.doc_id == "ETSI GS QKD 014" and hits[0].chunk.clause.startswith("5.2")


def test_synonym_question_reaches_the_right_document(searcher: Searcher) -> None:
    hits = searcher.search("Which protocol version must secure the link between an application and its key manager?", 5)
    assert hits[0].chunk.doc_id == "ETSI GS QKD 014"
    assert any("TLS version 1.2 or higher" in h.chunk.text for h in hits)


def test_filters_by_body_and_document(searcher: Searcher) -> None:
    by_body = searcher.search("key encapsulation", 10, body="nist")
    assert by_body and {h.chunk.body for h in by_body} == {"NIST"}
    by_doc = searcher.search("key", 10, doc="QKD 014")
    assert by_doc and {h.chunk.doc_id for h in by_doc} == {"ETSI GS QKD 014"}
    partial_body = searcher.search("quantum key distribution", 5, body="BSI")
    assert partial_body and all("BSI" in h.chunk.body for h in partial_body)


def test_unknown_filters_and_empty_queries_are_clear_errors(searcher: Searcher) -> None:
    with pytest.raises(QkdnError, match="no indexed document matches"):
        searcher.search("key", doc="Y.3802")
    with pytest.raises(QkdnError, match="body"):
        searcher.search("key", body="IEEE")
    with pytest.raises(QkdnError, match="empty"):
        searcher.search("   ")


def test_hits_are_ordered_unique_and_resolve_to_records(searcher: Searcher) -> None:
    hits = searcher.search("entanglement swapping", 10)
    assert len(hits) == 10
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert len({h.chunk.id for h in hits}) == 10
    assert all(h.chunk.text and h.chunk.page >= 1 for h in hits)


def test_abbreviations_are_expanded_from_the_documents_own_glossaries(searcher: Searcher) -> None:
    hits = searcher.search("What does the KME do?", 10)
    assert any("Key Management Entity" in h.chunk.text for h in hits)


def test_each_document_gets_its_own_best_passages(searcher: Searcher) -> None:
    per_doc = searcher.search_each_document("trusted nodes and distance limits of QKD", 3)
    assert set(per_doc) == {d.info.doc_id for d in searcher.documents()}
    for doc_id, hits in per_doc.items():
        assert len(hits) <= 3
        assert all(hit.chunk.doc_id == doc_id for hit in hits)
    position_paper = next(d for d in per_doc if "ANSSI" in d or "position" in d.lower())
    assert per_doc[position_paper], "the document that treats the topic has passages"


def test_a_large_index_examines_only_the_documents_that_rank_best(searcher: Searcher) -> None:
    query = "key delivery API between SAE and KME: Get key request"
    everything = searcher.search_each_document(query, 3)
    some = searcher.search_each_document(query, 3, examine=2)
    assert set(some) == set(everything), "every document is still listed"
    examined = {doc_id for doc_id, hits in some.items() if hits}
    assert 1 <= len(examined) <= 2
    assert "ETSI GS QKD 014" in examined
    for doc_id in examined:
        assert all(hit.chunk.doc_id == doc_id for hit in some[doc_id])
    # The dense side comes from one query over the whole index, not one per document;
    # the document that treats the topic still gets the same best passage.
    assert some["ETSI GS QKD 014"][0].chunk.id == everything["ETSI GS QKD 014"][0].chunk.id


def test_search_within_one_document_ranks_as_the_vector_store_does(searcher: Searcher) -> None:
    doc_id = "ETSI GS QKD 014"
    vector = searcher.embedder.embed_query("format of the key container returned by Get key")
    exact = searcher._dense_in_document(searcher._current(), vector, doc_id, 8)
    store = searcher.index.dense(vector, 8, {"doc_id": doc_id})
    assert [i for i, _ in exact] == [i for i, _ in store]
    assert [s for _, s in exact] == pytest.approx([s for _, s in store], abs=1e-4)
    hits = searcher.search("key container format", 5, doc=doc_id)
    assert hits and all(hit.chunk.doc_id == doc_id for hit in hits)
    assert searcher.search("key container format", 5, doc=doc_id, exclude=[doc_id]) == []
