"""A LangChain retriever over a qkdnassist index: :class:`QkdnRetriever`.

It runs the same hybrid search as ``qkdnassist search`` and returns each passage as a
LangChain ``Document`` whose metadata is the passage's citation (doc_id, edition,
clause, page, source, score) — the same fields as the CLI's ``search --json``. The
LangChain types stay in this module.

This module does not rank, filter or answer: :class:`~qkdnassist.search.retrieve.Searcher` does.
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field

from ..config import Settings, load_settings
from ..search.retrieve import Searcher
from ..types import Hit

__all__ = ["QkdnRetriever", "hit_document"]


def hit_document(hit: Hit) -> Document:
    """One search hit as a LangChain ``Document``: the passage's text, its citation as metadata."""
    from ..app.render import hit_json, passage_place

    metadata = hit_json(hit)
    text = metadata.pop("text")
    metadata["place"] = passage_place(hit.chunk)
    metadata["body"] = hit.chunk.body
    metadata["page_label"] = hit.chunk.page_label
    return Document(page_content=text, metadata=metadata, id=hit.chunk.id)


class QkdnRetriever(BaseRetriever):
    """Hybrid search over a qkdnassist index as a LangChain retriever.

    Args:
        searcher: the searcher to use; by default one over the index of ``settings``
            (``QKDN_*`` environment variables when not given), opened on first use.
        settings: where the index is when no searcher is given.
        k: passages returned (``invoke(query, k=3)`` overrides it for one call).
        body, doc, edition: the search filters of ``qkdnassist search``.

    Example::

        retriever = QkdnRetriever(k=4)
        for doc in retriever.invoke("Which TLS version must the SAE-KME link use?"):
            print(doc.metadata["place"], doc.page_content[:80])
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    searcher: Any = None
    settings: Settings | None = None
    k: int = Field(default=4, ge=1, le=200)
    body: str | None = None
    doc: str | None = None
    edition: str = "current"

    def _searcher(self) -> Searcher:
        if self.searcher is None:
            self.searcher = Searcher.open(self.settings or load_settings())
        searcher: Searcher = self.searcher
        return searcher

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, **kwargs: Any
    ) -> list[Document]:
        k = int(kwargs.get("k", self.k))
        hits = self._searcher().search(
            query,
            k,
            body=kwargs.get("body", self.body),
            doc=kwargs.get("doc", self.doc),
            edition=kwargs.get("edition", self.edition),
        )
        return [hit_document(hit) for hit in hits]
