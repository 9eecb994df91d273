"""The docs say what the code does: commands, flags, settings and environment variables (in the spirit of
sqlite-utils' documentation tests).

- every `linkwatch ...` line of README.md and docs/commands.md names real commands, subcommands, flags and
  flag values, checked against the parser monitor/cli/main.py builds;
- every command and subcommand has its section in docs/commands.md, and every flag appears in it;
- docs/configuration.md's reference is the one the settings' declarations give (tools/config_doc.py), and
  it names exactly the environment variables linkwatch reads; no code, doc or deploy file names another;
- only monitor/config/ reads the environment; the TOML examples of the docs load.
Each check has a control: the same function fed a broken doc finds the fault.
"""

from __future__ import annotations

import argparse
import ast
import re
from pathlib import Path

import pytest

from monitor.cli.main import build_parser
from monitor.config import ConfigError, environment_variables, load_settings
from monitor.config.reference import with_reference

ROOT = Path(__file__).resolve().parent.parent
README, COMMANDS, CONFIGURATION = ROOT / "README.md", ROOT / "docs" / "commands.md", ROOT / "docs" / "configuration.md"
ENV_NAME = re.compile(r"\bLINKWATCH_[A-Z][A-Z_]*[A-Z]\b")


def parsers() -> dict[tuple[str, ...], argparse.ArgumentParser]:
    """Every (sub)command's parser by its path: () for `linkwatch`, ("alerts", "send") for `alerts send`."""
    found: dict[tuple[str, ...], argparse.ArgumentParser] = {}

    def walk(parser: argparse.ArgumentParser, path: tuple[str, ...]) -> None:
        found[path] = parser
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    walk(sub, (*path, name))
    walk(build_parser(), ())
    return found


