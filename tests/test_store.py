"""The index folder: schema migrations, the one writer and its lock, readers that never
write, and the library's removal waiting for a running writer."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from conftest import ROOT
from fakes import FakeEmbedder
from qkdnassist.config import Settings
from qkdnassist.embedding import Embedder
from qkdnassist.errors import IndexBusyError, IndexVersionError, LibraryError
from qkdnassist.indexing import ingest
from qkdnassist.search.retrieve import Searcher
from qkdnassist.store import Index, IndexWriter
from qkdnassist.store.migrations import SCHEMA_VERSION
from qkdnassist.workflows.glossary import Glossary
from qkdnassist.workflows.library import remove_document

NOTES = {
    "relay.txt": "Trusted nodes relay keys hop by hop across the metro network. "
    "Each trusted node holds the keys of both links in the clear.",
    "terms.txt": "1 Scope\nThis note defines the terms of key management.\n"
    "2 References\nNone.\n3 Definition of terms and abbreviations\n"
    "3.1 Abbreviations\nFor the purposes of the present document, the following abbreviations apply:\n"
    "KME Key Management Entity\nSAE Secure Application Entity",
    "timing.txt": "Time synchronization between QKD modules is needed for photon detection windows.",
}


@pytest.fixture()
def fake() -> Embedder:
    return FakeEmbedder()


@pytest.fixture()
def notes(tmp_path: Path, fake: Embedder) -> Settings:
    """An index of three small text documents (real ingest, real Chroma; the fake embedder)."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in NOTES.items():
        (corpus / name).write_text(text + "\n", encoding="utf-8")
    settings = Settings(corpus=corpus, index=tmp_path / "index")
    report = ingest(settings=settings, embedder=fake, workers=0)
    assert len(report.indexed) == 3 and not report.failed
    return settings


# --- migrations ---------------------------------------------------------------------------

