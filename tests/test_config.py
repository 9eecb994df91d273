"""Settings: defaults, file, environment precedence, and one-line errors for bad values."""

import importlib.metadata
import os
import subprocess
import sys
from pathlib import Path

import pytest

from monitor.cli.main import build_parser
from monitor.config import (
    VERSION,
    ConfigError,
    Settings,
    SmtpConfig,
    config_file_warnings,
    load_settings,
    parse_duration,
)
from monitor.config.spec import field_specs
from monitor.core.types import EventType, RenderMode
from tests.support.cli import LINKWATCH


def test_defaults_without_file(tmp_path):
    settings = load_settings({"HOME": str(tmp_path)})
    assert settings.database_url == f"sqlite:///{tmp_path}/.local/share/linkwatch/linkwatch.db"
    assert settings.render is RenderMode.AUTO
    assert settings.lost_after == 2
    assert settings.check_interval == 86400
    assert settings.metrics_addr == "127.0.0.1:9477"
    assert not settings.allow_private
    assert "linkwatch" in settings.user_agent
    assert settings.render_settle == 5.0


def test_file_then_environment(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text(
        '[crawl]\ntimeout = "10s"\nconcurrency = 8\nrender_settle = 2.5\n[schedule]\nlost_after = 3\ninterval = "12h"\n'
        'rule = [{ tag = "money", every = "6h" }]\n'
        '[[alerts.route]]\nchannel = "email"\nmode = "weekly"\nweekday = "friday"\nevents = ["lost"]\n'
        '[[site]]\ndomain = "www.Example.com"\nbrand_terms = ["Example"]\n'
    )
    env = {"HOME": str(tmp_path), "LINKWATCH_CONFIG": str(config), "LINKWATCH_LOST_AFTER": "4",
           "LINKWATCH_ALLOW_PRIVATE": "1", "LINKWATCH_EMAIL_TO": "a@example.com, b@example.com"}
    settings = load_settings(env)
    assert settings.timeout == 10
    assert settings.concurrency == 8
    assert settings.render_settle == 2.5
    assert load_settings({**env, "LINKWATCH_RENDER_SETTLE": "0"}).render_settle == 0  # read at `load`
    assert settings.lost_after == 4  # the environment wins over the file
    assert settings.check_interval == 12 * 3600
    assert settings.interval_rules[0].tag == "money"
    assert settings.interval_rules[0].interval_seconds == 6 * 3600
    assert settings.allow_private
    assert settings.smtp.email_to == ("a@example.com", "b@example.com")
    route = settings.alert_routes[0]
    assert (route.channel, route.mode, route.weekday, route.events) == ("email", "weekly", 4, (EventType.LOST,))
    assert settings.site("example.com").brand_terms == ("Example",)
    assert settings.config_path == str(config)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"LINKWATCH_TIMEOUT": "soon"}, "timeout: expected a duration"),
        ({"LINKWATCH_LOST_AFTER": "0"}, "lost_after: must be at least 1"),
        ({"LINKWATCH_RENDER": "sometimes"}, "render: expected auto, never or always"),
        ({"LINKWATCH_RENDER_SETTLE": "-1"}, "render_settle: must be at least 0"),
        ({"LINKWATCH_ALLOW_PRIVATE": "perhaps"}, "allow_private: expected true or false"),
        ({"LINKWATCH_METRICS_ADDR": "9477"}, "metrics_addr: expected HOST:PORT"),
        ({"LINKWATCH_CONFIG": "/nonexistent/linkwatch.toml"}, "does not exist"),
    ],
)
def test_bad_values_are_one_line_errors(tmp_path, env, message):
    with pytest.raises(ConfigError, match=message) as info:
        load_settings({"HOME": str(tmp_path), **env})
    assert "\n" not in str(info.value)


