"""Turning what a person typed (the Add form) or sent (POST /api/v1/links) into a BacklinkInput.

The rules are `linkwatch add`'s: an absolute http(s) referring page, a target on your domain or one
of its URLs, clean tags, a cost that is not negative, a placement date.  Errors name the field.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from monitor.store.backlink_input import BacklinkInput, clean_tags, normalize_source, normalize_target


class FieldError(ValueError):
    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.field = name


def split_tags(text: str) -> list[str]:
    """`guest-post, spring` -> ["guest-post", "spring"]."""
    return [t.strip() for t in text.replace("\n", ",").split(",") if t.strip()]


def _text(data: dict[str, Any], name: str) -> str | None:
    value = data.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise FieldError(name, "must be text")
    return value.strip() or None


def link_input(data: dict[str, Any], origin: str) -> BacklinkInput:
    """Validate one backlink to add (`source_url`, `target`, optional anchor, tags, status, campaign, cost,
    placed_on, notes). Raises FieldError naming the first bad field."""
    try:
        source = normalize_source(_text(data, "source_url") or "")
    except ValueError as exc:
        raise FieldError("source_url", str(exc)) from None
    try:
        target, host = normalize_target(_text(data, "target") or "")
    except ValueError as exc:
        raise FieldError("target", str(exc)) from None
    tags = data.get("tags") or []
    if isinstance(tags, str):
        tags = split_tags(tags)
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise FieldError("tags", "must be a list of text")
    try:
        cleaned = clean_tags(tags)
    except ValueError as exc:
        raise FieldError("tags", str(exc)) from None
    cost: float | None = None
    if data.get("cost") not in (None, ""):
        try:
            cost = float(data["cost"])
        except (TypeError, ValueError):
            raise FieldError("cost", "must be a number") from None
        if cost < 0:
            raise FieldError("cost", "must not be negative")
    placed: date | None = None
    if _text(data, "placed_on"):
        try:
            placed = date.fromisoformat(_text(data, "placed_on") or "")
        except ValueError:
            raise FieldError("placed_on", "must be a date such as 2026-09-15") from None
    status = _text(data, "status")
    if status not in (None, "pending"):
        raise FieldError("status", "must be empty or pending")
    return BacklinkInput(source_url=source, target=target, target_host=host, anchor=_text(data, "anchor"),
                         tags=cleaned, notes=_text(data, "notes"), campaign=_text(data, "campaign"), cost=cost,
                         placed_on=placed, pending=status == "pending", origin=origin)
