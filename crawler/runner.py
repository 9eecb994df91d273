"""Runs one crawl in this process: Scrapy's CrawlerProcess with the LinkSpider.

`run_crawl(settings, jobs, sink, render=...)` blocks until every job has produced its
observation (or the process is told to stop).  It can run once per process (Twisted's
reactor cannot restart), which is why linkwatch runs it in a child process
(`python -m crawler MODE`, see crawler.__main__ and monitor.crawl_process).

Settings read: all of crawler.settings' (via scrapy_settings).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from scrapy.crawler import CrawlerProcess

from crawler.settings import scrapy_settings
from crawler.spider import LinkSpider, Sink
from monitor.config import Settings
from monitor.domain import PageJob

logger = logging.getLogger(__name__)


def run_crawl(settings: Settings, jobs: Iterable[PageJob], sink: Sink, *, render: bool) -> None:
    """Crawl `jobs`, handing each PageObservation to `sink`. `render`: start scrapy-playwright."""
    process = CrawlerProcess(scrapy_settings(settings, render=render))
    process.crawl(LinkSpider, jobs=jobs, sink=sink, config=settings, can_render=render)
    process.start()
