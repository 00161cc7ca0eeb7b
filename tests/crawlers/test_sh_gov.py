"""sh-gov, the legacy policy columns of www.shanghai.gov.cn, field by field on the sh-gov play's pages.

Fixtures: tests/fixtures/sh-gov (built by its build.py from sites.md §1.1/§1.2 and corpus texts).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from crawlers.items import PolicyItem
from crawlers.registry import load_registry
from crawlers.spiders.columns import ShGovSpider, replay_item
from normalise.html import html_to_text
from storage.snapshots import SnapshotStore
from tests.crawlers.sites import (
    BASE,
    Crawl,
    answer,
    crawl,
    crawl_over_http,
    faults_of,
    kinds,
    make_spider,
    negative,
    served,
)
from tests.site.faults import Fault
from tests.site.sh_gov import ShGovPlay

PLAY = ShGovPlay()
MAINTENANCE = "nw12344/20250117/fb5452777e7d1309a4a6bba249a62aea.html"  # 沪府规〔2025〕1号
RIVERS = "nw12344/20230128/af3db584871d87b5e50b5389102f4ac2.html"  # 沪府办规〔2023〕5号
TENANCY = "nw12344/20200813/0001-12344_63071.html"  # 沪房规范〔2019〕3号, the gb2312 page
PROPERTY_TAX = "nw42944/20181205/7bfb9c862ba9dc26252fadd83e2149e6.html"  # 沪府规〔2018〕23号


@pytest.fixture
def spider(tmp_path: Path) -> ShGovSpider:
    return make_spider(ShGovSpider, tmp_path, channels=["nw12344", "nw42944"])  # type: ignore[return-value]


@pytest.fixture
def crawled(spider: ShGovSpider) -> Crawl:
    return crawl(spider, PLAY)


@pytest.fixture
def maintenance(crawled: Crawl) -> PolicyItem:
    return crawled.item(MAINTENANCE)


@pytest.fixture
def tenancy(crawled: Crawl) -> PolicyItem:
    return crawled.item(TENANCY)


# -- requests and paging ----------------------------------------------------------------------------


def test_each_column_starts_at_its_index_page_on_base_url(crawled: Crawl) -> None:
    assert crawled.urls()[0] == f"{BASE}/nw12344/index.html"
    assert f"{BASE}/nw42944/index.html" in crawled.urls()


def test_a_column_is_walked_until_the_site_answers_404(crawled: Crawl) -> None:
    pages = [url for url in crawled.urls() if "/nw12344/index" in url]
    assert pages == [f"{BASE}/nw12344/{page}" for page in ("index.html", "index_2.html", "index_3.html")]


def test_the_404_after_the_last_page_is_no_fault(spider: ShGovSpider, crawled: Crawl) -> None:
    assert kinds(spider) == []


def test_every_listed_document_becomes_one_item(crawled: Crawl) -> None:
    documents = sorted([MAINTENANCE, RIVERS, TENANCY, PROPERTY_TAX])
    assert sorted(item.native_id for item in crawled.items) == documents


def test_list_page_yields_its_documents_in_page_order_then_the_next_page(spider: ShGovSpider) -> None:
    page = spider.list_request("nw12344", 1)
    requests = list(spider.parse_list(answer(PLAY, page), **page.cb_kwargs))
    expected = [MAINTENANCE, RIVERS, "nw12344/index_2.html"]
    assert [r.url for r in requests] == [f"{BASE}/{path}" for path in expected]
    assert requests[-1].meta["handle_httpstatus_list"] == [404]


# -- fields, one test each --------------------------------------------------------------------------


def test_native_id_is_the_detail_path(maintenance: PolicyItem) -> None:
    assert maintenance.native_id == MAINTENANCE


def test_url_is_the_detail_page_on_base_url(maintenance: PolicyItem) -> None:
    assert maintenance.url == f"{BASE}/{MAINTENANCE}"


def test_title_is_the_article_title_meta(maintenance: PolicyItem) -> None:
    assert maintenance.title == (
        "上海市人民政府关于批转市住房城乡建设管理委、市财政局修订的《上海市市级城市维护项目管理办法》的通知"
    )


def test_published_is_the_pubdate_meta(maintenance: PolicyItem) -> None:
    assert maintenance.published == "2025-01-17 16:20:05"


def test_agency_is_the_content_source_meta(maintenance: PolicyItem) -> None:
    assert maintenance.agency == "上海市人民政府"


def test_no_doc_number_without_a_labelled_header(maintenance: PolicyItem) -> None:
    assert maintenance.doc_number is None  # the normaliser reads it from the body's first line


def test_body_html_is_the_ivs_content_container(maintenance: PolicyItem) -> None:
    container = '<div id="ivs_content" class="Article_content trout-region-content">'
    assert maintenance.body_html.startswith(container)
    assert '<p style="text-align: center;">沪府规〔2025〕1号</p>' in maintenance.body_html
    assert "newsbox" not in maintenance.body_html


def test_record_keeps_the_list_entry(maintenance: PolicyItem) -> None:
    assert maintenance.record["list"] == {
        "path": MAINTENANCE,
        "title": maintenance.title,
        "date": "2025-01-17",
    }


def test_snapshot_ids_name_list_page_then_detail(maintenance: PolicyItem) -> None:
    assert maintenance.snapshot_ids == ["sha-of-/nw12344/index.html", f"sha-of-/{MAINTENANCE}"]


def test_status_is_not_stated_by_these_pages(maintenance: PolicyItem) -> None:
    assert maintenance.status is None


# -- the gb2312 page: GBK bytes, decoded from its Content-Type --------------------------------------


def test_gb2312_fixture_is_served_as_gbk_bytes_with_its_content_type() -> None:
    reply = served(PLAY, f"/{TENANCY}")
    assert reply.content_type == "text/html; charset=gb2312"
    assert "安臵房".encode("gbk") in reply.body
    with pytest.raises(UnicodeDecodeError):
        reply.body.decode("utf-8")


def test_gb2312_page_body_keeps_the_gbk_only_character(tenancy: PolicyItem) -> None:
    assert "安臵房" in html_to_text(tenancy.body_html)


def test_gb2312_page_title_comes_from_the_list(tenancy: PolicyItem) -> None:
    assert tenancy.title == "关于印发《关于公有居住房屋变更、分列租赁户名的若干规定》的通知"


def test_gb2312_page_published_comes_from_the_list_date(tenancy: PolicyItem) -> None:
    assert tenancy.published == "2019-08-15"


# -- re-derivation from raw snapshots ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("native_id", "list_path"), [(MAINTENANCE, "/nw12344/index.html"), (TENANCY, "/nw12344/index_2.html")]
)
def test_replay_from_raw_snapshots_gives_the_same_item(
    spider: ShGovSpider, crawled: Crawl, native_id: str, list_path: str
) -> None:
    item = crawled.item(native_id)
    bodies = [served(PLAY, list_path).body, served(PLAY, f"/{native_id}").body]
    assert replay_item(spider.source, native_id, bodies, item.snapshot_ids) == item


# -- what must never become a document --------------------------------------------------------------


def test_forbidden_is_an_access_fault(spider: ShGovSpider) -> None:
    response = negative(PLAY, "forbidden", f"{BASE}/nw12344/index.html")
    assert list(spider.parse_list(response, column="nw12344", page=1)) == []
    assert kinds(spider) == ["http-error"]


def test_a_list_page_listing_nothing_is_a_layout_fault(spider: ShGovSpider) -> None:
    response = negative(PLAY, "empty_list", f"{BASE}/nw12344/index.html")
    assert list(spider.parse_list(response, column="nw12344", page=1)) == []
    (fault,) = faults_of(spider)
    assert fault.kind == "layout" and "matched 0 times, expected at least 1" in fault.detail


def test_a_detail_page_without_body_is_a_layout_fault(spider: ShGovSpider) -> None:
    response = negative(PLAY, "detail_without_body", f"{BASE}/{RIVERS}")
    assert list(spider.parse_detail(response, entry={"path": RIVERS}, list_snapshot="x")) == []
    assert kinds(spider) == ["layout"]


def test_a_detail_page_cut_short_is_a_truncation_fault(spider: ShGovSpider) -> None:
    response = negative(PLAY, "truncated_detail", f"{BASE}/{RIVERS}")
    assert list(spider.parse_detail(response, entry={"path": RIVERS}, list_snapshot="x")) == []
    assert kinds(spider) == ["truncated"]


def test_a_challenge_instead_of_a_list_is_recorded_with_its_evidence(spider: ShGovSpider) -> None:
    result = crawl(spider, PLAY, faults=[Fault("challenge", site_id="nw42944")])
    assert PROPERTY_TAX not in [item.native_id for item in result.items]
    (fault,) = faults_of(spider)
    assert fault.kind == "challenge" and "cookies FSSBBIl1UgzbN7NO" in fault.detail


def test_a_server_error_on_a_list_is_an_http_fault(spider: ShGovSpider) -> None:
    crawl(spider, PLAY, faults=[Fault("http-500", site_id="nw42944")])
    assert kinds(spider) == ["http-error"]


def test_a_source_without_documents_is_recorded_as_empty(spider: ShGovSpider) -> None:
    spider.crawler.stats.open_spider()
    spider.closed("finished")
    assert kinds(spider) == ["empty"]


# -- over HTTP --------------------------------------------------------------------------------------


def test_a_real_crawl_stores_raw_snapshots_and_reads_the_gb2312_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = crawl_over_http(PLAY, "sh-gov", tmp_path, monkeypatch, channels=["nw12344"])
    items = {item.native_id: item for item in result.output.items()}
    assert result.completed and result.faults == []
    assert sorted(items) == sorted([MAINTENANCE, RIVERS, TENANCY])
    assert "安臵房" in html_to_text(items[TENANCY].body_html)


def test_items_of_a_real_crawl_replay_from_the_snapshot_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = crawl_over_http(PLAY, "sh-gov", tmp_path, monkeypatch, channels=["nw12344"])
    store = SnapshotStore(tmp_path / "data" / "snapshots")
    source = load_registry(tmp_path / "sources.yaml").get("sh-gov")
    for item in result.output.items():
        bodies = [store.get(sha) for sha in item.snapshot_ids]
        assert replay_item(source, item.native_id, bodies, item.snapshot_ids) == item
