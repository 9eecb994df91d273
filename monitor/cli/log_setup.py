"""How linkwatch logs: one handler on stderr, text or JSON (`[log] format`), and the libraries kept quiet.

`install()` (from main, before the settings are read) puts the handler on the root logger: text, warnings only.
`configure(settings)` (once the settings are read) sets the level and the format, and keeps the info lines of
Alembic and uvicorn out of the log below `debug` (SQLAlchemy's, every SQL statement, always): a long-running
`serve` logs its own lines (one per run, monitor.service.loop), not a migration's or a web server's start-up.
Scrapy's and Twisted's loggers live in the crawl process and are quieted there (crawler.settings.apply_log_levels).

JSON lines carry `time` (UTC, ISO 8601), `level`, `logger`, `message`, `exception` when there is one, and the
figures a record was given as `extra={"fields": {...}}` (a run's counts), as machine values.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from datetime import UTC, datetime

from monitor.config import Settings

HANDLER_NAME = "linkwatch"
#: libraries whose info lines are not linkwatch's news: at `warning` unless the level is `debug`
QUIET_LOGGERS = ("alembic", "uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi", "httpx",
                 "httpcore", "urllib3", "asyncio", "multipart", "python_multipart")
#: at `warning` whatever the level: SQLAlchemy's info lines are every SQL statement and its parameters
SILENT_LOGGERS = ("sqlalchemy",)


class TextFormatter(logging.Formatter):
    """`2026-12-06 15:53:02 UTC INFO monitor.service.loop: run 42 finished: ...`."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s UTC %(levelname)s %(name)s: %(message)s", "%Y-%m-%d %H:%M:%S")
        self.converter = time.gmtime


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, then the record's `fields`."""

    def format(self, record: logging.LogRecord) -> str:
        moment = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        data: dict[str, object] = {"time": moment.replace("+00:00", "Z"), "level": record.levelname.lower(),
                                   "logger": record.name, "message": record.getMessage()}
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            data.update({key: value for key, value in fields.items() if key not in data})
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False, default=str)


def announce(settings: Settings, logger_name: str, message: str, **fields: object) -> None:
    """A line on stderr whatever the level (what a service must always say, such as where it listens): as
    written in text, as a JSON object of level `info` in json."""
    if settings.log_format == "json":
        record = logging.LogRecord(logger_name, logging.INFO, "", 0, message, None, None)
        record.fields = fields
        line = JsonFormatter().format(record)
    else:
        line = message
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def install(verbose: bool) -> None:
    """The stderr handler on the root logger, unless the root has one already (a test runner's)."""
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.set_name(HANDLER_NAME)
        handler.setFormatter(TextFormatter())
        root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.WARNING)


def configure(settings: Settings) -> None:
    """The level and format of `settings` (its `log_level` already the command's: see common.effective_log_level)."""
    root = logging.getLogger()
    root.setLevel(settings.log_level)  # the crawl child gets the same level with the settings
    formatter = JsonFormatter() if settings.log_format == "json" else TextFormatter()
    for handler in root.handlers:
        if handler.get_name() == HANDLER_NAME:
            handler.setFormatter(formatter)
    level = logging.getLevelNamesMapping()[settings.log_level]
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(level if level <= logging.DEBUG else max(level, logging.WARNING))
    for name in SILENT_LOGGERS:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
