"""The text search index of the Links page: substring search on referring URL, domain and anchor.

A search like `site0042` is a substring match (`ILIKE '%site0042%'`) on four columns, which no B-tree index
answers: without help it reads every backlink.  This module holds the DDL of the index that answers it, and the
condition a query uses:

- SQLite: an FTS5 table `backlinks_fts` with the trigram tokenizer, an external-content index of
  `backlinks` kept in step by triggers (so every writer, bulk or ORM, keeps it current);
- PostgreSQL: pg_trgm GIN indexes on the four columns, which serve ILIKE directly.  A role that may not
  create the extension gets no index (a notice in the log): search then reads every row, as before.

The index only narrows: the query keeps its ILIKE condition, so results are exactly what a plain scan gives
(case folding, `%`, `_`, quotes and FTS operators included).  A trigram needs 3 characters: shorter searches
(`MIN_INDEXED_CHARS`) skip the index and scan.  The DDL is run by the hand-written migration
monitor/migrations/versions/0002_text_search.py, which tools/make_migration.py keeps when it rewrites 0001.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import Connection, select, text
from sqlalchemy.orm import Session

from monitor.store.models import Backlink

logger = logging.getLogger(__name__)

MIN_INDEXED_CHARS = 3  # a trigram index cannot narrow a shorter search
MAX_CANDIDATES = 5000  # more matches than this: the plain walk finds a page of them sooner (see narrowing)
COLUMNS = ("source_url", "referring_domain", "anchor", "expected_anchor")
FTS_TABLE = "backlinks_fts"
PG_INDEXES = tuple(f"ix_backlinks_{column}_trgm" for column in COLUMNS)


def _sqlite_ddl() -> list[str]:
    cols = ", ".join(COLUMNS)
    new = ", ".join(f"new.{c}" for c in COLUMNS)
    old = ", ".join(f"old.{c}" for c in COLUMNS)
    changed = " OR ".join(f"old.{c} IS NOT new.{c}" for c in COLUMNS)
    return [
        f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5({cols}, content='backlinks', content_rowid='id', "
        "tokenize='trigram')",
        f"CREATE TRIGGER backlinks_fts_insert AFTER INSERT ON backlinks BEGIN "
        f"INSERT INTO {FTS_TABLE}(rowid, {cols}) VALUES (new.id, {new}); END",
        f"CREATE TRIGGER backlinks_fts_delete AFTER DELETE ON backlinks BEGIN "
        f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, {cols}) VALUES ('delete', old.id, {old}); END",
        f"CREATE TRIGGER backlinks_fts_update AFTER UPDATE OF {cols} ON backlinks WHEN {changed} BEGIN "
        f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, {cols}) VALUES ('delete', old.id, {old}); "
        f"INSERT INTO {FTS_TABLE}(rowid, {cols}) VALUES (new.id, {new}); END",
        f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')",
    ]


def create(conn: Connection) -> None:
    """Create the search index on this connection's database (the migration's upgrade)."""
    if conn.dialect.name == "sqlite":
        for statement in _sqlite_ddl():
            conn.exec_driver_sql(statement)
        return
    if conn.dialect.name != "postgresql":
        return
    try:
        with conn.begin_nested():
            conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except Exception as exc:
        logger.warning("text search without an index: the extension pg_trgm could not be created (%s); "
                       "searches read every backlink until a superuser creates it and its indexes (docs/ui.md, "
                       "\"Text search\")", str(exc).splitlines()[0])
        return
    for column, name in zip(COLUMNS, PG_INDEXES, strict=True):
        conn.exec_driver_sql(f"CREATE INDEX IF NOT EXISTS {name} ON backlinks USING gin ({column} gin_trgm_ops)")


def drop(conn: Connection) -> None:
    """Remove the search index (the migration's downgrade)."""
    if conn.dialect.name == "sqlite":
        for trigger in ("insert", "delete", "update"):
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS backlinks_fts_{trigger}")
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {FTS_TABLE}")
    elif conn.dialect.name == "postgresql":
        for name in PG_INDEXES:
            conn.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")


def fts_phrase(needle: str) -> str:
    """`needle` as one FTS5 phrase: every character literal (operators, quotes, `*` included)."""
    return '"' + needle.replace('"', '""') + '"'


def narrowing(session: Session, needle: str) -> Any | None:
    """A condition on Backlink.id that narrows a search for `needle` through the index, or None.

    None when the index cannot help: fewer than MIN_INDEXED_CHARS characters; not SQLite (on PostgreSQL the
    trigram indexes serve the ILIKE condition itself); or more than MAX_CANDIDATES rows match, which one
    bounded read of the index tells: such matches are dense, so the page's own index walk with the ILIKE
    filter finds a page of them after a few thousand rows, sooner than the index could list them all."""
    if session.get_bind().dialect.name != "sqlite" or len(needle) < MIN_INDEXED_CHARS:
        return None
    matches = select(text("rowid")).select_from(text(FTS_TABLE)).where(
        text(f"{FTS_TABLE} MATCH :fts_phrase").bindparams(fts_phrase=fts_phrase(needle)))
    ids = list(session.execute(matches.limit(MAX_CANDIDATES + 1)).scalars())
    if len(ids) > MAX_CANDIDATES:
        return None
    return Backlink.id.in_(ids)  # the ids themselves: the index is read once per page, whatever the sort
