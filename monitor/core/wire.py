"""JSON codecs for what crosses the boundary between linkwatch and its crawler child process.

The parent (`monitor.crawl.child`) sends the child its `Settings` and the `PageJob`s
on stdin; the child answers with one `PageObservation` per line on stdout.  Every
codec here round-trips exactly: tuples stay tuples, enums stay enums, and datetimes
travel as ISO 8601 in UTC.

One generic converter does the work, driven by the dataclasses' own type hints, so a
field added to `Settings`, `PageJob` or `PageObservation` crosses the wire without
touching this module.

Reads no settings.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import types
import typing
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

from monitor.config import Settings
from monitor.core.types import PageJob, PageObservation

T = TypeVar("T")


def to_plain(value: Any) -> Any:
    """A dataclass (or anything inside one) as JSON-ready lists, dicts and scalars."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime cannot cross the wire; use timezone-aware UTC")
        return value.astimezone(UTC).isoformat()
    if isinstance(value, list | tuple):
        return [to_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): to_plain(v) for k, v in value.items()}
    return value


def from_plain(cls: type[T], data: Any) -> T:
    """Rebuild a dataclass of type `cls` from `to_plain` output."""
    return typing.cast(T, _build(cls, data))


def _build(tp: Any, value: Any) -> Any:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if tp is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        candidates = [a for a in args if a is not type(None)]
        return _build(candidates[0], value)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_build(args[0], v) for v in value)
        return tuple(_build(a, v) for a, v in zip(args, value, strict=True))
    if origin in (Mapping, dict) or tp in (dict, Mapping):
        value_type = args[1] if len(args) == 2 else Any
        return {k: _build(value_type, v) for k, v in value.items()}
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        hints = typing.get_type_hints(tp)
        known = {f.name for f in dataclasses.fields(tp) if f.init}
        return tp(**{k: _build(hints[k], v) for k, v in value.items() if k in known})
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return tp(value)
    if tp is datetime:
        return None if value is None else datetime.fromisoformat(value).astimezone(UTC)
    if tp is float and isinstance(value, int | float):
        return float(value)
    return value


def _dumps(obj: Any) -> str:
    return json.dumps(to_plain(obj), ensure_ascii=False, separators=(",", ":"))


def settings_to_json(settings: Settings) -> str:
    return _dumps(settings)


def settings_from_json(text: str) -> Settings:
    return from_plain(Settings, json.loads(text))


def job_to_json(job: PageJob) -> str:
    return _dumps(job)


def job_from_json(text: str) -> PageJob:
    return from_plain(PageJob, json.loads(text))


def observation_to_json(observation: PageObservation) -> str:
    """One line of JSON (no newline inside: JSON escapes them)."""
    return _dumps(observation)


def observation_from_json(text: str) -> PageObservation:
    return from_plain(PageObservation, json.loads(text))
