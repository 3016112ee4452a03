"""Citations: sentences split right, located verbatim on their page, formatted as standards people write them."""

from __future__ import annotations

from dataclasses import replace

import pytest

from qkdnassist.citations import format_citation, passage_citation
from qkdnassist.search.quotes import QuoteLocator, _squash, check_citation
from qkdnassist.search.retrieve import Searcher
from qkdnassist.sentences import split_sentences
from qkdnassist.store.index import Index
from qkdnassist.types import Chunk, Citation, Page


def _citation(**changes: object) -> Citation:
    base = Citation(1, "etsi/x.pdf", "ETSI GS QKD 014", "V1.1.1", "2019-02", "ETSI", "5.2", "", 11, "11", "q")
    return replace(base, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The KME shall reply. The SAE waits.", ["The KME shall reply.", "The SAE waits."]),
        ("See e.g. clause 5.2 for details. Next one.", ["See e.g. clause 5.2 for details.", "Next one."]),
        ("Shown in Fig. 3 and Table 2. Done.", ["Shown in Fig. 3 and Table 2.", "Done."]),
        ("5.2. Get key The KME returns keys.", ["5.2. Get key The KME returns keys."]),
        ("The value is 256. It is fixed.", ["The value is 256.", "It is fixed."]),
        ("Row | 1 | 2\nRow | 3 | 4", ["Row | 1 | 2", "Row | 3 | 4"]),
        ("Is it? Yes! (Really.) Then", ["Is it?", "Yes!", "(Really.)", "Then"]),
        ("  \n\n ", []),
    ],
)
def test_split_sentences(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, "ETSI GS QKD 014 V1.1.1 (2019-02), clause 5.2, p. 11"),
        ({"page": 24, "page_label": "15"}, "ETSI GS QKD 014 V1.1.1 (2019-02), clause 5.2, p. 24 (printed 15)"),
        ({"clause": "Annex A"}, "ETSI GS QKD 014 V1.1.1 (2019-02), Annex A, p. 11"),
        ({"clause": ""}, "ETSI GS QKD 014 V1.1.1 (2019-02), p. 11"),
        (
            {"doc_id": "draft-irtf-qirg-principles", "edition": "-11", "date": "", "body": "IRTF", "clause": "4.2"},
            "draft-irtf-qirg-principles-11, section 4.2, p. 11",
        ),
        ({"edition": "", "date": ""}, "ETSI GS QKD 014, clause 5.2, p. 11"),
    ],
)
def test_format_citation(changes: dict[str, object], expected: str) -> None:
    assert format_citation(_citation(**changes)) == expected


def test_check_citation_needs_the_page_and_the_quote_on_it() -> None:
    pages = [Page(1, "Title page"), Page(2, "The KME shall\nrespond with a 400 error.\nmanage-\nment")]
    assert check_citation(_citation(page=2, quote="The KME shall respond with a 400 error."), pages)
    assert check_citation(_citation(page=2, quote="manage- ment"), pages)
    assert not check_citation(_citation(page=1, quote="The KME shall respond"), pages)  # wrong page
    assert not check_citation(_citation(page=3, quote="Title page"), pages)  # no such page
    assert not check_citation(_citation(page=2, quote="The KME shall respond with a 500 error."), pages)  # fabricated
    assert not check_citation(_citation(page=2, quote="  "), pages)


def test_every_sentence_of_real_hits_is_located_on_its_own_page(searcher: Searcher) -> None:
    index: Index = searcher.index
    locator = QuoteLocator(index)
    located = 0
    for query in ("Get key with key IDs", "ML-KEM-768 parameter set", "trusted node", "Bell pairs"):
        for hit in searcher.search(query, 5):
            pages = index.pages(hit.chunk.source)
            for sentence in split_sentences(hit.chunk.text):
                found = locator.locate(hit.chunk, sentence)
                if found is None:
                    continue  # e.g. a table row pypdf laid out around a removed header
                page, quote = found
                assert hit.chunk.page <= page.number <= hit.chunk.page_end
                assert check_citation(_citation(page=page.number, quote=quote), pages)
                located += 1
    assert located >= 60


def test_a_sentence_not_in_the_document_is_not_located(searcher: Searcher) -> None:
    hit = searcher.search("Get key with key IDs", 1)[0]
    locator = QuoteLocator(searcher.index)
    assert locator.locate(hit.chunk, "The KME shall always return exactly 42 keys.") is None
    moved = replace(hit.chunk, page=hit.chunk.page + 20, page_end=hit.chunk.page_end + 20)
    assert locator.locate(moved, split_sentences(hit.chunk.text)[-1]) is None  # right text, wrong pages


def test_passage_citation_copies_the_chunk_and_the_document_date(searcher: Searcher) -> None:
    hit = searcher.search("Get key with key IDs", 1, doc="QKD 014")[0]
    record = {r.source: r for r in searcher.documents()}[hit.chunk.source]
    citation = passage_citation(hit.chunk, record, n=3, quote="x")
    assert (citation.n, citation.doc_id, citation.edition, citation.date) == (3, "ETSI GS QKD 014", "V1.1.1", "2019-02")
    assert citation.page == hit.chunk.page and citation.quote == "x"


def test_locator_cache_follows_the_index_generation(searcher: Searcher) -> None:
    locator = QuoteLocator(searcher.index, documents=1)
    chunk: Chunk = searcher.search("Bell pairs", 1, doc="draft-irtf-qirg-principles")[0].chunk
    first = locator.pages(chunk.source)
    assert locator.pages(chunk.source) is first  # cached
    other = searcher.search("ML-KEM", 1, doc="FIPS 203")[0].chunk
    locator.pages(other.source)
    assert locator.pages(chunk.source) is not first  # evicted: one document kept


def test_squash_drops_exactly_the_white_space_str_split_drops() -> None:
    # Every character of the Basic Multilingual Plane between words, and runs of them.
    text = "".join(f"a{chr(c)}{chr(c)}b" for c in range(0x3100)) + " \u2028 tail "
    squashed, positions = _squash(text)
    kept = [(i, ch) for i, ch in enumerate(text) if not ch.isspace()]
    assert squashed == "".join(ch for _, ch in kept)
    assert positions == [i for i, _ in kept]
