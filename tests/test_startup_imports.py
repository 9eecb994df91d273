"""Commands load what they use, when they use it (the start-up time of docs/performance.md).

In a fresh interpreter: `linkwatch --help` and `linkwatch CMD --help` for every command and subcommand
load no database (SQLAlchemy, Alembic, monitor.store), no Redis and no crawl stack; `linkwatch check`
(a whole run, crawl child included) loads no SQLAlchemy or Alembic in the parent.  `linkwatch links` on a
database whose schema is current loads no Alembic, no PostgreSQL dialect and no tldextract (nor the
requests it imports).  A control shows the probe sees the database when a command does use it (the
first `linkwatch links`, which creates the database through Alembic).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("sqlalchemy", "alembic", "psycopg", "redis", "monitor.store", "scrapy", "twisted", "playwright")

PROBE = """
import argparse, contextlib, io, json, sys
from monitor.cli.main import build_parser, main

def commands(parser, path):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield [*path, name]
                yield from commands(sub, [*path, name])

runs = json.loads(sys.argv[1])
if runs == "every --help":
    runs = [["--help"]] + [[*path, "--help"] for path in commands(build_parser(), [])]
codes = []
for argv in runs:
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            codes.append(main(argv))
        except SystemExit as exc:
            codes.append(exc.code)
print(json.dumps({"runs": runs, "codes": codes, "modules": sorted(sys.modules)}))
"""


def probe(runs: object, tmp_path: Path) -> dict:
    """Run `main(argv)` for each argv of `runs` in one fresh interpreter: the exit codes and the modules loaded."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINKWATCH_")}
    env.update(HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path), XDG_DATA_HOME=str(tmp_path),
               LINKWATCH_DATABASE_URL=f"sqlite:///{tmp_path / 'probe.db'}")
    result = subprocess.run([sys.executable, "-c", PROBE, json.dumps(runs)], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


def heavy(modules: list[str]) -> list[str]:
    return sorted({h for h in HEAVY for m in modules if m == h or m.startswith(h + ".")})


def test_help_of_every_command_loads_no_database_redis_or_crawl_stack(tmp_path: Path) -> None:
    found = probe("every --help", tmp_path)
    assert found["codes"] == [0] * len(found["runs"])
    assert ["check", "--help"] in found["runs"] and ["disavow", "export", "--help"] in found["runs"]
    assert len(found["runs"]) >= 20
    assert heavy(found["modules"]) == []


def test_check_loads_no_database_in_the_parent(tmp_path: Path) -> None:
    # 127.0.0.1 is refused by the SSRF guard (no allow_private): a verdict without a page server
    found = probe([["check", "http://127.0.0.1:9/", "--target", "example.com", "--json"]], tmp_path)
    assert found["codes"] == [0]
    assert "monitor.crawl.child" in found["modules"]
    assert heavy(found["modules"]) == []


def test_the_probe_sees_the_database_of_a_command_that_uses_it(tmp_path: Path) -> None:
    found = probe([["links"]], tmp_path)
    assert found["codes"] == [0]
    assert {"sqlalchemy", "alembic", "monitor.store"} <= set(heavy(found["modules"]))


def test_links_on_a_current_database_loads_no_alembic(tmp_path: Path) -> None:
    probe([["links"]], tmp_path)  # creates the database
    found = probe([["links"]], tmp_path)
    assert found["codes"] == [0]
    assert "sqlalchemy" in heavy(found["modules"])
    unused = ("alembic", "sqlalchemy.dialects.postgresql", "tldextract", "requests")
    assert [m for m in found["modules"] if m in unused or m.startswith(tuple(u + "." for u in unused))] == []