# The records of an index written before schema versions were kept: user_version 0, no
# context or tokens column on the chunks.
OLD_SCHEMA = """
CREATE TABLE documents (source TEXT PRIMARY KEY, sha256 TEXT NOT NULL, info TEXT NOT NULL,
    pages INTEGER NOT NULL, chunks INTEGER NOT NULL, indexed_at TEXT NOT NULL);
CREATE TABLE pages (source TEXT NOT NULL, number INTEGER NOT NULL, label TEXT NOT NULL, text TEXT NOT NULL,
    PRIMARY KEY (source, number));
CREATE TABLE chunks (id TEXT PRIMARY KEY, source TEXT NOT NULL, ordinal INTEGER NOT NULL,
    doc_id TEXT NOT NULL, title TEXT NOT NULL, body TEXT NOT NULL, edition TEXT NOT NULL,
    clause TEXT NOT NULL, clause_title TEXT NOT NULL, page INTEGER NOT NULL,
    page_end INTEGER NOT NULL, page_label TEXT NOT NULL, text TEXT NOT NULL);
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def _old_index(folder: Path) -> None:
    folder.mkdir()
    db = sqlite3.connect(folder / "records.sqlite")
    db.executescript(OLD_SCHEMA)
    info = '{"doc_id": "NOTE 1", "title": "A note", "body": "ETSI"}'
    db.execute("INSERT INTO documents VALUES ('note.txt', 'abc', ?, 1, 1, '2025-01-01')", (info,))
    db.execute("INSERT INTO pages VALUES ('note.txt', 1, '1', 'Trusted nodes relay keys.')")
    db.execute(
        "INSERT INTO chunks VALUES ('c1', 'note.txt', 0, 'NOTE 1', 'A note', 'ETSI', '', '', '', 1, 1, '1', "
        "'Trusted nodes relay keys.')"
    )
    db.execute("INSERT INTO meta VALUES ('generation', '4')")
    db.commit()
    db.close()


def test_an_index_in_the_old_schema_is_migrated_without_losing_a_row(tmp_path: Path) -> None:
    _old_index(tmp_path / "index")
    index = Index(tmp_path / "index")
    [record] = index.documents()
    assert record.source == "note.txt" and record.info.doc_id == "NOTE 1"
    chunk = index.chunks(["c1"])["c1"]
    assert chunk.text == "Trusted nodes relay keys." and chunk.context == ""
    assert index.generation == 4  # the migration changes the schema, not the indexed set
    assert index.records.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    # Its keyword index is built from the text (no tokens were kept) and finds the chunk.
    assert index.keyword().scores("trusted nodes").max() > 0
    index.close()


def test_an_index_of_a_newer_qkdnassist_is_refused(tmp_path: Path) -> None:
    _old_index(tmp_path / "index")
    db = sqlite3.connect(tmp_path / "index" / "records.sqlite")
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(IndexVersionError, match="newer than this qkdnassist knows"):
        Index(tmp_path / "index").documents()


# --- readers and the writer -----------------------------------------------------------------


def test_a_reader_never_writes_the_derived_files(notes: Settings, fake: Embedder) -> None:
    folder = notes.index
    for derived in (folder / "keyword", folder / "glossary.json"):
        assert derived.exists(), "the writer saves the derived files when an ingest ends"
    import shutil

    shutil.rmtree(folder / "keyword")
    (folder / "glossary.json").unlink()
    searcher = Searcher(Index(folder), fake)
    assert searcher.search("trusted nodes relay keys", 1)[0].chunk.source == "relay.txt"
    assert Glossary.build(searcher.index).lookup("KME")
    assert not (folder / "keyword").exists() and not (folder / "glossary.json").exists()


def test_the_next_writer_deletes_vectors_an_interrupted_writer_left(notes: Settings) -> None:
    index = Index(notes.index)
    known = set(index.records.chunk_ids())
    some = sorted(known)[0]
    _, vectors = index.vectors([some])
    # What a crash between the vector upsert and the records' transaction leaves behind.
    index.collection.upsert(ids=["orphan-1"], embeddings=vectors.tolist(), metadatas=[{"source": "gone.txt"}])
    index.layout.dirty.touch()
    with IndexWriter(index):
        pass
    assert set(index.store.all_ids()) == known
    assert not index.layout.dirty.exists()


def test_a_second_writer_is_told_the_index_is_busy(notes: Settings) -> None:
    index = Index(notes.index)
    with IndexWriter(index, what="ingest"):
        other = Index(notes.index)
        with (
            pytest.raises(IndexBusyError, match="cannot remove a document now"),
            IndexWriter(other, what="remove a document"),
        ):
            pass


# --- the library: removal beside a running writer ---------------------------------------------

HOLD_LOCK = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from qkdnassist.store import Index, IndexWriter
    with IndexWriter(Index(Path(sys.argv[1])), what="ingest"):
        print("locked", flush=True)
        time.sleep(float(sys.argv[2]))
    """
)


def test_removal_waits_for_a_writer_in_another_process_or_says_busy(notes: Settings) -> None:
    hold = 3.0
    writer = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(notes.index), str(hold)],
        stdout=subprocess.PIPE,
        cwd=ROOT,
        text=True,
    )
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "locked"
        started = time.monotonic()
        with pytest.raises(IndexBusyError, match="try again"):
            remove_document(notes, "timing.txt", wait=0.3)
        assert (notes.corpus / "timing.txt").exists(), "a refused removal removes nothing"
        remove_document(notes, "timing.txt", wait=30)  # waits for the writer to finish
        assert time.monotonic() - started >= hold - 0.5
    finally:
        writer.wait(timeout=30)
    index = Index(notes.index)
    assert sorted(index.hashes()) == ["relay.txt", "terms.txt"]
    assert not (notes.corpus / "timing.txt").exists(), "else the next ingest would add it again"
    assert set(index.store.all_ids()) == set(index.records.chunk_ids())


