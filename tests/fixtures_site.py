"""The local test web site fixtures: `site` (one per test) and `shared_site` (one per module), a
tests.support.pages.TestSite on 127.0.0.1 whose pages tests register and change at runtime."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.pages import TestSite


@pytest.fixture
def site() -> Iterator[TestSite]:
    test_site = TestSite().start()
    yield test_site
    test_site.stop()


@pytest.fixture(scope="module")
def shared_site() -> Iterator[TestSite]:
    test_site = TestSite().start()
    yield test_site
    test_site.stop()
