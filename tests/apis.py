"""What the tests of the other-tools surfaces share: a small real index (FakeEmbedder)
and a real web server on a free port, run in a thread of the test process."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from conftest import MANIFEST, corpus_file
from fakes import FakeEmbedder
from qkdnassist.answer import Assistant
from qkdnassist.config import Settings
from qkdnassist.indexing import ingest
from qkdnassist.search.retrieve import Searcher
from qkdnassist.store.index import Index

# Two documents the tests can ask about: the ETSI key-delivery API and the JCA-QKDN summary.
SOURCES = ("etsi/gs_qkd_014_v1.1.1.pdf", "itu-t/jca-qkdn_4th_meeting_executive_summary_2024-05-17.txt")


def small_index(root: Path) -> Settings:
    """Settings of a real index of :data:`SOURCES` under ``root``, embedded by the FakeEmbedder."""
    corpus = root / "corpus"
    for source in SOURCES:
        (corpus / source).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(corpus_file(source), corpus / source)
    settings = Settings(corpus=corpus, index=root / "index", manifest=MANIFEST)
    report = ingest(settings=settings, embedder=FakeEmbedder(), workers=0)
    assert not report.failed, report.failed
    return settings


def fake_assistant(settings: Settings) -> Assistant:
    """An evidence-mode assistant over the index of ``settings`` (FakeEmbedder) that
    never abstains: the gate is fitted on the real embedder's similarities, which the
    fake one does not reproduce, and these tests are about what the surfaces carry."""
    return Assistant(Searcher(Index(settings.index), FakeEmbedder()), settings=settings, threshold=0.0)


@contextmanager
def running(app: Any, port: int) -> Iterator[str]:
    """Serve the ASGI ``app`` with uvicorn in a thread; yields its base URL once it answers."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the web server did not start")
        time.sleep(0.05)
    httpx.get(f"{url}/v1/models", timeout=10)
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=30)
