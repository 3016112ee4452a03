"""The web app in a real browser: Debian's chromium driven by Playwright, over the real
app served on loopback with the real subset index (evidence mode, no language model).

One browser serves the whole module and one page the read-only tabs (Ask, Coverage,
Liaison, Search); the Library test mutates an index, so it gets its own small index and
app; the log-in test gets its own app with a password. Each tab's test leaves a
full-page screenshot in ``docs/screenshots/``. Nothing here waits for "network idle"
(a Gradio page keeps a connection open): every wait is for an element or a text.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from conftest import MANIFEST, ROOT, copy_subset, free_port
from qkdnassist.answer import Assistant
from qkdnassist.app.ui import build_ui
from qkdnassist.config import Settings
from qkdnassist.embedding import Embedder
from qkdnassist.indexing import ingest
from qkdnassist.search.retrieve import Searcher
from qkdnassist.store.index import Index

pytestmark = pytest.mark.slow

sys.path.insert(0, str(ROOT / "bench"))
from ui_speed import CHROMIUM, CHROMIUM_ARGS  # noqa: E402 (one launch recipe for tests and benchmark)

VIEWPORT = {"width": 1280, "height": 900}
SCREENSHOTS = ROOT / "docs" / "screenshots"
WAIT_MS = 60_000  # the first question loads the embedding model on a busy 2-core machine
USER, PASSWORD = "alice", "s3cret"


def serve(settings: Settings, searcher: Searcher, **launch: Any) -> tuple[Any, str]:
    """Build and launch the app on a free loopback port; returns the app and its URL."""
    app = build_ui(settings, assistant=Assistant(searcher))
    app.queue(default_concurrency_limit=4)
    port = free_port()
    app.launch(
        server_name="127.0.0.1",
        server_port=port,
        prevent_thread_lock=True,
        quiet=True,
        allowed_paths=[str(settings.corpus.resolve())],
        **launch,
    )
    return app, f"http://127.0.0.1:{port}"


def open_page(browser: Browser, url: str) -> Page:
    """A new page (own cookies) on ``url``; returns once the page has rendered its first element."""
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto(url, wait_until="domcontentloaded")
    return page


def open_tab(page: Page, name: str) -> None:
    page.locator('button[role="tab"]', has_text=name).click()
    expect(page.locator('button[role="tab"][aria-selected="true"]')).to_have_text(name)


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def fill(page: Page, elem_id: str, text: str) -> None:
    """Type into a Gradio textbox by its ``elem_id`` (the id sits on the wrapper)."""
    page.locator(f"#{elem_id} textarea, #{elem_id} input").first.fill(text)


def download(page: Page, base_url: str, elem_id: str) -> bytes:
    """The bytes behind the download link of a ``gr.File`` output, fetched in the page's session."""
    link = page.locator(f"#{elem_id} a[href]").first
    expect(link).to_be_visible()
    response = page.request.get(_absolute(base_url, link.get_attribute("href")))
    assert response.status == 200, (response.status, response.url)
    return response.body()


def _absolute(base_url: str, href: str) -> str:
    return href if href.startswith("http") else f"{base_url}/{href.lstrip('/')}"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"no chromium at {CHROMIUM}: `make test` installs Debian's (apt-get install chromium), "
            "or set QKDN_CHROMIUM to a Chromium binary",
            pytrace=False,
        )
    expect.set_options(timeout=WAIT_MS)  # Playwright's 5 s is too short for a reload on a busy machine
    try:
        with sync_playwright() as driver:
            chromium = driver.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()
    finally:
        expect.set_options(timeout=5_000)


@pytest.fixture(scope="module")
def app_url(subset_index: Settings, searcher: Searcher) -> Iterator[str]:
    """The app over the shared subset index (read-only tabs only)."""
    app, url = serve(subset_index, searcher)
    yield url
    app.close()


@pytest.fixture(scope="module")
def page(browser: Browser, app_url: str) -> Iterator[Page]:
    """One page on the shared app, reused by the read-only tabs' tests."""
    page = open_page(browser, app_url)
    expect(page.locator("#status")).to_contain_text("5 documents")
    expect(page.locator("#mode")).to_contain_text("Evidence mode")
    yield page
    page.context.close()


