"""Faults: an ingest killed at random points, a full disk, an index folder the process
may not write. After each, nothing indexed before is lost, no duplicate or orphan
chunk is left, and the next ingest recovers."""

from __future__ import annotations

import os
import random
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import MANIFEST, copy_subset
from qkdnassist.config import Settings
from qkdnassist.embedding import Embedder
from qkdnassist.indexing import ingest
from qkdnassist.search.retrieve import Searcher
from qkdnassist.store.index import Index
from test_ingest import SMALL, consistent

pytestmark = pytest.mark.slow

DOCS = (*SMALL, "ietf/draft-irtf-qirg-principles-11.txt")


def _env(corpus: Path, index: Path) -> dict[str, str]:
    return {**os.environ, "QKDN_CORPUS": str(corpus), "QKDN_INDEX": str(index), "QKDN_MANIFEST": str(MANIFEST)}


def test_ingest_killed_at_random_points_always_recovers(
    tmp_path: Path, sample_corpus: Path, embedder: Embedder
) -> None:
    corpus = copy_subset(sample_corpus, tmp_path / "corpus", DOCS)
    index_dir = tmp_path / "index"
    settings = Settings(corpus=corpus, index=index_dir, manifest=MANIFEST)
    rng = random.Random(20261129)
    kills = 0
    for run in range(4):
        if run == 2:  # a changed file: its old version must survive a kill while it is replaced
            (corpus / SMALL[1]).write_text((corpus / SMALL[1]).read_text() + "\nAddendum: a new paragraph.\n")
        before = {r.source for r in Index(index_dir).documents()} if index_dir.exists() else set()
        process = subprocess.Popen(
            [sys.executable, "-m", "qkdnassist", "ingest", "--json"],
            env=_env(corpus, index_dir),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.5, 12.0))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.wait()
        index = Index(index_dir)
        assert set(before) <= {r.source for r in index.documents()}, f"run {run}: a document was lost"
        for record in index.documents():  # every visible document is whole
            query = index.records.db.execute("SELECT COUNT(*) FROM chunks WHERE source=?", (record.source,))
            rows = query.fetchone()[0]
            assert rows == record.chunks, f"run {run}: {record.source} half-indexed"
        index.close()
    assert kills >= 2, "the random delays should interrupt most runs"
    report = ingest(settings=settings, embedder=embedder)
    assert not report.failed
    index = Index(index_dir)
    consistent(index)  # no duplicate or orphan chunks
    assert len(index.documents()) == len(DOCS)
    hits = Searcher(index, embedder).search("Addendum: a new paragraph", 5)
    assert any(h.chunk.source == SMALL[1] and "Addendum" in h.chunk.text for h in hits)  # the new version


def _limit_file_size(limit: int) -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


def test_a_full_disk_is_a_clear_error_and_corrupts_nothing(
    tmp_path: Path, sample_corpus: Path, embedder: Embedder
) -> None:
    corpus = copy_subset(sample_corpus, tmp_path / "corpus", (SMALL[1],))
    index_dir = tmp_path / "index"
    settings = Settings(corpus=corpus, index=index_dir, manifest=MANIFEST)
    assert not ingest(settings=settings, embedder=embedder).failed
    size = sum(f.stat().st_size for f in index_dir.rglob("*") if f.is_file())
    copy_subset(sample_corpus, corpus, ("ietf/draft-irtf-qirg-principles-11.txt",))
    done = subprocess.run(
        [sys.executable, "-m", "qkdnassist", "ingest"],
        env=_env(corpus, index_dir),
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=lambda: _limit_file_size(size + 64 * 1024),
        check=False,
    )
    assert done.returncode in (1, 2), done.stdout
    message = (done.stderr + done.stdout).strip()
    assert "Traceback" not in message and message, message
    index = Index(index_dir)
    consistent(index)
    assert [d.source for d in index.documents()] in ([SMALL[1]], [SMALL[1], "ietf/draft-irtf-qirg-principles-11.txt"])
    assert Searcher(index, embedder).search("JCA-QKDN meeting", 3)
    report = ingest(settings=settings, embedder=embedder)  # space again: the next run completes
    assert not report.failed
    consistent(index)
    assert len(Index(index_dir).documents()) == 2


def _mount_read_only(source: Path, target: Path) -> bool:
    """Bind-mount ``source`` read-only at ``target``; False where mounting is not allowed."""
    target.mkdir()
    bound = subprocess.run(["mount", "--bind", str(source), str(target)], capture_output=True, check=False)
    if bound.returncode != 0:
        return False
    remount = ["mount", "-o", "remount,bind,ro", str(target)]
    if subprocess.run(remount, capture_output=True, check=False).returncode != 0:
        subprocess.run(["umount", str(target)], check=False)
        return False
    return True


def test_a_read_only_index_folder_is_a_clear_error(tmp_path: Path, sample_corpus: Path, embedder: Embedder) -> None:
    corpus = copy_subset(sample_corpus, tmp_path / "corpus", (SMALL[1],))
    index_dir = tmp_path / "index"
    assert not ingest(settings=Settings(corpus=corpus, index=index_dir, manifest=MANIFEST), embedder=embedder).failed
    read_only = tmp_path / "index-ro"
    if not _mount_read_only(index_dir, read_only):
        pytest.skip("bind mounts are not allowed here (needs CAP_SYS_ADMIN)")
    try:
        copy_subset(sample_corpus, corpus, ("ietf/draft-irtf-qirg-principles-11.txt",))
        done = subprocess.run(
            [sys.executable, "-m", "qkdnassist", "ingest"],
            env=_env(corpus, read_only),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 1, done.stdout + done.stderr
        assert done.stderr.startswith("qkdnassist: error: ") and "Traceback" not in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1
        searched = subprocess.run(
            [sys.executable, "-m", "qkdnassist", "search", "JCA-QKDN meeting", "--json"],
            env=_env(corpus, read_only),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert searched.returncode in (0, 1) and "Traceback" not in searched.stderr  # answered or one clear line
    finally:
        subprocess.run(["umount", str(read_only)], check=False)
    index = Index(index_dir)
    consistent(index)
    assert [d.source for d in index.documents()] == [SMALL[1]]
