"""The standards database: dates, types and draft status, lineage of editions (and the
shared-number trap), edition choice by question, current editions by default in search
and answers, the catalogue's JSON shape — over two real editions of one IETF draft."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from cli_run import run
from conftest import ROOT
from fakes import FakeEmbedder
from qkdnassist.answer import Assistant
from qkdnassist.app.render import entry_json
from qkdnassist.config import Settings
from qkdnassist.editions import (
    Edition,
    classify,
    edition_exclusions,
    editions_asked,
    iso_date,
    lineage_key,
    lineages,
    titles_agree,
)
from qkdnassist.indexing import ingest
from qkdnassist.search.retrieve import Searcher
from qkdnassist.store import Index
from qkdnassist.types import DocumentInfo, DocumentRecord
from qkdnassist.workflows.catalogue import build_catalogue, catalogue_csv

EDITIONS = ROOT.parent / "shared" / "corpus-editions"
OLD, NEW = "ietf/draft-ietf-tls-hybrid-design-05.txt", "ietf/draft-ietf-tls-hybrid-design-16.txt"


@pytest.mark.parametrize(
    ("printed", "iso"),
    [
        ("28 August 2022", "2022-08-28"),
        ("7 September 2025", "2025-09-07"),
        ("August 13, 2024", "2024-08-13"),
        ("August 2024 (with 2024-08-22 minor corrections)", "2024-08-22"),
        ("Version 1.0, 17 February 2023", "2023-02-17"),
        ("2019-02", "2019-02"),
        ("(12/2020)", "2020-12"),
        ("undated PDF; published Jan 2024", "2024"),
        ("editor's copy", ""),
    ],
)
def test_printed_dates_become_iso(printed: str, iso: str) -> None:
    assert iso_date(printed) == iso


def test_a_draft_is_a_draft_whatever_its_number_says() -> None:
    fips = DocumentInfo("NIST FIPS 203", title="Module-Lattice-Based Key-Encapsulation Mechanism Standard", doc_type="")
    draft = classify(fips, "FIPS 203 (Initial Public Draft)\nFederal Information Processing Standards Publication")
    final = classify(fips, "FIPS 203\nFederal Information Processing Standards Publication\nAugust 2024")
    assert (draft.doc_type, draft.status) == ("draft standard", "draft")
    assert (final.doc_type, final.status) == ("standard", "published")
    assert classify(DocumentInfo("draft-ietf-tls-hybrid-design", edition="16"), "").status == "draft"
    assert classify(DocumentInfo("RFC 9340", doc_type="rfc"), "").status == "published"
    assert classify(DocumentInfo("ETSI GS QKD 014", doc_type="group specification"), "").doc_type == "specification"
    withdrawn = classify(DocumentInfo("NIST SP 800-57", title="Recommendation"), "Withdrawn on 2020-05-04.")
    assert withdrawn.status == "withdrawn"


def _record(source: str, doc_id: str, title: str, edition: str, date: str) -> DocumentRecord:
    return DocumentRecord(source, "0" * 64, DocumentInfo(doc_id, title=title, edition=edition, date=date), 10, 10, "")


def test_editions_are_linked_and_the_shared_number_trap_is_not() -> None:
    records = [
        _record("a/fips-203-ipd.pdf", "NIST FIPS 203 ipd", "Module-Lattice-Based KEM Standard", "ipd", "August 2023"),
        _record("a/fips-203.pdf", "NIST FIPS 203", "Module-Lattice-Based KEM Standard", "", "August 2024"),
        _record("b/pq03-v1.pdf", "GSMA PQ.03", "Post-Quantum Government Guidelines for Operators", "v1.1", "2023-06"),
        _record(
            "b/pq03-v2.pdf",
            "GSMA PQ.03",
            "Post Quantum Cryptography – Guidelines for Telecom Use Cases",
            "v2.0",
            "2024-10",
        ),
        _record(
            "c/qkd014-v1.pdf",
            "ETSI GS QKD 014",
            "Protocol and data format of REST-based key delivery API",
            "V1.1.1",
            "2019-02",
        ),
        _record(
            "c/qkd014-v2.pdf",
            "ETSI GS QKD 014",
            "Protocol and data format of REST-based key delivery API",
            "V2.1.1",
            "2025-03",
        ),
        _record(
            "c/qkd014-copy.pdf",
            "ETSI GS QKD 014",
            "Protocol and data format of REST-based key delivery API",
            "V2.1.1",
            "2025-03",
        ),
    ]
    found = {
        lineage.sources: lineage for lineage in lineages([(r.source, r.info, iso_date(r.info.date)) for r in records])
    }
    assert ("a/fips-203-ipd.pdf", "a/fips-203.pdf") in found  # the draft, then the final: current
    assert ("b/pq03-v1.pdf",) in found and ("b/pq03-v2.pdf",) in found  # one number, two documents
    assert any("share a number but not a title" in c for c in found[("b/pq03-v1.pdf",)].conflicts)
    etsi = next(lineage for sources, lineage in found.items() if "c/qkd014-v1.pdf" in sources)
    assert etsi.sources[0] == "c/qkd014-v1.pdf" and any("both claim edition V2.1.1" in c for c in etsi.conflicts)
    assert lineage_key(DocumentInfo("draft-ietf-tls-hybrid-design-16")) == "draft-ietf-tls-hybrid-design"
    assert titles_agree("Hybrid key exchange in TLS 1.3", "Hybrid Key Exchange in TLS 1.3")


TLS = [Edition(OLD, "05", "2022-08-28", "draft"), Edition(NEW, "16", "2025-09-07", "draft")]


@pytest.mark.parametrize(
    ("question", "asked"),
    [
        ("In revision -05 of draft-ietf-tls-hybrid-design, which four hybrid groups were defined?", [OLD]),
        ("In the 2022 draft's NamedGroup enumeration, which code points were reserved?", [OLD]),
        ("Under the earlier edition of the hybrid key exchange draft, which combinations were defined?", [OLD]),
        ("What affiliation does Shay Gueron have in the most recent version of the draft?", [NEW]),
        ("Which hybrid groups did -05 define that -16 no longer does?", [OLD, NEW]),
        ("How many bytes is the smallest Classic McEliece public key?", []),
        ("What is the first step of the key schedule in the draft?", []),  # "first" names no edition
    ],
)
def test_the_editions_a_question_names(question: str, asked: list[str]) -> None:
    assert editions_asked(question, TLS) == asked


# --- over the two real editions, indexed ---------------------------------------------------


@pytest.fixture(scope="module")
def two_editions(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Both editions of draft-ietf-tls-hybrid-design and one other document (fake embedder)."""
    root = tmp_path_factory.mktemp("editions")
    corpus = root / "corpus"
    for relative in (OLD, NEW):
        (corpus / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(EDITIONS / relative, corpus / relative)
    (corpus / "notes.txt").write_text("Trusted nodes relay keys hop by hop in a QKD network.\n", encoding="utf-8")
    settings = Settings(corpus=corpus, index=root / "index", manifest=root / "no-manifest.tsv")
    ingest(settings=settings, embedder=FakeEmbedder(), workers=0)
    return settings


def test_search_uses_the_current_edition_unless_asked(two_editions: Settings) -> None:
    searcher = Searcher(Index(two_editions.index), FakeEmbedder())
    query = "hybrid key exchange groups x25519 secp256r1"
    assert {h.chunk.source for h in searcher.search(query, 8)} == {NEW}
    assert {h.chunk.source for h in searcher.search(query, 8, edition="all")} == {OLD, NEW}
    assert {h.chunk.source for h in searcher.search(query, 8, edition="-05")} == {OLD}
    asked = searcher.search("In the -05 revision, which hybrid groups and code points were listed?", 8)
    assert {h.chunk.source for h in asked} == {OLD}
    records = Index(two_editions.index).documents()
    assert edition_exclusions(records, "anything") == {OLD}


def test_an_answer_from_a_superseded_edition_says_so(two_editions: Settings) -> None:
    assistant = Assistant(Searcher(Index(two_editions.index), FakeEmbedder()))
    answer = assistant.ask("In the -05 revision, which GitHub repository contains the draft?")
    assert not answer.abstained and {c.source for c in answer.citations} == {OLD}
    assert all(c.edition == "05" for c in answer.citations)
    assert any("is superseded: the current edition is draft-ietf-tls-hybrid-design 16" in n for n in answer.notes)
    current = assistant.ask("Which GitHub repository contains the draft?")
    assert {c.source for c in current.citations} <= {NEW}
    assert not any("superseded" in n for n in current.notes)


def test_the_catalogue_lists_editions_status_scope_and_provenance(two_editions: Settings, tmp_path: Path) -> None:
    catalogue = build_catalogue(Index(two_editions.index))
    by_source = catalogue.by_source()
    old, new = by_source[OLD], by_source[NEW]
    assert (old.status, new.status) == ("superseded", "draft") and old.current == NEW and new.is_current
    assert old.provenance["status"] == "editions" and new.provenance["status"] == "front matter"
    assert old.editions == new.editions == (OLD, NEW)
    assert (old.date, new.date) == ("2022-08-28", "2025-09-07") and old.doc_type == "internet-draft"
    assert new.scope is not None and new.scope.page == 1 and new.scope.text.startswith("Hybrid key exchange refers to")
    assert new.group == "IETF TLS WG"
    notes = by_source["notes.txt"]
    assert notes.metadata_unknown and "metadata unknown" in " ".join(notes.notes)
    shape = entry_json(new)
    assert list(shape)[:11] == [
        "doc_id",
        "lineage",
        "edition",
        "date",
        "date_printed",
        "title",
        "body",
        "group",
        "doc_type",
        "status",
        "stage",
    ]
    assert shape["provenance"]["doc_id"] == "title page" and shape["scope"]["page"] == 1  # type: ignore[index]
    assert catalogue_csv(catalogue).splitlines()[0].startswith("doc_id,edition,date,status")
    done = run(["catalogue", "--json", "--csv", str(tmp_path / "c.csv")], two_editions)
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)["documents"]
    assert {r["source"]: r["status"] for r in rows}[OLD] == "superseded"
    assert (tmp_path / "c.csv").read_text(encoding="utf-8").count("\n") == 4


