"""The corpus of real pages with their expected links: `../shared/corpus` next to the repository (not part
of it).  Its tests FAIL when it is missing in CI (CI=true: a missing corpus must not pass for a green
run) and are skipped, saying where it was looked for, when it is missing on a developer's machine."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
PAGES = CORPUS / "pages"


def cases() -> list[dict[str, Any]]:
    """The cases of cases.json, or [] when the corpus is missing."""
    path = CORPUS / "cases.json"
    if not path.is_file():
        return []
    return list(json.loads(path.read_text(encoding="utf-8"))["cases"])


def case_params(found: list[dict[str, Any]]) -> list[Any]:
    """Parameters for a test per case: the cases by id, or one `corpus-missing` parameter (None) that
    makes the test call `require_corpus()` rather than quietly collect nothing."""
    if not found:
        return [pytest.param(None, id="corpus-missing")]
    return [pytest.param(case, id=case["id"]) for case in found]


def require_corpus() -> None:
    """Fail (in CI) or skip (elsewhere) unless the corpus is there."""
    if (CORPUS / "cases.json").is_file() and PAGES.is_dir():
        return
    message = f"the corpus of real pages is missing: expected {CORPUS} (../shared/corpus next to the repository)"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message + "; CI must have it", pytrace=False)
    pytest.skip(message)
