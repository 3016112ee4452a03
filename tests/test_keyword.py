"""Tests of qkdnassist.keyword: identifier-aware tokens and the saved BM25 index."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from qkdnassist.store.keyword import KeywordIndex
from qkdnassist.textnorm import tokenize

# --- tokenize ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ML-KEM-768", ["ml-kem-768", "ml", "kem", "768"]),
        ("FIPS 203", ["fips", "203", "fips_203"]),
        ("see clause 5.2.", ["clause", "5.2", "5", "2", "clause_5.2"]),
        ("ITU-T Y.3802", ["itu-t", "itu", "y.3802", "y", "3802"]),
        ("ETSI GS QKD 014", ["etsi", "qkd", "014", "qkd_014"]),
        ("Table 2", ["table", "2", "table_2"]),
        ("(ML-KEM-768),", ["ml-kem-768", "ml", "kem", "768"]),
    ],
    ids=[
        "hyphenated-identifier",
        "name-number",
        "clause-number",
        "itu-recommendation",
        "etsi-number",
        "table-number",
        "punctuation-stripped",
    ],
)
def test_identifiers_are_kept_whole_and_in_parts(text: str, expected: list[str]) -> None:
    tokens = tokenize(text)
    assert set(expected) <= set(tokens), tokens
    # The whole identifier comes before its parts.
    assert [token for token in tokens if token in expected][: len(expected)] == expected


@pytest.mark.parametrize(
    "text",
    ["the of and", "", "   \n\t ", "— … ***"],
    ids=["stop-words-only", "empty", "whitespace", "punctuation-only"],
)
def test_text_without_content_words_has_no_tokens(text: str) -> None:
    assert tokenize(text) == []


def test_stop_words_are_not_tokens() -> None:
    assert not {"the", "of", "shall", "is"} & set(tokenize("The status of the key shall be what is returned"))


def test_http_path_keeps_whole_path_and_its_identifier_segments() -> None:
    tokens = tokenize("GET https://{KME_hostname}/api/v1/keys/{slave_SAE_ID}/enc_keys")
    assert "https://{kme_hostname}/api/v1/keys/{slave_sae_id}/enc_keys" in tokens
    assert "slave_sae_id" in tokens
    assert "enc_keys" in tokens
    assert {"slave", "sae", "id", "enc", "keys", "api", "v1"} <= set(tokens)


def test_path_segment_token_matches_the_bare_identifier() -> None:
    assert "slave_sae_id" in tokenize("The slave_SAE_ID parameter")
    assert "slave_sae_id" in tokenize("/api/v1/keys/{slave_SAE_ID}/status")


def test_tokenize_is_case_insensitive() -> None:
    assert tokenize("ML-KEM-768 per FIPS 203") == tokenize("ml-kem-768 PER fips 203")


def test_name_number_pair_needs_a_word_before_the_number() -> None:
    assert "of_203" not in tokenize("part of 203")
    assert not [token for token in tokenize("203 keys") if "_" in token]


def test_unicode_words_are_kept_whole() -> None:
    assert "schrödinger" in tokenize("Schrödinger")


# --- KeywordIndex ------------------------------------------------------------------

IDS = ["etsi-5.2", "fips-203", "y3802", "empty"]
TEXTS = [
    "5.2 Get status. GET /api/v1/keys/{slave_SAE_ID}/status returns the status of the key stream.",
    "ML-KEM-768 is the parameter set of FIPS 203 at security category 3.",
    "ITU-T Y.3802 describes the functional architecture of QKD networks.",
    "",
]


@pytest.mark.parametrize(
    ("query", "best"),
    [
        ("ML-KEM-768", "fips-203"),
        ("FIPS 203", "fips-203"),
        ("slave_SAE_ID status", "etsi-5.2"),
        ("Y.3802 architecture", "y3802"),
    ],
)
def test_scores_rank_the_text_with_the_identifier_first(query: str, best: str) -> None:
    index = KeywordIndex.build(IDS, TEXTS)
    scores = index.scores(query)
    assert scores.shape == (len(IDS),)
    assert index.ids[int(np.argmax(scores))] == best
    assert scores[IDS.index(best)] > 0
    assert scores[IDS.index("empty")] == 0


def test_saved_index_reloads_with_the_same_scores(tmp_path: Path) -> None:
    index = KeywordIndex.build(IDS, TEXTS)
    index.save(tmp_path / "keywords", generation=7)
    loaded = KeywordIndex.load(tmp_path / "keywords", generation=7)
    assert loaded is not None
    assert loaded.ids == IDS
    for query in ("ML-KEM-768", "clause 5.2 status", "QKD networks"):
        np.testing.assert_allclose(loaded.scores(query), index.scores(query))


def test_index_of_another_generation_is_not_loaded(tmp_path: Path) -> None:
    KeywordIndex.build(IDS, TEXTS).save(tmp_path, generation=3)
    assert KeywordIndex.load(tmp_path, generation=4) is None


@pytest.mark.parametrize(
    "ids_json",
    [
        None,
        "",
        "{not json",
        '{"generation": 1}',
        '{"ids": ["a"]}',
    ],
    ids=["missing", "empty-file", "broken-json", "no-ids", "no-generation"],
)
def test_missing_or_unreadable_index_is_not_loaded(tmp_path: Path, ids_json: str | None) -> None:
    if ids_json is not None:
        (tmp_path / "ids.json").write_text(ids_json)
    assert KeywordIndex.load(tmp_path, generation=1) is None


def test_query_with_no_known_token_scores_zero() -> None:
    index = KeywordIndex.build(IDS, TEXTS)
    assert index.scores("zebra giraffe").tolist() == [0.0] * len(IDS)
    assert index.scores("").tolist() == [0.0] * len(IDS)


def test_empty_index_saves_loads_and_scores_nothing(tmp_path: Path) -> None:
    index = KeywordIndex.build([], [])
    assert index.scores("FIPS 203").shape == (0,)
    index.save(tmp_path / "empty", generation=1)
    loaded = KeywordIndex.load(tmp_path / "empty", generation=1)
    assert loaded is not None
    assert loaded.ids == []
    assert loaded.scores("FIPS 203").shape == (0,)


def test_index_from_kept_tokens_scores_as_one_built_from_texts() -> None:
    built = KeywordIndex.build(IDS, TEXTS)
    ids: list[str] = []

    def streamed() -> Iterator[list[str]]:  # ids fill as the tokens stream, as Index.rebuild_keyword does
        for chunk_id, text in zip(IDS, TEXTS, strict=True):
            ids.append(chunk_id)
            yield tokenize(text)

    kept = KeywordIndex.from_tokens(ids, streamed())
    assert kept.ids == IDS
    for query in ("ML-KEM-768", "clause 5.2 status", "QKD networks", "FIPS 203"):
        np.testing.assert_allclose(kept.scores(query), built.scores(query), rtol=1e-6)
    assert kept.document_frequency(["fips", "zebra"]) == built.document_frequency(["fips", "zebra"])


def test_ids_and_token_lists_must_pair_up() -> None:
    with pytest.raises(ValueError, match="2 ids but 1 token lists"):
        KeywordIndex.from_tokens(["a", "b"], [["fips"]])
