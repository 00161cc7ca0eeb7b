"""Run a spider against a site play, in-process or over HTTP, for the tests of the page sources.

In-process, each request is answered by the play (tests/site/) with the bytes, status, Content-Type and
headers the test site would send, and the callbacks run as Scrapy's engine would run them: statuses the
spider does not accept go to its errback, a request already made is dropped (the dupefilter). Over HTTP, a
real ``scrapy crawl`` process (crawlers/runner.py) fetches from the local test site.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import yaml
from scrapy import Request
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.test import get_crawler
from twisted.python.failure import Failure

from crawlers import settings as project_settings
from crawlers.items import PolicyItem
from crawlers.output import CrawlOutput, Fault
from crawlers.registry import load_registry
from crawlers.runner import CrawlResult, run_crawl
from crawlers.spiders.base import PolicySpider
from tests.site import protocol
from tests.site.faults import Fault as SiteFault
from tests.site.pages import FixturePlay
from tests.site.server import TestSite

BASE = "http://policy.test"


def make_spider(cls: type[PolicySpider], tmp_path: Path, **fields: Any) -> PolicySpider:
    """The spider of ``cls.name`` on a registry whose entry is pointed at BASE and changed by ``fields``."""
    sources = tmp_path / "sources.yaml"
    entry = {"id": cls.name, "base_url": BASE, **fields}
    sources.write_text(yaml.safe_dump({"sources": [entry]}, allow_unicode=True), encoding="utf-8")
    settings = {
        "POLICYWATCH_RUN_DIR": str(tmp_path / "run"),
        "POLICYWATCH_SOURCES": str(sources),
        "HTTPERROR_ALLOWED_CODES": project_settings.HTTPERROR_ALLOWED_CODES,
    }
    crawler = get_crawler(cls, settings)
    spider = cls.from_crawler(crawler)
    crawler.spider = spider
    return spider


def response_from(reply: protocol.Response, request: Request) -> Response:
    """What Scrapy makes of the play's answer: the response class its Content-Type selects."""
    headers = Headers({"Content-Type": reply.content_type})
    for name, value in reply.headers:
        headers.appendlist(name, value)
    kind = responsetypes.from_args(headers=headers, url=request.url, body=reply.body)
    request.meta["snapshot_id"] = f"sha-of-{urlsplit(request.url).path}"
    return kind(request.url, status=reply.status, headers=headers, body=reply.body, request=request)


def answer(play: FixturePlay, request: Request, faults: Iterable[SiteFault] = ()) -> Response:
    url = urlsplit(request.url)
    headers = {key.decode().lower(): b", ".join(values).decode() for key, values in request.headers.items()}
    asked = protocol.Request(request.method, url.path, dict(parse_qsl(url.query)), headers, request.body)
    return response_from(play.respond(asked, play.steps[0], tuple(faults)), request)


def served(play: FixturePlay, path: str) -> protocol.Response:
    """What the play answers to a plain GET of ``path`` (raw bytes, as the snapshot store keeps them)."""
    return play.respond(protocol.Request("GET", path, {}, {}, b""), play.steps[0], ())


def negative(play: FixturePlay, name: str, url: str, **request: Any) -> Response:
    """A negative fixture as the answer to a request for ``url``."""
    return response_from(play.bad(name), Request(url, **request))


@dataclass
class Crawl:
    items: list[PolicyItem]
    requests: list[Request]

    def urls(self) -> list[str]:
        return [request.url for request in self.requests]

    def item(self, native_id: str) -> PolicyItem:
        return next(item for item in self.items if item.native_id == native_id)


def crawl(spider: PolicySpider, play: FixturePlay, faults: Iterable[SiteFault] = ()) -> Crawl:
    async def first() -> list[Request]:
        return [request async for request in spider.start()]

    queue, seen, done = deque(asyncio.run(first())), set(), Crawl([], [])
    allowed = set(spider.settings.getlist("HTTPERROR_ALLOWED_CODES"))
    while queue:
        request = queue.popleft()
        if (request.method, request.url, request.body) in seen:
            continue
        seen.add((request.method, request.url, request.body))
        done.requests.append(request)
        response = answer(play, request, faults)
        handled = allowed | set(request.meta.get("handle_httpstatus_list", []))
        if 200 <= response.status < 300 or response.status in handled:
            results = request.callback(response, **request.cb_kwargs) or []
        else:
            failure = Failure(HttpError(response, "not handled"))
            failure.request = request  # type: ignore[attr-defined]
            request.errback(failure)
            results = []
        for result in results:
            (queue.append if isinstance(result, Request) else done.items.append)(result)
    return done


def faults_of(spider: PolicySpider) -> list[Fault]:
    return CrawlOutput(Path(spider.settings["POLICYWATCH_RUN_DIR"]) / spider.source.id).faults()


def kinds(spider: PolicySpider) -> list[str]:
    return [fault.kind for fault in faults_of(spider)]


def crawl_over_http(
    play: FixturePlay, source_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **fields: Any
) -> CrawlResult:
    """One real ``scrapy crawl`` of ``source_id`` against the play on the local test site."""
    monkeypatch.setenv("POLICYWATCH_DATA_DIR", str(tmp_path / "data"))
    with TestSite(play) as site:
        return crawl_site(site, source_id, tmp_path, **fields)


def crawl_site(
    site: TestSite,
    source_id: str,
    tmp_path: Path,
    *,
    run: str = "runs",
    known: Iterable[str] | None = None,
    **fields: Any,
) -> CrawlResult:
    """A real ``scrapy crawl`` against a running site, into ``tmp_path/run``; ``known`` makes it
    incremental. The data dir (snapshots, HTTP cache) is the environment's, so crawls can follow each other.
    """
    sources = tmp_path / "sources.yaml"
    # Retries as in production (a dropped local connection is retried), without the long back-off.
    entry = {"id": source_id, "base_url": site.base_url, "download_delay": 0.0, "retry_backoff": 0.1}
    entry |= fields
    sources.write_text(yaml.safe_dump({"sources": [entry]}, allow_unicode=True), encoding="utf-8")
    source = load_registry(sources).get(source_id)
    return run_crawl(
        source,
        tmp_path / run,
        sources_file=sources,
        timeout_s=120,
        known=None if known is None else set(known),
    )
