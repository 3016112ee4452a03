"""``make bench-scale``: how the index's costs grow — 10k, 50k and 200k chunks.

The synthetic corpus is made from the sample corpus's own index (``bench/out/index``,
built by ``make bench``, or by this script when it is missing): edition *e* of every
sample document becomes a document of its own (``ETSI GS QKD 014 s017``, source
``synthetic/e017/…``), with its pages, its chunks' texts with about 5 % of the words
dropped at random (so no two editions index identical texts) and its chunks' vectors
moved by Gaussian noise to a cosine of about 0.97 with the original (so the
nearest-neighbour graph is not built over exact duplicates). Edition 0 is the sample
corpus itself. Documents are added until the index holds the wanted number of chunks.

What is not repeated is the embedding: at the measured ~11 chunks a second on these two
cores (cold ingest of the sample corpus), 200,000 chunks would take five hours, and
that cost is per document, the same at any index size. What this measures is the part
that grows with the index:

- **write**: every document through ``IndexWriter.replace_document`` (Chroma upsert, then the
  SQLite transaction), as ``qkdnassist ingest`` writes them, then what ingest ends with:
  the BM25 rebuild and the glossary; chunks per second, peak memory (RSS) and the
  folder's size on disk;
- **update**: one changed document replaced in the full index, with the BM25 rebuild
  and the glossary — what keeping a large index current costs;
- **search**, in a fresh process per size: the first search (model, Chroma, BM25 and
  glossary loaded), then warm searches over the development questions (k = 10, two
  rounds): p50 / p95, the same with a document filter, a coverage check of development
  topics, and the process's peak memory.

Each step runs in its own process so that peak memory is per step and per size.

    python bench/scale.py [--sizes 10000,50000,200000] [--work bench/out/scale] [--keep]

Writes ``<work>/results.json`` and prints a Markdown table for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DROPOUT = 0.05  # share of each chunk's words left out of an edition's text
COSINE = 0.97  # an edition's vectors against the original's (on average)


def peak_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def folder_mb(folder: Path) -> float:
    return round(sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20, 1)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


# --- the base corpus ------------------------------------------------------------------


def load_base(folder: Path) -> list[tuple[Any, list[Any], np.ndarray]]:
    """Every document of the index at ``folder`` with its chunks and their vectors."""
    from qkdnassist.store.index import Index
    from qkdnassist.types import ParsedDocument

    index = Index(folder)
    stored = index.collection.get(include=["embeddings"])
    vectors = {i: np.asarray(v, dtype=np.float32) for i, v in zip(stored["ids"], stored["embeddings"], strict=True)}
    base = []
    for record in index.documents():
        ids = index.records.chunk_ids(record.source)
        chunks = index.chunks(ids)
        ordered = [chunks[i] for i in ids]
        document = ParsedDocument(record.source, record.sha256, record.info, tuple(index.pages(record.source)))
        base.append((document, ordered, np.stack([vectors[c.id] for c in ordered])))
    index.close()
    return base


def edition(
    document: Any, chunks: list[Any], vectors: np.ndarray, number: int, rng: random.Random, *, revise: bool = False
) -> tuple[Any, list[Any], np.ndarray]:
    """Synthetic edition ``number`` of one base document (0 is the document itself): a
    document of its own, or with ``revise`` a changed version of the same file."""
    if number == 0:
        return document, chunks, vectors
    if revise:
        info, source = document.info, document.source
    else:
        info = replace(document.info, doc_id=f"{document.info.doc_id} s{number:03d}", edition=f"synthetic {number}")
        source = f"synthetic/e{number:03d}/{document.source}"
    sha = hashlib.sha256(f"{document.sha256}:{number}".encode()).hexdigest()
    new_chunks = []
    for chunk in chunks:
        words = chunk.text.split(" ")
        kept = [w for w in words if rng.random() >= DROPOUT] or words
        text = " ".join(kept)
        chunk_id = hashlib.sha256(f"{sha}\0{chunk.ordinal}\0{text}".encode()).hexdigest()[:24]
        new_chunks.append(
            replace(chunk, id=chunk_id, source=source, doc_id=info.doc_id, edition=info.edition, text=text)
        )
    # cos(v, v + g) ≈ 1 / sqrt(1 + d·σ²) for a unit v and g ~ N(0, σ²I) in d dimensions.
    sigma = ((1 / COSINE**2 - 1) / vectors.shape[1]) ** 0.5
    noise = np.random.default_rng(rng.getrandbits(32)).normal(0.0, sigma, vectors.shape).astype(np.float32)
    moved = vectors + noise
    moved /= np.linalg.norm(moved, axis=1, keepdims=True)
    return replace(document, source=source, sha256=sha, info=info), new_chunks, moved


# --- steps, each run in a child process -----------------------------------------------


def step_build(base_folder: Path, folder: Path, size: int) -> dict[str, Any]:
    """Write a synthetic index of about ``size`` chunks; then replace one document."""
    from qkdnassist.store import Index, IndexWriter
    from qkdnassist.workflows.glossary import save_glossary

    base = load_base(base_folder)
    rng = random.Random(size)
    started_rss = peak_mb()
    index = Index(folder)
    chunks_written = documents = 0
    write = 0.0
    number = 0
    with IndexWriter(index, derived=(save_glossary,)) as writer:
        while chunks_written < size:
            for document, chunks, vectors in base:
                if chunks_written >= size:
                    break
                doc, doc_chunks, doc_vectors = edition(document, chunks, vectors, number, rng)
                started = time.perf_counter()
                writer.replace_document(doc, doc_chunks, doc_vectors)
                write += time.perf_counter() - started
                chunks_written += len(doc_chunks)
                documents += 1
            number += 1
        built = writer.finish()  # as ingest ends: BM25 and the glossary saved for the next process
        keyword, glossary = built["keyword"], built["save_glossary"]

        # One changed file in the full index: a revised version of the largest base document.
        document, chunks, vectors = max(base, key=lambda b: len(b[1]))
        doc, doc_chunks, doc_vectors = edition(document, chunks, vectors, 999, rng, revise=True)
        started = time.perf_counter()
        writer.replace_document(doc, doc_chunks, doc_vectors)
        update_write = time.perf_counter() - started
        built = writer.finish()
        update_keyword, update_glossary = built["keyword"], built["save_glossary"]
    index.close()
    return {
        "chunks": chunks_written,
        "documents": documents,
        "write_s": round(write, 2),
        "keyword_s": round(keyword, 2),
        "glossary_s": round(glossary, 2),
        "chunks_per_s": round(chunks_written / (write + keyword + glossary), 1),
        "update_chunks": len(doc_chunks),
        "update_write_s": round(update_write, 3),
        "update_keyword_s": round(update_keyword, 2),
        "update_glossary_s": round(update_glossary, 2),
        "peak_mb": peak_mb(),
        "base_mb": started_rss,
        "disk_mb": folder_mb(folder),
    }


def step_search(folder: Path, questions: Path, topics: Path, n_topics: int) -> dict[str, Any]:
    """Cold and warm search timings, filtered search and coverage checks on one index."""
    started = time.perf_counter()
    from qkdnassist.config import load_settings
    from qkdnassist.embedding import Embedder
    from qkdnassist.search.retrieve import Searcher
    from qkdnassist.store.index import Index
    from qkdnassist.workflows.coverage import CoverageChecker

    settings = load_settings({**os.environ, "QKDN_INDEX": str(folder)})
    searcher = Searcher(Index(folder), Embedder.from_settings(settings))
    queries = [json.loads(line) for line in questions.read_text().splitlines() if line.strip()]
    searcher.search(queries[0]["question"], 10)
    first = time.perf_counter() - started

    warm: list[float] = []
    for _ in range(2):
        for q in queries:
            t = time.perf_counter()
            searcher.search(q["question"], 10)
            warm.append(time.perf_counter() - t)
    filtered: list[float] = []
    doc_ids = [d.info.doc_id for d in searcher.documents()]
    for i, q in enumerate(queries):
        t = time.perf_counter()
        searcher.search(q["question"], 10, doc=doc_ids[i % len(doc_ids)])
        filtered.append(time.perf_counter() - t)
    checker = CoverageChecker(searcher)
    coverage: list[float] = []
    for line in topics.read_text().splitlines()[:n_topics]:
        t = time.perf_counter()
        checker.check(json.loads(line)["topic"])
        coverage.append(time.perf_counter() - t)
    ms = [1000 * s for s in warm]
    fms = [1000 * s for s in filtered]
    return {
        "first_search_s": round(first, 2),
        "search_p50_ms": round(statistics.median(ms), 1),
        "search_p95_ms": round(percentile(ms, 0.95), 1),
        "filtered_p50_ms": round(statistics.median(fms), 1),
        "filtered_p95_ms": round(percentile(fms, 0.95), 1),
        "coverage_p50_s": round(statistics.median(coverage), 2),
        "coverage_max_s": round(max(coverage), 2),
        "coverage_topics": len(coverage),
        "peak_mb": peak_mb(),
    }


def child(argv: list[str]) -> dict[str, Any]:
    """Run one step in a fresh interpreter; its JSON result."""
    done = subprocess.run([sys.executable, __file__, "--step", *argv], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"step {argv[0]} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def ensure_base(base: Path) -> None:
    """Index the sample corpus into ``base`` when it holds nothing yet (about four minutes)."""
    if (base / "records.sqlite").is_file():
        return
    corpus = Path(os.environ.get("QKDN_CORPUS", ROOT.parent / "shared/corpus"))
    print(f"indexing {corpus} into {base} first ...", file=sys.stderr)
    env = {**os.environ, "QKDN_CORPUS": str(corpus), "QKDN_INDEX": str(base)}
    subprocess.run([sys.executable, "-m", "qkdnassist", "ingest"], env=env, check=True, stdout=subprocess.DEVNULL)


def markdown(results: dict[str, Any]) -> str:
    rows = [
        "| chunks (documents) | write | BM25 + glossary | chunks/s | peak RSS, write | on disk"
        " | one changed doc (write + BM25 + glossary) | first search | warm p50 / p95"
        " | one-doc filter p50 / p95 | coverage / topic (p50, max) | peak RSS, search |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results["sizes"]:
        b, s = r["build"], r["search"]
        rows.append(
            f"| {b['chunks']:,} ({b['documents']:,}) | {b['write_s']} s | {b['keyword_s']} s + {b['glossary_s']} s"
            f" | {b['chunks_per_s']:,} | {b['peak_mb']:,} MB | {b['disk_mb']:,} MB"
            f" | {b['update_write_s']} s + {b['update_keyword_s']} s + {b['update_glossary_s']} s"
            f" | {s['first_search_s']} s | {s['search_p50_ms']} / {s['search_p95_ms']} ms"
            f" | {s['filtered_p50_ms']} / {s['filtered_p95_ms']} ms"
            f" | {s['coverage_p50_s']} s, {s['coverage_max_s']} s | {s['peak_mb']:,} MB |"
        )
    return "\n".join(rows)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--step":
        step, *rest = sys.argv[2:]
        if step == "build":
            result = step_build(Path(rest[0]), Path(rest[1]), int(rest[2]))
        elif step == "search":
            result = step_search(Path(rest[0]), Path(rest[1]), Path(rest[2]), int(rest[3]))
        else:
            sys.exit(f"unknown step {step}")
        print(json.dumps(result))
        return

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,50000,200000", help="chunk counts, comma-separated")
    parser.add_argument("--base", type=Path, default=HERE / "out/index", help="index of the sample corpus")
    parser.add_argument("--work", type=Path, default=HERE / "out/scale")
    parser.add_argument("--questions", type=Path, default=HERE / "questions/facts.jsonl")
    parser.add_argument("--topics", type=Path, default=HERE / "questions/topics_dev.jsonl")
    parser.add_argument("--coverage-topics", type=int, default=5, help="coverage checks timed per size")
    parser.add_argument("--keep", action="store_true", help="keep the synthetic indexes")
    args = parser.parse_args()

    ensure_base(args.base)
    results: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}",
        "base": str(args.base),
        "sizes": [],
    }
    args.work.mkdir(parents=True, exist_ok=True)
    for size in (int(s) for s in args.sizes.split(",")):
        folder = args.work / f"index-{size}"
        shutil.rmtree(folder, ignore_errors=True)
        print(f"{size:,} chunks: writing ...", file=sys.stderr)
        build = child(["build", str(args.base), str(folder), str(size)])
        print(f"  {json.dumps(build)}\n{size:,} chunks: searching ...", file=sys.stderr)
        search = child(["search", str(folder), str(args.questions), str(args.topics), str(args.coverage_topics)])
        print(f"  {json.dumps(search)}", file=sys.stderr)
        results["sizes"].append({"size": size, "build": build, "search": search})
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    (args.work / "results.json").write_text(json.dumps(results, indent=2))
    print(f"## Scale — {results['date'][:10]}, `python bench/scale.py`, {results['machine']}\n")
    print(markdown(results))


if __name__ == "__main__":
    main()
