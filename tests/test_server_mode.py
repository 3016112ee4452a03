"""Server mode: the vectors on a real ``chroma run`` server on loopback, the same results as embedded.

The server is started once for the module and stopped at its end (also after a
failure); one test stops and restarts it on the same port and data folder.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import chromadb
import numpy as np
import pytest
from chromadb.config import Settings as ChromaSettings

from conftest import MANIFEST, copy_subset, free_port, stop, wait_or_fail
from qkdnassist.config import Settings, load_settings
from qkdnassist.embedding import Embedder
from qkdnassist.errors import ConfigError, IndexStoreError
from qkdnassist.indexing import ingest
from qkdnassist.search.retrieve import Searcher
from qkdnassist.store.index import Index
from qkdnassist.store.vectors import COLLECTION
from test_ingest import CountingEmbedder, consistent

SMALL = (
    "itu-t/jca-qkdn_4th_meeting_executive_summary_2024-05-17.txt",
    "ietf/draft-irtf-qirg-principles-11.txt",
)
QUERIES = (
    "principles for a quantum internet architecture",
    "JCA-QKDN meeting outcomes and next steps",
    "entanglement distribution between distant nodes",
    "coordination of QKD network standardization",
    "quantum memory and repeaters",
    "RFC 8174 requirement keywords",
)


class MemoEmbedder(Embedder):
    """The real model, sharing the session's loaded one; a passage is embedded once.

    The twin indexes below hold the same corpus: the second ingest gets the very
    vectors the first computed, so any difference in results comes from the store.
    """

    def __init__(self, model: Embedder) -> None:
        self.__dict__.update(model.__dict__)
        self.memo: dict[str, np.ndarray] = {}

    def embed(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self.memo]
        if missing:
            self.memo.update(zip(missing, super().embed(missing), strict=True))
        return np.stack([self.memo[t] for t in texts]) if texts else super().embed(texts)


class ChromaServer:
    """A real ``chroma run`` on 127.0.0.1, stoppable and restartable on the same port and data."""

    def __init__(self, data: Path, log: Path) -> None:
        self.executable = Path(sys.executable).parent / "chroma"
        if not self.executable.is_file():
            pytest.fail(f"chroma executable not found next to {sys.executable}", pytrace=False)
        self.data = data
        self.log = log
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> None:
        """Start the server and wait for its heartbeat; fail with its log if it dies or hangs."""
        command = [str(self.executable), "run", "--path", str(self.data), "--host", "127.0.0.1"]
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                [*command, "--port", str(self.port)], stdin=subprocess.DEVNULL, stdout=output, stderr=output
            )
        wait_or_fail(f"{self.url}/api/v2/heartbeat", self.process, self.log, what="chroma run", timeout=timeout)

    def stop(self) -> None:
        if self.process is None:
            return
        stop(self.process)
        self.process = None


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    base = tmp_path_factory.mktemp("chroma-server")
    server = ChromaServer(base / "data", base / "server.log")
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def twins(
    tmp_path_factory: pytest.TempPathFactory, sample_corpus: Path, embedder: Embedder, chroma_server: ChromaServer
) -> tuple[Settings, Settings]:
    """One corpus ingested twice: embedded, and with its vectors on the server (read-only for tests)."""
    base = tmp_path_factory.mktemp("twins")
    corpus = copy_subset(sample_corpus, base / "corpus", SMALL)
    embedded = Settings(corpus=corpus, index=base / "embedded", manifest=MANIFEST)
    served = replace(embedded, index=base / "served", chroma_url=chroma_server.url)
    memo = MemoEmbedder(embedder)
    for settings in (embedded, served):
        report = ingest(settings=settings, index=Index.from_settings(settings), embedder=memo, workers=0)
        assert sorted(f.source for f in report.indexed) == sorted(SMALL) and not report.failed
    return embedded, served


@pytest.mark.slow
def test_server_mode_returns_the_same_hits_as_embedded(twins: tuple[Settings, Settings], embedder: Embedder) -> None:
    embedded, served = (Searcher(Index.from_settings(s), embedder) for s in twins)
    for query in QUERIES:
        # HNSW is approximate and its graph depends on insertion timing: two builds of the
        # same vectors, even two embedded ones, can swap chunks whose similarities are
        # nearly equal (seen at rank 5 on a query with flat similarities). So: the best 5
        # in the same order up to near-ties, and every chunk both stores return scored alike.
        vector = embedder.embed_query(query)
        local, remote = dict(embedded.index.dense(vector, 10)), dict(served.index.dense(vector, 10))
        for rank, (mine, theirs) in enumerate(zip(list(local)[:5], list(remote)[:5], strict=True)):
            if mine != theirs:  # only a near-tie may swap
                assert theirs in local and abs(local[mine] - local[theirs]) < 2e-3, (query, rank)
        both = sorted(set(local) & set(remote))
        assert [remote[i] for i in both] == pytest.approx([local[i] for i in both], abs=1e-5)  # JSON carries float32
        expected = {h.chunk.id for h in embedded.search(query, 5)}
        assert expected and len({h.chunk.id for h in served.search(query, 5)} & expected) >= 4, query
    assert not (twins[1].index / "chroma").exists(), "server mode must not keep vectors in the index folder"


@pytest.mark.slow
def test_server_index_keeps_its_own_named_collection(twins: tuple[Settings, Settings]) -> None:
    index = Index.from_settings(twins[1])
    name = index.collection.name
    assert re.fullmatch(r"qkdn_[0-9a-f]{16}", name) and name != COLLECTION
    # The name lives in the records, so another instance sharing the folder finds the same vectors.
    assert Index.from_settings(twins[1]).collection.name == name
    assert consistent(index)[0] == index.collection.count()


@pytest.mark.slow
def test_rerun_on_the_server_embeds_nothing(twins: tuple[Settings, Settings]) -> None:
    served = twins[1]
    counting = CountingEmbedder()
    report = ingest(settings=served, index=Index.from_settings(served), embedder=counting, workers=0)
    assert sorted(report.unchanged) == sorted(SMALL)
    assert not report.indexed and not report.removed and counting.calls == 0


@pytest.mark.slow
def test_removed_file_is_purged_from_the_server(
    tmp_path: Path, sample_corpus: Path, embedder: Embedder, chroma_server: ChromaServer
) -> None:
    corpus = copy_subset(sample_corpus, tmp_path / "corpus", SMALL[:1])
    (corpus / "notes.txt").write_text("Notes on trusted relay nodes in QKD networks.\n", encoding="utf-8")
    settings = Settings(corpus=corpus, index=tmp_path / "index", manifest=MANIFEST, chroma_url=chroma_server.url)
    index = Index.from_settings(settings)
    ingest(settings=settings, index=index, embedder=embedder, workers=0)
    assert index.collection.get(where={"source": "notes.txt"}, include=[])["ids"]
    (corpus / "notes.txt").unlink()
    report = ingest(settings=settings, index=index, embedder=embedder, workers=0)
    assert report.removed == ("notes.txt",)
    assert not index.collection.get(where={"source": "notes.txt"}, include=[])["ids"]
    consistent(index)


@pytest.mark.slow
def test_drop_vectors_deletes_only_this_index_collection(
    tmp_path: Path, embedder: Embedder, chroma_server: ChromaServer, twins: tuple[Settings, Settings]
) -> None:
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "notes.txt").write_text("Notes on key relay.\n", encoding="utf-8")
    settings = Settings(corpus=tmp_path / "corpus", index=tmp_path / "index", chroma_url=chroma_server.url)
    index = Index.from_settings(settings)
    ingest(settings=settings, index=index, embedder=embedder, workers=0)
    doomed, kept = index.collection.name, Index.from_settings(twins[1]).collection.name
    client = chromadb.HttpClient(
        host="127.0.0.1", port=chroma_server.port, settings=ChromaSettings(anonymized_telemetry=False)
    )
    assert {doomed, kept} <= {c.name for c in client.list_collections()}
    index.drop_vectors()
    names = {c.name for c in client.list_collections()}
    assert kept in names and doomed not in names
    Index.from_settings(twins[0]).drop_vectors()  # embedded: its vectors go with its folder; nothing to do
    assert (twins[0].index / "chroma").is_dir()


@pytest.mark.slow
def test_an_index_built_in_one_mode_is_refused_in_the_other(twins: tuple[Settings, Settings]) -> None:
    embedded, served = twins
    with pytest.raises(IndexStoreError, match=r"embedded\);.*--rebuild.*the Chroma server at http://127"):
        _ = Index.from_settings(replace(embedded, chroma_url=served.chroma_url)).collection
    with pytest.raises(IndexStoreError, match=r"keeps its vectors on a Chroma server .*set QKDN_CHROMA_URL"):
        _ = Index.from_settings(replace(served, chroma_url="")).collection
    assert not (served.index / "chroma").exists()


@pytest.mark.slow
def test_stopped_server_is_one_clear_error_and_a_restart_recovers(
    twins: tuple[Settings, Settings], embedder: Embedder, chroma_server: ChromaServer
) -> None:
    searcher = Searcher(Index.from_settings(twins[1]), embedder)
    before = [h.chunk.id for h in searcher.search(QUERIES[0], 5)]
    chroma_server.stop()
    try:
        expected = re.escape(f"cannot reach the Chroma server at {chroma_server.url}: ")
        for attempt in ("mid-session", "reconnecting", "at start"):
            started = time.monotonic()
            with pytest.raises(IndexStoreError, match=expected) as error:
                if attempt == "at start":
                    Searcher(Index.from_settings(twins[1]), embedder).search(QUERIES[0], 5)
                else:
                    searcher.search(QUERIES[0], 5)
            assert "\n" not in str(error.value), attempt
            assert time.monotonic() - started < 10, attempt
    finally:
        chroma_server.start()
    assert [h.chunk.id for h in searcher.search(QUERIES[0], 5)] == before


class _TokenChecker(BaseHTTPRequestHandler):
    """Stands in for an auth proxy before Chroma: answers the heartbeat, refuses the rest."""

    seen: ClassVar[list[tuple[str, str | None]]] = []

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def _answer(self) -> None:
        self.seen.append((self.path, self.headers.get("Authorization")))
        heartbeat = self.path == "/api/v2/heartbeat"
        body = json.dumps({"nanosecond heartbeat": 1} if heartbeat else {"detail": "bad token"}).encode()
        self.send_response(200 if heartbeat else 401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep the test output clean


def test_token_is_sent_and_a_refusal_is_one_line_naming_the_server(tmp_path: Path) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _TokenChecker)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        index = Index(tmp_path / "index", chroma_url=url, chroma_token="s3cret")
        with pytest.raises(IndexStoreError, match=re.escape(f"the Chroma server at {url} failed: ")) as error:
            _ = index.collection
    finally:
        server.shutdown()
        server.server_close()
    assert "\n" not in str(error.value)
    paths = [path for path, _ in _TokenChecker.seen]
    assert "/api/v2/heartbeat" in paths and len(set(paths)) > 1, "chromadb's own requests must reach the proxy"
    assert {auth for _, auth in _TokenChecker.seen} == {"Bearer s3cret"}


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8000", "https://chroma.example.org:443", "http://[::1]:8000", "http://chroma:8000/"],
)
def test_server_url_is_accepted(url: str) -> None:
    assert load_settings(env={"QKDN_CHROMA_URL": url}).chroma_url == url.rstrip("/")


@pytest.mark.parametrize(
    "url",
    [
        "127.0.0.1:8000",
        "http://127.0.0.1",
        "ftp://host:21",
        "http://host:notaport",
        "http://host:99999",
        "http://host:8000/api/v2",
        "http://user:pw@host:8000",
        "http://:8000",
    ],
)
def test_server_url_breaking_the_rule_is_refused(url: str) -> None:
    with pytest.raises(ConfigError, match=r"QKDN_CHROMA_URL must be http\(s\)://host:port"):
        load_settings(env={"QKDN_CHROMA_URL": url})


def test_token_needs_a_server_and_stays_out_of_repr() -> None:
    with pytest.raises(ConfigError, match="QKDN_CHROMA_TOKEN needs QKDN_CHROMA_URL"):
        load_settings(env={"QKDN_CHROMA_TOKEN": "s3cret"})
    with pytest.raises(ConfigError, match="QKDN_CHROMA_TOKEN must not contain"):
        load_settings(env={"QKDN_CHROMA_URL": "http://h:1", "QKDN_CHROMA_TOKEN": "two words"})
    settings = load_settings(env={"QKDN_CHROMA_URL": " http://h:1 ", "QKDN_CHROMA_TOKEN": " s3cret "})
    assert (settings.chroma_url, settings.chroma_token) == ("http://h:1", "s3cret")
    assert "s3cret" not in repr(settings)
    assert load_settings(env={}).chroma_url == ""
