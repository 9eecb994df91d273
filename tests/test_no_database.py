"""A command that only reads, on a SQLite database that does not exist, says so and exits 2, creating nothing;
a command that writes creates it and says where, once (in-process through tests.support.cli.run_cli)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli import environment, run_cli

READS = [
    ("links",), ("links", "--json"), ("events",), ("history", "https://blog.example.org/post"), ("report", "ratio"),
    ("report", "--html", "REPORT"), ("mentions", "--site", "example.com", "--list"), ("alerts", "pending"),
    ("alerts", "send"), ("disavow", "export"), ("db", "rebuild-rollups"), ("remove", "https://blog.example.org/post"),
    ("run", "--once", "--all"),
]


@pytest.mark.parametrize("command", READS, ids=" ".join)
def test_a_read_command_on_a_missing_database_says_so_and_creates_nothing(tmp_path: Path,
                                                                        command: tuple[str, ...]) -> None:
    folder = tmp_path / "data"
    database = folder / "linkwatch.db"
    env = environment(tmp_path, f"sqlite:///{database}")
    args = [str(tmp_path / "report.html") if arg == "REPORT" else arg for arg in command]
    result = run_cli(*args, env=env)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (f"linkwatch: error: no database at {database} yet: import or add backlinks first "
                             "(linkwatch import FILE)\n")
    assert not folder.exists() and not (tmp_path / "report.html").exists()


def test_a_command_that_writes_creates_the_database_and_says_where_once(tmp_path: Path) -> None:
    database = tmp_path / "data" / "linkwatch.db"
    env = environment(tmp_path, f"sqlite:///{database}")
    first = run_cli("add", "https://blog.example.org/post", "--target", "example.com", env=env)
    assert first.returncode == 0, first.stderr
    assert first.stderr == f"created the database at {database}\n"
    assert database.exists()
    second = run_cli("add", "https://blog.example.org/other", "--target", "example.com", env=env)
    assert second.returncode == 0 and second.stderr == ""
    listed = run_cli("links", "--json", env=env)
    assert listed.returncode == 0 and listed.stderr == "" and listed.stdout.count("\n") == 2


def test_a_relative_sqlite_path_is_named_in_full(tmp_path: Path) -> None:
    env = environment(tmp_path, "sqlite:///relative/linkwatch.db")
    result = run_cli("links", env=env, cwd=tmp_path)
    assert result.stderr == (f"linkwatch: error: no database at {tmp_path / 'relative' / 'linkwatch.db'} yet: import "
                             "or add backlinks first (linkwatch import FILE)\n")
    csv_file = tmp_path / "links.csv"
    csv_file.write_text("source_url,target\nhttps://blog.example.org/post,example.com\n")
    imported = run_cli("import", str(csv_file), env=env, cwd=tmp_path)
    assert imported.returncode == 0, imported.stderr
    assert imported.stderr.startswith(f"created the database at {tmp_path / 'relative' / 'linkwatch.db'}\n")


def test_an_unreachable_postgresql_server_is_one_line_without_the_password(tmp_path: Path) -> None:
    env = environment(tmp_path, "postgresql+psycopg://linkwatch:S3CRETpw@127.0.0.1:1/linkwatch")
    result = run_cli("links", env=env)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith("linkwatch: error: cannot open database "
                                    "postgresql+psycopg://linkwatch:***@127.0.0.1:1/linkwatch: ")
    assert result.stderr.count("\n") == 1 and "S3CRETpw" not in result.stderr


def test_a_refused_import_leaves_no_database_behind(tmp_path: Path) -> None:
    database = tmp_path / "linkwatch.db"
    env = environment(tmp_path, f"sqlite:///{database}")
    bad = tmp_path / "bad.csv"
    bad.write_text("source_url,target\nftp://blog.example.org/post,example.com\n")
    result = run_cli("import", str(bad), env=env)
    assert result.returncode == 2 and "created the database" not in result.stderr
    assert result.stderr.splitlines()[0].startswith("line 2: source_url: invalid URL")
    assert list(tmp_path.glob("linkwatch.db*")) == []
    assert run_cli("links", env=env).stderr.startswith("linkwatch: error: no database at ")
