"""Incremental, crash-safe ingestion on real documents with the real model and Chroma."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import failing_workers
from conftest import MANIFEST, copy_subset
from qkdnassist import indexing as ingest_module
from qkdnassist.config import Settings
from qkdnassist.embedding import Embedder
from qkdnassist.errors import IndexStoreError, QkdnError
from qkdnassist.indexing import ingest
from qkdnassist.search.retrieve import Searcher
from qkdnassist.store.index import Index
from qkdnassist.store.writer import IndexWriter

SMALL = (
    "gov/anssi_bsi_nlncsa_sma_position_paper_qkd_2024.pdf",
    "itu-t/jca-qkdn_4th_meeting_executive_summary_2024-05-17.txt",
)


@pytest.fixture()
def small(tmp_path: Path, sample_corpus: Path) -> Settings:
    """A fresh corpus of two small real documents and an empty index."""
    return Settings(
        corpus=copy_subset(sample_corpus, tmp_path / "corpus", SMALL), index=tmp_path / "index", manifest=MANIFEST
    )


def consistent(index: Index) -> tuple[int, int]:
    """Chunk rows and vectors; they must match one to one."""
    rows = {r[0] for r in index.records.db.execute("SELECT id FROM chunks")}
    vectors = set(index.collection.get(include=[])["ids"])
    assert rows == vectors, "records and vectors disagree (duplicates or orphans)"
    return len(rows), len(vectors)


class CountingEmbedder(Embedder):
    """The real model, counting the passages it embeds."""

    def __init__(self, fail_after: int | None = None) -> None:
        super().__init__()
        self.calls = 0
        self.fail_after = fail_after

    def embed(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        if self.fail_after is not None and self.calls > self.fail_after:
            raise RuntimeError("simulated crash while embedding")
        return super().embed(texts)


def test_first_run_indexes_every_file_with_manifest_metadata(small: Settings, embedder: Embedder) -> None:
    report = ingest(settings=small, embedder=embedder)
    assert sorted(f.source for f in report.indexed) == sorted(SMALL)
    assert not report.failed and not report.unchanged and not report.removed
    index = Index(small.index)
    docs = {d.source: d for d in index.documents()}
    paper = docs["gov/anssi_bsi_nlncsa_sma_position_paper_qkd_2024.pdf"]
    assert paper.pages == 7 and paper.chunks > 10
    assert paper.info.doc_id.startswith("ANSSI/BSI")
    assert consistent(index)[0] == sum(f.chunks for f in report.indexed)


def test_rerun_with_nothing_changed_reads_and_embeds_nothing(small: Settings) -> None:
    ingest(settings=small)
    counting = CountingEmbedder()
    report = ingest(settings=small, embedder=counting)
    assert sorted(report.unchanged) == sorted(SMALL)
    assert not report.indexed and counting.calls == 0
    assert counting._model is None, "the model must not even be loaded when nothing changed"


def test_changed_file_is_replaced_without_duplicates(small: Settings, embedder: Embedder) -> None:
    ingest(settings=small, embedder=embedder)
    index = Index(small.index)
    before = consistent(index)[0]
    summary = small.corpus / SMALL[1]
    summary.write_text(
        summary.read_text(encoding="utf-8") + "\n9 Added clause\nQuokka liaison paragraph.\n", encoding="utf-8"
    )
    report = ingest(settings=small, embedder=embedder)
    assert [f.source for f in report.indexed] == [SMALL[1]]
    assert report.unchanged == (SMALL[0],)
    after = consistent(index)[0]
    assert after >= before
    hits = Searcher(index, embedder).search("quokka liaison", 3)
    assert hits[0].chunk.source == SMALL[1] and "Quokka" in hits[0].chunk.text


def test_removed_file_is_purged(small: Settings, embedder: Embedder) -> None:
    ingest(settings=small, embedder=embedder)
    (small.corpus / SMALL[1]).unlink()
    report = ingest(settings=small, embedder=embedder)
    assert report.removed == (SMALL[1],)
    index = Index(small.index)
    assert [d.source for d in index.documents()] == [SMALL[0]]
    consistent(index)
    assert all(h.chunk.source == SMALL[0] for h in Searcher(index, embedder).search("JCA-QKDN meeting", 10))


def test_ingesting_one_file_does_not_remove_the_others(small: Settings, embedder: Embedder) -> None:
    ingest(settings=small, embedder=embedder)
    report = ingest([small.corpus / SMALL[0]], settings=small, embedder=embedder)
    assert report.unchanged == (SMALL[0],) and not report.removed
    assert len(Index(small.index).documents()) == 2


def test_bad_files_are_reported_and_the_rest_indexed(small: Settings, embedder: Embedder) -> None:
    ingest(settings=small, embedder=embedder)
    bad = small.corpus / "bad"
    bad.mkdir()
    (bad / "empty.pdf").write_bytes(b"")
    (bad / "page.pdf").write_text("<!DOCTYPE html><html>not found</html>")
    real = small.corpus / SMALL[0]
    (bad / "truncated.pdf").write_bytes(real.read_bytes()[: real.stat().st_size // 3])
    (bad / "good.txt").write_text("A good note about trusted nodes in QKD networks.\n", encoding="utf-8")
    report = ingest(settings=small, embedder=embedder)
    failed = {f.source: f.reason for f in report.failed}
    assert set(failed) == {"bad/empty.pdf", "bad/page.pdf", "bad/truncated.pdf"}
    assert "empty" in failed["bad/empty.pdf"] and "not a PDF" in failed["bad/page.pdf"]
    assert [f.source for f in report.indexed] == ["bad/good.txt"]
    assert len(Index(small.index).documents()) == 3


def test_failed_new_version_keeps_the_old_one(small: Settings, embedder: Embedder) -> None:
    ingest(settings=small, embedder=embedder)
    (small.corpus / SMALL[0]).write_bytes(b"%PDF-1.7\n garbage")
    report = ingest(settings=small, embedder=embedder)
    assert [f.source for f in report.failed] == [SMALL[0]]
    index = Index(small.index)
    assert {d.source for d in index.documents()} == set(SMALL)
    hits = Searcher(index, embedder).search("QKD position paper agencies", 5, doc="Position Paper")
    assert hits and hits[0].chunk.source == SMALL[0]


def test_crash_mid_run_loses_nothing_and_next_run_recovers(small: Settings, embedder: Embedder) -> None:
    ingest(settings=small, embedder=embedder)
    # Two files change; the run dies while embedding the second one.
    (small.corpus / "a-notes.txt").write_text("Notes on entanglement swapping.\n", encoding="utf-8")
    summary = small.corpus / SMALL[1]
    summary.write_text(summary.read_text(encoding="utf-8") + "\nRevised.\n", encoding="utf-8")
    with pytest.raises(RuntimeError, match="simulated crash"):
        ingest(settings=small, embedder=CountingEmbedder(fail_after=1), workers=0)
    index = Index(small.index)
    assert {d.source for d in index.documents()} == {*SMALL, "a-notes.txt"}
    hits = Searcher(index, embedder).search("JCA-QKDN open issues coordination", 3)
    assert hits and hits[0].chunk.source == SMALL[1]  # the old version is still searchable
    report = ingest(settings=small, embedder=embedder)
    assert [f.source for f in report.indexed] == [SMALL[1]]
    assert not report.failed
    consistent(index)


def test_sigkill_during_ingest_is_recovered(tmp_path: Path, sample_corpus: Path) -> None:
    corpus = copy_subset(
        sample_corpus,
        tmp_path / "corpus",
        ("etsi/gs_qkd_014_v1.1.1.pdf", "ietf/draft-irtf-qirg-principles-11.txt", *SMALL),
    )
    env = {
        **os.environ,
        "QKDN_CORPUS": str(corpus),
        "QKDN_INDEX": str(tmp_path / "index"),
        "QKDN_MANIFEST": str(MANIFEST),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "qkdnassist", "ingest", "--json"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    records = tmp_path / "index" / "records.sqlite"
    deadline = time.monotonic() + 240
    # Kill it once at least one document is committed and others are still pending.
    while time.monotonic() < deadline and process.poll() is None:
        if records.exists() and Index(tmp_path / "index").hashes():
            break
        time.sleep(0.2)
    process.send_signal(signal.SIGKILL)
    process.wait()
    settings = Settings(corpus=corpus, index=tmp_path / "index", manifest=MANIFEST)
    report = ingest(settings=settings)
    assert not report.failed
    index = Index(tmp_path / "index")
    consistent(index)
    assert len(index.documents()) == 4


@pytest.fixture()
def notes(tmp_path: Path) -> Settings:
    """A fresh corpus of small text notes (quick to read and embed) and an empty index."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in NOTES.items():
        (corpus / name).write_text(text, encoding="utf-8")
    return Settings(corpus=corpus, index=tmp_path / "index", manifest=MANIFEST)


