"""The index folder: what lives where, the writers' lock, the dirty marker, the swap.

Layout of ``QKDN_INDEX``::

    records.sqlite   documents, their pages' text and their chunks (the source of
                     truth; :mod:`.records`, schema in :mod:`.migrations`)
    chroma/          the vectors, in embedded mode (:mod:`.vectors`)
    keyword/         the BM25 index, tagged with the records' generation (:mod:`.keyword`)
    glossary.json    the parsed terms/abbreviations clauses of that generation
    ingest.lock      held by the one writer while it writes (``flock``)
    ingest.dirty     present while a write is under way: a crash left it, and the next
                     writer deletes the vectors no record lists

A rebuild writes into ``<name>.rebuild`` beside the folder and swaps the two only when
it is complete (the old folder becomes ``<name>.old`` for a moment, then is deleted).

This module does not read or write the files' contents.
"""

from __future__ import annotations

import fcntl
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import IndexBusyError, IndexStoreError

__all__ = ["IndexFolder", "IndexLock"]


@dataclass(frozen=True)
class IndexFolder:
    """The paths of one index folder (nothing is created here)."""

    path: Path

    @property
    def records(self) -> Path:
        return self.path / "records.sqlite"

    @property
    def chroma(self) -> Path:
        return self.path / "chroma"

    @property
    def keyword(self) -> Path:
        return self.path / "keyword"

    @property
    def glossary(self) -> Path:
        return self.path / "glossary.json"

    @property
    def lock(self) -> Path:
        return self.path / "ingest.lock"

    @property
    def dirty(self) -> Path:
        return self.path / "ingest.dirty"

    @property
    def rebuild(self) -> IndexFolder:
        """Where a rebuild is written before it replaces this folder."""
        return IndexFolder(self.path.with_name(self.path.name + ".rebuild"))

    @property
    def old(self) -> IndexFolder:
        return IndexFolder(self.path.with_name(self.path.name + ".old"))

    def swap_in(self, fresh: IndexFolder) -> IndexFolder | None:
        """Replace this folder by ``fresh`` (a complete rebuild); returns the replaced
        folder, now at ``<name>.old``, for its caller to delete (None when there was none)."""
        old = self.old
        shutil.rmtree(old.path, ignore_errors=True)
        fresh.lock.unlink(missing_ok=True)
        replaced = None
        if self.path.exists():
            self.path.rename(old.path)  # an open lock handle moves with the folder
            replaced = old
        fresh.path.rename(self.path)
        return replaced


class IndexLock:
    """The exclusive lock of the one writer of an index folder.

    Args:
        folder: the index folder.
        wait: seconds to wait for a running writer to finish (0: fail at once).
        what: what the caller is about to do, for the busy message ("remove a document").
    """

    def __init__(self, folder: IndexFolder, *, wait: float = 0.0, what: str = "ingest") -> None:
        self.folder = folder
        self.wait = wait
        self.what = what
        self._handle: Any = None

    def __enter__(self) -> IndexLock:
        deadline = time.monotonic() + self.wait
        try:
            self.folder.path.mkdir(parents=True, exist_ok=True)
            self._handle = self.folder.lock.open("a+")
        except OSError as exc:
            raise IndexStoreError(f"cannot lock the index at {self.folder.path}: {exc.strerror}") from None
        while True:
            try:
                fcntl.flock(self._handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return self
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    self._handle.close()
                    raise IndexBusyError(
                        f"another ingest is running on {self.folder.path}: "
                        f"cannot {self.what} now, try again when it ends"
                    ) from None
                time.sleep(0.1)
            except OSError as exc:
                self._handle.close()
                raise IndexStoreError(f"cannot lock the index at {self.folder.path}: {exc.strerror}") from None

    def __exit__(self, *exc: object) -> None:
        fcntl.flock(self._handle, fcntl.LOCK_UN)
        self._handle.close()
