"""Incremental, polite crawling without a network: the stop rule, the full-walk decision (and what it reads
from the archive), the registry's ``full_walk_every`` and politeness settings, the revalidating cache
policy."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import formatdate
from pathlib import Path

import pytest
import yaml
from scrapy import Request
from scrapy.http import HtmlResponse, JsonRequest, Response, TextResponse
from scrapy.settings import Settings
from sqlalchemy.engine import Engine

from crawlers.middlewares import RevalidatingPolicy
from crawlers.registry import RegistryError, load_registry, parse_duration
from crawlers.runner import full_walk_due
from crawlers.spiders.base import read_known, split_known
from crawlers.spiders.columns import ShGovSpider
from flows.stages import known_listings, last_full_walk
from storage.archive import sync_sources
from storage.db import session_scope
from storage.models import CrawlRun, Document, Listing
from tests.crawlers.sites import BASE, crawl, make_spider
from tests.site.sh_gov import ShGovPlay

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
PAGE = "<html><body><p>正文</p></body></html>"


def ident(entry: str) -> str:
    return entry


# -- the stop rule --


def test_a_full_walk_reads_every_entry_and_goes_on() -> None:
    assert split_known(["a", "b"], ident, None) == (["a", "b"], True)


def test_a_page_of_known_entries_stops_the_walk() -> None:
    assert split_known(["a", "b"], ident, {"a", "b", "c"}) == ([], False)


def test_new_entries_are_read_and_the_walk_goes_on() -> None:
    assert split_known(["new", "a"], ident, {"a"}) == (["new"], True)


def test_a_pinned_known_entry_above_new_ones_does_not_stop_the_walk() -> None:
    # 置顶: an old document pinned to the top of page 1, the rest of the page new.
    assert split_known(["pinned", "new-1", "new-2"], ident, {"pinned"}) == (["new-1", "new-2"], True)


def test_an_empty_page_leaves_the_end_of_the_list_to_the_spider() -> None:
    assert split_known([], ident, {"a"}) == ([], True)


def test_known_ids_are_read_from_the_runners_file(tmp_path: Path) -> None:
    path = tmp_path / "known.json"
    path.write_text(json.dumps(["0001::x", "nw12344/a.html"]), encoding="utf-8")
    assert read_known(str(path)) == {"0001::x", "nw12344/a.html"}
    assert read_known(None) is None


@pytest.mark.parametrize("content", ["not json", '{"a": 1}', "[1, 2]"])
def test_an_unusable_known_file_is_refused_with_its_name(tmp_path: Path, content: str) -> None:
    path = tmp_path / "known.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match="known"):
        read_known(str(path))


def incremental_spider(tmp_path: Path, known: set[str]) -> ShGovSpider:
    (tmp_path / "again").mkdir()
    spider = make_spider(ShGovSpider, tmp_path / "again", channels=["nw12344"])
    assert isinstance(spider, ShGovSpider)
    spider.known = frozenset(known)
    return spider


def test_an_incremental_column_walk_stops_after_the_first_page_of_known_documents(tmp_path: Path) -> None:
    spider = make_spider(ShGovSpider, tmp_path, channels=["nw12344"])
    full = crawl(spider, ShGovPlay())
    spider = incremental_spider(tmp_path, {item.native_id for item in full.items})
    again = crawl(spider, ShGovPlay())
    assert again.urls() == [f"{BASE}/nw12344/index.html"]
    assert again.items == [] and spider.known_listed == 2


def test_a_new_document_on_page_one_is_read_and_the_walk_goes_on(tmp_path: Path) -> None:
    spider = make_spider(ShGovSpider, tmp_path, channels=["nw12344"])
    full = crawl(spider, ShGovPlay())
    newest = full.items[0].native_id
    spider = incremental_spider(tmp_path, {item.native_id for item in full.items} - {newest})
    again = crawl(spider, ShGovPlay())
    assert [item.native_id for item in again.items] == [newest]
    # Page 2 is read (page 1 was not all known) and, all known, ends the walk before the blind 404.
    assert again.urls() == [
        f"{BASE}/nw12344/index.html",
        f"{BASE}/{newest}",
        f"{BASE}/nw12344/index_2.html",
    ]


def test_a_walk_that_found_only_known_documents_is_not_an_empty_source(tmp_path: Path) -> None:
    full = crawl(make_spider(ShGovSpider, tmp_path, channels=["nw12344"]), ShGovPlay())
    spider = incremental_spider(tmp_path, {item.native_id for item in full.items})
    crawl(spider, ShGovPlay())
    spider.closed("finished")
    output = tmp_path / "again" / "run" / "sh-gov"
    stats = json.loads((output / "stats.json").read_text(encoding="utf-8"))
    assert stats["known"] == 2 and stats["items"] == 0
    assert not (output / "faults.jsonl").exists()


# -- the full-walk decision --


def test_the_first_crawl_of_a_source_is_a_full_walk() -> None:
    assert full_walk_due(None, timedelta(hours=24), NOW)


def test_full_walk_every_zero_makes_every_crawl_a_full_walk() -> None:
    assert full_walk_due(NOW - timedelta(seconds=1), timedelta(0), NOW)


def test_a_recent_full_walk_makes_the_next_crawl_incremental() -> None:
    assert not full_walk_due(NOW - timedelta(hours=2), timedelta(hours=24), NOW)


def test_a_full_walk_older_than_the_interval_is_due_again() -> None:
    assert full_walk_due(NOW - timedelta(hours=25), timedelta(hours=24), NOW)


def test_a_daily_schedule_a_few_minutes_early_still_walks_fully() -> None:
    # Yesterday's full walk was recorded when its crawl ended, 08:04; today's run starts at 08:00.
    assert full_walk_due(NOW - timedelta(hours=23, minutes=56), timedelta(hours=24), NOW)


# -- the registry --


@pytest.mark.parametrize(
    ("value", "expected"),
    [("24h", timedelta(hours=24)), ("90m", timedelta(minutes=90)), ("7d", timedelta(days=7)),
     ("1.5h", timedelta(minutes=90)), ("30s", timedelta(seconds=30)), (0, timedelta(0))],
)  # fmt: skip
def test_full_walk_every_reads_durations(value: str | int, expected: timedelta) -> None:
    assert parse_duration(value) == expected


@pytest.mark.parametrize("value", ["24", "daily", "-1h", 12, True])
def test_an_unreadable_full_walk_every_is_refused_with_the_fix(tmp_path: Path, value: object) -> None:
    sources = tmp_path / "sources.yaml"
    sources.write_text(yaml.safe_dump({"sources": [{"id": "sh-gov", "full_walk_every": value}]}))
    with pytest.raises(RegistryError, match=r"sh-gov.*full_walk_every"):
        load_registry(sources)


def test_sources_walk_fully_once_a_day_unless_told_otherwise(tmp_path: Path) -> None:
    sources = tmp_path / "sources.yaml"
    sources.write_text(yaml.safe_dump({"sources": [{"id": "sh-fgw", "full_walk_every": "6h"}]}))
    registry = load_registry(sources)
    assert registry.get("sh-platform").full_walk_interval == timedelta(hours=24)
    assert registry.get("sh-fgw").full_walk_interval == timedelta(hours=6)


def test_the_registry_delay_is_a_floor_autothrottle_and_jitter_cannot_undercut() -> None:
    source = load_registry().get("sh-platform")
    settings = source.scrapy_settings()
    assert settings["DOWNLOAD_DELAY"] == source.download_delay == settings["AUTOTHROTTLE_START_DELAY"]
    assert settings["DOWNLOAD_DELAY_JITTER"] == 0.0
    assert settings["CONCURRENT_REQUESTS_PER_DOMAIN"] == source.concurrency


def test_autothrottle_may_wait_at_least_as_long_as_a_slow_source_asks(tmp_path: Path) -> None:
    sources = tmp_path / "sources.yaml"
    sources.write_text(yaml.safe_dump({"sources": [{"id": "sh-gov", "download_delay": 90}]}))
    assert load_registry(sources).get("sh-gov").scrapy_settings()["AUTOTHROTTLE_MAX_DELAY"] == 90


# -- the revalidating cache policy --

POLICY = RevalidatingPolicy(Settings({"HTTPCACHE_IGNORE_SCHEMES": ["file"]}))


def page(status: int = 200, body: str = PAGE, **headers: str) -> Response:
    return HtmlResponse(
        f"{BASE}/p.html",
        status=status,
        body=body.encode("utf-8"),
        headers={
            "Content-Type": "text/html; charset=utf-8",
            **{k.replace("_", "-"): v for k, v in headers.items()},
        },
    )


def test_only_get_requests_are_cached() -> None:
    assert POLICY.should_cache_request(Request(f"{BASE}/p.html"))
    assert not POLICY.should_cache_request(JsonRequest(f"{BASE}/gwk/policy/page", data={"pageNo": 1}))


def test_a_complete_page_with_a_validator_is_stored() -> None:
    assert POLICY.should_cache_response(page(ETag='"a"'), Request(f"{BASE}/p.html"))
    assert POLICY.should_cache_response(page(Last_Modified=formatdate(0, usegmt=True)), Request(BASE))


@pytest.mark.parametrize(
    "response",
    [
        page(),  # no validator: nothing to revalidate with
        page(500, ETag='"a"'),
        page(404, ETag='"a"'),
        page(202, "<html><script>$_ts=1</script></html>", ETag='"a"'),  # Ruishu challenge
        page(412, "<html><script>x</script></html>", ETag='"a"'),
        page(200, PAGE, ETag='"a"', Set_Cookie="FSSBBIl1UgzbN7NO=abc"),  # challenge cookie on a 200
        page(200, "<html><body><p>正文被截断", ETag='"a"'),  # cut short
        page(200, PAGE, ETag='"a"', Cache_Control="no-store"),
        page(301, PAGE, ETag='"a"', Cache_Control="max-age=86400"),
    ],
    ids=["no-validator", "500", "404", "202-challenge", "412", "wall-cookie", "truncated", "no-store", "301"],
)
def test_error_challenge_and_incomplete_pages_are_never_stored(response: Response) -> None:
    assert not POLICY.should_cache_response(response, Request(f"{BASE}/p.html"))


@pytest.mark.parametrize(
    "cache_control",
    [None, "no-cache", "max-age=86400", "public, max-age=31536000"],
    ids=["none", "no-cache", "max-age", "a-year"],
)
def test_a_stored_page_is_always_revalidated(cache_control: str | None) -> None:
    # A year-old Last-Modified would make Scrapy's policy serve it unasked for weeks (heuristic freshness).
    headers = {
        "ETag": '"v1"',
        "Last-Modified": "Mon, 01 Jan 2024 00:00:00 GMT",
        "Date": formatdate(usegmt=True),
    }
    if cache_control:
        headers["Cache-Control"] = cache_control
    stored = page(**{k.replace("-", "_"): v for k, v in headers.items()})
    request = Request(f"{BASE}/p.html")
    assert not POLICY.is_cached_response_fresh(stored, request)
    assert request.headers["If-None-Match"] == b'"v1"'
    assert request.headers["If-Modified-Since"] == b"Mon, 01 Jan 2024 00:00:00 GMT"


def test_only_a_304_confirms_a_stored_page() -> None:
    stored, request = page(ETag='"v1"'), Request(f"{BASE}/p.html")
    assert POLICY.is_cached_response_valid(stored, Response(f"{BASE}/p.html", status=304), request)
    for status in (200, 500, 503):  # Scrapy's policy would hand back the stored page on a 5xx
        assert not POLICY.is_cached_response_valid(stored, page(status), request)


def test_a_non_html_download_with_a_validator_is_stored() -> None:
    response = TextResponse(
        f"{BASE}/robots.txt", body=b"User-agent: *", headers={"Content-Type": "text/plain", "ETag": '"r"'}
    )
    assert POLICY.should_cache_response(response, Request(f"{BASE}/robots.txt"))


# -- what the runner reads from the archive --


@pytest.fixture
def archive(engine: Engine) -> Engine:
    with session_scope(engine) as session:
        sync_sources(session, load_registry().sources)
    return engine


def add_listing(engine: Engine, source_id: str, native_id: str, gone: bool = False) -> None:
    with session_scope(engine) as session:
        document = Document(source_id=source_id, native_id=native_id, title=native_id, url=native_id)
        session.add(document)
        session.flush()
        assert document.id is not None
        listing = Listing(
            document_id=document.id, source_id=source_id, native_id=native_id, url="u", title="t"
        )
        listing.gone_at = NOW if gone else None
        session.add(listing)


def add_run(engine: Engine, run_id: str, status: str, full_walk: bool, finished: datetime) -> None:
    with session_scope(engine) as session:
        session.add(
            CrawlRun(
                run_id=run_id, source_id="sh-gov", status=status, full_walk=full_walk, finished_at=finished
            )
        )


def test_known_listings_are_the_sources_own_still_listed_ids(archive: Engine) -> None:
    add_listing(archive, "sh-gov", "nw12344/a.html")
    add_listing(archive, "sh-gov", "nw12344/gone.html", gone=True)
    add_listing(archive, "sh-fgw", "fgw_gfxwj/b.html")
    assert known_listings(archive, "sh-gov") == {"nw12344/a.html"}
    assert known_listings(archive, "putuo") == set()


def test_the_last_full_walk_is_the_latest_completed_one(archive: Engine) -> None:
    assert last_full_walk(archive, "sh-gov") is None
    add_run(archive, "r1", "ok", True, NOW - timedelta(days=3))
    add_run(archive, "r2", "partial", True, NOW - timedelta(days=2))  # read what it could: counts
    add_run(archive, "r3", "failed", True, NOW - timedelta(days=1))  # did not walk: does not count
    add_run(archive, "r4", "ok", False, NOW - timedelta(hours=1))  # incremental: does not count
    add_run(archive, "r5", "crawled", True, NOW)  # not archived yet
    assert last_full_walk(archive, "sh-gov") == NOW - timedelta(days=2)