def test_the_library_tab_shows_status_type_and_the_current_edition(two_editions: Settings) -> None:
    from qkdnassist.app.state import AppState
    from qkdnassist.app.views import library_rows

    state = AppState(two_editions, Assistant(Searcher(Index(two_editions.index), FakeEmbedder())))
    rows = {row[-1]: row for row in library_rows(state)}
    assert rows[OLD][3:6] == ["2022-08-28", f"superseded by {NEW}", "internet-draft"]
    assert rows[NEW][3:6] == ["2025-09-07", "draft", "internet-draft"]


# --- what changed between the editions -------------------------------------------------------


def test_the_diff_of_two_real_editions_finds_the_removed_renumbered_and_reworded_clauses(
    two_editions: Settings, tmp_path: Path
) -> None:
    from qkdnassist.app.render import diff_json
    from qkdnassist.workflows.diff import compare_editions

    diff = compare_editions(Index(two_editions.index), "tls-hybrid-design")
    assert (diff.old, diff.new) == ("05", "16")
    kinds = {(c.kind, c.clause_from, c.clause_to) for c in diff.changes}
    assert ("removed", "5", "") in kinds  # "5 Defined Hybrid Groups" is gone in -16
    assert ("moved", "6", "5") in kinds and ("moved", "9.1", "8.1") in kinds  # IANA, references renumbered
    motivation = next(c for c in diff.changes if c.clause_to == "1.3")
    assert motivation.kind == "changed"
    assert any("harvest-now-decrypt-later" in text for text, _ in motivation.new)
    assert not any("harvest-now-decrypt-later" in text for text, _ in motivation.old)
    assert all(page >= 1 for _, page in motivation.new)
    shape = diff_json(diff)
    assert list(shape) == ["doc", "from", "to", "summary", "changes"]
    assert shape["summary"]["removed"] >= 1  # type: ignore[index]
    done = run(
        ["diff", "draft-ietf-tls-hybrid-design", "--from", "-05", "--to", "16", "--out", str(tmp_path / "d.md")],
        two_editions,
    )
    assert done.returncode == 0, done.stderr
    assert "## removed: 5 Defined Hybrid Groups" in (tmp_path / "d.md").read_text(encoding="utf-8")
    assert run(["diff", "notes"], two_editions).returncode == 1  # one edition only: a clear error


def test_the_library_filters_by_status_and_type_and_opens_a_scope(two_editions: Settings) -> None:
    from qkdnassist.app.state import AppState
    from qkdnassist.app.views import library_rows, scope_view

    state = AppState(two_editions, Assistant(Searcher(Index(two_editions.index), FakeEmbedder())))
    assert [row[-1] for row in library_rows(state, status="superseded")] == [OLD]
    assert {row[-1] for row in library_rows(state, doc_type="internet-draft")} == {OLD, NEW}
    assert library_rows(state, body="NIST") == []
    shown = scope_view(state, NEW)
    assert shown.startswith(f"**Scope** (`{NEW}`, p. 1)") and "Hybrid key exchange refers to" in shown
    assert "no Scope, Abstract or Introduction" in scope_view(state, "notes.txt")
