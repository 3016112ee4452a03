"""The naive LangChain pipeline qkdnassist is measured against.

PyPDFLoader (one document per page) and TextLoader for text files,
RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200), the same
embedding model through langchain-huggingface, and a Chroma vector store queried for
the top k — what a first RAG tutorial builds. Text files get page numbers from their
form feeds (via the splitter's start index) so the page metric is fair to it.

Run as a script to build an index and time it:
    python bench/naive.py build CORPUS [CORPUS ...] INDEX_DIR
(sources are relative to their own corpus folder).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

COLLECTION = "naive"


def _embeddings() -> Any:
    from langchain_huggingface import HuggingFaceEmbeddings

    from qkdnassist.embedding import resolve_model_path

    return HuggingFaceEmbeddings(
        model_name=str(resolve_model_path("bundled")), encode_kwargs={"normalize_embeddings": True}
    )


def load_documents(corpus: Path) -> list[Any]:
    from langchain_community.document_loaders import PyPDFLoader, TextLoader
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200, add_start_index=True)
    chunks = []
    for path in sorted(corpus.rglob("*")):
        source = path.relative_to(corpus).as_posix()
        if path.suffix.lower() == ".pdf":
            pages = PyPDFLoader(str(path)).load()
            for page in pages:
                page.metadata = {"source": source, "page": int(page.metadata.get("page", 0)) + 1}
            chunks.extend(splitter.split_documents(pages))
        elif path.suffix.lower() == ".txt":
            docs = TextLoader(str(path), encoding="utf-8").load()
            text = docs[0].page_content
            for chunk in splitter.split_documents(docs):
                start = chunk.metadata.get("start_index", 0)
                page = text.count("\f", 0, max(start, 0)) + 1
                chunk.metadata = {"source": source, "page": page}
                chunks.append(chunk)
    return chunks


def build(corpora: list[Path], folder: Path) -> dict[str, Any]:
    """Build the naive index of one or more corpus folders; returns timings and counts."""
    from langchain_chroma import Chroma

    started = time.perf_counter()
    chunks = [chunk for corpus in corpora for chunk in load_documents(corpus)]
    loaded = time.perf_counter()
    Chroma.from_documents(
        chunks,
        _embeddings(),
        collection_name=COLLECTION,
        persist_directory=str(folder),
        collection_metadata={"hnsw:space": "cosine"},
    )
    done = time.perf_counter()
    return {"chunks": len(chunks), "load_split_s": round(loaded - started, 2), "total_s": round(done - started, 2)}


class NaiveSearcher:
    """Top-k similarity search over a built naive index, hits in qkdnassist's JSON shape."""

    def __init__(self, folder: Path) -> None:
        from langchain_chroma import Chroma

        self.store = Chroma(collection_name=COLLECTION, embedding_function=_embeddings(), persist_directory=str(folder))

    def search(self, query: str, k: int = 5) -> list[dict[str, Any]]:
        docs = self.store.similarity_search_with_score(query, k=k)
        return [
            {
                "source": d.metadata["source"],
                "page": d.metadata["page"],
                "page_end": d.metadata["page"],
                "score": float(score),
                "text": d.page_content,
            }
            for d, score in docs
        ]


if __name__ == "__main__":
    if len(sys.argv) < 4 or sys.argv[1] != "build":
        sys.exit("usage: python bench/naive.py build CORPUS [CORPUS ...] INDEX_DIR")
    print(json.dumps(build([Path(a) for a in sys.argv[2:-1]], Path(sys.argv[-1]))))
