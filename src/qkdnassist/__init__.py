"""qkdnassist: a cited-answer assistant over QKDN standards documents.

The public API is listed in ``__all__``::

    from qkdnassist import Assistant, load_settings
    answer = Assistant.from_settings(load_settings()).ask("Which URL does a slave SAE call to get keys?")

Importing the package loads nothing heavy (no model, no vector store, no LangChain):
:class:`Assistant`, :class:`Searcher`, :class:`Index`, :class:`IndexWriter`,
:func:`ingest` and :class:`CoverageChecker` are imported on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .config import Settings, load_settings
from .errors import (
    CalibrationError,
    ConfigError,
    EmbeddingError,
    IndexBusyError,
    IndexStoreError,
    IndexVersionError,
    IngestError,
    LiaisonError,
    LibraryError,
    LLMError,
    NoIndexError,
    QkdnError,
    QuestionError,
    ReadError,
    UsageError,
)
from .types import (
    Answer,
    Block,
    Chunk,
    Citation,
    DocumentInfo,
    DocumentRecord,
    Hit,
    IngestReport,
    Page,
    ParsedDocument,
)

if TYPE_CHECKING:
    from .answer import Assistant
    from .indexing import ingest
    from .search.retrieve import Searcher
    from .store import Index, IndexWriter
    from .workflows.coverage import CoverageChecker

__version__ = "0.1.0"

# name → module, imported on first access (PEP 562)
_LAZY = {
    "Assistant": "qkdnassist.answer",
    "CoverageChecker": "qkdnassist.workflows.coverage",
    "Index": "qkdnassist.store",
    "IndexWriter": "qkdnassist.store",
    "Searcher": "qkdnassist.search.retrieve",
    "ingest": "qkdnassist.indexing",
}

__all__ = [
    "Answer",
    "Assistant",
    "Block",
    "CalibrationError",
    "Chunk",
    "Citation",
    "ConfigError",
    "CoverageChecker",
    "DocumentInfo",
    "DocumentRecord",
    "EmbeddingError",
    "Hit",
    "Index",
    "IndexBusyError",
    "IndexStoreError",
    "IndexVersionError",
    "IndexWriter",
    "IngestError",
    "IngestReport",
    "LLMError",
    "LiaisonError",
    "LibraryError",
    "NoIndexError",
    "Page",
    "ParsedDocument",
    "QkdnError",
    "QuestionError",
    "ReadError",
    "Searcher",
    "Settings",
    "UsageError",
    "__version__",
    "ingest",
    "load_settings",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'qkdnassist' has no attribute {name!r}")
