"""qkdnassist: a cited-answer assistant over QKDN standards documents.

The public API is listed in ``__all__``; importing the package loads nothing heavy
(no model, no vector store).
"""

from __future__ import annotations

from .config import Settings, load_settings
from .errors import ConfigError, EmbeddingError, IndexStoreError, QkdnError, ReadError
from .types import Block, Chunk, DocumentInfo, DocumentRecord, Hit, IngestReport, Page, ParsedDocument

__version__ = "0.1.0"

__all__ = [
    "Block",
    "Chunk",
    "ConfigError",
    "DocumentInfo",
    "DocumentRecord",
    "EmbeddingError",
    "Hit",
    "IndexStoreError",
    "IngestReport",
    "Page",
    "ParsedDocument",
    "QkdnError",
    "ReadError",
    "Settings",
    "__version__",
    "load_settings",
]