NOTES = {
    "a-trusted-nodes.txt": "Trusted nodes relay keys hop by hop in a QKD network.\n",
    "b-key-relay.txt": "Key relay combines link keys with one-time pad encryption.\n",
}


def test_a_reader_process_killed_fails_its_file_and_the_batch_goes_on(
    notes: Settings, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The OOM killer's way: SIGKILL to the worker reading one file. Its previous
    # version stays indexed; the other files of the batch are read and indexed.
    victim = notes.corpus / "sigkill-satellite.txt"
    victim.write_text("Satellite QKD links span continents.\n", encoding="utf-8")
    ingest(settings=notes, embedder=embedder)
    victim.write_text("Satellite QKD links span continents, revised.\n", encoding="utf-8")
    (notes.corpus / "c-rekeying.txt").write_text("Rekeying happens every hour.\n", encoding="utf-8")
    (notes.corpus / "d-sae.txt").write_text("An SAE asks its KME for keys.\n", encoding="utf-8")
    monkeypatch.setattr(ingest_module, "_worker_prepare", failing_workers.prepare_or_misbehave)
    report = ingest(settings=notes, embedder=embedder)
    assert [(f.source, f.reason) for f in report.failed] == [
        (victim.name, "the reader process died while reading the file (killed by SIGKILL, out of memory?)")
    ]
    assert sorted(f.source for f in report.indexed) == ["c-rekeying.txt", "d-sae.txt"]
    index = Index(notes.index)
    assert {d.source for d in index.documents()} == {*NOTES, victim.name, "c-rekeying.txt", "d-sae.txt"}
    hits = Searcher(index, embedder).search("satellite links", 1)
    assert hits[0].chunk.source == victim.name and "revised" not in hits[0].chunk.text  # the old version
    consistent(index)
    assert multiprocessing.active_children() == []


def test_a_reader_that_hangs_is_stopped_at_the_timeout_and_the_batch_finishes(
    notes: Settings, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    (notes.corpus / "hang-forever.txt").write_text("Never read to the end.\n", encoding="utf-8")
    monkeypatch.setattr(ingest_module, "_worker_prepare", failing_workers.prepare_or_misbehave)
    started = time.monotonic()
    report = ingest(settings=notes, embedder=embedder, read_timeout=3)
    assert time.monotonic() - started < 60
    assert [(f.source, f.reason) for f in report.failed] == [
        ("hang-forever.txt", "reading took longer than 3 s; its reader process was stopped")
    ]
    assert sorted(f.source for f in report.indexed) == sorted(NOTES)
    assert multiprocessing.active_children() == []  # the hung reader was killed, not left behind


def test_second_concurrent_ingest_is_refused(small: Settings) -> None:
    import fcntl

    small.index.mkdir(parents=True)
    with (small.index / "ingest.lock").open("a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        with pytest.raises(IndexStoreError, match="another ingest"):
            ingest(settings=small)


def test_rebuild_swaps_in_a_complete_fresh_index(small: Settings, embedder: Embedder) -> None:
    ingest(settings=small, embedder=embedder)
    report = ingest(settings=small, embedder=embedder, rebuild=True)
    assert sorted(f.source for f in report.indexed) == sorted(SMALL)
    assert not small.index.with_name(small.index.name + ".rebuild").exists()
    index = Index(small.index)
    assert len(index.documents()) == 2
    consistent(index)


def test_a_corpus_folder_holding_none_of_the_indexed_documents_removes_nothing(
    small: Settings, embedder: Embedder, tmp_path: Path
) -> None:
    ingest(settings=small, embedder=embedder)
    wrong = replace(small, corpus=tmp_path / "elsewhere")
    wrong.corpus.mkdir()
    with pytest.raises(QkdnError, match="holds none of the 2 indexed documents; nothing was removed"):
        ingest(settings=wrong, embedder=embedder)
    assert len(Index(small.index).documents()) == 2


def test_keyword_tokens_are_kept_with_the_chunks_and_refilled_when_missing_or_stale(
    small: Settings, embedder: Embedder
) -> None:
    ingest(settings=small, embedder=embedder)
    index = Index(small.index)
    assert index.records.db.execute("SELECT COUNT(*) FROM chunks WHERE tokens IS NULL").fetchone()[0] == 0
    query = "trusted nodes distance limitations end-to-end security"
    with IndexWriter(index) as writer:
        fresh = writer.rebuild_keyword().scores(query)

    # An index written before tokens were kept, or by another tokenizer version.
    for damage in ("UPDATE chunks SET tokens=NULL", "UPDATE meta SET value='old' WHERE key='tokenizer'"):
        index.records.db.execute(damage)
        index.records.db.execute("UPDATE chunks SET tokens='zebra' WHERE tokens IS NOT NULL")
        with IndexWriter(index) as writer:
            np.testing.assert_allclose(writer.rebuild_keyword().scores(query), fresh, rtol=1e-6)
        rows = index.records.db.execute("SELECT COUNT(*) FROM chunks WHERE tokens IS NULL OR tokens='zebra'")
        assert rows.fetchone()[0] == 0

    # A reader never writes: with tokens missing, it builds its keyword index in memory.
    index.records.db.execute("UPDATE chunks SET tokens=NULL")
    index.records.db.execute("PRAGMA query_only=ON")
    np.testing.assert_allclose(index.build_keyword().scores(query), fresh, rtol=1e-6)
