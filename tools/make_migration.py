"""Regenerate a migration from the models: `python tools/make_migration.py MESSAGE [--initial]`.

With --initial the single initial revision is rewritten from scratch (before the
first release only).  Runs against a scratch SQLite database.
"""

import sys
import tempfile
from pathlib import Path

from alembic import command

from monitor.store import db

VERSIONS = db.MIGRATIONS / "versions"


def main() -> None:
    message = sys.argv[1] if len(sys.argv) > 1 else "schema"
    initial = "--initial" in sys.argv
    if initial:
        for old in VERSIONS.glob("*.py"):
            old.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        engine = db.create(f"sqlite:///{Path(tmp) / 'scratch.db'}")
        config = db.alembic_config(engine)
        if not initial:
            command.upgrade(config, "head")
        rev_id = "0001" if initial else None
        command.revision(config, message=message, autogenerate=True, rev_id=rev_id)


if __name__ == "__main__":
    main()
