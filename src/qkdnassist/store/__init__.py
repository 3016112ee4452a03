"""The index folder: records (SQLite), vectors (Chroma), the keyword index (BM25).

:class:`Index` is the read side (reads never write); :class:`IndexWriter` is the one
way to change an index (under its lock, in the crash-safe order, derived files rebuilt
at the end). :mod:`.layout` says what lives where; :mod:`.records` holds every SQL
statement; :mod:`.migrations` the numbered schema; :mod:`.vectors` Chroma, embedded or
on a server; :mod:`.keyword` BM25.
"""

from .index import Index
from .layout import IndexFolder, IndexLock
from .writer import IndexWriter

__all__ = ["Index", "IndexFolder", "IndexLock", "IndexWriter"]
