"""Files → index, incrementally and crash-safely, with a report.

One run: find the files, hash them, skip those already indexed with the same hash,
read + structure + chunk the rest in worker processes (pypdf is pure Python and the
slowest stage, so two cores read while the main process embeds), embed and write
each document as it arrives, purge documents whose file is gone, and rebuild the
keyword index once at the end. A file that cannot be read is reported and skipped;
its previously indexed version, if any, stays. So is a file whose reader process dies
(the OOM killer) or runs past :data:`~.readers.limits.MAX_READ_SECONDS` (the process
is then killed): the other files are read on (:mod:`.workers`).

``rebuild=True`` builds a fresh index in a sibling folder and swaps it in only when
complete, so even an interrupted rebuild loses nothing.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from .chunking import chunk_document
from .config import Settings
from .embedding import Embedder
from .errors import IngestError, ReadError
from .fileutil import sha256_file
from .metadata import Manifest, detect_info, load_manifest
from .readers import SUPPORTED_SUFFIXES, read_pages
from .readers.limits import MAX_READ_SECONDS
from .store import Index, IndexFolder, IndexLock, IndexWriter
from .structure import structure
from .tokens import count_tokens
from .types import Chunk, FileFailure, IndexedFile, IngestReport, ParsedDocument
from .workers import Lost, run_each
from .workflows.glossary import save_glossary

__all__ = ["discover", "ingest", "prepare"]

# Files that live in a corpus folder but are not documents.
_SKIP_NAMES = frozenset({"readme.md", "readme.txt", "manifest.tsv", "contributing.md"})

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class _Found:
    path: Path
    source: str


def _source_for(path: Path, corpus: Path, root: Path) -> str:
    """The path users see: relative to the corpus root, else to the scanned folder."""
    for base in (corpus, root):
        try:
            return path.resolve().relative_to(base.resolve()).as_posix()
        except ValueError:
            continue
    return path.name


def discover(paths: Sequence[Path], corpus: Path) -> tuple[list[_Found], list[str]]:
    """Files to consider, and the source prefixes (folders) whose missing files mean removal.

    Raises:
        IngestError: a given path does not exist.
    """
    found: dict[str, _Found] = {}
    scopes: list[str] = []
    for root in paths:
        if not root.exists():
            raise IngestError(f"no such file or folder: {root}")
        if root.is_file():
            files = [root]
        else:
            scope = _source_for(root, corpus, root.parent) if root.resolve() != corpus.resolve() else ""
            scopes.append("" if scope in {"", "."} else scope.rstrip("/") + "/")
            files = sorted(
                p
                for p in root.rglob("*")
                if p.is_file()
                and p.suffix.lower() in SUPPORTED_SUFFIXES
                and p.name.lower() not in _SKIP_NAMES
                and not any(part.startswith(".") for part in p.relative_to(root).parts)
            )
        for path in files:
            source = _source_for(path, corpus, root if root.is_dir() else root.parent)
            found[source] = _Found(path, source)
    return list(found.values()), scopes


def prepare(
    path: Path, source: str, sha256: str, manifest: Manifest, chunk_tokens: int, embedder: Embedder | None
) -> tuple[ParsedDocument, list[Chunk]]:
    """Read, structure and chunk one file (runs in a worker process).

    Raises:
        ReadError: the file cannot be read.
    """
    pages = read_pages(path, source)
    info = manifest.lookup(source, sha256) or detect_info(pages, source)
    document = ParsedDocument(source=source, sha256=sha256, info=info, pages=tuple(pages))
    chunks = chunk_document(
        document,
        structure(pages),
        max_tokens=chunk_tokens,
        count_tokens=count_tokens,
        fits_embedder=embedder.fits if embedder is not None else None,
    )
    return document, chunks


# Worker-process state: one embedder (for its tokenizer only) per process.
_worker_embedder: Embedder | None = None


def _worker_init(model: str, parent: int) -> None:
    global _worker_embedder
    _worker_embedder = Embedder(model)
    # A killed ingest must not leave its readers behind: they would wait for work forever.
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()


def _exit_with_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def _worker_prepare(
    path: Path, source: str, sha256: str, manifest: Manifest, chunk_tokens: int
) -> tuple[ParsedDocument, list[Chunk]] | FileFailure:
    try:
        return prepare(path, source, sha256, manifest, chunk_tokens, _worker_embedder)
    except ReadError as exc:
        return FileFailure(source, exc.reason)
    except RecursionError:
        return FileFailure(source, "document structure too deeply nested to read")
    except MemoryError:
        return FileFailure(source, "document too large to read in memory")


def ingest(
    paths: Sequence[Path] | None = None,
    *,
    settings: Settings,
    index: Index | None = None,
    embedder: Embedder | None = None,
    rebuild: bool = False,
    progress: Progress | None = None,
    workers: int | None = None,
    read_timeout: float = MAX_READ_SECONDS,
) -> IngestReport:
    """Bring the index up to date with ``paths`` (default: the corpus folder).

    Args:
        paths: files and folders to ingest. Documents indexed from under a given
            folder whose file is gone are removed; single files remove nothing.
        settings: paths, model and chunk size.
        index: the index to write (default: ``settings.index``).
        embedder: the embedding model (default: from settings, loaded only if needed).
        rebuild: re-index everything into a fresh index, swapped in when complete.
        progress: called as ``progress(source, done, total)`` after each file.
        workers: reader processes (default: up to 2; 0 reads in this process, where
            neither a crash nor a hang of a reader can be contained).
        read_timeout: seconds a reader process may spend on one file before it is
            killed and the file reported failed.

    Raises:
        QkdnError: a path does not exist (IngestError), the index is busy or cannot be written,
            or the embedding model cannot be loaded.
    """
    started = time.perf_counter()
    paths = list(paths) if paths else [settings.corpus]
    if rebuild:
        return _rebuild(
            paths,
            settings=settings,
            embedder=embedder,
            progress=progress,
            workers=workers,
            read_timeout=read_timeout,
            started=started,
        )
    own_index = index is None
    index = index or Index.from_settings(settings)
    embedder = embedder or Embedder.from_settings(settings)
    try:
        with IndexWriter(index, derived=(save_glossary,)) as writer:
            return _run(paths, settings, writer, embedder, progress, workers, read_timeout, started)
    finally:
        if own_index:
            index.close()


def _run(
    paths: Sequence[Path],
    settings: Settings,
    writer: IndexWriter,
    embedder: Embedder,
    progress: Progress | None,
    workers: int | None,
    read_timeout: float,
    started: float,
) -> IngestReport:
    files, scopes = discover(paths, settings.corpus)
    known = writer.index.hashes()

    hashes = {f.source: sha256_file(f.path) for f in files}
    todo = [f for f in files if known.get(f.source) != hashes[f.source]]
    unchanged = sorted(f.source for f in files if known.get(f.source) == hashes[f.source])
    present = {f.source for f in files}
    gone = sorted(s for s in known if s not in present and any(s.startswith(scope) for scope in scopes))
    if known and len(gone) == len(known) and not unchanged:
        # Every indexed document gone at once is far likelier a wrong QKDN_CORPUS than
        # an intended purge; refuse rather than empty the index.
        raise IngestError(
            f"the corpus folder {settings.corpus} holds none of the {len(known)} indexed documents; "
            "nothing was removed (check QKDN_CORPUS, or use 'qkdnassist ingest --rebuild' to start afresh)"
        )

    indexed: list[IndexedFile] = []
    failed: list[FileFailure] = []
    if todo or gone:
        manifest = load_manifest(settings.manifest)
        prepared = _prepared(todo, hashes, manifest, settings, embedder, workers, read_timeout)
        for done, result in enumerate(prepared, start=1):
            if isinstance(result, FileFailure):
                failed.append(result)
                source = result.source
            else:
                document, chunks = result
                vectors = embedder.embed([c.embed_text for c in chunks])
                writer.replace_document(document, chunks, vectors)
                indexed.append(IndexedFile(document.source, document.info.doc_id, len(document.pages), len(chunks)))
                source = document.source
            if progress:
                progress(source, done, len(todo))
        for source in gone:
            writer.remove_document(source)
        # The writer rebuilds the keyword index and the glossary when it closes.
    return IngestReport(
        indexed=tuple(indexed),
        unchanged=tuple(unchanged),
        removed=tuple(gone),
        failed=tuple(sorted(failed, key=lambda f: f.source)),
        seconds=round(time.perf_counter() - started, 3),
    )


def _prepared(
    todo: Sequence[_Found],
    hashes: dict[str, str],
    manifest: Manifest,
    settings: Settings,
    embedder: Embedder,
    workers: int | None,
    read_timeout: float,
) -> Iterator[tuple[ParsedDocument, list[Chunk]] | FileFailure]:
    """Prepared documents in completion order, read in worker processes unless
    ``workers`` is 0; a file whose reader process dies or overruns ``read_timeout`` is
    a :class:`FileFailure`."""
    workers = min(2, os.cpu_count() or 1, len(todo)) if workers is None else workers
    if workers <= 0:
        global _worker_embedder
        _worker_embedder = embedder
        for f in todo:
            yield _worker_prepare(f.path, f.source, hashes[f.source], manifest, settings.chunk_tokens)
        return
    # Largest files first so the long ones do not start last.
    ordered = sorted(todo, key=lambda f: -f.path.stat().st_size)
    calls = [(f.path, f.source, hashes[f.source], manifest, settings.chunk_tokens) for f in ordered]
    results = run_each(
        _worker_prepare,
        calls,
        processes=workers,
        timeout=read_timeout,
        initializer=_worker_init,
        initargs=(settings.embed_model, os.getpid()),
    )
    for position, result in results:
        if isinstance(result, Lost):
            yield FileFailure(ordered[position].source, _lost_reason(result, read_timeout))
        else:
            yield result


def _lost_reason(lost: Lost, read_timeout: float) -> str:
    if lost.timed_out:
        return f"reading took longer than {read_timeout:g} s; its reader process was stopped"
    return f"the reader process died while reading the file ({lost.how})"


def _rebuild(
    paths: Sequence[Path],
    *,
    settings: Settings,
    embedder: Embedder | None,
    progress: Progress | None,
    workers: int | None,
    read_timeout: float,
    started: float,
) -> IngestReport:
    """Build a complete new index beside the old one, then swap folders."""
    target = IndexFolder(settings.index)
    fresh = target.rebuild
    Index.from_settings(replace(settings, index=fresh.path)).drop_vectors()  # a failed earlier rebuild's, on a server
    shutil.rmtree(fresh.path, ignore_errors=True)
    with IndexLock(target):
        report = ingest(
            paths,
            settings=replace(settings, index=fresh.path),
            embedder=embedder,
            progress=progress,
            workers=workers,
            read_timeout=read_timeout,
        )
        replaced = target.swap_in(fresh)
        if replaced is not None:
            Index.from_settings(replace(settings, index=replaced.path)).drop_vectors()  # the old one's, on a server
            shutil.rmtree(replaced.path, ignore_errors=True)
    return replace(report, seconds=round(time.perf_counter() - started, 3))
