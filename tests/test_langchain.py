"""The LangChain retriever: langchain-tests' standard retriever tests, and the citation
each Document carries — over a small real index (real Chroma, FakeEmbedder)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from langchain_core.documents import Document
from langchain_tests.integration_tests import RetrieversIntegrationTests

from apis import small_index
from fakes import FakeEmbedder
from qkdnassist.errors import QuestionError
from qkdnassist.integrations.langchain import QkdnRetriever
from qkdnassist.search.retrieve import Searcher
from qkdnassist.store.index import Index


@pytest.fixture(scope="module")
def small_searcher(tmp_path_factory: pytest.TempPathFactory) -> Searcher:
    settings = small_index(tmp_path_factory.mktemp("langchain"))
    return Searcher(Index(settings.index), FakeEmbedder())


class TestQkdnRetrieverStandard(RetrieversIntegrationTests):
    searcher: Searcher | None = None

    @pytest.fixture(autouse=True)
    def _searcher(self, small_searcher: Searcher) -> None:
        type(self).searcher = small_searcher

    @property
    def retriever_constructor(self) -> type[QkdnRetriever]:
        return QkdnRetriever

    @property
    def retriever_constructor_params(self) -> dict[str, Any]:
        return {"searcher": self.searcher, "k": 4}

    @property
    def retriever_query_example(self) -> str:
        return "key delivery API status"


def test_documents_carry_the_passage_and_its_citation(small_searcher: Searcher) -> None:
    docs = QkdnRetriever(searcher=small_searcher, k=3).invoke("Get status of keys SAE KME")
    assert len(docs) == 3 and all(isinstance(d, Document) for d in docs)
    first = docs[0]
    assert first.metadata["doc_id"] == "ETSI GS QKD 014"
    assert first.metadata["edition"] == "V1.1.1"
    assert first.metadata["source"] == "etsi/gs_qkd_014_v1.1.1.pdf"
    assert isinstance(first.metadata["page"], int) and first.metadata["page"] >= 1
    assert first.metadata["place"].startswith("ETSI GS QKD 014 V1.1.1")
    assert "status" in first.page_content.lower()
    # the same passage text and page the index holds for it
    page = Index(small_searcher.index.folder).pages(first.metadata["source"])[first.metadata["page"] - 1]
    assert " ".join(first.page_content.split()[:6]) in " ".join(page.text.split())


def test_filters_apply_per_retriever_and_per_call(small_searcher: Searcher) -> None:
    retriever = QkdnRetriever(searcher=small_searcher, k=5, doc="JCA-QKDN")
    assert {d.metadata["source"] for d in retriever.invoke("quantum key distribution network")} == {
        "itu-t/jca-qkdn_4th_meeting_executive_summary_2024-05-17.txt"
    }
    docs = retriever.invoke("quantum key distribution network", doc="QKD 014", k=2)
    assert len(docs) == 2 and {d.metadata["doc_id"] for d in docs} == {"ETSI GS QKD 014"}


def test_a_filter_naming_nothing_raises_the_project_error(small_searcher: Searcher) -> None:
    with pytest.raises(QuestionError, match="no indexed document"):
        QkdnRetriever(searcher=small_searcher, doc="FIPS 999").invoke("keys")


def test_without_a_searcher_it_opens_the_configured_index(small_searcher: Searcher, tmp_path: Path) -> None:
    from qkdnassist.config import Settings
    from qkdnassist.errors import NoIndexError

    with pytest.raises(NoIndexError):
        QkdnRetriever(settings=Settings(corpus=tmp_path, index=tmp_path / "none")).invoke("keys")
