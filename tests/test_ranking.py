"""Ranking: reciprocal-rank fusion and the lifts for what a query names (pure logic)."""

from __future__ import annotations

import pytest

from qkdnassist.search.ranking import BOTH_FIRST, CLAUSE_BOOST, DOC_BOOST, FIRST, RRF_K, boost, fuse
from qkdnassist.search.refs import QueryRefs


def test_fusion_adds_one_over_k_plus_rank_per_ranking() -> None:
    scores = fuse(["a", "b", "c"], ["b", "d"])
    assert scores["b"] == pytest.approx(1 / (RRF_K + 2) + 1 / (RRF_K + 1))
    assert scores["a"] == pytest.approx(FIRST) and scores["d"] == pytest.approx(1 / (RRF_K + 2))
    assert sorted(scores, key=lambda key: -scores[key]) == ["b", "a", "d", "c"]
    assert fuse(["x"], ["x"])["x"] == pytest.approx(BOTH_FIRST)


def test_fusion_keeps_first_appearance_order_for_ties() -> None:
    # Stable sorting of the fused scores keeps the keyword side's order on ties.
    assert list(fuse(["k1", "k2"], ["d1", "d2"])) == ["k1", "k2", "d1", "d2"]


def test_named_documents_and_clauses_are_lifted_in_place() -> None:
    places = {
        "in-doc": ("ETSI GS QKD 014", "6.1", "6 API > 6.1 Get status"),
        "in-clause": ("ETSI GS QKD 014", "5.2", "5 Interfaces > 5.2 Get key"),
        "elsewhere": ("NIST FIPS 203", "5.2", "5 Key generation"),
        "terms": ("NIST FIPS 203", "2.1", "2 Glossary > 2.1 Terms and Definitions"),
    }
    scores = dict.fromkeys([*places, "orphan"], 0.01)
    boost(scores, QueryRefs(frozenset({"ETSI GS QKD 014"}), frozenset({"5"}), definition=True), places.get)
    assert scores["in-doc"] == pytest.approx(0.01 + DOC_BOOST)
    assert scores["in-clause"] == pytest.approx(0.01 + DOC_BOOST + CLAUSE_BOOST)
    assert scores["elsewhere"] == pytest.approx(0.01 + CLAUSE_BOOST)  # "5.2" is within clause 5
    assert scores["terms"] > scores["orphan"] == 0.01  # a definition question lifts terms clauses


def test_a_query_that_names_nothing_changes_nothing() -> None:
    scores = {"a": 0.5}
    boost(scores, QueryRefs(), lambda _: ("D", "1", "Terms"))
    assert scores == {"a": 0.5}
