"""Downloader middlewares: keep every raw response, and retry with back-off instead of hammering."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Response

from crawlers.output import FETCHES, CrawlOutput
from storage.snapshots import SnapshotStore

_MAX_LOGGED_REQUEST_BODY = 4096


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
        sha256 = self.store.put(response.body)
        headers = {
            key.decode("latin-1"): b", ".join(values).decode("latin-1")
            for key, values in response.headers.items()
        }
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
