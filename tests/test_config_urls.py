"""Every URL or server setting is checked when the settings are read: a typo is one line naming the setting and
what is wrong (exit 2, no traceback), and the line never repeats the secret the value carries."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.config import ConfigError, load_settings
from tests.support.cli import environment, linkwatch, run_cli

SECRET = "S3CRETt0ken"

# (variable, bad value, what the one line says after "[section] key: ")
BAD_VALUES = [
    ("LINKWATCH_SLACK_WEBHOOK_URL", f"htps://hooks.slack.com/services/T0/B0/{SECRET}",
     "[alerts] slack_webhook_url: the URL must start with https:// or http://, not htps://"),
    ("LINKWATCH_SLACK_WEBHOOK_URL", f"https://hooks.slack.com/services/T0/B0/{SECRET} ",
     "[alerts] slack_webhook_url: contains a space or a line break"),
    ("LINKWATCH_SLACK_WEBHOOK_URL", f"hooks.slack.com/services/T0/B0/{SECRET}",
     "[alerts] slack_webhook_url: not a URL (no scheme://)"),
    ("LINKWATCH_SLACK_WEBHOOK_URL", f"https:///services/{SECRET}", "[alerts] slack_webhook_url: no host in the URL"),
    ("LINKWATCH_WEBHOOK_URL", f"https://hooks.example.com:44x/{SECRET}",
     "[alerts] webhook_url: the port must be a number from 1 to 65535, got '44x'"),
    ("LINKWATCH_WEBHOOK_URL", f"https://user:{SECRET}@hooks.example.com:99999/x",
     "[alerts] webhook_url: the port must be a number from 1 to 65535, got '99999'"),
    ("LINKWATCH_WEBHOOK_URL", f"ftp://hooks.example.com/{SECRET}",
     "[alerts] webhook_url: the URL must start with https:// or http://, not ftp://"),
    ("LINKWATCH_DATABASE_URL", f"mysql://linkwatch:{SECRET}@db.example.com/linkwatch",
     "[database] url: the URL must start with sqlite:// or postgresql://, not mysql://"),
    ("LINKWATCH_DATABASE_URL", f"postgresql+psycopg://linkwatch:{SECRET}@db.example.com:5x/linkwatch",
     "[database] url: the port must be a number from 1 to 65535, got '5x'"),
    ("LINKWATCH_DATABASE_URL", f"postgresql+psycopg://linkwatch:{SECRET}@db.example.com/",
     "[database] url: no database name at the end of the URL"),
    ("LINKWATCH_DATABASE_URL", "sqlite:linkwatch.db", "[database] url: a SQLite URL is sqlite:///PATH"),
    ("LINKWATCH_REDIS_URL", f"http://:{SECRET}@127.0.0.1:6379/0",
     "[redis] url: the URL must start with redis:// or rediss:// or unix://, not http://"),
    ("LINKWATCH_REDIS_URL", f"redis://:{SECRET}@:abc/0", "[redis] url: no host in the URL"),
    ("LINKWATCH_SMTP_HOST", f"smtps://alerts:{SECRET}@mail.example.com:465",
     "[smtp] host: a host name such as smtp.example.com, not a URL"),
    ("LINKWATCH_SMTP_HOST", "mail.example.com:587", "[smtp] host: a host name without a port"),
    ("LINKWATCH_SMTP_HOST", "mail example.com", "[smtp] host: expected a host name such as smtp.example.com"),
    ("LINKWATCH_SMTP_PORT", "58x", "[smtp] port: expected a port number from 1 to 65535, got '58x'"),
    ("LINKWATCH_SMTP_PORT", "70000", "[smtp] port: expected a port number from 1 to 65535, got 70000"),
    ("LINKWATCH_METRICS_ADDR", "127.0.0.1:99999", "[serve] metrics_addr: the port must be a number from 0 to 65535"),
]


@pytest.mark.parametrize(("variable", "value", "message"), BAD_VALUES, ids=lambda v: str(v)[:40])
def test_a_bad_url_setting_stops_a_command_with_one_line_and_no_secret(tmp_path: Path, variable: str, value: str,
                                                                     message: str) -> None:
    env = environment(tmp_path, f"sqlite:///{tmp_path / 'linkwatch.db'}")
    env[variable] = value
    result = run_cli("alerts", "pending", env=env)
    assert result.returncode == 2
    assert result.stderr.startswith(f"linkwatch: error: {message}")
    assert result.stderr.endswith(f" (from {variable})\n")
    assert result.stderr.count("\n") == 1
    assert SECRET not in result.stderr and result.stdout == ""


def test_the_same_check_applies_to_the_config_file_and_names_its_key(tmp_path: Path) -> None:
    env = environment(tmp_path, f"sqlite:///{tmp_path / 'linkwatch.db'}",
                      f'[alerts]\napprise_urls = ["tgram://{SECRET}/123", "mailto:{SECRET}@example.com"]\n')
    result = run_cli("alerts", "send", env=env)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == ("linkwatch: error: [alerts] apprise_urls #2: not a URL (no scheme://); expected a URL "
                             "such as tgram://BOT_TOKEN/CHAT_ID\n")
    config = tmp_path / "config.toml"
    config.write_text('[alerts]\nslack_webhook_url = "https://hooks.slack.com:0/x"\n')
    with pytest.raises(ConfigError, match=r"^\[alerts\] slack_webhook_url: the port must be a number"):
        load_settings({"HOME": str(tmp_path)}, path=str(config))


@pytest.mark.parametrize("url", ["sqlite:////srv/My Documents/linkwatch.db", "sqlite://", "postgresql:///linkwatch",
                                 "postgresql+psycopg://u:p@[::1]:5432/linkwatch"])
def test_good_database_urls_are_kept_as_written(tmp_path: Path, url: str) -> None:
    assert load_settings({"HOME": str(tmp_path), "LINKWATCH_DATABASE_URL": url}).database_url == url


def test_good_alert_and_server_settings_are_kept(tmp_path: Path) -> None:
    settings = load_settings({
        "HOME": str(tmp_path), "LINKWATCH_SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T/B/x",
        "LINKWATCH_WEBHOOK_URL": "http://127.0.0.1:8080/hook", "LINKWATCH_REDIS_URL": "unix:///run/redis.sock",
        "LINKWATCH_SMTP_HOST": "[::1]", "LINKWATCH_SMTP_PORT": "2525"})
    assert (settings.slack_webhook_url, settings.webhook_url, settings.redis_url, settings.smtp.host,
            settings.smtp.port) == ("https://hooks.slack.com/services/T/B/x", "http://127.0.0.1:8080/hook",
                                    "unix:///run/redis.sock", "[::1]", 2525)


def test_an_empty_webhook_in_the_file_means_none(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[alerts]\nslack_webhook_url = ""\nwebhook_url = ""\n[smtp]\nhost = ""\n')
    settings = load_settings({"HOME": str(tmp_path)}, path=str(config))
    assert (settings.slack_webhook_url, settings.webhook_url, settings.smtp.host) == (None, None, None)


def test_a_bad_webhook_is_one_line_from_a_real_process_too(tmp_path: Path) -> None:
    env = environment(tmp_path, f"sqlite:///{tmp_path / 'linkwatch.db'}")
    env["LINKWATCH_SLACK_WEBHOOK_URL"] = f"https://hooks.slack.com/services/{SECRET}\n"
    result = linkwatch(env, "alerts", "send", check=False)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == ("linkwatch: error: [alerts] slack_webhook_url: contains a space or a line break (pasted "
                             "with the URL?); expected a URL such as https://hooks.slack.com/services/... "
                             "(from LINKWATCH_SLACK_WEBHOOK_URL)\n")
    assert not (tmp_path / "linkwatch.db").exists()


def test_a_bad_log_format_is_one_line(tmp_path: Path) -> None:
    env = environment(tmp_path, f"sqlite:///{tmp_path / 'linkwatch.db'}")
    env["LINKWATCH_LOG_FORMAT"] = "yaml"
    result = run_cli("links", env=env)
    assert (result.returncode, result.stderr) == (2, "linkwatch: error: [log] format: expected text or json, got "
                                                     "'yaml' (from LINKWATCH_LOG_FORMAT)\n")
