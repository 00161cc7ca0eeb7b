"""What every policywatch spider shares: its registry entry, the revalidating cache, fault recording, the
incremental walk's stop rule and the no-items rule."""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawlers.middlewares import crawl_output
from crawlers.output import CrawlStats, Fault
from crawlers.registry import RegistryError, SourceConfig, load_registry
from policywatch.config import load_settings

# Above HttpCompressionMiddleware (590), so pages are stored and checked decompressed; below the retry (550).
CACHE_MIDDLEWARE = "crawlers.middlewares.RevalidatingCacheMiddleware"
CACHE_ORDER = 585
STOCK_CACHE_MIDDLEWARE = "scrapy.downloadermiddlewares.httpcache.HttpCacheMiddleware"
_ROBOTS_REFUSAL = "robots.txt"

Entry = TypeVar("Entry")


def read_known(path: str | None) -> frozenset[str] | None:
    """The native ids in a known-file (a JSON list written by the runner); None: no file, a full walk."""
    if path is None:
        return None
    try:
        ids = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot read the known-documents file {path}: {exc}") from exc
    if not isinstance(ids, list) or not all(isinstance(native_id, str) for native_id in ids):
        raise ValueError(f"{path}: expected a JSON list of native ids")
    return frozenset(ids)


def split_known(
    entries: Sequence[Entry], native_id: Callable[[Entry], str], known: Collection[str] | None
) -> tuple[list[Entry], bool]:
    """The entries of one list page to read, and whether the walk goes on to the next page.

    A full walk (``known`` None) reads everything. An incremental walk reads only entries not yet archived
    and stops after a page whose entries are *all* known: lists are newest first, but a pinned (置顶) old
    entry above new ones must not end the walk, so one known entry never does. A page without entries
    says nothing about what is known; the spider's own end-of-list rules decide.
    """
    if known is None:
        return list(entries), True
    unknown = [entry for entry in entries if native_id(entry) not in known]
    return unknown, bool(unknown) or not entries


class PolicySpider(scrapy.Spider):
    """A spider reads exactly one registry source (``-a source=ID``, default: the spider's name)."""

    source: SourceConfig

    known: frozenset[str] | None
    """Native ids already archived (``-a known=FILE``): the walk is incremental. None: a full walk."""

    def __init__(self, source: str | None = None, known: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._source_id = source or self.name
        self.known = read_known(known)
        self.known_listed = 0

    @classmethod
    def update_settings(cls, settings: Any) -> None:
        """The source's politeness for a hand-run `scrapy crawl` (the runner passes the same with -s)."""
        super().update_settings(settings)
        cls._revalidating_cache(settings)
        sources_file = settings.get("POLICYWATCH_SOURCES")
        try:
            source = load_registry(Path(sources_file) if sources_file else None).get(cls.name)
        except RegistryError:
            return  # the spider reports the unusable registry itself when it starts
        for key, value in source.scrapy_settings().items():
            settings.set(key, value, priority="spider")

    @classmethod
    def _revalidating_cache(cls, settings: Any) -> None:
        """Static pages are fetched conditionally (crawlers.middlewares.RevalidatingPolicy); the runner
        gives each source its own persistent cache folder (HTTPCACHE_DIR), a hand-run crawl gets one too."""
        middlewares = settings.getdict("DOWNLOADER_MIDDLEWARES")
        middlewares.setdefault(CACHE_MIDDLEWARE, CACHE_ORDER)
        middlewares[STOCK_CACHE_MIDDLEWARE] = None  # replaced by the one above, never both
        settings.set("DOWNLOADER_MIDDLEWARES", middlewares, priority="spider")
        defaults = {
            "HTTPCACHE_ENABLED": True,
            "HTTPCACHE_POLICY": "crawlers.middlewares.RevalidatingPolicy",
            "HTTPCACHE_GZIP": True,
            "HTTPCACHE_DIR": str(load_settings().data_dir / "httpcache" / cls.name),
        }
        for key, value in defaults.items():
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
        if failure.check(IgnoreRequest) and _ROBOTS_REFUSAL in failure.getErrorMessage():
            # Not made at all: recorded, so a document the site keeps from robots is visible, not missing.
            self.record_fault(Fault("robots", request.url, f"not fetched: {failure.getErrorMessage()}"))
        elif failure.check(HttpError):
            status = failure.value.response.status
            self.record_fault(Fault("http-error", request.url, f"HTTP {status} after retries"))
        else:
            self.record_fault(Fault("network", request.url, failure.getErrorMessage() or repr(failure.value)))

    def count_item(self) -> None:
        self.items_seen += 1

    def unknown_entries(
        self, entries: Sequence[Entry], native_id: Callable[[Entry], str]
    ) -> tuple[list[Entry], bool]:
        """``split_known`` with this crawl's known ids, counting the entries left out."""
        unknown, go_on = split_known(entries, native_id, self.known)
        self.known_listed += len(entries) - len(unknown)
        return unknown, go_on

    def closed(self, reason: str) -> None:
        # City Bureau's rule: a source that yields nothing is failing, not "nothing new" (unless its lists
        # were read and everything on them is already archived).
        if self.items_seen == 0 and self.known_listed == 0:
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
                known=self.known_listed,
                faults=sum(v for k, v in stats.items() if k.startswith("policywatch/faults/")),
                started_at=started.isoformat() if started else "",
                finished_at=datetime.now(UTC).isoformat(),
                finish_reason=reason,
            )
        )
