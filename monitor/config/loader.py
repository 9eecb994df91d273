"""Reading the settings: the config file, then the environment, each value parsed and checked once.

Every value comes from the declarations of monitor/config/settings.py: its `[section] key` in the file, its
environment variable (which wins when set and not empty), its parser.  A key or section the declarations do
not know is an error with a suggestion (a typo would otherwise be silently ignored).  Errors are one line,
naming the setting and, for a value from the environment, the variable.
"""

from __future__ import annotations

import difflib
import os
import stat
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from monitor.config.sections import SmtpConfig
from monitor.config.settings import Settings, scalar_specs, table_specs
from monitor.config.spec import Spec, TableSpec, field_specs, field_tables
from monitor.config.values import ConfigError

#: the variables read besides those of the settings, with their meaning
OTHER_ENVIRONMENT = {
    "LINKWATCH_CONFIG": "The config file (overridden by `--config FILE`).",
    "XDG_CONFIG_HOME": "Where the default config file is: `$XDG_CONFIG_HOME/linkwatch/config.toml` "
    "(default `~/.config`).",
    "XDG_DATA_HOME": "Where the default SQLite database is: `$XDG_DATA_HOME/linkwatch/linkwatch.db` "
    "(default `~/.local/share`).",
    "HOME": "`~` of the two defaults above.",
}


def environment_variables() -> list[str]:
    """Every environment variable linkwatch reads."""
    return [spec.env for spec in scalar_specs() if spec.env] + list(OTHER_ENVIRONMENT)


def default_data_dir(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    base = env.get("XDG_DATA_HOME") or str(Path(env.get("HOME", "~")).expanduser() / ".local" / "share")
    return Path(base) / "linkwatch"


def child_environment(overrides: Mapping[str, str], drop: tuple[str, ...] = ()) -> dict[str, str]:
    """This process's environment with `overrides` applied and `drop` removed, for a child process."""
    env = {**os.environ, **overrides}
    for name in drop:
        env.pop(name, None)
    return env


def default_config_path(env: Mapping[str, str]) -> Path:
    base = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME", "~")).expanduser() / ".config")
    return Path(base) / "linkwatch" / "config.toml"


def _read_file(path: Path, explicit: bool) -> dict[str, Any]:
    if not path.exists():
        if explicit:
            raise ConfigError(f"config file {path} does not exist")
        return {}
    import tomllib  # ≈10 ms: loaded only when there is a file to read

    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path}: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"config file {path}: {exc.strerror}") from None


def config_file_warnings(path: str | None) -> list[str]:
    """Warnings about the config file: secrets in a file others can read."""
    if not path or not os.path.exists(path):
        return []
    mode = os.stat(path).st_mode
    if stat.S_ISREG(mode) and mode & (stat.S_IRGRP | stat.S_IROTH):  # not /dev/null
        return [f"config file {path} is readable by other users; it may hold secrets (chmod 600 it)"]
    return []


def _suggestion(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, sorted(known), n=1)
    return f"; did you mean {close[0]}?" if close else ""


def check_names(data: Mapping[str, Any], where: str) -> None:
    """Refuse a section or key that no setting declares: `unknown key [alerts] slack_webhok_url; did you mean...`."""
    keys: dict[str, set[str]] = {}
    for spec in scalar_specs():
        keys.setdefault(spec.section, set()).add(spec.key)
    for tspec in table_specs():
        section, _, key = tspec.path.rpartition(".")
        if section:
            keys.setdefault(section, set()).add(key)
    top_tables = {t.path for t in table_specs() if "." not in t.path}
    for name, value in data.items():
        if name in top_tables:
            continue
        if name not in keys:
            homes = [f"[{section}] {name}" for section, names in keys.items() if name in names]
            hint = f"; did you mean {homes[0]}?" if homes else _suggestion(name, keys)
            raise ConfigError(f"{where}: unknown section [{name}]{hint}")
        if not isinstance(value, dict):
            raise ConfigError(f"config: [{name}] must be a table")
        for key in value:
            if key not in keys[name]:
                raise ConfigError(f"{where}: unknown key [{name}] {key}{_suggestion(key, keys[name])}")


def _items(data: Mapping[str, Any], tspec: TableSpec, where: str) -> list[dict[str, Any]]:
    """The items of an array of tables, each checked to be a table of known keys."""
    section, _, key = tspec.path.rpartition(".")
    items = (data.get(section, {}) if section else data).get(key)
    if items is None:
        return []
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise ConfigError(f"config: {tspec.name} must be an array of tables")
    for item in items:
        for name in item:
            if name not in tspec.keys:
                raise ConfigError(f"{where}: unknown key {tspec.name} {name}{_suggestion(name, tspec.keys)}")
    return items


def _parse(spec: Spec, data: Mapping[str, Any], env: Mapping[str, str]) -> tuple[bool, Any]:
    """(given, value) of one setting: the environment's value, else the file's, else not given."""
    if spec.env and env.get(spec.env) not in (None, ""):
        try:
            return True, spec.parse(env[spec.env], spec.name)
        except ConfigError as exc:
            raise ConfigError(f"{exc} (from {spec.env})") from None
    section = data.get(spec.section, {})
    if spec.key in section:
        return True, spec.parse(section[spec.key], spec.name)
    return False, None


def _given(cls: type, data: Mapping[str, Any], env: Mapping[str, str]) -> dict[str, Any]:
    """The parsed values of the settings of `cls` that the file or the environment give."""
    values = {}
    for attr, spec in field_specs(cls):
        given, value = _parse(spec, data, env)
        if given:
            values[attr] = value
    return values


def load_settings(env: Mapping[str, str] | None = None, path: str | None = None) -> Settings:
    """Build and validate the settings. Raises ConfigError with a one-line message."""
    env = os.environ if env is None else env
    explicit = path or env.get("LINKWATCH_CONFIG")
    config_path = Path(explicit) if explicit else default_config_path(env)
    data = _read_file(config_path, explicit=bool(explicit))
    where = f"config file {config_path}"
    check_names(data, where)
    values = _given(Settings, data, env)
    tables = {attr: tspec.parse(_items(data, tspec, where)) for attr, tspec in field_tables(Settings)}
    smtp = _given(SmtpConfig, data, env)
    if "port" not in smtp and smtp.get("ssl"):
        smtp["port"] = 465  # implicit TLS listens on 465
    if not values.get("database_url"):
        values["database_url"] = f"sqlite:///{default_data_dir(env) / 'linkwatch.db'}"
    if values.get("generic_anchors") == ():
        del values["generic_anchors"]  # an empty list means the built-in one
    return Settings(**values, **tables, smtp=SmtpConfig(**smtp),
                    config_path=str(config_path) if config_path.exists() else None)
