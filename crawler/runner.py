"""Runs one crawl in this process: Scrapy's CrawlerProcess with the LinkSpider.

`run_crawl(settings, jobs, sink, render=...)` blocks until every job has produced its
observation (or the process is told to stop).  It can run once per process (Twisted's
reactor cannot restart), which is why linkwatch runs it in a child process
(`python -m crawler MODE`, see crawler.__main__ and monitor.crawl.child).

Settings read: all of crawler.settings' (via scrapy_settings).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from scrapy.crawler import CrawlerProcess

from crawler.settings import apply_log_levels, scrapy_settings
from crawler.spider import LinkSpider, Sink
from monitor.config import Settings
from monitor.core.types import PageJob

logger = logging.getLogger(__name__)


def run_crawl(settings: Settings, jobs: Iterable[PageJob], sink: Sink, *, render: bool) -> None:
    """Crawl `jobs`, handing each PageObservation to `sink`. `render`: start scrapy-playwright."""
    process = new_process(scrapy_settings(settings, render=render), settings)
    process.crawl(LinkSpider, jobs=jobs, sink=sink, config=settings, can_render=render)
    process.start()


def new_process(values: dict[str, Any], settings: Settings) -> CrawlerProcess:
    """Scrapy's CrawlerProcess for these Scrapy settings, with the loggers' levels set after it configured
    logging (its default logging config puts the `scrapy` logger at DEBUG)."""
    process = CrawlerProcess(values)
    apply_log_levels(settings)
    return process
