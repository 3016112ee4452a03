"""The project's errors.

Every error the project raises on purpose derives from :class:`QkdnError`, so the
command line and the UI can turn it into one clear line for the user::

    QkdnError
    ├── ConfigError        a QKDN_* setting breaks its rule
    ├── ReadError          one input file cannot be read (corrupt, encrypted, empty, ...)
    ├── EmbeddingError     the embedding model cannot be found, verified or loaded
    ├── IndexStoreError    the index cannot be opened, read or written
    ├── LLMError           the configured language model cannot be loaded or reached
    ├── CalibrationError   the fitted answer models (answer/calibration.json) cannot be read
    └── QuestionError      a question cannot be asked (empty, too long, a filter that names nothing)

A :class:`ReadError` concerns one file only: ingestion reports it by name and goes on
with the rest of the batch.
"""

from __future__ import annotations


class QkdnError(Exception):
    """Base class of every error qkdnassist raises on purpose."""


class ConfigError(QkdnError):
    """A setting is missing or breaks its rule; the message states the rule."""


class ReadError(QkdnError):
    """One input file cannot be turned into text.

    Attributes:
        source: the file's path as the user knows it (relative to the corpus root
            when it lies inside it).
        reason: a short, human-readable reason ("encrypted PDF (no empty password)").
    """

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


class EmbeddingError(QkdnError):
    """The embedding model cannot be resolved, verified or loaded offline."""


class IndexStoreError(QkdnError):
    """The index (vector store, keyword index or ingest records) cannot be used."""


class LLMError(QkdnError):
    """The configured language model cannot be loaded, reached or understood."""


class CalibrationError(QkdnError):
    """The calibration file of the answer layer is missing or malformed."""


class QuestionError(QkdnError):
    """A question cannot be asked as given: empty, too long, or filtered to nothing."""
