"""Tests of qkdnassist.chunking: clause-aware chunks that always fit the embedder.

The real Embedder is used for its tokenizer only (``fits``/``count_tokens`` load
tokenizer.json, not torch); nothing here embeds.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from pathlib import Path

import pytest

from conftest import corpus_file
from qkdnassist.chunking import chunk_document
from qkdnassist.embedding import Embedder
from qkdnassist.metadata import detect_info
from qkdnassist.readers import read_pages
from qkdnassist.structure import structure
from qkdnassist.tokens import count_tokens
from qkdnassist.types import Block, Chunk, DocumentInfo, Page, ParsedDocument

ETSI_014 = "etsi/gs_qkd_014_v1.1.1.pdf"
PRINCIPLES = "ietf/draft-irtf-qirg-principles-11.txt"
DOCUMENTS = [ETSI_014, PRINCIPLES]
CHUNK_TOKENS = 160  # the QKDN_CHUNK_TOKENS default

Chunked = tuple[ParsedDocument, list[Block], list[Chunk]]


@pytest.fixture(scope="module")
def tokenizer_embedder() -> Embedder:
    """A real Embedder of its own: only its tokenizer is used, the model is never loaded."""
    return Embedder()


def parse(relative: str) -> tuple[ParsedDocument, list[Block]]:
    path = corpus_file(relative)
    pages = read_pages(path, relative)
    document = ParsedDocument(
        source=relative,
        sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
        info=detect_info(pages, relative),
        pages=tuple(pages),
    )
    return document, structure(pages)


@pytest.fixture(scope="module", params=DOCUMENTS, ids=[Path(d).stem for d in DOCUMENTS])
def chunked(request: pytest.FixtureRequest, tokenizer_embedder: Embedder) -> Chunked:
    document, blocks = parse(request.param)
    chunks = chunk_document(
        document, blocks, max_tokens=CHUNK_TOKENS, count_tokens=count_tokens, fits_embedder=tokenizer_embedder.fits
    )
    return document, blocks, chunks


def normalised(text: str) -> str:
    return " ".join(text.split())


# --- real documents ----------------------------------------------------------------


def test_embedder_limit_is_read_without_loading_the_model(tokenizer_embedder: Embedder) -> None:
    assert tokenizer_embedder.max_tokens == 256
    assert tokenizer_embedder.fits("QKD key delivery")
    assert not tokenizer_embedder.fits("key " * 300)
    assert tokenizer_embedder._model is None


def test_every_chunk_fits_the_embedder(chunked: Chunked, tokenizer_embedder: Embedder) -> None:
    _, _, chunks = chunked
    assert chunks
    too_long = [(chunk.clause, tokenizer_embedder.count_tokens(chunk.embed_text)) for chunk in chunks]
    assert [entry for entry in too_long if entry[1] > tokenizer_embedder.max_tokens] == []
    assert all(tokenizer_embedder.fits(chunk.embed_text) for chunk in chunks)


def test_no_chunk_is_empty(chunked: Chunked) -> None:
    _, _, chunks = chunked
    assert all(chunk.text.strip() for chunk in chunks)


def test_chunk_ids_are_unique_and_stable(chunked: Chunked, tokenizer_embedder: Embedder) -> None:
    document, blocks, chunks = chunked
    again = chunk_document(
        document, blocks, max_tokens=CHUNK_TOKENS, count_tokens=count_tokens, fits_embedder=tokenizer_embedder.fits
    )
    assert len({chunk.id for chunk in chunks}) == len(chunks)
    assert [chunk.id for chunk in again] == [chunk.id for chunk in chunks]
    assert again == chunks


def test_chunks_are_ordered_and_carry_the_document_identity(chunked: Chunked) -> None:
    document, _, chunks = chunked
    assert [chunk.ordinal for chunk in chunks] == list(range(len(chunks)))
    for chunk in chunks:
        assert chunk.source == document.source
        assert (chunk.doc_id, chunk.title, chunk.body, chunk.edition) == (
            document.info.doc_id,
            document.info.title,
            document.info.body,
            document.info.edition,
        )
        assert chunk.embed_text.startswith(f"{document.info.doc_id}: {document.info.title}")
        assert chunk.embed_text.endswith(chunk.text)


def test_chunks_never_mix_clauses(chunked: Chunked) -> None:
    _, blocks, chunks = chunked
    text_of_clause: dict[str, list[str]] = defaultdict(list)
    title_of_clause = {}
    for block in blocks:
        text_of_clause[block.clause].append(block.text)
        title_of_clause[block.clause] = block.clause_title
    headings = {clause: title.split(" > ")[-1] for clause, title in title_of_clause.items() if clause}
    for chunk in chunks:
        assert chunk.clause in text_of_clause
        assert chunk.clause_title == title_of_clause[chunk.clause]
        # The passage is verbatim text of its own clause ...
        assert normalised(chunk.text) in normalised("\n".join(text_of_clause[chunk.clause]))
        # ... and holds no other clause's heading.
        for clause, heading in headings.items():
            if clause != chunk.clause:
                assert heading not in chunk.text, (chunk.clause, heading)


def test_chunks_cover_every_block(chunked: Chunked) -> None:
    _, blocks, chunks = chunked
    joined = normalised(" ".join(chunk.text for chunk in chunks))
    assert joined == normalised(" ".join(block.text for block in blocks))


def test_chunk_pages_are_within_the_document(chunked: Chunked) -> None:
    document, blocks, chunks = chunked
    pages_of_clause: dict[str, set[int]] = defaultdict(set)
    for block in blocks:
        pages_of_clause[block.clause].update({block.page, block.page_end})
    for chunk in chunks:
        assert 1 <= chunk.page <= chunk.page_end <= len(document.pages)
        assert min(pages_of_clause[chunk.clause]) <= chunk.page
        assert chunk.page_end <= max(pages_of_clause[chunk.clause])
        assert chunk.page_label == document.pages[chunk.page - 1].label


def test_etsi_get_status_chunk_is_on_page_11() -> None:
    document, blocks = parse(ETSI_014)
    chunks = chunk_document(document, blocks, max_tokens=CHUNK_TOKENS, count_tokens=count_tokens)
    get_status = [chunk for chunk in chunks if chunk.clause == "5.2"]
    assert get_status
    assert get_status[0].text.startswith("5.2 Get status")
    assert get_status[0].page == 11
    assert get_status[0].page_label == "11"


# --- an oversized paragraph --------------------------------------------------------


def _one_block_document(text: str) -> tuple[ParsedDocument, list[Block]]:
    document = ParsedDocument(
        source="synthetic/huge.txt",
        sha256="0" * 64,
        info=DocumentInfo(doc_id="SYNTH 1", title="A synthetic document", body="TEST"),
        pages=(Page(1, text, "1"),),
    )
    block = Block(text, 1, 1, "5.2", "5 Protocol Specifications > 5.2 Get status")
    return document, [block]


@pytest.mark.parametrize(
    "words",
    [
        [f"keyword{i}" for i in range(3000)],
        [f"ML-KEM-{i}/{{slave_SAE_ID}}" for i in range(800)],
        ["Schrödinger"] * 1500,
    ],
    ids=["3000-words", "identifiers", "unicode"],
)
@pytest.mark.parametrize("max_tokens", [32, CHUNK_TOKENS, 512])
def test_huge_paragraph_is_split_into_chunks_that_fit(
    tokenizer_embedder: Embedder, words: list[str], max_tokens: int
) -> None:
    document, blocks = _one_block_document(" ".join(words))
    chunks = chunk_document(
        document, blocks, max_tokens=max_tokens, count_tokens=count_tokens, fits_embedder=tokenizer_embedder.fits
    )
    assert len(chunks) > 1
    assert all(tokenizer_embedder.fits(chunk.embed_text) for chunk in chunks)
    assert all(chunk.text.strip() for chunk in chunks)
    assert " ".join(chunk.text for chunk in chunks).split() == words
    assert {(chunk.clause, chunk.page, chunk.page_end, chunk.page_label) for chunk in chunks} == {("5.2", 1, 1, "1")}
    assert len({chunk.id for chunk in chunks}) == len(chunks)


def test_huge_paragraph_respects_the_token_budget_without_embedder() -> None:
    words = [f"word{i}" for i in range(3000)]
    document, blocks = _one_block_document(" ".join(words))
    chunks = chunk_document(document, blocks, max_tokens=CHUNK_TOKENS, count_tokens=count_tokens)
    assert len(chunks) > 1
    # A small tail may be merged into its predecessor: up to 5/4 of the budget.
    assert all(count_tokens(chunk.text) <= CHUNK_TOKENS * 5 // 4 for chunk in chunks)
    assert " ".join(chunk.text for chunk in chunks).split() == words


def test_long_paragraph_splits_between_sentences() -> None:
    sentences = [f"Sentence number {i} describes the key relay behaviour of node {i}." for i in range(60)]
    document, blocks = _one_block_document(" ".join(sentences))
    chunks = chunk_document(document, blocks, max_tokens=64, count_tokens=count_tokens)
    assert len(chunks) > 1
    for chunk in chunks:
        assert chunk.text.startswith("Sentence number ")
        assert chunk.text.endswith(".")
    assert " ".join(chunk.text for chunk in chunks) == " ".join(sentences)


def test_small_blocks_of_one_clause_share_a_chunk() -> None:
    document, _ = _one_block_document("x")
    blocks = [
        Block("5.2 Get status\nReturns the status of the link.", 11, 11, "5.2", "5.2 Get status"),
        Block("The KME answers with a JSON object.", 11, 11, "5.2", "5.2 Get status"),
        Block("5.3 Get key\nReturns keys.", 12, 12, "5.3", "5.3 Get key"),
    ]
    chunks = chunk_document(document, blocks, max_tokens=CHUNK_TOKENS, count_tokens=count_tokens)
    assert [(chunk.clause, chunk.page, chunk.page_end) for chunk in chunks] == [("5.2", 11, 11), ("5.3", 12, 12)]
    assert chunks[0].text == blocks[0].text + "\n" + blocks[1].text


def test_no_blocks_give_no_chunks() -> None:
    document, _ = _one_block_document("x")
    assert chunk_document(document, [], max_tokens=CHUNK_TOKENS, count_tokens=count_tokens) == []


def test_rows_of_a_long_table_keep_its_caption_and_header_in_the_index_text(tokenizer_embedder: Embedder) -> None:
    caption = "Table 7: Key sizes of the approved parameter sets"
    header = "Parameter set | Encapsulation key | Remark"
    rows = [header] + [f"ML-KEM-{n} | {n * 3} bytes | parameter row {n} and more cells" for n in range(60)]
    document = ParsedDocument("t.pdf", "0" * 64, DocumentInfo(doc_id="T 1"), (Page(1, ""),))
    block = Block("\n".join([caption, *rows]), 1, 1, "8", "8 Parameter Sets", "table")
    chunks = chunk_document(
        document, [block], max_tokens=120, count_tokens=count_tokens, fits_embedder=tokenizer_embedder.fits
    )
    assert len(chunks) > 2
    assert chunks[0].text.startswith(caption) and chunks[0].context == ""
    for chunk in chunks[1:]:
        assert chunk.context == f"{caption}\n{header}" and caption not in chunk.text
        assert caption in chunk.embed_text and tokenizer_embedder.fits(chunk.embed_text)
    assert "\n".join(c.text for c in chunks) == block.text
