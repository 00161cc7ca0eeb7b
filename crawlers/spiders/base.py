"""What every policywatch spider shares: its registry entry, fault recording, and the no-items rule."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import scrapy
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawlers.middlewares import crawl_output
from crawlers.output import CrawlStats, Fault
from crawlers.registry import RegistryError, SourceConfig, load_registry


class PolicySpider(scrapy.Spider):
    """A spider reads exactly one registry source (``-a source=ID``, default: the spider's name)."""

    source: SourceConfig

    def __init__(self, source: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._source_id = source or self.name

    @classmethod
    def update_settings(cls, settings: Any) -> None:
        """The source's politeness for a hand-run `scrapy crawl` (the runner passes the same with -s)."""
        super().update_settings(settings)
        sources_file = settings.get("POLICYWATCH_SOURCES")
        try:
            source = load_registry(Path(sources_file) if sources_file else None).get(cls.name)
        except RegistryError:
            return  # the spider reports the unusable registry itself when it starts
        for key, value in source.scrapy_settings().items():
            settings.set(key, value, priority="spider")

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> PolicySpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        sources_file = crawler.settings.get("POLICYWATCH_SOURCES")
        spider.source = load_registry(Path(sources_file) if sources_file else None).get(spider._source_id)
        spider.items_seen = 0
        return spider

    def record_fault(self, fault: Fault) -> None:
        self.logger.warning("%s: %s (%s)", fault.kind, fault.detail, fault.url)
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"policywatch/faults/{fault.kind}")
        crawl_output(self.crawler).add_fault(fault)

    def on_error(self, failure: Failure) -> None:
        """Errback of every request: what failed after retries is recorded, never silently dropped."""
        request = failure.request  # type: ignore[attr-defined]
        if failure.check(HttpError):
            status = failure.value.response.status
            self.record_fault(Fault("http-error", request.url, f"HTTP {status} after retries"))
        else:
            self.record_fault(Fault("network", request.url, failure.getErrorMessage() or repr(failure.value)))

    def count_item(self) -> None:
        self.items_seen += 1

    def closed(self, reason: str) -> None:
        # City Bureau's rule: a source that yields nothing is failing, not "nothing new".
        if self.items_seen == 0:
            self.record_fault(
                Fault("empty", self.source.base_url, f"no document extracted (close: {reason})")
            )
        assert self.crawler.stats is not None
        stats = self.crawler.stats.get_stats()
        started = stats.get("start_time")
        crawl_output(self.crawler).write_stats(
            CrawlStats(
                requests=stats.get("downloader/request_count", 0),
                responses=stats.get("downloader/response_count", 0),
                items=self.items_seen,
                faults=sum(v for k, v in stats.items() if k.startswith("policywatch/faults/")),
                started_at=started.isoformat() if started else "",
                finished_at=datetime.now(UTC).isoformat(),
                finish_reason=reason,
            )
        )
