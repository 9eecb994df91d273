"""linkwatch's settings: read once from a TOML file and the environment, validated once.

This is the only package that reads the environment.  Everything else receives a `Settings` object (or
the plain values it holds).  Precedence, lowest first: built-in defaults, the config file, environment
variables, command-line flags (applied by the CLI with `Settings.with_overrides`).

The config file is `$LINKWATCH_CONFIG`, else `$XDG_CONFIG_HOME/linkwatch/config.toml`
(`~/.config/linkwatch/config.toml`); a missing file is fine, an unknown key in it is an error.

Each setting is declared once, as a field of `Settings` (settings.py) with its section, key, environment
variable, parser, default and meaning (spec.py); the loader (loader.py), the list of environment variables
(`environment_variables()`) and the reference table of docs/configuration.md (reference.py, written by
`python tools/config_doc.py`) are read off those declarations.  Value parsers are in values.py, the arrays of
tables (sites, interval rules, alert routes) in sections.py.
"""

from monitor.config.loader import (
    OTHER_ENVIRONMENT,
    child_environment,
    config_file_warnings,
    default_config_path,
    default_data_dir,
    environment_variables,
    load_settings,
)
from monitor.config.sections import AlertRoute, IntervalRule, SiteConfig, SmtpConfig
from monitor.config.settings import Settings
from monitor.config.values import (
    LOG_LEVELS,
    ConfigError,
    is_loopback_host,
    parse_bool,
    parse_duration,
    parse_host_port,
    parse_resolve,
)
from monitor.config.version import DEFAULT_USER_AGENT, PROJECT_URL, VERSION

__all__ = [
    "DEFAULT_USER_AGENT",
    "LOG_LEVELS",
    "OTHER_ENVIRONMENT",
    "PROJECT_URL",
    "VERSION",
    "AlertRoute",
    "ConfigError",
    "IntervalRule",
    "Settings",
    "SiteConfig",
    "SmtpConfig",
    "child_environment",
    "config_file_warnings",
    "default_config_path",
    "default_data_dir",
    "environment_variables",
    "is_loopback_host",
    "load_settings",
    "parse_bool",
    "parse_duration",
    "parse_host_port",
    "parse_resolve",
]
