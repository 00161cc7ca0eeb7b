"""sh-fgw, 上海市发展和改革委员会 fgw.sh.gov.cn, field by field on the sh-fgw play's pages.

Fixtures: tests/fixtures/sh-fgw (built by its build.py from sites.md §4.1 and corpus texts).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from crawlers.items import PolicyItem
from crawlers.spiders.columns import ShFgwSpider, replay_item
from tests.crawlers.sites import BASE, Crawl, answer, crawl, faults_of, kinds, make_spider, negative, served
from tests.site.faults import Fault
from tests.site.sh_fgw import ShFgwPlay

PLAY = ShFgwPlay()
EXTENSION = "fgw_gfxwj/20260805/2d533e75ccf274a98864d962decf4076.html"  # 沪发改规范〔2026〕5号
REVISION = "fgw_gfxwj/20210830/993cc51f70abd21d26c823f57630d63a.html"  # 沪发改规范〔2021〕9号, on page 2


@pytest.fixture
def spider(tmp_path: Path) -> ShFgwSpider:
    return make_spider(ShFgwSpider, tmp_path, channels=["fgw_gfxwj"])  # type: ignore[return-value]


@pytest.fixture
def crawled(spider: ShFgwSpider) -> Crawl:
    return crawl(spider, PLAY)


@pytest.fixture
def revision(crawled: Crawl) -> PolicyItem:
    return crawled.item(REVISION)


# -- requests and paging ---------------------------------------------------------------------------------


def test_pages_are_walked_up_to_the_stated_total_page(crawled: Crawl) -> None:
    pages = [url for url in crawled.urls() if "/index" in url]
    assert pages == [f"{BASE}/fgw_gfxwj/index.html", f"{BASE}/fgw_gfxwj/index_2.html"]


def test_a_page_within_the_stated_count_must_exist(spider: ShFgwSpider) -> None:
    assert "handle_httpstatus_list" not in spider.list_request("fgw_gfxwj", 2).meta


def test_absolute_http_links_are_fetched_through_base_url(spider: ShFgwSpider) -> None:
    page = spider.list_request("fgw_gfxwj", 1)
    requests = list(spider.parse_list(answer(PLAY, page), **page.cb_kwargs))
    assert requests[0].url == f"{BASE}/{EXTENSION}"


def test_every_listed_document_becomes_one_item(spider: ShFgwSpider, crawled: Crawl) -> None:
    assert (len(crawled.items), kinds(spider)) == (4, [])


# -- fields, one test each -------------------------------------------------------------------------------


def test_native_id_is_the_path_of_the_listed_link(revision: PolicyItem) -> None:
    assert revision.native_id == REVISION


def test_url_is_the_detail_page_on_base_url(revision: PolicyItem) -> None:
    assert revision.url == f"{BASE}/{REVISION}"


def test_title_is_the_article_title_meta(revision: PolicyItem) -> None:
    assert revision.title == "关于修订《上海市共有产权保障住房价格管理办法》的通知"


def test_published_is_the_pubdate_meta(revision: PolicyItem) -> None:
    assert revision.published == "2021-08-30 05:09:22"


def test_agency_is_the_content_source_meta(revision: PolicyItem) -> None:
    assert revision.agency == "上海市发展和改革委员会"


def test_list_date_is_read_without_its_label(revision: PolicyItem) -> None:
    assert revision.record["list"]["date"] == "2021-08-30"


def test_body_html_is_the_ivs_content_container(revision: PolicyItem) -> None:
    assert revision.body_html.startswith('<div id="ivs_content"')
    assert "沪发改规范〔2021〕9号" in revision.body_html


def test_attachments_on_the_site_are_rebased_on_base_url(revision: PolicyItem) -> None:
    (attachment,) = revision.record["attachments"]
    assert attachment["url"].startswith(f"{BASE}/cmsres/") and attachment["url"].endswith(".pdf")
    assert attachment["name"] == "关于修订《上海市共有产权保障住房价格管理办法》的通知.pdf"


def test_snapshot_ids_name_the_second_list_page_then_detail_then_attachment(revision: PolicyItem) -> None:
    attachment = "sha-of-/cmsres/fa/fa12c86fb885e607e814362c5f4ca586/94fcc5186de1ad2d0c7c2a35828c28c7.pdf"
    assert revision.snapshot_ids == ["sha-of-/fgw_gfxwj/index_2.html", f"sha-of-/{REVISION}", attachment]


def test_replay_from_raw_snapshots_gives_the_same_item(spider: ShFgwSpider, revision: PolicyItem) -> None:
    bodies = [served(PLAY, "/fgw_gfxwj/index_2.html").body, served(PLAY, f"/{REVISION}").body]
    assert replay_item(spider.source, REVISION, bodies, revision.snapshot_ids) == revision


# -- what must never become a document -------------------------------------------------------------------


def test_a_renamed_list_is_layout_drift_not_an_empty_column(spider: ShFgwSpider) -> None:
    response = negative(PLAY, "layout_changed", f"{BASE}/fgw_gfxwj/index.html")
    assert list(spider.parse_list(response, column="fgw_gfxwj", page=1)) == []
    (fault,) = faults_of(spider)
    assert fault.kind == "layout" and "ul.zzwj-list.trout-region-list > li" in fault.detail


def test_a_detail_cut_in_half_is_a_fault_and_no_item(spider: ShFgwSpider) -> None:
    result = crawl(spider, PLAY, faults=[Fault("truncated", business_id=REVISION)])
    assert REVISION not in [item.native_id for item in result.items]
    assert kinds(spider) == ["truncated"]


def test_a_detail_behind_a_412_challenge_is_a_fault_and_no_item(spider: ShFgwSpider) -> None:
    result = crawl(spider, PLAY, faults=[Fault("412", business_id=REVISION)])
    assert (len(result.items), kinds(spider)) == (3, ["challenge"])