def _options(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    return {option: action for action in parser._actions for option in action.option_strings}


def check_line(line: str, tree: dict[tuple[str, ...], argparse.ArgumentParser]) -> list[str]:
    """What is wrong with one documented command line: an unknown command, subcommand, flag or flag value."""
    tokens = [t.strip("[]()`") for t in line.replace("\\|", "|").split("#")[0].split()]
    tokens = [t for t in tokens if t not in ("", "|", "...")]
    assert tokens[0] == "linkwatch", line
    path: tuple[str, ...] = ()
    targets = [tree[()]]
    problems, rest = [], tokens[1:]
    while rest:
        token = rest.pop(0)
        names = token.split("|")
        if token.startswith("-"):
            for name in names:
                flag = name.split("=")[0]
                actions = [_options(p).get(flag) for p in targets]
                if None in actions:
                    problems.append(f"{line!r}: no flag {flag} in `{' '.join(('linkwatch', *path))}`")
                elif actions[0] is not None and actions[0].nargs != 0 and rest and "=" not in name:
                    value = rest.pop(0)
                    choices = actions[0].choices
                    if choices and not value.isupper():
                        problems += [f"{line!r}: {flag} has no value {v!r}" for v in value.split("|")
                                     if v not in choices]
            continue
        subcommands = [p for p in (tuple((*path, n)) for n in names) if p in tree and len(p) > len(path)]
        if len(subcommands) == len(names) and not token.isupper():
            path, targets = subcommands[0], [tree[p] for p in subcommands]
        elif any(len(p) == len(path) + 1 and p[:len(path)] == path for p in tree) and not token.isupper():
            problems.append(f"{line!r}: no command {token!r} in `{' '.join(('linkwatch', *path))}`")
        else:
            positional = [a for a in targets[0]._actions if not a.option_strings and a.choices]
            if positional and not token.isupper():
                problems += [f"{line!r}: {v!r} is not one of {positional[0].metavar or positional[0].dest}"
                             for v in names if v not in positional[0].choices]
    return problems


def command_lines(text: str) -> list[str]:
    """The `linkwatch ...` lines of a doc: in code blocks (indented or fenced, continuations joined) and code spans."""
    lines: list[str] = []
    for raw in text.splitlines():
        stripped = raw.strip()
        if stripped.startswith("linkwatch ") and (raw.startswith("    ") or not raw.startswith(("|", "-"))):
            lines.append(stripped)
        elif raw.startswith("      ") and lines and stripped.startswith("["):  # a usage line's continuation
            lines[-1] += " " + stripped
    for span in re.findall(r"`(linkwatch [^`]+)`", text):
        lines.append(span)
    for row in re.findall(r"^\| `linkwatch [^|]*?(?:\\\|[^|]*?)*\|", text, re.M):  # README's table: `a` / `b`
        more = re.findall(r"`([^`]+)`", row)[1:]  # the first span is found above
        lines += [m if m.startswith("linkwatch ") else f"linkwatch {m}" for m in more]
    return lines


def sections(text: str) -> dict[str, str]:
    """docs/commands.md's `## \\`linkwatch CMD\\`` sections: command -> its text."""
    parts = re.split(r"^## `linkwatch ([a-z-]+)`$", text, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def undocumented(text: str, tree: dict[tuple[str, ...], argparse.ArgumentParser]) -> list[str]:
    """Commands, subcommands and flags that docs/commands.md does not show in the command's section."""
    found, missing = sections(text), []
    for path, parser in tree.items():
        if not path:
            continue
        section = found.get(path[0])
        if section is None:
            missing.append(f"no section `linkwatch {path[0]}`")
            continue
        if len(path) > 1 and f"linkwatch {' '.join(path)}" not in section:
            missing.append(f"no usage line `linkwatch {' '.join(path)}`")
        missing += [f"`linkwatch {' '.join(path)}` {flag} not shown" for flag in _options(parser)
                    if flag not in ("-h", "--help") and not re.search(rf"{re.escape(flag)}\b", section)]
    return missing


@pytest.mark.parametrize("doc", [README, COMMANDS], ids=lambda p: p.name)
def test_every_documented_command_and_flag_exists(doc: Path) -> None:
    tree = parsers()
    lines = command_lines(doc.read_text(encoding="utf-8"))
    assert len(lines) > 10
    assert [problem for line in lines for problem in check_line(line, tree)] == []


def test_a_wrong_command_flag_or_value_is_found() -> None:
    tree = parsers()
    assert check_line("linkwatch alerts send --retry-dead", tree) == []
    assert check_line("linkwatch report ratio --site D --json", tree) == []
    assert len(check_line("linkwatch alerts sned", tree)) == 1
    assert len(check_line("linkwatch report ratoi", tree)) == 1
    assert len(check_line("linkwatch links --statee lost", tree)) == 1
    assert len(check_line("linkwatch check URL --target T --render sometimes", tree)) == 1
    assert len(check_line("linkwatch disavow add|remoev", tree)) == 1
    assert len(check_line("linkwatch frobnicate", tree)) == 1


def test_every_command_subcommand_and_flag_is_in_commands_md() -> None:
    tree = parsers()
    text = COMMANDS.read_text(encoding="utf-8")
    assert {path[0] for path in tree if path} <= set(sections(text))
    assert undocumented(text, tree) == []
    broken = text.replace("linkwatch alerts pending", "linkwatch alerts").replace("--overdue-days", "--overdue")
    assert sorted(undocumented(broken, tree)) == ["`linkwatch report` --overdue-days not shown",
                                                  "no usage line `linkwatch alerts pending`"]


def test_the_configuration_reference_is_the_declared_one() -> None:
    text = CONFIGURATION.read_text(encoding="utf-8")
    assert with_reference(text) == text, "run python tools/config_doc.py"
    assert set(ENV_NAME.findall(text)) == {name for name in environment_variables() if name.startswith("LINKWATCH_")}
    broken = text.replace("`[crawl] delay`", "`[crawl] delai`")
    assert with_reference(broken) != broken


def _names_outside_config() -> dict[str, set[str]]:
    """LINKWATCH_ names in monitor/ and alerts/ (crawler/'s are Scrapy setting names), docs and deploy files."""
    files = [*(ROOT / "monitor").rglob("*.py"), *(ROOT / "alerts").rglob("*.py"), README,
             *(ROOT / "docs").glob("*.md"), *(p for p in (ROOT / "deploy").rglob("*") if p.is_file())]
    found: dict[str, set[str]] = {}
    for path in files:
        for name in ENV_NAME.findall(path.read_text(encoding="utf-8", errors="replace")):
            found.setdefault(name, set()).add(str(path.relative_to(ROOT)))
    return found


def test_no_code_doc_or_deploy_file_names_a_variable_that_is_not_read() -> None:
    declared = set(environment_variables())
    stale = {name: files for name, files in _names_outside_config().items() if name not in declared}
    assert stale == {}


def _reads_environment(path: Path) -> bool:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return any(isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv", "environb")
               for node in ast.walk(tree))


def test_only_monitor_config_reads_the_environment() -> None:
    readers = [str(path.relative_to(ROOT)) for top in ("monitor", "crawler", "alerts")
               for path in sorted((ROOT / top).rglob("*.py"))
               if _reads_environment(path) and "monitor/config/" not in path.as_posix()]
    assert readers == []
    assert _reads_environment(ROOT / "monitor" / "config" / "loader.py")  # the probe sees a reader
    config_reads = set()
    for node in ast.walk(ast.parse((ROOT / "monitor" / "config" / "loader.py").read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get" \
                and isinstance(node.func.value, ast.Name) and node.func.value.id == "env" \
                and node.args and isinstance(node.args[0], ast.Constant):
            config_reads.add(node.args[0].value)
    assert config_reads and config_reads <= set(environment_variables())


def test_the_toml_examples_of_the_docs_load(tmp_path: Path) -> None:
    blocks = [(path.name, block) for path in sorted((ROOT / "docs").glob("*.md"))
              for block in re.findall(r"```toml\n(.*?)```", path.read_text(encoding="utf-8"), re.S)]
    assert len(blocks) >= 2
    for name, block in blocks:
        config = tmp_path / "config.toml"
        config.write_text(block)
        try:
            load_settings({"HOME": str(tmp_path)}, path=str(config))
        except ConfigError as exc:
            pytest.fail(f"{name}: {exc}")
    config.write_text('[crawl]\ndelai = 1\n')
    with pytest.raises(ConfigError, match="did you mean delay"):
        load_settings({"HOME": str(tmp_path)}, path=str(config))
