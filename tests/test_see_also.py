""" "See also" on real answers over the sample corpus: the references an answer's quotes
rely on, with one hop into the referenced clause or indexed document."""

from __future__ import annotations

import pytest

from fakes import FakeEmbedder
from qkdnassist.answer import Assistant
from qkdnassist.config import Settings
from qkdnassist.search.retrieve import Searcher
from qkdnassist.store.index import Index
from qkdnassist.workflows.see_also import see_also

PQ02 = "gsma/gsma_pq02_guidelines_quantum_risk_management_telco_v1.0.pdf"


@pytest.fixture(scope="module")
def searcher(sample_index: Settings) -> Searcher:
    return Searcher(Index(sample_index.index), FakeEmbedder())


def test_the_rfcs_an_etsi_quote_cites_are_its_see_also(searcher: Searcher) -> None:
    answer = Assistant(searcher).ask("Which protocols shall all communications between SAE and KME use?")
    first = answer.citations[0]
    assert first.quote.startswith("All communications between SAE and KME shall use the HTTPS protocols")
    shown = [(s.citation, s.marker, s.kind, s.source) for s in see_also(answer, searcher) if s.citation == first.n]
    assert shown == [(first.n, f"[{n}]", "normative", "") for n in range(1, 6)]  # RFC 7230 … RFC 8446, not indexed
    targets = [s.target for s in see_also(answer, searcher, follow=False) if s.citation == first.n]
    assert targets[4] == "RFC 8446: The Transport Layer Security (TLS) Protocol Version 1.3"


def test_one_hop_into_the_referenced_indexed_document(searcher: Searcher) -> None:
    answer = Assistant(searcher).ask(
        "Where is there additional information on quantum risk assessment for telecom use cases?"
    )
    hop = next(s for s in see_also(answer, searcher) if s.marker == "[GSMA-PQ.02]")
    assert hop.target.startswith("GSMA PQ.02: Guidelines for Quantum Risk Management for Telco")
    assert hop.source == PQ02
    assert hop.followed is not None and hop.followed.doc_id == "GSMA PQ.02"


def test_one_hop_into_a_clause_of_the_same_document(searcher: Searcher) -> None:
    answer = Assistant(searcher).ask("What is the response data model of the Get status method?")
    hop = next(s for s in see_also(answer, searcher) if s.marker == "clause 6")
    assert (hop.target, hop.kind) == ("ETSI GS QKD 014, clause 6", "clause")
    assert hop.followed is not None and hop.followed.clause.startswith("6.")
    assert "Status data format" in hop.followed.text
