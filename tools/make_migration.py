"""Regenerate a migration from the models: `python tools/make_migration.py MESSAGE [--initial]`.

With --initial the single initial revision is rewritten from scratch (before the
first release only); hand-written revisions after it (a file with `HAND_WRITTEN = True`: DDL autogenerate
cannot write, such as 0002_text_search.py) are kept and stay after it.  Runs against a scratch SQLite
database.  Writes the new head into
`HEAD_REVISION` of monitor/store/db.py (how a command knows, without Alembic, that a database is current).
"""

import re
import shutil
import sys
import tempfile
from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory

from monitor.store import db

VERSIONS = db.MIGRATIONS / "versions"


def main() -> None:
    message = sys.argv[1] if len(sys.argv) > 1 else "schema"
    initial = "--initial" in sys.argv
    with tempfile.TemporaryDirectory() as tmp:
        kept = Path(tmp) / "kept"
        kept.mkdir()
        if initial:
            for old in VERSIONS.glob("*.py"):
                if "\nHAND_WRITTEN = True" in old.read_text(encoding="utf-8"):
                    shutil.move(old, kept / old.name)
                else:
                    old.unlink()
        engine = db.create(f"sqlite:///{Path(tmp) / 'scratch.db'}")
        config = db.alembic_config(engine)
        if not initial:
            command.upgrade(config, "head")
        rev_id = "0001" if initial else None
        script = command.revision(config, message=message, autogenerate=True, rev_id=rev_id)
        for hand_written in kept.iterdir():
            shutil.move(hand_written, VERSIONS / hand_written.name)
    assert script is not None and not isinstance(script, list)
    write_head(ScriptDirectory.from_config(config).get_current_head() or script.revision)


def write_head(revision: str) -> None:
    """Set `HEAD_REVISION` in monitor/store/db.py to the new head."""
    source = Path(db.__file__)
    text, count = re.subn(r'^HEAD_REVISION = "[^"]*"', f'HEAD_REVISION = "{revision}"',
                          source.read_text(encoding="utf-8"), count=1, flags=re.MULTILINE)
    if count != 1:
        raise SystemExit(f"HEAD_REVISION not found in {source}")
    source.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