def test_removing_an_unknown_document_says_so_and_changes_nothing(notes: Settings) -> None:
    generation = Index(notes.index).generation
    with pytest.raises(LibraryError, match=r"no indexed document is 'nothing\.pdf'"):
        remove_document(notes, "nothing.pdf")
    assert Index(notes.index).generation == generation


def test_removal_rebuilds_the_derived_files_for_the_new_generation(notes: Settings, fake: Embedder) -> None:
    remove_document(notes, "terms.txt")
    index = Index(notes.index)
    assert not Glossary.build(index).lookup("KME"), "the removed document's definitions are gone"
    saved = (notes.index / "glossary.json").read_text(encoding="utf-8")
    assert f'"generation": {index.generation}' in saved
    hits = Searcher(index, fake).search("Key Management Entity abbreviation", 3)
    assert all(hit.chunk.source != "terms.txt" for hit in hits)


# An index written by qkdnassist 0.1.0 before this schema versioning (main of
# 2026-12-01; two text documents): user_version 0, every column of today, the vectors
# in embedded Chroma, BM25 and glossary saved.
RELEASED = Path(__file__).resolve().parent / "data" / "index-0.1.0"


def test_an_index_built_by_the_previous_release_opens_and_is_searched(tmp_path: Path, embedder: Embedder) -> None:
    import shutil

    folder = tmp_path / "index"
    shutil.copytree(RELEASED, folder)
    index = Index(folder)
    assert sorted(index.hashes()) == ["jca-qkdn_4th_meeting_executive_summary_2024-05-17.txt", "relay.txt"]
    assert index.records.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    hits = Searcher(index, embedder).search("trusted nodes relay keys hop by hop", 3)
    assert hits[0].chunk.source == "relay.txt"
    with IndexWriter(index) as writer:
        writer.remove_document("relay.txt")
    assert sorted(index.hashes()) == ["jca-qkdn_4th_meeting_executive_summary_2024-05-17.txt"]
    assert set(index.store.all_ids()) == set(index.records.chunk_ids())


@pytest.mark.slow  # a real ingest, with the real model, in another process
def test_removal_beside_a_real_concurrent_ingest_waits_or_says_busy(notes: Settings, sample_corpus: Path) -> None:
    import os
    import shutil

    # Files for the ingest to read and embed while the removal comes in.
    for relative in (
        "ietf/draft-irtf-qirg-principles-11.txt",
        "itu-t/jca-qkdn_4th_meeting_executive_summary_2024-05-17.txt",
    ):
        (notes.corpus / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(sample_corpus / relative, notes.corpus / relative)
    env = {**os.environ, "QKDN_CORPUS": str(notes.corpus), "QKDN_INDEX": str(notes.index)}
    ingest = subprocess.Popen([sys.executable, "-m", "qkdnassist", "ingest"], env=env, cwd=ROOT)
    try:
        dirty = Index(notes.index).layout.dirty  # stands while the writer writes (it holds the lock)
        deadline = time.monotonic() + 240
        while not dirty.exists():
            assert ingest.poll() is None and time.monotonic() < deadline, "the ingest was never seen writing"
            time.sleep(0.01)
        with pytest.raises(IndexBusyError, match="cannot remove a document now, try again"):
            remove_document(notes, "timing.txt", wait=0.2)
        remove_document(notes, "timing.txt", wait=300)  # waits for the ingest, then removes
        assert ingest.wait(timeout=300) == 0
    finally:
        if ingest.poll() is None:
            ingest.kill()
    index = Index(notes.index)
    assert "timing.txt" not in index.hashes() and not (notes.corpus / "timing.txt").exists()
    assert {"relay.txt", "ietf/draft-irtf-qirg-principles-11.txt"} <= set(index.hashes())
    assert set(index.store.all_ids()) == set(index.records.chunk_ids())