def test_ask_cites_and_opens_the_cited_page(page: Page, app_url: str, subset_index: Settings) -> None:
    question = page.locator("#question textarea")
    question.fill("Which URL does a slave SAE call to get keys with key IDs?")
    question.press("Enter")
    answer = page.locator('#chat [data-testid="bot"]').last
    expect(answer).to_contain_text("[1]")
    expect(answer).to_contain_text("dec_keys")
    expect(page.locator("#sources")).to_contain_text("[1] ETSI GS QKD 014")
    expect(question).to_have_value("")  # cleared for the next question

    page.locator("#citation input").click()
    first = page.locator('#citation [role="option"]').first
    expect(first).to_have_attribute("aria-label", re.compile(r"^\[1\] ETSI GS QKD 014 V1\.1\.1 \(2019-02\), "))
    first.click()
    expect(page.locator("#passage-view mark#quote")).to_be_visible()
    link = page.locator("#passage-view a#open-page")
    expect(link).to_have_attribute("href", re.compile(r"^/gradio_api/file=/.+\.pdf#page=\d+$"))
    screenshot(page, "ask")

    href = link.get_attribute("href")
    served = page.request.get(_absolute(app_url, href.split("#")[0]))
    assert served.status == 200 and served.body().startswith(b"%PDF")
    cited = Path(href.split("=", 1)[1].split("#")[0])
    assert cited.is_relative_to(subset_index.corpus.resolve())

    # Only files of the corpus are served: not the system's, not the index beside it.
    for outside in ("/etc/passwd", str((subset_index.index / "records.sqlite").resolve())):
        refused = page.request.get(f"{app_url}/gradio_api/file={outside}")
        assert refused.status in (400, 403, 404), (outside, refused.status)


def test_coverage_heatmap_table_and_csv(page: Page, app_url: str) -> None:
    open_tab(page, "Coverage")
    fill(page, "topics", "key delivery API between SAE and KME\nML-KEM parameter sets")
    page.locator("#check").click()
    expect(page.locator("#heatmap-view td.covered").first).to_be_visible()
    assert page.locator("#heatmap-view tr").count() == 3  # the header and one row a topic
    expect(page.locator("#coverage-table")).to_contain_text("ETSI GS QKD 014")
    expect(page.locator("#coverage-table")).to_contain_text("NIST FIPS 203")
    screenshot(page, "coverage")

    rows = list(csv.reader(io.StringIO(download(page, app_url, "coverage-csv").decode("utf-8"))))
    assert rows[0][:2] == ["topic", "verdict"]
    assert {row[0] for row in rows[1:]} == {"key delivery API between SAE and KME", "ML-KEM parameter sets"}


def test_liaison_draft_downloads_as_docx(page: Page, app_url: str, tmp_path: Path) -> None:
    from docx import Document

    open_tab(page, "Liaison")
    fill(page, "ls-to", "ITU-T SG17")
    fill(page, "ls-source", "ETSI ISG QKD")
    page.locator("#ls-action label", has_text="action").click()
    fill(page, "ls-deadline", "2025-09-30")
    fill(page, "ls-contact", "Alice Example, ETSI, alice@example.org")
    fill(
        page,
        "ls-questions",
        "Which URL does a slave SAE call to get keys with key IDs?\nWhich parameter sets does ML-KEM define?",
    )
    page.locator("#draft").click()
    preview = page.locator("#ls-preview")
    expect(preview).to_contain_text("LIAISON STATEMENT")
    expect(preview).to_contain_text("Question 2")
    screenshot(page, "liaison")

    reply = tmp_path / "reply.docx"
    reply.write_bytes(download(page, app_url, "ls-docx"))
    document = Document(str(reply))
    assert document.paragraphs[0].text == "LIAISON STATEMENT"
    fields = {row.cells[0].text: row.cells[1].text for row in document.tables[0].rows}
    assert fields["Source"] == "ETSI ISG QKD" and fields["Deadline"] == "2025-09-30"
    assert fields["For action to"] == "ITU-T SG17"
    assert [p.text for p in document.paragraphs if p.style.name == "Heading 1"][:2] == ["Question 1", "Question 2"]


