"""Incremental, polite crawling over HTTP: real ``scrapy crawl`` processes against the local test site.

Static pages are revalidated (the site answers 304), list walks stop at archived documents, robots.txt is
obeyed and the registry's delay holds between requests. The sites are the sh-gov and sh-fgw plays, the
platform play and the Pudong affair-API play (tests/site/).
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from bench import bench_crawl_requests
from crawlers.registry import load_registry
from crawlers.runner import CrawlResult
from flows.stages import archive_crawl, known_listings
from storage.archive import sync_sources
from storage.db import session_scope
from storage.models import Change, CrawlRun, Fetch, Version
from storage.snapshots import SnapshotStore
from tests.crawlers.sites import crawl_site
from tests.site import sh_fgw, sh_gov
from tests.site.platform import PlatformPlay, documents
from tests.site.protocol import EditedPlay, RecordedRequest
from tests.site.pudong import PudongPlay
from tests.site.server import TestSite

# Columns with fixtures: sh-gov is walked blind (to the 404 after its last page), sh-fgw states totalPage.
STATIC = {
    "sh-gov": (sh_gov.ShGovPlay, sh_gov.EDIT, ["nw12344", "nw42944"]),
    "sh-fgw": (sh_fgw.ShFgwPlay, sh_fgw.EDIT, ["fgw_gfxwj"]),
}


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """One data dir (snapshots, HTTP cache) shared by the crawls of a test, as for a user's runs."""
    monkeypatch.setenv("POLICYWATCH_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def conditional(request: RecordedRequest) -> bool:
    return "if-none-match" in request.headers or "if-modified-since" in request.headers


def asked(site: TestSite) -> list[RecordedRequest]:
    """What the site received since the last reset, robots.txt left out."""
    return [request for request in site.requests if request.path != "/robots.txt"]


def crawl(site: TestSite, source_id: str, tmp_path: Path, run: str, **kwargs: object) -> CrawlResult:
    site.reset_requests()
    result = crawl_site(site, source_id, tmp_path, run=run, **kwargs)  # type: ignore[arg-type]
    assert result.completed, result.faults
    return result


@pytest.fixture(params=sorted(STATIC))
def static(request: pytest.FixtureRequest) -> Iterator[tuple[str, TestSite, list[str]]]:
    play, edit, channels = STATIC[request.param]
    with TestSite(EditedPlay(play(), edit)) as site:
        yield request.param, site, channels


def test_unchanged_static_pages_are_only_revalidated_and_an_edit_is_fetched_again(
    static: tuple[str, TestSite, list[str]], engine: Engine, tmp_path: Path, data_dir: Path
) -> None:
    source_id, site, channels = static
    edited = STATIC[source_id][1].path
    store = SnapshotStore(data_dir / "snapshots")

    first = crawl(site, source_id, tmp_path, "run-1", channels=channels)
    first_requests = asked(site)
    registry = load_registry(tmp_path / "sources.yaml")
    with session_scope(engine) as session:
        sync_sources(session, registry.sources)
    report = archive_crawl(engine, registry, first, run_id="run-1", store=store)
    assert report.status == "ok" and report.new == len(first.output.items()) > 0
    assert not any(conditional(request) for request in first_requests)

    # Run 2, incremental (the last full walk is fresh): each column's first page, revalidated, ends it.
    known = known_listings(engine, source_id)
    second = crawl(site, source_id, tmp_path, "run-2", channels=channels, known=known)
    second_requests = asked(site)
    assert second_requests and all(conditional(r) and r.status == 304 for r in second_requests)
    assert sorted(r.path for r in second_requests) == sorted(f"/{column}/index.html" for column in channels)
    versions = count(engine, Version)
    report = archive_crawl(engine, registry, second, run_id="run-2", store=store)
    assert (report.status, report.items, report.new, report.amended) == ("ok", 0, 0, 0)
    assert not report.full_walk and count(engine, Version) == versions

    # The 304s are in the fetch table with the validators that were sent.
    with session_scope(engine) as session:
        run = session.exec(select(CrawlRun).where(CrawlRun.run_id == "run-2")).one()
        assert run.full_walk is False
        fetches = session.exec(select(Fetch).where(Fetch.crawl_run_id == run.id)).all()
    not_modified = [fetch for fetch in fetches if fetch.status == 304]
    assert len(not_modified) == len(channels)
    for fetch in not_modified:
        assert (fetch.size, fetch.sha256) == (0, "")
        headers = {name.lower(): value for name, value in fetch.headers.items()}
        assert headers["if-none-match"] == headers["etag"]
        assert headers["if-modified-since"] == headers["last-modified"]

    # Run 3, a full walk after one page was edited in place: everything revalidated, that page fetched.
    site.set_step("2-edited")
    third = crawl(site, source_id, tmp_path, "run-3", channels=channels)
    third_requests = asked(site)
    downloaded = [r.path for r in third_requests if r.status == 200]
    assert downloaded == [edited]
    assert all(conditional(r) for r in third_requests if r.status in (200, 304))
    report = archive_crawl(engine, registry, third, run_id="run-3", store=store)
    assert (report.status, report.new, report.amended) == ("ok", 0, 1)
    assert report.full_walk
    with session_scope(engine) as session:
        assert [c.kind for c in session.exec(select(Change).where(Change.kind == "amended")).all()] == [
            "amended"
        ]

    # Items of revalidated pages name the snapshot of the body they were parsed from (the stored page).
    earlier = {item.native_id: item.snapshot_ids for item in first.output.items()}
    for item in third.output.items():
        detail = item.snapshot_ids[-1]
        assert hashlib.sha256(store.get(detail)).hexdigest() == detail
        if item.url.endswith(edited):
            assert detail != earlier[item.native_id][-1]
        else:
            assert detail == earlier[item.native_id][-1]


def count(engine: Engine, table: type) -> int:
    with session_scope(engine) as session:
        return len(session.exec(select(table)).all())


# -- Cache-Control and servers without validators --


@pytest.mark.parametrize("cache_control", ["no-cache", "max-age=86400", "public, max-age=31536000"])
def test_a_page_the_server_calls_fresh_is_still_revalidated(cache_control: str, tmp_path: Path) -> None:
    with TestSite(sh_fgw.ShFgwPlay(), cache_control=cache_control) as site:
        crawl(site, "sh-fgw", tmp_path, "run-1", channels=["fgw_gfxwj"])
        first = [r.path for r in asked(site)]
        crawl(site, "sh-fgw", tmp_path, "run-2", channels=["fgw_gfxwj"])
        second = asked(site)
    # Every page of the full walk was asked again (none served unasked from the cache), conditionally.
    assert sorted(r.path for r in second) == sorted(first)
    assert all(conditional(r) and r.status == 304 for r in second)


def test_without_validators_nothing_is_stored_and_every_page_is_fetched_again(tmp_path: Path) -> None:
    with TestSite(sh_fgw.ShFgwPlay(), validators=False) as site:
        first = crawl(site, "sh-fgw", tmp_path, "run-1", channels=["fgw_gfxwj"])
        crawl(site, "sh-fgw", tmp_path, "run-2", channels=["fgw_gfxwj"])
        second = asked(site)
    assert len(second) == first.stats.requests - 1  # robots.txt left out
    assert not any(conditional(r) for r in second) and {r.status for r in second} == {200}


# -- robots.txt --


def test_a_path_robots_txt_disallows_is_not_fetched_and_shows_as_a_fault(tmp_path: Path) -> None:
    disallowed = "/fgw_gfxwj/20240205/"
    with TestSite(sh_fgw.ShFgwPlay(), robots=f"User-agent: *\nDisallow: {disallowed}\n") as site:
        result = crawl(site, "sh-fgw", tmp_path, "run-1", channels=["fgw_gfxwj"])
        paths = [r.path for r in site.requests]
    assert paths[0] == "/robots.txt"
    assert not [path for path in paths if path.startswith(disallowed)]
    robots = [fault for fault in result.faults if fault.kind == "robots"]
    assert [fault.url.split("/", 3)[3] for fault in robots] == [sh_fgw.EDIT.path.lstrip("/")]
    assert len(result.output.items()) == 3  # the other documents of the column


def test_no_robots_txt_means_everything_is_allowed(tmp_path: Path) -> None:
    with TestSite(sh_fgw.ShFgwPlay()) as site:
        result = crawl(site, "sh-fgw", tmp_path, "run-1", channels=["fgw_gfxwj"])
        robots = [r.status for r in site.requests if r.path == "/robots.txt"]
    assert robots == [404]
    assert not result.faults and len(result.output.items()) == 4


# -- list APIs: the incremental walk stops at archived documents --


def list_requests(site: TestSite, path: str) -> list[RecordedRequest]:
    return [r for r in site.requests if r.path == path]


def test_the_platform_walk_of_a_site_stops_after_a_page_of_known_documents(tmp_path: Path) -> None:
    site_ids = ["0001", "0070"]
    newest = next(doc for doc in documents() if doc["siteId"] == "0070")
    with TestSite(PlatformPlay()) as site:
        first = crawl(site, "sh-platform", tmp_path, "run-1", site_ids=site_ids, page_size=1)
        known = {item.native_id for item in first.output.items()} - {f"0070::{newest['businessId']}"}
        assert len(known) == 3
        second = crawl(site, "sh-platform", tmp_path, "run-2", site_ids=site_ids, page_size=1, known=known)
        pages = [(r.json["siteIdList"][0], r.json["pageNo"]) for r in list_requests(site, "/gwk/policy/page")]
        details = [r.json["businessId"] for r in list_requests(site, "/gwk/policy/detail")]
    # 0070 lists 3 documents, one a page: page 1 has the new one, page 2 only a known one, page 3 is not read.
    assert sorted(pages) == [("0001", 1), ("0070", 1), ("0070", 2)]
    assert details == [newest["businessId"]]
    assert [item.native_id for item in second.output.items()] == [f"0070::{newest['businessId']}"]
    assert second.stats.known == 2 and not second.full_walk and not second.faults


def test_the_affair_api_walk_stops_after_a_page_of_known_documents(tmp_path: Path) -> None:
    with TestSite(PudongPlay()) as site:
        first = crawl(site, "pudong", tmp_path, "run-1", page_size=1)
        items = first.output.items()
        assert len(items) == 3
        newest = items[0].native_id  # the first record of page 1: its detail was asked first
        pages_1 = [r.json["pageNo"] for r in list_requests(site, "/zwgk-search-front/api/data/affair")]
        known = {item.native_id for item in items} - {newest}
        second = crawl(site, "pudong", tmp_path, "run-2", page_size=1, known=known)
        pages_2 = [r.json["pageNo"] for r in list_requests(site, "/zwgk-search-front/api/data/affair")]
        details = [r.path for r in site.requests if r.method == "GET" and r.path != "/robots.txt"]
    assert pages_1[:3] == [1, 2, 3]
    assert pages_2 == [1, 2]
    assert details == [f"/{newest}"]
    assert [item.native_id for item in second.output.items()] == [newest]
    assert second.stats.known == 1 and not second.full_walk


# -- politeness --


def test_requests_to_a_host_keep_the_registry_delay(tmp_path: Path) -> None:
    with TestSite(sh_fgw.ShFgwPlay()) as site:
        crawl(site, "sh-fgw", tmp_path, "run-1", channels=["fgw_gfxwj"], download_delay=0.4)
        arrivals = [r.time for r in site.requests]
    gaps = [later - earlier for earlier, later in itertools.pairwise(arrivals)]
    assert len(gaps) >= 5 and min(gaps) >= 0.38  # no jitter below the delay, one request at a time


def test_the_request_bench_counts_first_unchanged_and_edited_runs(tmp_path: Path) -> None:
    case = next(case for case in bench_crawl_requests.CASES if case.source_id == "sh-fgw")
    rows = bench_crawl_requests.bench_source(case, tmp_path)
    # robots.txt (404) is one of the requests of each run; the edited page is the only body of run 4.
    assert [(r.run, r.full_walk, r.requests, r.not_modified, r.downloaded) for r in rows] == [
        ("1 first", True, 8, 0, 7),
        ("2 unchanged", False, 2, 1, 0),
        ("3 unchanged", True, 8, 7, 0),
        ("4 one page edited", True, 8, 6, 1),
    ]
