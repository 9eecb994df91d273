"""Alembic environment: runs against the Engine that monitor.store.db passes in."""

from alembic import context

from monitor.store.models import Base
from monitor.store.text_search import FTS_TABLE

config = context.config
engine = config.attributes["engine"]



def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """Leave out of autogenerate what the hand-written 0002 made (the FTS5 table and its shadow tables)."""
    return not (reflected and type_ == "table" and (name or "").startswith(FTS_TABLE))


with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=include_object,
    )
    context.run_migrations()
