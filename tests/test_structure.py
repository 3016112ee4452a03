"""Tests of qkdnassist.structure: headings, running lines, tables of contents, blocks of real documents."""

from __future__ import annotations

import re
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path

import pytest

from conftest import corpus_file
from qkdnassist.readers import read_pages
from qkdnassist.structure import Heading, drop_tables_of_contents, parse_heading, strip_running_lines, structure
from qkdnassist.types import Block, Page

ETSI_014 = "etsi/gs_qkd_014_v1.1.1.pdf"
PRINCIPLES = "ietf/draft-irtf-qirg-principles-11.txt"
FIPS_203 = "nist/nist_fips_203.pdf"
FIPS_204 = "nist/nist_fips_204.pdf"
GSMA_PQ03 = "gsma/gsma_pq03_pqc_guidelines_telecom_use_cases_v2.0.pdf"
DOCUMENTS = [ETSI_014, PRINCIPLES, FIPS_203, FIPS_204, GSMA_PQ03]


Reader = Callable[[str], list[Page]]


@pytest.fixture(scope="module")
def read_document() -> Reader:
    """Reads each corpus document once per module (PQ.03 alone takes ~10 s)."""
    cache: dict[str, list[Page]] = {}

    def read(relative: str) -> list[Page]:
        if relative not in cache:
            cache[relative] = read_pages(corpus_file(relative), relative)
        return cache[relative]

    return read


@pytest.fixture(scope="module", params=DOCUMENTS, ids=[Path(d).stem for d in DOCUMENTS])
def document_blocks(request: pytest.FixtureRequest, read_document: Reader) -> tuple[list[Page], list[Block]]:
    pages = read_document(request.param)
    return pages, structure(pages)


def blocks_of(read_document: Reader, relative: str) -> list[Block]:
    return structure(read_document(relative))


def clauses(blocks: list[Block]) -> dict[str, Block]:
    """The first block of each clause, by clause number."""
    first: dict[str, Block] = {}
    for block in blocks:
        first.setdefault(block.clause, block)
    return first


def normalised(text: str) -> str:
    return " ".join(text.split())


# --- parse_heading -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "number", "title"),
    [
        ("5.2 Get status", "5.2", "Get status"),
        ("4.2.  Bell pairs", "4.2", "Bell pairs"),
        ("4.4.3.1.  Distillation", "4.4.3.1", "Distillation"),
        ("   6.  Architectural principles", "6", "Architectural principles"),
        ("Annex A (informative):", "Annex A", "(informative)"),
        ("Annex B (normative): Key container schema", "Annex B", "(normative) Key container schema"),
        (
            "Appendix C — Differences From the CRYSTALS-Kyber Submission",
            "Appendix C",
            "— Differences From the CRYSTALS-Kyber Submission",
        ),
        ("Appendix I Bibliography", "Appendix I", "Bibliography"),
        ("A.1 Something", "A.1", "Something"),
        ("4.5.2 Transport Layer Security Protocol (TLS)", "4.5.2", "Transport Layer Security Protocol (TLS)"),
    ],
)
def test_parse_heading_accepts(line: str, number: str, title: str) -> None:
    assert parse_heading(line) == Heading(number, title)


@pytest.mark.parametrize(
    "line",
    [
        "1 Get status https://{KME_hostname}/api/v1/keys/{slave_SAE_ID}/status GET",
        "4 G.Init() = SHAKE128.Init()",
        "1. Name of Standard. Module-Lattice-Based Key-Encapsulation Mechanism",
        "1. ctx ← SHAKE256.Init()",
        "2 References " + "and more words " * 40,
        "3.1 " + "Title " * 25,
        "",
        "   ",
        "A Title that is really a sentence",
        "12 34 56 78 90 12",
        "5.2 Get status,",
        "2.1 Normative references 6",
    ],
    ids=[
        "table-row",
        "formula",
        "announcement-sentence",
        "lowercase-list-item",
        "too-long-line",
        "too-many-words",
        "empty",
        "blank",
        "bare-letter",
        "numbers",
        "trailing-comma",
        "toc-entry-with-page",
    ],
)
def test_parse_heading_rejects(line: str) -> None:
    assert parse_heading(line) is None


@pytest.mark.parametrize(
    ("heading", "key"),
    [
        (Heading("5.2.1", "Get key"), ("5", "2", "1")),
        (Heading("Annex A", "(informative)"), ("A",)),
        (Heading("Appendix C", "— Differences"), ("C",)),
        (Heading("A.1", "Something"), ("A", "1")),
    ],
)
def test_heading_key_is_the_number_path(heading: Heading, key: tuple[str, ...]) -> None:
    assert heading.key == key


# --- strip_running_lines and drop_tables_of_contents -------------------------------


def _page(number: int, header: str, footer: str) -> Page:
    body = [f"Line {chr(64 + number)}{chr(65 + k)} of the body text." for k in range(6)]
    return Page(number, "\n".join([header, *body, footer, ""]))


