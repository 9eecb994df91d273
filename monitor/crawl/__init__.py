"""Crawl orchestration in the parent: what is due (scheduler), the check cycle (runs), the crawl child process
(child), the crawl lease and the Redis work queue for scale-out workers. Never imports Scrapy: the crawl itself
runs in the child (`python -P -m crawler`)."""
