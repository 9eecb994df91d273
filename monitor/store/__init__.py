"""The store: models, connection and migrations, and the queries the commands share."""

# Registers the Session flush hook that keeps the report rollups in step with ORM writes.
from monitor.store import rollups as _rollups  # noqa: F401
