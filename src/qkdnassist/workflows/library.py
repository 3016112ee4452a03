"""The library: adding documents to the corpus and the index, and removing them.

Both go through the index's one writer (:class:`~qkdnassist.store.IndexWriter`, under
its lock): an upload is an ingest of the stored files, a removal deletes the document's
records and vectors and its file. Removing while an ingest runs waits for it (up to
``wait`` seconds), then reports "busy, try again" — it never writes beside it.

Upload names are made safe here, once, for every front end: no folders, no "..", no
control or odd characters, a known suffix kept, the stem cut at
:data:`~qkdnassist.limits.UPLOAD_NAME_CHARS` characters and the name at
:data:`~qkdnassist.limits.UPLOAD_NAME_BYTES` UTF-8 bytes.

This module does not read documents (ingest does) or render anything.
"""

from __future__ import annotations

import re
import shutil
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..config import Settings
from ..errors import LibraryError
from ..limits import UPLOAD_NAME_BYTES, UPLOAD_NAME_CHARS, UPLOAD_TYPES
from ..store import Index, IndexWriter
from ..types import IngestReport
from .glossary import save_glossary

__all__ = ["Upload", "add_files", "remove_document", "safe_upload_name", "store_uploads"]

UPLOAD_FOLDER = "uploads"  # inside the corpus folder
REMOVE_WAIT = 30.0  # seconds a removal waits for a running ingest


def safe_upload_name(name: str) -> str:
    """A file name safe to store in the corpus folder.

    >>> safe_upload_name("../../etc/passwd.pdf")
    'passwd.pdf'
    >>> safe_upload_name("C:\\\\docs\\\\LS 17 (draft).DOCX")
    'LS 17 (draft).docx'

    Raises:
        LibraryError: nothing usable is left of the name, or its type is not accepted.
    """
    base = unicodedata.normalize("NFKC", name).replace("\\", "/").split("/")[-1]
    stem, dot, suffix = base.rpartition(".")
    suffix = f".{suffix.lower()}" if dot else ""
    if suffix not in UPLOAD_TYPES:
        raise LibraryError(f"{name!r}: only {', '.join(UPLOAD_TYPES)} files can be added")
    stem = re.sub(r"[^\w .()\-]+", "_", stem).strip(" ._")[:UPLOAD_NAME_CHARS]
    # "ignore" drops the bytes of a character the cut went through: none is split.
    budget = UPLOAD_NAME_BYTES - len(suffix.encode())
    stem = stem.encode()[:budget].decode(errors="ignore").rstrip(" ._")
    if not stem:
        raise LibraryError(f"{name!r}: the file name has nothing usable left")
    return stem + suffix


@dataclass(frozen=True)
class Upload:
    """A file handed in by a user: where it is now, and the name it came with."""

    path: Path
    name: str


def store_uploads(
    settings: Settings, files: Sequence[Upload], *, max_mb: int | None = None
) -> tuple[list[Path], list[str]]:
    """Copy uploaded files into ``corpus/uploads`` under safe names; returns the stored
    paths and the refusals (by name, with the reason). A file over ``max_mb`` (default:
    ``QKDN_UPLOAD_MB``) is refused, as is a name that would land on a symlink."""
    target = (settings.corpus / UPLOAD_FOLDER).resolve()
    max_mb = settings.upload_mb if max_mb is None else max_mb
    stored, refused = [], []
    for upload in files:
        try:
            name = safe_upload_name(upload.name)
            if upload.path.stat().st_size > max_mb * 1024 * 1024:
                raise LibraryError(f"{upload.name!r} is larger than {max_mb} MB")
            target.mkdir(parents=True, exist_ok=True)
            destination = (target / name).resolve()
            if not destination.is_relative_to(target):
                raise LibraryError(f"{upload.name!r}: not a file name")
            shutil.copyfile(upload.path, destination)
            stored.append(destination)
        except LibraryError as exc:
            refused.append(str(exc))
        except OSError as exc:
            refused.append(f"{upload.name!r}: cannot store it ({exc.strerror})")
    return stored, refused


def add_files(
    settings: Settings,
    paths: Sequence[Path] | None,
    *,
    index: Index | None = None,
    embedder: object = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> IngestReport:
    """Ingest ``paths`` (default: the whole corpus folder) through the writer.

    Raises:
        QkdnError: another writer holds the index, or the ingest fails.
    """
    from ..embedding import Embedder
    from ..indexing import ingest

    return ingest(
        list(paths) if paths else None,
        settings=settings,
        index=index,
        embedder=embedder if isinstance(embedder, Embedder) else None,
        progress=progress,
    )


def remove_document(settings: Settings, source: str, *, wait: float = REMOVE_WAIT) -> None:
    """Remove a document from the index (records, vectors, derived files rebuilt) and its
    file from the corpus folder (else the next ingest of the corpus would add it again).

    Raises:
        LibraryError: no indexed document has that source.
        IndexBusyError: an ingest still holds the index after ``wait`` seconds.
    """
    index = Index.from_settings(settings)  # its own connection: the writer's transactions stay its own
    try:
        if source not in index.hashes():
            raise LibraryError(f"no indexed document is {source!r}")
        with IndexWriter(index, wait=wait, what="remove a document", derived=(save_glossary,)) as writer:
            writer.remove_document(source)
    finally:
        index.close()
    path = (settings.corpus / source).resolve()
    if path.is_relative_to(settings.corpus.resolve()) and path.is_file():
        path.unlink()
