"""`linkwatch`: the entry point. Builds the parser from the command modules and runs one.

Every module of this package that exposes `register(subparsers)`, which adds its parser and
sets `func(args) -> int`.  User errors (CliError, ConfigError) become one line on
stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import NoReturn

from monitor import cli as cli_package
from monitor.cli import log_setup
from monitor.cli.common import CliError
from monitor.config import VERSION, ConfigError


def _command_modules() -> list[ModuleType]:
    """Every module of monitor.cli that has a `register(subparsers)`, in alphabetical order."""
    modules = []
    for info in sorted(pkgutil.iter_modules(cli_package.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"monitor.cli.{info.name}")
        if hasattr(module, "register"):
            modules.append(module)
    return modules


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, exit 2 (argparse prints usage too: keep it short)
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="linkwatch",
        description="Self-hosted backlink monitor: verifies that the links you earned are still there "
        "and still followed.",
    )
    parser.add_argument("--version", action="version", version=f"linkwatch {VERSION}")
    parser.add_argument("--config", metavar="FILE", help="config file (default: $LINKWATCH_CONFIG, "
                        "else ~/.config/linkwatch/config.toml)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for module in _command_modules():
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    log_setup.install(args.verbose)
    try:
        return int(args.func(args) or 0)
    except (CliError, ConfigError) as exc:
        sys.stderr.write(f"linkwatch: error: {exc}\n")
        return getattr(exc, "exit_code", 2)
    except KeyboardInterrupt:
        sys.stderr.write("linkwatch: interrupted\n")
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
