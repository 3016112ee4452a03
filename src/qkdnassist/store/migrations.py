"""The records' schema, as numbered migrations.

``records.sqlite`` carries its schema version in SQLite's ``user_version``. Opening a
database runs the migrations it lacks, in order, each in its own transaction; a
database whose version is newer than this code knows is refused with a clear message
(it was written by a later qkdnassist, whose data this one could damage).

An index written before versions were kept has ``user_version`` 0 and the tables of
migration 1, perhaps already some later columns: every migration checks before it
changes, so it brings such an index to the current version without losing anything.

This module does not read or write records beyond the schema.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from ..errors import IndexVersionError

__all__ = ["SCHEMA_VERSION", "migrate"]


def _columns(db: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in db.execute(f"PRAGMA table_info({table})")}


def _tables(db: sqlite3.Connection) -> None:
    """1: documents (one row per file), their pages' text, their chunks, and meta."""
    # One statement at a time: executescript() would commit the migration's transaction.
    for statement in filter(str.strip, _TABLES.split(";")):
        db.execute(statement)


_TABLES = """
        CREATE TABLE IF NOT EXISTS documents (
            source TEXT PRIMARY KEY, sha256 TEXT NOT NULL, info TEXT NOT NULL,
            pages INTEGER NOT NULL, chunks INTEGER NOT NULL, indexed_at TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS pages (
            source TEXT NOT NULL, number INTEGER NOT NULL, label TEXT NOT NULL, text TEXT NOT NULL,
            PRIMARY KEY (source, number));
        CREATE TABLE IF NOT EXISTS chunks (
            id TEXT PRIMARY KEY, source TEXT NOT NULL, ordinal INTEGER NOT NULL,
            doc_id TEXT NOT NULL, title TEXT NOT NULL, body TEXT NOT NULL, edition TEXT NOT NULL,
            clause TEXT NOT NULL, clause_title TEXT NOT NULL, page INTEGER NOT NULL,
            page_end INTEGER NOT NULL, page_label TEXT NOT NULL, text TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS chunks_by_source ON chunks (source, ordinal);
        CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        """


def _chunk_context(db: sqlite3.Connection) -> None:
    """2: a chunk's context (the caption and header of the table it continues)."""
    if "context" not in _columns(db, "chunks"):
        db.execute("ALTER TABLE chunks ADD COLUMN context TEXT NOT NULL DEFAULT ''")


def _chunk_tokens(db: sqlite3.Connection) -> None:
    """3: a chunk's keyword tokens, kept so that a BM25 rebuild need not tokenize again
    (empty for chunks written before: the writer's next rebuild fills them)."""
    if "tokens" not in _columns(db, "chunks"):
        db.execute("ALTER TABLE chunks ADD COLUMN tokens TEXT")


MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (_tables, _chunk_context, _chunk_tokens)
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(db: sqlite3.Connection, path: Path) -> int:
    """Bring ``db`` to :data:`SCHEMA_VERSION`; returns the version it had.

    Raises:
        IndexVersionError: the database was written by a newer qkdnassist.
    """
    version = int(db.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise IndexVersionError(
            f"the index at {path.parent} has schema version {version}, newer than this qkdnassist knows "
            f"({SCHEMA_VERSION}); upgrade qkdnassist, or build a new index with 'qkdnassist ingest --rebuild'"
        )
    for number in range(version, SCHEMA_VERSION):
        db.execute("BEGIN IMMEDIATE")
        try:
            MIGRATIONS[number](db)
            db.execute(f"PRAGMA user_version = {number + 1}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
    return version