def test_bad_toml_and_bad_route(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[crawl\n")
    with pytest.raises(ConfigError, match=r"bad\.toml"):
        load_settings({"HOME": str(tmp_path)}, path=str(bad))
    bad.write_text('[[alerts.route]]\nchannel = "pager"\n')
    with pytest.raises(ConfigError, match="channel must be"):
        load_settings({"HOME": str(tmp_path)}, path=str(bad))
    bad.write_text('[[alerts.route]]\nchannel = "slack"\nevents = ["lost", "vanished"]\n')
    with pytest.raises(ConfigError, match="valid types"):
        load_settings({"HOME": str(tmp_path)}, path=str(bad))


def test_durations():
    assert parse_duration("90", "x") == 90
    assert parse_duration("15m", "x") == 900
    assert parse_duration("1.5h", "x") == 5400
    assert parse_duration(3, "x") == 3
    for bad in ("-1", "0", "1y", True):
        with pytest.raises(ConfigError):
            parse_duration(bad, "x")


def test_world_readable_config_warns(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text("")
    config.chmod(0o644)
    assert "readable by other users" in config_file_warnings(str(config))[0]
    config.chmod(0o600)
    assert config_file_warnings(str(config)) == []


def test_help_does_not_need_valid_settings(tmp_path):
    env = {**os.environ, "HOME": str(tmp_path), "LINKWATCH_TIMEOUT": "soon"}
    env.pop("LINKWATCH_CONFIG", None)
    result = subprocess.run([*LINKWATCH, "--help"], env=env, capture_output=True, text=True)
    assert result.returncode == 0
    assert "linkwatch" in result.stdout


def test_the_version_is_the_package_metadata_one(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """pyproject.toml's `version` is the only place it is written: --version and the user agent read it."""
    assert importlib.metadata.version("linkwatch") == VERSION
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--version"])
    assert capsys.readouterr().out.strip() == f"linkwatch {VERSION}"
    assert load_settings(env={"HOME": str(tmp_path)}).user_agent.startswith(f"linkwatch/{VERSION} ")


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[alerts]\nslack_webhok_url = "https://hooks.example"\n',
         r"unknown key \[alerts\] slack_webhok_url; did you mean slack_webhook_url\?$"),
        ("[alert]\nmax_attempts = 3\n", r"unknown section \[alert\]; did you mean alerts\?"),
        ("timeout = 3\n", r"unknown section \[timeout\]; did you mean \[crawl\] timeout\?"),
        ('[crawl]\nnonsense = 1\n', r"unknown key \[crawl\] nonsense$"),
        ('[[alerts.route]]\nchanel = "slack"\n', r"unknown key \[\[alerts.route\]\] chanel; did you mean channel\?"),
        ('[[site]]\ndomain = "a.com"\ncompetitors = true\n', r"unknown key \[\[site\]\] competitors; did you mean"),
        ('[schedule]\nrule = ["6h"]\n', r"\[\[schedule.rule\]\] must be an array of tables"),
    ],
)
def test_unknown_keys_and_sections_are_one_line_errors_with_a_suggestion(tmp_path, toml, message):
    config = tmp_path / "config.toml"
    config.write_text(toml)
    with pytest.raises(ConfigError, match=message) as info:
        load_settings({"HOME": str(tmp_path)}, path=str(config))
    assert str(info.value).startswith(f"config file {config}: ") or "must be" in str(info.value)
    assert "\n" not in str(info.value)


def test_a_bad_value_from_the_environment_names_the_variable(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('[crawl]\ntimeout = "soon"\n')
    with pytest.raises(ConfigError) as from_file:
        load_settings({"HOME": str(tmp_path)}, path=str(config))
    assert str(from_file.value) == "[crawl] timeout: expected a duration such as 30s, 15m, 24h or 3d, got 'soon'"
    with pytest.raises(ConfigError) as from_env:
        load_settings({"HOME": str(tmp_path), "LINKWATCH_TIMEOUT": "later"})
    assert str(from_env.value).endswith("got 'later' (from LINKWATCH_TIMEOUT)")


def test_an_unknown_key_stops_a_command_with_exit_2_and_one_line(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('[alerts]\nslack_webhok_url = "https://hooks.example"\n')
    env = {**os.environ, "HOME": str(tmp_path), "LINKWATCH_CONFIG": str(config)}
    result = subprocess.run([sys.executable, "-m", "monitor", "links"], env=env, capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr == (f"linkwatch: error: config file {config}: unknown key [alerts] slack_webhok_url; "
                             "did you mean slack_webhook_url?\n")


def test_every_declared_setting_is_read_from_its_key_and_its_variable(tmp_path):
    """Each declaration is wired: its key in the file, and its variable over the file, reach its attribute."""
    samples = {"[crawl] resolve": ("a.test:127.0.0.1", (("a.test", "127.0.0.1"),)),
               "[serve] metrics_addr": ("127.0.0.2:1", "127.0.0.2:1"), "[crawl] render": ("never", RenderMode.NEVER),
               "[log] level": ("error", "ERROR"), "[log] format": ("json", "json"),
               "[reports] max_exact_share": ("0.5", 0.5),
               "[database] url": ("sqlite:///x.db", "sqlite:///x.db"),
               "[redis] url": ("redis://r.test:6380/1", "redis://r.test:6380/1"),
               "[alerts] slack_webhook_url": ("https://s.test/x", "https://s.test/x"),
               "[alerts] webhook_url": ("https://w.test/x", "https://w.test/x"),
               "[alerts] apprise_urls": ("a://x,b://y", ("a://x", "b://y")),
               "[report] accent": ("#0A0b0c", "#0a0b0c"),
               "[serve] public_url": ("https://lw.example/", "https://lw.example")}
    logo = tmp_path / "logo.png"
    logo.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    samples["[report] logo"] = (str(logo), str(logo))
    declared = [(attr, spec, Settings) for attr, spec in field_specs(Settings)]
    declared += [(f"smtp.{attr}", spec, SmtpConfig) for attr, spec in field_specs(SmtpConfig)]
    assert len(declared) > 40
    for attr, spec, cls in declared:
        default = getattr(cls(), attr.removeprefix("smtp."))
        raw, wanted = samples.get(spec.name) or {
            bool: ("false" if default else "true", not default), int: ("7777", 7777), float: ("7777", 7777.0),
            tuple: ("x,y", ("x", "y"))}.get(type(default), ("value", "value"))
        config = tmp_path / "config.toml"
        config.write_text(f'[{spec.section}]\n{spec.key} = "{raw}"\n')
        seen = [load_settings({"HOME": str(tmp_path)}, path=str(config))]
        if spec.env:
            config.write_text("")
            seen.append(load_settings({"HOME": str(tmp_path), spec.env: raw}, path=str(config)))
        for settings in seen:
            value = settings.smtp if attr.startswith("smtp.") else settings
            assert getattr(value, attr.removeprefix("smtp.")) == wanted != default, spec.name
