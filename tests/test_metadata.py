"""Tests of qkdnassist.metadata: identity detected from real title pages, and the manifest."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from pypdf import PdfWriter

from conftest import corpus_file
from qkdnassist.errors import ConfigError
from qkdnassist.metadata import MANIFEST_COLUMNS, Manifest, detect_info, load_manifest
from qkdnassist.readers import read_pages
from qkdnassist.types import DocumentInfo, Page

ETSI_014 = "etsi/gs_qkd_014_v1.1.1.pdf"
PRINCIPLES = "ietf/draft-irtf-qirg-principles-11.txt"
ABANE = "ietf/draft-abane-qirg-function-abstraction-latest.txt"
FIPS_203 = "nist/nist_fips_203.pdf"
GSMA_PQ03 = "gsma/gsma_pq03_pqc_guidelines_telecom_use_cases_v2.0.pdf"
PROJECT_MANIFEST = Path(__file__).resolve().parents[1] / "corpus" / "manifest.tsv"


def first_pages(relative: str, folder: Path, count: int = 3) -> list[Page]:
    """The first pages of a corpus document, read through the real reader.

    PDFs are cut to their first ``count`` pages first (a real PDF in ``folder``), so
    reading the 146-page GSMA document does not take ten seconds.
    """
    source = corpus_file(relative)
    if source.suffix == ".pdf":
        writer = PdfWriter()
        writer.append(str(source), pages=(0, count))
        cut = folder / source.name
        with cut.open("wb") as fh:
            writer.write(fh)
        source = cut
    return read_pages(source, relative)[:count]


@pytest.fixture(scope="module")
def detected(tmp_path_factory: pytest.TempPathFactory) -> dict[str, DocumentInfo]:
    folder = tmp_path_factory.mktemp("title_pages")
    return {
        relative: detect_info(first_pages(relative, folder), relative)
        for relative in (ETSI_014, PRINCIPLES, ABANE, FIPS_203, GSMA_PQ03)
    }


# --- detect_info -------------------------------------------------------------------


def test_etsi_title_page(detected: dict[str, DocumentInfo]) -> None:
    info = detected[ETSI_014]
    assert info.doc_id == "ETSI GS QKD 014"
    assert info.edition == "V1.1.1"
    assert info.date == "2019-02"
    assert info.body == "ETSI"
    assert info.doc_type == "standard"
    assert "key delivery API" in info.title
    assert info.title == "Quantum Key Distribution (QKD); Protocol and data format of REST-based key delivery API"


def test_internet_draft_title_page(detected: dict[str, DocumentInfo]) -> None:
    info = detected[PRINCIPLES]
    assert info.doc_id == "draft-irtf-qirg-principles"
    assert info.edition == "11"
    assert info.body == "IRTF"
    assert info.doc_type == "internet-draft"
    assert info.title == "Architectural Principles for a Quantum Internet"


def test_internet_draft_date_is_not_its_expiry(detected: dict[str, DocumentInfo]) -> None:
    # The header says "Expires: 2 March 2023" above "29 August 2022".
    assert detected[PRINCIPLES].date == "29 August 2022"


def test_internet_draft_date_on_the_expiry_line_is_found(detected: dict[str, DocumentInfo]) -> None:
    assert detected[ABANE].date == "8 August 2026"


def test_an_editors_copy_draft_is_the_editors_copy_edition(detected: dict[str, DocumentInfo]) -> None:
    info = detected[ABANE]
    assert info.doc_id == "draft-abane-qirg-function-abstraction"
    assert info.edition == "editor's copy"  # "-latest" is the editor's copy, as the manifest writes it
    assert info.body == "IRTF"


def test_fips_title_page(detected: dict[str, DocumentInfo]) -> None:
    info = detected[FIPS_203]
    assert info.doc_id == "NIST FIPS 203"
    assert info.body == "NIST"
    assert info.doc_type == "standard"
    assert (info.date, info.edition) == ("August 13, 2024", "August 2024")


def test_gsma_title_page(detected: dict[str, DocumentInfo]) -> None:
    info = detected[GSMA_PQ03]
    assert info.doc_id == "GSMA PQ.03"
    assert info.body == "GSMA"
    assert info.edition == "v2.0"


@pytest.mark.parametrize(
    ("text", "doc_id", "body", "edition"),
    [
        (
            "ITU-T Y.3802 (12/2020)\nQuantum key distribution networks – Functional architecture",
            "ITU-T Y.3802",
            "ITU-T",
            "12/2020",
        ),
        (
            "Internet Engineering Task Force (IETF)\nRequest for Comments: 9340\nCategory: Informational",
            "RFC 9340",
            "IETF",
            "",
        ),
        (
            "INTERNATIONAL STANDARD\nISO/IEC 23837-1:2023\nSecurity requirements for QKD",
            "ISO/IEC 23837-1",
            "ISO/IEC",
            "2023",
        ),
        (
            "ETSI GS QKD 004 V2.1.1 (2020-08)\nQuantum Key Distribution (QKD);\nApplication Interface",
            "ETSI GS QKD 004",
            "ETSI",
            "V2.1.1",
        ),
    ],
    ids=["itu-t", "rfc", "iso-iec", "etsi-004"],
)
def test_title_lines_of_other_bodies(text: str, doc_id: str, body: str, edition: str) -> None:
    info = detect_info([Page(1, text)], "folder/some_file.pdf")
    assert (info.doc_id, info.body, info.edition) == (doc_id, body, edition)


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("Notes from the coffee break about key rates\nand more", "Notes from the coffee break about key rates"),
        ("", "meeting notes"),
        ("   \n12 34\n", "meeting notes"),
    ],
    ids=["first-line-as-title", "empty", "no-words"],
)
def test_unknown_text_falls_back_to_the_file_stem(text: str, title: str) -> None:
    info = detect_info([Page(1, text)], "misc/meeting notes.txt")
    assert info == DocumentInfo(doc_id="meeting notes", title=title, doc_type="document")


def test_a_jca_qkdn_meeting_summary_is_named_as_the_jca_names_it() -> None:
    relative = "itu-t/jca-qkdn_4th_meeting_executive_summary_2024-05-17.txt"
    info = detect_info(read_pages(corpus_file(relative), relative), relative)
    assert info.doc_id == "JCA-QKDN 4th meeting executive summary"
    assert (info.body, info.edition, info.date) == ("ITU-T", "4th meeting", "17 May 2024")
    assert info.title.startswith("Executive summary of the fourth meeting")
    assert info.doc_type == "meeting report"


def test_an_unknown_layout_falls_back_to_the_file_stem_and_keeps_the_date() -> None:
    pages = [Page(1, "Some national guidance on migration\nIssued in March 2025 by an agency.")]
    info = detect_info(pages, "gov/national_guide_2025.pdf")
    assert (info.doc_id, info.doc_type, info.date) == ("national_guide_2025", "document", "March 2025")


# --- manifest ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def manifest() -> Manifest:
    assert PROJECT_MANIFEST.is_file(), f"project manifest missing at {PROJECT_MANIFEST}"
    return load_manifest(PROJECT_MANIFEST)


def test_project_manifest_lists_the_13_sample_documents(manifest: Manifest) -> None:
    assert len(manifest.entries) == 13
    assert len({entry.path for entry in manifest.entries}) == 13
    assert all(entry.info.doc_id and entry.info.title for entry in manifest.entries)


def test_project_manifest_hashes_match_the_sample_corpus(manifest: Manifest) -> None:
    for entry in manifest.entries:
        digest = hashlib.sha256(corpus_file(entry.path).read_bytes()).hexdigest()
        assert entry.sha256 == digest, entry.path


def test_manifest_lookup_by_path(manifest: Manifest) -> None:
    info = manifest.lookup(PRINCIPLES, "0" * 64)
    assert info is not None
    assert info.doc_id == "draft-irtf-qirg-principles"
    assert info.body == "IRTF"
    assert info.edition == "-11"
    assert info.url == "https://datatracker.ietf.org/doc/html/draft-irtf-qirg-principles-11"


def test_manifest_lookup_by_sha256_when_the_file_moved(manifest: Manifest) -> None:
    digest = hashlib.sha256(corpus_file(ETSI_014).read_bytes()).hexdigest()
    info = manifest.lookup("my downloads/gs_qkd014v010101p.pdf", digest)
    assert info is not None
    assert info.doc_id == "ETSI GS QKD 014"
    assert info.date == "2019-02"


def test_manifest_lookup_of_an_unknown_file_is_none(manifest: Manifest) -> None:
    assert manifest.lookup("elsewhere/unknown.pdf", "f" * 64) is None
    assert manifest.lookup("elsewhere/unknown.pdf", "") is None


def test_missing_manifest_is_empty(tmp_path: Path) -> None:
    manifest = load_manifest(tmp_path / "no_such_manifest.tsv")
    assert manifest.entries == ()
    assert manifest.lookup(ETSI_014, "0" * 64) is None


def test_manifest_with_comments_and_partial_columns(tmp_path: Path) -> None:
    path = tmp_path / "manifest.tsv"
    path.write_text(
        "# a comment line\npath\tdoc_id\ttitle\tsha256\nitu/y3802.pdf\tITU-T Y.3802\tQKDN architecture\tABCDEF\n",
        encoding="utf-8",
    )
    manifest = load_manifest(path)
    assert len(manifest.entries) == 1
    entry = manifest.entries[0]
    assert entry.sha256 == "abcdef"
    assert entry.info == DocumentInfo(doc_id="ITU-T Y.3802", title="QKDN architecture")
    assert manifest.lookup("moved.pdf", "abcdef") == entry.info


@pytest.mark.parametrize(
    "content",
    [
        "file\tname\ntitle.pdf\tSomething\n",
        "path\ttitle\nx.pdf\tOnly a title\n",
        ",".join(MANIFEST_COLUMNS) + "\nx.pdf,X,T,B,E,D,standard,u,abc\n",
    ],
    ids=["wrong-columns", "no-doc-id", "comma-separated"],
)
def test_manifest_without_required_columns_is_a_config_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "manifest.tsv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match="must have the columns"):
        load_manifest(path)
