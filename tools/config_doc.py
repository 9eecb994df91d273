"""Write the settings reference of docs/configuration.md from the settings' declarations.

    python tools/config_doc.py           # rewrite the generated part of docs/configuration.md
    python tools/config_doc.py --check   # exit 1 when the doc is not what the declarations give

Only the part between the BEGIN and END markers is written; the prose around it is kept.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from monitor.config.reference import with_reference

DOC = Path(__file__).resolve().parent.parent / "docs" / "configuration.md"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check that the doc is up to date")
    args = parser.parse_args()
    current = DOC.read_text(encoding="utf-8")
    wanted = with_reference(current)
    if args.check:
        if current != wanted:
            print(f"{DOC.name} is out of date: run python tools/config_doc.py", file=sys.stderr)
            return 1
        return 0
    if current != wanted:
        DOC.write_text(wanted, encoding="utf-8")
        print(f"wrote {DOC.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
