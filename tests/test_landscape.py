"""The landscape report of the real sample corpus: built on the catalogue, coverage,
references, requirements and outcomes, written as .docx (read back here), .md and
.html; the taxonomy is an editable data file."""

from __future__ import annotations

from pathlib import Path

import pytest
from docx import Document

from fakes import FakeEmbedder
from qkdnassist.config import Settings
from qkdnassist.errors import UsageError
from qkdnassist.search.retrieve import Searcher
from qkdnassist.store.index import Index
from qkdnassist.workflows.coverage import CoverageChecker
from qkdnassist.workflows.landscape import DEFAULT_TAXONOMY, Landscape, build_landscape, load_taxonomy
from qkdnassist.workflows.landscape_report import write_landscape

TWO_TOPICS = """
[[group]]
name = "Interfaces"

[[group.topic]]
name = "Key delivery API"
query = "key delivery API to applications"
terms = ["key delivery", "SAE"]

[[group]]
name = "Post-quantum cryptography"

[[group.topic]]
name = "Key encapsulation"
query = "ML-KEM key encapsulation mechanism"
terms = ["ML-KEM"]
"""


@pytest.fixture(scope="module")
def landscape(sample_index: Settings, tmp_path_factory: pytest.TempPathFactory) -> Landscape:
    taxonomy = tmp_path_factory.mktemp("taxonomy") / "topics.toml"
    taxonomy.write_text(TWO_TOPICS, encoding="utf-8")
    index = Index(sample_index.index)
    checker = CoverageChecker(Searcher(index, FakeEmbedder()))
    return build_landscape(index, checker, load_taxonomy(taxonomy))


def test_the_bundled_taxonomy_has_groups_of_topics() -> None:
    topics = load_taxonomy(DEFAULT_TAXONOMY)
    assert 20 <= len(topics) <= 30
    assert len({t.group for t in topics}) >= 5
    assert next(t for t in topics if t.name == "Trusted nodes").terms == ("trusted node",)


def test_a_broken_taxonomy_is_one_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[[group]]\nname = 'x'\n", encoding="utf-8")
    with pytest.raises(UsageError, match="cannot read the taxonomy"):
        load_taxonomy(bad)


def test_the_landscape_brings_the_parts_together(landscape: Landscape) -> None:
    assert len(landscape.catalogue.entries) == 13
    assert {"ETSI", "NIST", "GSMA", "IRTF", "ITU-T"} <= set(landscape.bodies)
    edges = {(e.citing, e.cited): e for e in landscape.edges}
    assert edges[("ETSI", "IETF")].normative == 7  # QKD 014's seven RFCs
    assert edges[("ETSI", "ETSI")].informative == 1  # … and ETSI GS QKD 004
    links = {(link.citing, link.cited, link.kind) for link in landscape.links}
    assert ("draft-irtf-qirg-qi-multiplane-arch", "ETSI GS QKD 014", "informative") in links
    assert ("GSMA PQ.02", "GSMA PQ.01", "unknown") in links
    kem = next(f for f in landscape.topics if f.topic.name == "Key encapsulation")
    assert kem.requirements["NIST"] > 0 and kem.requirements["ETSI"] == 0
    assert kem.examples and all("ML-KEM" in r.text + r.clause_title for r in kem.examples)
    assert kem.examples[0].level == "shall"  # the strongest statements are shown first
    api = next(f for f in landscape.topics if f.topic.name == "Key delivery API")
    assert api.requirements["ETSI"] > 0
    assert len(landscape.outcomes.of_kind("call_to_action")) == 7


def test_the_docx_report_reads_back(landscape: Landscape, tmp_path: Path) -> None:
    path = tmp_path / "report.docx"
    write_landscape(landscape, path)
    document = Document(str(path))
    texts = [p.text for p in document.paragraphs]
    assert texts[0] == "The QKDN standards landscape"
    headings = [p.text for p in document.paragraphs if p.style is not None and p.style.name.startswith("Heading 1")]
    assert headings == [
        "1 Catalogue by body",
        "2 Topics × bodies",
        "3 Per topic: coverage, overlaps, gaps",
        "4 References between bodies",
        "5 Requirements per topic and body",
        "6 Meeting outcomes",
    ]
    assert len(document.inline_shapes) == 2  # the heat-map and the reference graph
    cells = {cell.text for table in document.tables for row in table.rows for cell in row.cells}
    assert {"ETSI GS QKD 014", "NIST FIPS 203", "JCA-QKDN 4th meeting executive summary"} <= cells
    links = [t for t in texts if t.startswith("draft-irtf-qirg-qi-multiplane-arch cites ETSI GS QKD 014")]
    assert links == [
        "draft-irtf-qirg-qi-multiplane-arch cites ETSI GS QKD 014 (informative) as [ETSI14] "
        "(draft-irtf-qirg-qi-multiplane-arch, clause 8.2, p. 1)"
    ]
    tor = [t for t in texts if "reached consensus to keep the JCA-QKDN ToR unchanged" in t]
    assert (
        tor
        and tor[0].startswith("decision")
        and tor[0].endswith("(JCA-QKDN 4th meeting executive summary, clause 6, p. 1)")
    )
    calls = [t for t in texts if t.startswith("call to action")]
    assert len(calls) == 7 and all(t.endswith("p. 1)") for t in calls)


def test_markdown_and_html_reports(landscape: Landscape, tmp_path: Path) -> None:
    write_landscape(landscape, tmp_path / "report.md")
    markdown = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "## 4 References between bodies" in markdown and "![Figure 1" in markdown
    assert (tmp_path / "report-figure-1.png").read_bytes().startswith(b"\x89PNG")
    write_landscape(landscape, tmp_path / "report.html")
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert page.count("data:image/png;base64,") == 2 and "<h2>6 Meeting outcomes</h2>" in page
    with pytest.raises(UsageError, match=r"\.md, \.docx or \.html"):
        write_landscape(landscape, tmp_path / "report.pdf")
