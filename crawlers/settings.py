"""Scrapy settings for policywatch: polite by default towards government sites.

`scrapy list` and `scrapy crawl SOURCE` read this through scrapy.cfg; `policywatch run` starts each crawl
as its own `scrapy crawl` process (Twisted's reactor cannot restart inside one process) with the
per-source values (delay, concurrency, output directory) given as -s overrides.
"""

from datetime import UTC, datetime

from policywatch import __version__
from policywatch.config import load_settings

BOT_NAME = "policywatch"
SPIDER_MODULES = ["crawlers.spiders"]
NEWSPIDER_MODULE = "crawlers.spiders"

USER_AGENT = (
    f"Mozilla/5.0 (compatible; policywatch/{__version__}; policy change monitor; "
    "+https://github.com/policywatch/policywatch)"
)
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS_PER_DOMAIN = 1
DOWNLOAD_DELAY = 2.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 2.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 64 * 1024 * 1024
DOWNLOAD_WARNSIZE = 16 * 1024 * 1024
REDIRECT_MAX_TIMES = 5
RETRY_TIMES = 3
RETRY_BACKOFF_BASE = 2.0  # seconds before the first retry; doubled for each further one
RETRY_BACKOFF_MAX = 60.0
# Statuses the spider must see to classify them (challenge pages, geo-blocks) instead of losing them.
HTTPERROR_ALLOWED_CODES = [403, 412]

DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawlers.middlewares.BackoffRetryMiddleware": 550,
    "crawlers.middlewares.RawSnapshotMiddleware": 950,
}
ITEM_PIPELINES = {"crawlers.pipelines.CrawlOutputPipeline": 300}

FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"

POLICYWATCH_SNAPSHOTS_DIR = str(load_settings().snapshots_dir)
# Where this crawl writes its hand-over files (crawlers/output.py); one folder per source below it.
POLICYWATCH_RUN_DIR = str(load_settings().runs_dir / datetime.now(UTC).strftime("manual-%Y%m%dT%H%M%SZ"))
# A --sources file merged over the built-in registry (`scrapy crawl sh-platform -s POLICYWATCH_SOURCES=F`).
POLICYWATCH_SOURCES = ""