def test_running_header_and_page_footer_are_stripped() -> None:
    pages = [_page(n, f"ETSI GS QKD 014 V1.1.1 (2019-02)  {n + 4}", f"Page {n} of 6") for n in range(1, 7)]
    cleaned = strip_running_lines(pages)
    for page, lines in zip(pages, cleaned, strict=True):
        assert not any("ETSI GS QKD 014" in line or "Page " in line for line in lines)
        assert [line for line in lines if line] == page.text.split("\n")[1:7]


@pytest.mark.parametrize("footer", ["11", "  iv  ", "[Page 5]", "- 3 -", "Page 2 of 146"])
def test_bare_page_numbers_are_dropped_even_on_one_page(footer: str) -> None:
    page = _page(1, "A unique title line", footer)
    assert footer not in strip_running_lines([page])[0]
    assert "A unique title line" in strip_running_lines([page])[0]


def test_a_line_on_two_pages_is_not_running_text() -> None:
    pages = [_page(n, "Shared opening line", "") for n in range(1, 3)]
    assert all("Shared opening line" in lines for lines in strip_running_lines(pages))


def test_table_of_contents_page_is_dropped_but_text_stays() -> None:
    toc = [
        "Contents",
        "1 Scope 6",
        "2 References 6",
        "2.1 Normative references 6",
        "2.2 Informative references 7",
        "3 Definition of terms 7",
        "Annex A (informative): API function mapping 19",
        "Some remaining sentence.",
    ]
    assert drop_tables_of_contents([toc]) == [["Some remaining sentence."]]


def test_dot_leader_lines_are_dropped_anywhere_but_lone_numbered_lines_stay() -> None:
    page = ["Intellectual Property Rights ........ 4", "1.  Introduction . . . . . . . . 3", "1 Scope 6", "Text."]
    assert drop_tables_of_contents([page]) == [["1 Scope 6", "Text."]]


# --- real documents ----------------------------------------------------------------


def test_etsi_014_clause_5_2_is_get_status_on_page_11(read_document: Reader) -> None:
    block = clauses(blocks_of(read_document, ETSI_014))["5.2"]
    assert block.clause_title.endswith("5.2 Get status")
    assert block.clause_title == "5 Protocol Specifications > 5.2 Get status"
    assert block.page == 11


def test_etsi_014_annex_a_title_joins_its_second_line(read_document: Reader) -> None:
    block = clauses(blocks_of(read_document, ETSI_014))["Annex A"]
    assert "API function mapping to ETSI GS QKD 004" in block.clause_title
    assert block.clause_title == "Annex A (informative) API function mapping to ETSI GS QKD 004"


def test_etsi_014_running_header_survives_only_on_the_title_page(read_document: Reader) -> None:
    blocks = blocks_of(read_document, ETSI_014)
    with_header = [block for block in blocks if "ETSI GS QKD 014 V1.1.1 (2019-02)" in block.text]
    # The title page prints the identifier as its title, not as a running header.
    assert [block.page for block in with_header] == [1]


def test_etsi_014_table_of_contents_is_gone(read_document: Reader) -> None:
    blocks = blocks_of(read_document, ETSI_014)
    toc_line = re.compile(r"^(?:\d+(?:\.\d+)*|Annex [A-Z])\s+\S.*\s\d{1,2}$")
    front = [block for block in blocks if 2 <= block.page <= 5]
    assert front, "the front matter (foreword, introduction) must be kept"
    for block in front:
        assert "....." not in block.text
        assert not any(toc_line.match(line.strip()) for line in block.text.split("\n")), block.text
    assert not [block for block in blocks if block.page == 3], "page 3 is the table of contents only"


@pytest.mark.slow  # reads whole sample PDFs: half a minute
@pytest.mark.parametrize(
    ("relative", "clause", "title"),
    [
        (PRINCIPLES, "4.2", "4.2 Bell pairs"),
        (PRINCIPLES, "4.4.3.1", "4.4.3.1 Distillation"),
        (FIPS_203, "8", "8 Parameter Sets"),
        (FIPS_203, "Appendix C", "Appendix C — Differences From the CRYSTALS-Kyber Submission"),
        (FIPS_204, "4", "4 Parameter Sets"),
        (ETSI_014, "6.5", "6.5 Error data format"),
        (GSMA_PQ03, "4.5.2", "4.5.2 Transport Layer Security Protocol (TLS)"),
    ],
)
def test_known_clause_is_found(read_document: Reader, relative: str, clause: str, title: str) -> None:
    found = clauses(blocks_of(read_document, relative))
    assert clause in found, sorted(found)
    assert found[clause].clause_title.split(" > ")[-1] == title


def test_principles_has_no_page_footers_or_running_header(read_document: Reader) -> None:
    for block in blocks_of(read_document, PRINCIPLES):
        text = normalised(block.text)
        assert "[Page " not in text
        assert "Principles for a Quantum Internet August 2022" not in text
        assert not re.search(r"Kozlowski, et al\.\s+Expires", text)


