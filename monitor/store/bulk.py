"""Bulk inserts below SQLAlchemy's statement layer, for imports of a million rows.

`insert_rows(connection, table, columns, rows, constants)` writes tuples in the caller's
transaction: SQLite with the driver's `executemany` (one prepared statement, stepped in C),
PostgreSQL with `COPY ... FROM STDIN` (psycopg).  Invariant: values are converted by each column
type's own SQLAlchemy bind processor (UTC datetimes, JSON, dates as SQLite stores them), so what is
stored is what an ORM or Core insert would store; `constants` (the same on every row) are converted
once.  Why not SQLAlchemy's multi-row INSERT (it costs more than the database at this size):
bench/README.md, "Imports".

Reads no settings.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Table

logger = logging.getLogger(__name__)

Processor = Callable[[Any], Any] | None


def _processors(connection: Connection, table: Table, columns: Sequence[str]) -> list[Processor]:
    dialect = connection.dialect
    return [table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in columns]


def _converted(value: Any, processor: Processor) -> Any:
    return value if processor is None else processor(value)


def insert_rows(connection: Connection, table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]],
                constants: Mapping[str, Any] | None = None) -> None:
    """INSERT the rows (values in `columns` order), each with the `constants` columns too."""
    constants = constants or {}
    names = [*columns, *constants]
    processors = _processors(connection, table, columns)
    fixed = tuple(_converted(value, processor) for value, processor in
                  zip(constants.values(), _processors(connection, table, list(constants)), strict=True))
    if any(processors):
        pairs = list(enumerate(processors))
        converted: Iterable[tuple[Any, ...]] = (
            tuple(row[i] if p is None else p(row[i]) for i, p in pairs) + fixed for row in rows)
    else:
        converted = (tuple(row) + fixed for row in rows)
    driver: Any = connection.connection.driver_connection  # the transaction's own DBAPI connection
    quoted = ", ".join(connection.dialect.identifier_preparer.quote(name) for name in names)
    if connection.dialect.name == "postgresql":
        with driver.cursor() as cursor, cursor.copy(f"COPY {table.name} ({quoted}) FROM STDIN") as copy:
            for row in converted:
                copy.write_row(row)
        return
    marks = ", ".join("?" for _ in names)
    cursor = driver.cursor()
    try:
        cursor.executemany(f"INSERT INTO {table.name} ({quoted}) VALUES ({marks})", converted)
    finally:
        cursor.close()
