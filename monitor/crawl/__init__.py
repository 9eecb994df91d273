"""Crawl orchestration in the parent: what is due (scheduler), the check cycle (runs), the crawl child process
(child), the crawl lease and the Redis work queue for scale-out workers. Never imports Scrapy: the crawl itself
runs in the child (`python -P -m crawler`)."""

#: a worker's heartbeat lifetime in Redis (monitor.crawl.workqueue); here so that `linkwatch worker --help`
#: can show it without loading Redis and the store
ALIVE_TTL_SECONDS = 30