@pytest.mark.slow  # reads a whole sample PDF
def test_fips_203_announcement_items_are_not_clauses(read_document: Reader) -> None:
    blocks = blocks_of(read_document, FIPS_203)
    announcement = [block for block in blocks if "Name of Standard" in block.text]
    assert announcement
    assert all(block.clause == "" for block in announcement)
    assert not any("Name of Standard" in block.clause_title for block in blocks)


@pytest.mark.slow  # reads a whole sample PDF
def test_fips_204_clause_4_is_not_a_formula(read_document: Reader) -> None:
    titles = {block.clause_title for block in blocks_of(read_document, FIPS_204) if block.clause == "4"}
    assert titles == {"4 Parameter Sets"}


@pytest.mark.slow  # reads a whole sample PDF
def test_gsma_pq03_numbered_requirements_are_not_clauses(read_document: Reader) -> None:
    found = clauses(blocks_of(read_document, GSMA_PQ03))
    assert not [block.clause_title for block in found.values() if " shall " in block.clause_title]
    assert "5.14" in found
    assert found["5.14"].clause_title.endswith("5.14 Lawful Intercept (and Retained Data)")
    assert found["5.14"].page == 116


def _order_key(clause: str) -> tuple[int, ...]:
    # Letters (annexes) sort after numbered clauses.
    return tuple(int(part) if part.isdigit() else 1000 + ord(part) for part in Heading(clause, "").key)


def test_clause_numbers_never_go_backwards(document_blocks: tuple[list[Page], list[Block]]) -> None:
    _, blocks = document_blocks
    sequence = [clause for clause in dict.fromkeys(block.clause for block in blocks) if clause]
    assert sequence, "the document must have clauses"
    for before, after in pairwise(sequence):
        if after.startswith(("Annex", "Appendix")):
            continue
        assert _order_key(after) > _order_key(before), f"{after} follows {before}"


def test_each_clause_is_one_contiguous_run(document_blocks: tuple[list[Page], list[Block]]) -> None:
    _, blocks = document_blocks
    runs = [clause for i, clause in enumerate(b.clause for b in blocks) if i == 0 or blocks[i - 1].clause != clause]
    assert len(runs) == len(set(runs))


def test_blocks_stay_on_one_page_within_the_document(document_blocks: tuple[list[Page], list[Block]]) -> None:
    pages, blocks = document_blocks
    assert blocks
    for block in blocks:
        assert 1 <= block.page <= block.page_end <= len(pages)
        assert block.text.strip()
        assert block.kind in {"text", "table"}
    assert [block.page for block in blocks] == sorted(block.page for block in blocks)


@pytest.mark.parametrize(
    "relative",
    [ETSI_014, PRINCIPLES, FIPS_203, FIPS_204, GSMA_PQ03],
    ids=[Path(d).stem for d in DOCUMENTS],
)
def test_blocks_never_span_two_pages(read_document: Reader, relative: str) -> None:
    spanning = [block for block in blocks_of(read_document, relative) if block.page != block.page_end]
    assert spanning == []


def test_heading_at_the_foot_of_a_page_does_not_pull_the_next_page_in() -> None:
    pages = [
        Page(1, "1 Scope\nThe present document specifies an API.\n\n2 References\n"),
        Page(2, "The following documents are referenced.\n"),
    ]
    blocks = structure(pages)
    assert all(block.page == block.page_end for block in blocks), blocks
    assert [block.clause for block in blocks if "referenced" in block.text] == ["2"]
    assert [block.page for block in blocks if "referenced" in block.text] == [2]


def test_heading_merges_with_its_first_paragraph_on_the_same_page() -> None:
    pages = [Page(1, "1 Scope\n\nThe present document specifies an API.\n\n2 References\n\nSee [1].\n")]
    assert structure(pages) == [
        Block("1 Scope\nThe present document specifies an API.", 1, 1, "1", "1 Scope"),
        Block("2 References\nSee [1].", 1, 1, "2", "2 References"),
    ]


def test_blocks_carry_the_clause_of_the_heading_before_them(document_blocks: tuple[list[Page], list[Block]]) -> None:
    _, blocks = document_blocks
    current = ""
    for block in blocks:
        if block.clause != current:
            # A clause starts with the block that holds its heading line.
            heading = block.clause_title.split(" > ")[-1]
            assert block.text.startswith(heading), (heading, block.text[:80])
            assert heading.startswith(block.clause + " ")
            current = block.clause
        assert block.clause == current
        if block.clause:
            path = block.clause_title.split(" > ")
            assert path[-1].startswith(block.clause + " ")
            # Each numbered level of the title path is an ancestor of the next.
            numbered = [
                Heading(part.split(" ", 1)[0], "").key for part in path if not part.startswith(("Annex", "Appendix"))
            ]
            for parent, child in pairwise(numbered):
                assert child[: len(parent)] == parent, block.clause_title
        else:
            assert block.clause_title == ""


def test_front_matter_has_no_clause(document_blocks: tuple[list[Page], list[Block]]) -> None:
    _, blocks = document_blocks
    assert blocks[0].clause == ""
    assert blocks[0].page == 1
