"""The project's errors.

Every error the project raises on purpose derives from :class:`QkdnError`, so the
command line and the UI can turn it into one clear line for the user::

    QkdnError
    ├── ConfigError        a QKDN_* setting breaks its rule
    ├── ReadError          one input file cannot be read (corrupt, encrypted, empty, ...)
    ├── EmbeddingError     the embedding model cannot be found, verified or loaded
    ├── IngestError        an ingest cannot run (no such path, a wrong corpus folder, workers fail)
    ├── IndexStoreError    the index cannot be opened, read or written
    │   ├── IndexBusyError     another writer holds the index (try again when it ends)
    │   ├── IndexVersionError  the index was written by a newer qkdnassist
    │   └── NoIndexError       there is no index yet, or it is empty (run ingest)
    ├── LibraryError       a document cannot be added or removed (name, type, size, unknown)
    ├── LiaisonError       a reply cannot be drafted (no question, a wrong field, cannot write it)
    ├── LLMError           the configured language model cannot be loaded or reached
    ├── CalibrationError   the fitted answer models (answer/calibration.json) cannot be read
    ├── QuestionError      a question cannot be asked (empty, too long, a filter that names nothing)
    ├── AccessError        an unknown user, a wrong password or token, a role that may not act
    └── UsageError         a command is given wrong arguments (the CLI's own checks)

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


class IngestError(QkdnError):
    """An ingest as a whole cannot run (one bad file is a :class:`ReadError` instead)."""


class IndexStoreError(QkdnError):
    """The index (vector store, keyword index or ingest records) cannot be used."""


class IndexBusyError(IndexStoreError):
    """Another writer (an ingest, an upload, a removal) holds the index."""


class IndexVersionError(IndexStoreError):
    """The index's schema is newer than this qkdnassist knows."""


class NoIndexError(IndexStoreError):
    """There is no index at the configured place, or it holds no document."""


class LibraryError(QkdnError):
    """A document cannot be added to or removed from the library; the message says why."""


class LiaisonError(QkdnError):
    """A liaison reply cannot be drafted or written; the message says why."""


class LLMError(QkdnError):
    """The configured language model cannot be loaded, reached or understood."""


class CalibrationError(QkdnError):
    """The calibration file of the answer layer is missing or malformed."""


class QuestionError(QkdnError):
    """A question cannot be asked as given: empty, too long, or filtered to nothing."""


class UsageError(QkdnError):
    """A command was given arguments it cannot use; the message says which and why."""


class AccessError(QkdnError):
    """A user, password or token is unknown or wrong, or a role may not do what was asked.

    The message never says whether a restricted document exists."""
