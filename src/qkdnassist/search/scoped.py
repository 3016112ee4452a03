"""Search restricted to what one user may read: :class:`ScopedSearcher`.

A scoped searcher is a view of a :class:`~.retrieve.Searcher` (the same index, model
and snapshot) in which the documents of the collections the user may not read do not
exist: they are left out of every ranking (keyword and dense), of the documents a query
or a filter can name, of the editions, and of the per-document search that coverage and
broad answers use. Everything built on a searcher — answers in both modes, so a
restricted passage never reaches the language model, coverage, page look-ups — sees
only the view. A filter naming a restricted document gets the answer for a document
that does not exist.

This module does not decide who may read what: :mod:`..access` does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from ..editions import EditionChooser
from ..types import DocumentRecord, Hit
from .retrieve import Searcher, _Snapshot

__all__ = ["ScopedSearcher", "VisibleIndex"]


class ScopedSearcher(Searcher):
    """``base`` restricted to the documents ``allowed`` accepts (see the module's docstring)."""

    def __init__(self, base: Searcher, allowed: Callable[[DocumentRecord], bool]) -> None:
        super().__init__(base.index, base.embedder, pool=base.pool, expand=base.expand)
        self.base = base
        self.allowed = allowed
        self._view: tuple[int, _Snapshot, tuple[str, ...]] | None = None

    def _current(self) -> _Snapshot:
        snap = self.base._current()
        view = self._view
        if view is None or view[0] != snap.generation:
            documents = [d for d in snap.documents if self.allowed(d)]
            denied = tuple(sorted(d.source for d in snap.documents if not self.allowed(d)))
            scoped = replace(snap, documents=documents, editions=EditionChooser(documents))
            view = self._view = (snap.generation, scoped, denied)
        return view[1]

    def denied_sources(self) -> tuple[str, ...]:
        """The files of the index this view leaves out."""
        self._current()
        assert self._view is not None
        return self._view[2]

    def _glossary_documents(self) -> list[str] | None:
        # a restricted document's abbreviations must not steer the ranking either
        return [d.info.doc_id for d in self.documents()]

    def search(
        self,
        query: str,
        k: int = 10,
        *,
        body: str | None = None,
        doc: str | None = None,
        exclude: Sequence[str] = (),
        exclude_sources: Sequence[str] = (),
        edition: str = "current",
    ) -> list[Hit]:
        denied = self.denied_sources()
        return super().search(
            query, k, body=body, doc=doc, exclude=exclude, exclude_sources=[*exclude_sources, *denied], edition=edition
        )

    def search_each_document(self, query: str, k: int = 4, **kwargs: Any) -> dict[str, list[Hit]]:
        visible = {d.info.doc_id for d in self.documents()}
        found = super().search_each_document(query, k, **kwargs)
        denied = set(self.denied_sources())
        return {
            doc_id: [h for h in hits if h.chunk.source not in denied]
            for doc_id, hits in found.items()
            if doc_id in visible
        }


class VisibleIndex:
    """An :class:`~..store.index.Index` whose ``documents()`` are only those of ``sources``
    (for the workflows that list documents themselves: catalogue, diff); everything else
    is the index's own."""

    def __init__(self, index: Any, sources: set[str]) -> None:
        self._index = index
        self._sources = frozenset(sources)

    def documents(self) -> list[DocumentRecord]:
        return [d for d in self._index.documents() if d.source in self._sources]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._index, name)