def test_search_shows_cited_passages(page: Page) -> None:
    open_tab(page, "Search")
    query = page.locator("#query textarea")
    query.fill("ML-KEM-768 parameter set")
    query.press("Enter")
    results = page.locator("#results")
    expect(results).to_contain_text("[1] NIST FIPS 203")
    expect(results).to_contain_text("ML-KEM-768")
    screenshot(page, "search")


@pytest.fixture(scope="module")
def library_url(tmp_path_factory: pytest.TempPathFactory, sample_corpus: Path, embedder: Embedder) -> Iterator[str]:
    """An app over its own one-document index, for the test that adds documents."""
    base = tmp_path_factory.mktemp("library")
    one = ("itu-t/jca-qkdn_4th_meeting_executive_summary_2024-05-17.txt",)
    settings = Settings(
        corpus=copy_subset(sample_corpus, base / "corpus", one), index=base / "index", manifest=MANIFEST
    )
    report = ingest(settings=settings, embedder=embedder)
    assert len(report.indexed) == 1 and not report.failed, report
    app, url = serve(settings, Searcher(Index(settings.index), embedder))
    yield url
    app.close()
    shutil.rmtree(base, ignore_errors=True)


def test_library_upload_indexes_new_files_and_names_broken_ones(
    browser: Browser, library_url: str, tmp_path: Path
) -> None:
    note = tmp_path / "trusted_node_note.txt"
    note.write_text(
        "Trusted node key relay: an operator's note\n\n"
        "A trusted node relays keys hop by hop between two QKD links. Each node decrypts the key it receives "
        "with the key of the incoming link and encrypts it again with the key of the outgoing link.\n\n"
        "The relayed key is therefore known to every trusted node on the path, which must be physically "
        "protected and operated by the same party as the end points.\n",
        encoding="utf-8",
    )
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7 garbage")

    page = open_page(browser, library_url)
    try:
        expect(page.locator("#status")).to_contain_text("1 documents")
        open_tab(page, "Library")
        page.locator("#upload input[type=file]").set_input_files([str(note), str(broken)])
        report = page.locator("#upload-report")
        expect(report).to_contain_text("indexed")
        expect(report).to_contain_text(re.compile(r"failed\s+uploads/broken\.pdf: \S"))
        doc_id = report.locator("li", has_text="indexed").locator("strong").first.inner_text()
        expect(page.locator("#library")).to_contain_text(doc_id)
        expect(page.locator("#library")).to_contain_text("uploads/trusted_node_note.txt")
        expect(page.locator("#library")).not_to_contain_text("broken.pdf")
        expect(page.locator("#status")).to_contain_text("2 documents")
        screenshot(page, "library")
    finally:
        page.context.close()


def test_remove_starts_with_no_document_chosen(browser: Browser, library_url: str) -> None:
    page = open_page(browser, library_url)
    try:
        open_tab(page, "Library")
        chosen = page.locator("#remove input")
        expect(chosen).to_be_visible()
        assert chosen.input_value() == ""
    finally:
        page.context.close()


@pytest.fixture(scope="module")
def login_url(subset_index: Settings, searcher: Searcher) -> Iterator[str]:
    """A second instance of the app behind a log-in."""
    app, url = serve(subset_index, searcher, auth=[(USER, PASSWORD)])
    yield url
    app.close()


def test_login_refuses_a_wrong_password_and_admits_the_right_one(browser: Browser, login_url: str) -> None:
    page = open_page(browser, login_url)
    try:
        username = page.locator('input[data-testid="textbox"]')
        password = page.locator('input[type="password"]')
        login = page.get_by_role("button", name="Login")
        expect(login).to_be_visible()
        expect(page.locator("#status")).to_have_count(0)
        anonymous = page.request.get(f"{login_url}/gradio_api/file=/etc/passwd")
        assert anonymous.status in (400, 401, 403, 404)

        username.fill(USER)
        password.fill("wrong")
        login.click()
        expect(page.get_by_text(re.compile("incorrect credentials", re.IGNORECASE))).to_be_visible()
        expect(login).to_be_visible()
        expect(page.locator("#status")).to_have_count(0)
        screenshot(page, "login")

        username.fill(USER)  # the form forgets it after a refusal
        password.fill(PASSWORD)
        login.click()
        expect(page.locator("#status")).to_contain_text("5 documents")
        expect(page.locator('button[role="tab"]', has_text="Ask")).to_be_visible()
    finally:
        page.context.close()
