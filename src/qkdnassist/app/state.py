"""What the web app shares between its users: the assistant, and the background ingest.

This module holds no Gradio types and no rules: ingest runs through
:mod:`..workflows.library` (the index's one writer).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..answer import Assistant
from ..config import Settings
from ..errors import IndexBusyError, QkdnError
from ..search.retrieve import Searcher
from ..store.index import Index
from ..types import FileFailure, IngestReport

__all__ = ["AppState"]


@dataclass
class AppState:
    """What the app shares between users: the assistant, and the background ingest."""

    settings: Settings
    assistant: Assistant
    ingest_lock: threading.Lock = field(default_factory=threading.Lock)
    ingest_status: str = ""
    last_ingest: str = ""
    failures: list[FileFailure] = field(default_factory=list)

    @property
    def searcher(self) -> Searcher:
        return self.assistant.searcher

    def status(self) -> str:
        """The status line: index size, embedder, language model, last ingest."""
        from ..llm import describe_llm

        documents = self.searcher.documents()
        chunks = sum(d.chunks for d in documents)
        parts = [
            f"{len(documents)} documents, {chunks} passages",
            f"embedder: {self.settings.embed_model}",
            f"LLM: {describe_llm(self.assistant.settings)}",
        ]
        if self.ingest_status:
            parts.append(self.ingest_status)
        elif self.last_ingest:
            parts.append(f"last ingest: {self.last_ingest}")
        return " · ".join(parts)

    def ingest(self, paths: list[Path] | None, progress: Callable[[str, int, int], None] | None = None) -> IngestReport:
        """Ingest ``paths`` (default: the corpus) unless an ingest is already running.

        Raises:
            QkdnError: another ingest is running, or the ingest fails.
        """
        from ..indexing import ingest

        if not self.ingest_lock.acquire(blocking=False):
            raise IndexBusyError("an ingest is already running; try again when it has finished")
        try:

            def track(source: str, done: int, total: int) -> None:
                self.ingest_status = f"ingesting {done}/{total} files"
                if progress:
                    progress(source, done, total)

            self.ingest_status = "ingesting…"
            # Its own connection: searches on the app's index never see an open transaction.
            index = Index.from_settings(replace(self.settings, index=self.searcher.index.folder))
            try:
                report = ingest(
                    paths, settings=self.settings, index=index, embedder=self.searcher.embedder, progress=track
                )
            finally:
                index.close()
            self.last_ingest = time.strftime("%Y-%m-%d %H:%M", time.localtime()) + (
                f" ({len(report.indexed)} indexed, {len(report.failed)} failed)"
            )
            known = {f.source for f in report.failed}
            self.failures = [f for f in self.failures if f.source not in known] + list(report.failed)
            return report
        finally:
            self.ingest_status = ""
            self.ingest_lock.release()

    def ingest_in_background(self) -> threading.Thread:
        """Index the corpus in a thread (first start on an empty index)."""

        def run() -> None:
            try:
                self.ingest(None)
            except QkdnError as exc:
                self.last_ingest = f"failed: {exc}"

        thread = threading.Thread(target=run, name="qkdnassist-first-ingest", daemon=True)
        thread.start()
        return thread
