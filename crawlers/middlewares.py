"""Downloader middlewares: keep every raw response, revalidate stored pages, retry with back-off."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.httpcache import HttpCacheMiddleware
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.extensions.httpcache import RFC2616Policy
from scrapy.http import Response

from crawlers.guards import challenge_fault, page_fault
from crawlers.output import FETCHES, CrawlOutput
from storage.snapshots import SnapshotStore

_MAX_LOGGED_REQUEST_BODY = 4096
# The request headers that make an exchange conditional.
CONDITIONAL_HEADERS = ("If-None-Match", "If-Modified-Since")


def crawl_output(crawler: Crawler) -> CrawlOutput:
    """The hand-over folder of the running crawl: <run dir>/<source id>."""
    spider = crawler.spider
    source_id = getattr(getattr(spider, "source", None), "id", None) or getattr(spider, "name", "unknown")
    return CrawlOutput(Path(crawler.settings["POLICYWATCH_RUN_DIR"]) / source_id)


class RawSnapshotMiddleware:
    """Stores each response body in the snapshot store and logs the exchange before anything parses it.

    It sits next to the downloader, so it also sees responses that are later retried or rejected:
    nothing a crawl fetched is lost. The snapshot id travels to the callback in ``meta["snapshot_id"]``.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.store = SnapshotStore(Path(crawler.settings["POLICYWATCH_SNAPSHOTS_DIR"]))
        self.seq = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def _log(self, request: Request, **fields: Any) -> None:
        self.seq += 1
        body = request.body.decode("utf-8", "replace") if request.body else None
        crawl_output(self.crawler).append(
            FETCHES,
            {
                "seq": self.seq,
                "method": request.method,
                "url": request.url,
                "request_body": body[:_MAX_LOGGED_REQUEST_BODY] if body else None,
                "fetched_at": datetime.now(UTC).isoformat(),
                **fields,
            },
        )

    def process_response(self, request: Request, response: Response) -> Response:
        headers = {
            key.decode("latin-1"): b", ".join(values).decode("latin-1")
            for key, values in response.headers.items()
        }
        # The validators the request sent, under their own (request-only) names: with the response's ETag
        # and Last-Modified they show why the server answered 304.
        headers |= {
            name: value.decode("latin-1")
            for name in CONDITIONAL_HEADERS
            if (value := request.headers.get(name))
        }
        if response.status == 304:
            # "Not modified" has no body of its own: the cache middleware above hands the spider the stored
            # page and names its snapshot (RevalidatingCacheMiddleware).
            self._log(request, status=304, headers=headers, sha256=None, size=0)
            return response
        sha256 = self.store.put(response.body)
        self._log(request, status=response.status, headers=headers, sha256=sha256, size=len(response.body))
        request.meta["snapshot_id"] = sha256
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        self._log(request, status=0, headers={}, sha256=None, size=0, error=repr(exception))


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retry, but each retry waits ``RETRY_BACKOFF_BASE * 2**n`` seconds (capped) first."""

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self.backoff_base = settings.getfloat("RETRY_BACKOFF_BASE", 2.0)
        self.backoff_max = settings.getfloat("RETRY_BACKOFF_MAX", 60.0)

    async def _wait(self, result: Request | Response | None) -> None:
        if isinstance(result, Request):
            attempt = result.meta.get("retry_times", 1)
            await asyncio.sleep(min(self.backoff_base * 2 ** (attempt - 1), self.backoff_max))

    async def process_response(self, request: Request, response: Response) -> Request | Response:  # type: ignore[override]
        result = super().process_response(request, response)
        await self._wait(result)
        return result

    async def process_exception(self, request: Request, exception: Exception) -> Request | Response | None:  # type: ignore[override]
        result = super().process_exception(request, exception)
        await self._wait(result)
        return result


class RevalidatingPolicy(RFC2616Policy):
    """RFC 2616 caching that only ever saves bandwidth, never freshness: a stored page is always
    revalidated (``If-None-Match`` / ``If-Modified-Since``) and used only on a 304.

    Scrapy's policy would serve a page without asking while its ``max-age`` or the Last-Modified heuristic
    (a tenth of its age) says it is fresh, and the stored page when the server answers 5xx. Only complete
    ``GET`` pages with a validator are stored: never POST list APIs, error or challenge pages, or a page
    cut short (a 304 would keep handing it back).
    """

    def should_cache_request(self, request: Request) -> bool:
        return request.method == "GET" and super().should_cache_request(request)

    def should_cache_response(self, response: Response, request: Request) -> bool:
        if response.status != 200 or b"no-store" in self._parse_cachecontrol(response):
            return False
        if b"ETag" not in response.headers and b"Last-Modified" not in response.headers:
            return False  # nothing to revalidate with
        if challenge_fault(response) is not None:
            return False
        is_html = (response.headers.get(b"Content-Type") or b"").lower().startswith(b"text/html")
        return not is_html or page_fault(response) is None

    def is_cached_response_fresh(self, cachedresponse: Response, request: Request) -> bool:
        self._set_conditional_validators(request, cachedresponse)
        return False

    def is_cached_response_valid(
        self, cachedresponse: Response, response: Response, request: Request
    ) -> bool:
        return response.status == 304


class RevalidatingCacheMiddleware(HttpCacheMiddleware):
    """Scrapy's HTTP cache (with ``RevalidatingPolicy``) that names the snapshot of a revalidated page.

    On a 304 the spider gets the stored page (status 200, ``"cached"`` in its flags); its snapshot id is
    the sha256 of that body, which the snapshot store already holds (put again, in case it was pruned). A
    download error never falls back to the stored page: it goes to the retry and the errback like any.
    """

    def __init__(self, settings: Any, stats: Any, store: SnapshotStore) -> None:
        super().__init__(settings, stats)
        self.store = store

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        store = SnapshotStore(Path(crawler.settings["POLICYWATCH_SNAPSHOTS_DIR"]))
        middleware = cls(crawler.settings, crawler.stats, store)
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        middleware.crawler = crawler
        return middleware

    def process_response(self, request: Request, response: Response) -> Request | Response:  # type: ignore[override]
        result = super().process_response(request, response)
        if isinstance(result, Response) and result is not response and "cached" in result.flags:
            request.meta["snapshot_id"] = self.store.put(result.body)
        return result

    def process_exception(self, request: Request, exception: Exception) -> None:  # type: ignore[override]
        request.meta.pop("cached_response", None)
