"""How a setting is declared: once, as a field of `Settings` (or `SmtpConfig`) carrying its `Spec`.

`setting(...)` is a dataclass field whose metadata says where the value comes from (the `[section] key` of
the config file, the environment variable), how it is parsed and what it means.  The loader, the environment
list and the reference table of docs/configuration.md are all read off these fields, so a new setting is one
field.  `table(...)` declares an array of tables (`[[site]]`, `[[alerts.route]]`): its item keys and meaning;
its parser is a function of monitor/config/sections.py.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from monitor.config.values import Parser


@dataclass(frozen=True)
class Spec:
    """Where a scalar setting comes from and what it means (one row of the reference table)."""

    section: str
    key: str
    env: str | None
    parse: Parser
    help: str
    doc_default: str | None = None  # the default as the docs show it, when the value itself would mislead

    @property
    def name(self) -> str:
        """The setting as the config file spells it, for messages: `[crawl] timeout`."""
        return f"[{self.section}] {self.key}"


@dataclass(frozen=True)
class TableSpec:
    """An array of tables of the config file (`[[schedule.rule]]`): its path, the keys of an item, its meaning."""

    path: str  # "site", "schedule.rule", "alerts.route"
    keys: tuple[str, ...]
    parse: Callable[[Any], Any]
    help: str
    doc_default: str = "none"

    @property
    def section(self) -> str:
        return self.path.partition(".")[0]

    @property
    def name(self) -> str:
        return f"[[{self.path}]]"


def setting(section: str, key: str, env: str | None, parse: Parser, default: Any, help: str,
            doc_default: str | None = None) -> Any:
    """A dataclass field declared with its Spec (typed Any so that each field keeps its own annotation)."""
    spec = Spec(section, key, env, parse, help, doc_default)
    return dataclasses.field(default=default, metadata={"spec": spec})


def table(path: str, keys: tuple[str, ...], parse: Callable[[Any], Any], help: str, doc_default: str = "none") -> Any:
    """A dataclass field holding the parsed items of an array of tables; an empty tuple by default."""
    return dataclasses.field(default=(), metadata={"table": TableSpec(path, keys, parse, help, doc_default)})


def field_specs(cls: type) -> list[tuple[str, Spec]]:
    """(attribute, Spec) of each scalar setting of a settings dataclass, in declaration order."""
    return [(f.name, f.metadata["spec"]) for f in dataclasses.fields(cls) if "spec" in f.metadata]


def field_tables(cls: type) -> list[tuple[str, TableSpec]]:
    """(attribute, TableSpec) of each array of tables of a settings dataclass."""
    return [(f.name, f.metadata["table"]) for f in dataclasses.fields(cls) if "table" in f.metadata]
