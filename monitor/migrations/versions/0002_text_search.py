"""text search index (hand-written: FTS5 on SQLite, pg_trgm on PostgreSQL)

Autogenerate cannot write virtual tables, triggers or extensions, so this revision is written by hand and
tools/make_migration.py keeps it (every file with the HAND_WRITTEN marker) when it rewrites 0001.
The DDL itself is monitor.store.text_search.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

from alembic import op

from monitor.store import text_search

HAND_WRITTEN = True  # kept by tools/make_migration.py --initial

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    text_search.create(op.get_bind())


def downgrade() -> None:
    text_search.drop(op.get_bind())
