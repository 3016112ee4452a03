"""References between documents, on the real sample corpus: reference clauses parsed
(ids written as the catalogue writes them, kinds from the clause), resolution to indexed
documents without a false link, "cited by", in-text citations, and the ``refs`` command."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from cli_run import run
from qkdnassist.config import Settings
from qkdnassist.errors import QuestionError
from qkdnassist.store.index import Index
from qkdnassist.workflows.references import in_text_citations, normalise_id, references

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from references_eval import score

GOLD = Path(__file__).resolve().parents[1] / "bench" / "questions" / "references.jsonl"
PQ01 = "gsma/gsma_pq01_post_quantum_telco_network_impact_assessment_v1.0.pdf"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('ETSI RFC 8446 (August 2018): "The Transport Layer Security (TLS) Protocol Version 1.3".', ("RFC 8446", "")),
        ('ETSI GS QKD 004 (V1.1.1): "Quantum Key Distribution (QKD); Application Interface".', ("ETSI GS QKD 004", "")),
        ("NIST Special Publication (SP) 800-56A Revision 3.", ("NIST SP 800-56A", "")),
        ("Publication (FIPS) 180-4. https://doi.org/10.6028/NIST.FIPS.180-4.", ("NIST FIPS 180-4", "")),
        (
            "Internet-Draft, draft-cacciapuoti-qirg-quantum-\n native-architecture-01, 20 April 2026",
            ("draft-cacciapuoti-qirg-quantum-native-architecture", "-01"),
        ),
        ("ITU-T Recommendation Y.3800: Overview on networks supporting QKD", ("ITU-T Y.3800", "")),
        ("ISO/IEC 23837-1:2023. Information security", ("ISO/IEC 23837-1", "")),
        ("Regev O (2005) On lattices, learning with errors", ("", "")),
    ],
)
def test_an_identifier_is_written_as_the_catalogue_writes_ids(text: str, expected: tuple[str, str]) -> None:
    assert normalise_id(text) == expected


def test_etsi_qkd_014_references_seven_rfcs_normatively_and_qkd_004_informatively(sample_index: Settings) -> None:
    report = references(Index(sample_index.index), "QKD 014")
    assert report.doc_id == "ETSI GS QKD 014"
    normative = [r.id for r in report.references if r.kind == "normative"]
    assert normative == ["RFC 7230", "RFC 7231", "RFC 7235", "RFC 5246", "RFC 8446", "RFC 8259", "RFC 4648"]
    (informative,) = [r for r in report.references if r.kind == "informative"]
    assert (informative.label, informative.id, informative.edition) == ("i.1", "ETSI GS QKD 004", "V1.1.1")
    assert informative.title == "Quantum Key Distribution (QKD); Application Interface"
    assert (informative.clause, informative.page) == ("2.2", 7)
    tls13 = report.references[4]
    assert (tls13.label, tls13.date, tls13.clause, tls13.page) == ("5", "August 2018", "2.1", 6)
    assert not any(r.resolved for r in report.references)  # none of them is indexed
    # the multiplane draft lists QKD 014 among its informative references
    assert "draft-irtf-qirg-qi-multiplane-arch" in {c.doc_id for c in report.cited_by}


def test_the_gold_entries_come_out_with_the_right_id_and_kind_and_no_false_link(sample_index: Settings) -> None:
    gold = [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]
    result = score(Index(sample_index.index), gold)
    assert result["entries"] == 248
    assert result["worst_document_share"] >= 0.95, result["wrong"]
    assert result["false_links"] == 0 and result["missed"] == 0 and result["extra"] == 0


def test_a_reference_to_an_indexed_document_resolves_to_it(sample_index: Settings) -> None:
    report = references(Index(sample_index.index), "GSMA PQ.02")
    resolved = {r.label: r.resolved for r in report.references if r.resolved}
    assert resolved == {"5": PQ01}
    assert report.references[0].id == "ISO/IEC 27001"  # the split capital of "I SO/IEC" is joined


def test_a_title_that_names_a_standard_is_not_a_link_to_it(sample_index: Settings) -> None:
    report = references(Index(sample_index.index), "NIST FIPS 204")
    forum_post = next(r for r in report.references if r.label == "35")
    assert forum_post.title == "Updates for FIPS 203"
    assert (forum_post.id, forum_post.resolved) == ("", "")  # a pqc-forum post, not FIPS 203 itself
    assert [r.id for r in report.references if r.label in ("1", "29")] == ["NIST FIPS 186-5", "RFC 5652"]


def test_a_table_row_of_one_cell_is_searched_whole(sample_index: Settings) -> None:
    report = references(Index(sample_index.index), "GSMA PQ.01", with_cited_by=False)
    ids = {r.label: r.id for r in report.references}
    assert ids["43"] == "RFC 8554"  # "… (2019). Hash- Based Signatures. RFC 8554, RFC Editor."
    assert (ids["12"], ids["4"], ids["25"]) == ("ETSI TR 103 616", "NIST IR 8413", "")


def test_cited_by_fips_203_finds_the_sample_documents_that_cite_it(sample_index: Settings) -> None:
    report = references(Index(sample_index.index), "NIST FIPS 203")
    citing = {c.doc_id for c in report.cited_by}
    assert citing == {
        "CSA/GovTech/IMDA Quantum-Safe Handbook",
        "GSMA PQ.03",
        "India DST/NQM Quantum Safe Task Force Report",
        "NIST FIPS 204",
    }
    india = next(c for c in report.cited_by if c.doc_id.startswith("India"))
    assert "FIPS 203" in india.quote and india.clause == "5.1"


def test_in_text_citations_point_to_the_entry_or_the_clause(sample_index: Settings) -> None:
    report = references(Index(sample_index.index), "ETSI GS QKD 014")
    text = (
        "HTTPS as in [1] and [i.1]; the key container is specified in clause 6.3 (see clause 5.2 of ETSI GS QKD 004)."
    )
    found = in_text_citations(text, report, {})
    assert [(c.marker, c.place, c.reference.id if c.reference else "", c.source) for c in found] == [
        ("[1]", "", "RFC 7230", ""),
        ("[i.1]", "", "ETSI GS QKD 004", ""),
        ("clause 6.3", "clause 6.3", "", report.source),
        ("clause 5.2 of ETSI GS QKD 004", "clause 5.2", "ETSI GS QKD 004", ""),
    ]


def test_refs_command_prints_the_documented_json(sample_index: Settings) -> None:
    done = run(["refs", "FIPS 203", "--json"], sample_index)
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)
    assert shown["doc_id"] == "NIST FIPS 203"
    first = shown["references"][0]
    assert (first["label"], first["id"], first["kind"], first["resolved"]) == ("1", "NIST SP 800-227", "unknown", None)
    assert shown["references"][3]["id"] is None  # the CRYSTALS-Kyber submission has no standard number
    assert {"doc_id", "source", "clause", "page", "quote"} <= set(shown["cited_by"][0])


def test_refs_of_an_unknown_document_is_one_clear_error(sample_index: Settings) -> None:
    with pytest.raises(QuestionError, match="names no indexed document"):
        references(Index(sample_index.index), "ETSI GS QKD 999")
    done = run(["refs", "ETSI GS QKD 999"], sample_index)
    assert done.returncode == 1 and "names no indexed document" in done.stderr
