"""minhang, 闵行区 zwgk.shmh.gov.cn (mh-xxgk-cms): list pages numbered downwards, the 9-label header.

Fixtures: tests/fixtures/minhang (built by its build.py from sites.md §3.9, the stored page
corpus/pages/minhang_detail_1.txt — reproduced verbatim, values included — and corpus texts).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from crawlers.items import PolicyItem
from crawlers.spiders.columns import replay_item
from crawlers.spiders.minhang import MinhangSpider
from tests.crawlers.sites import (
    BASE,
    Crawl,
    crawl,
    crawl_over_http,
    faults_of,
    kinds,
    make_spider,
    negative,
    served,
)
from tests.site.minhang import MinhangPlay

PLAY = MinhangPlay()
COLUMN = "mh-xxgk-cms/website/mh_xxgk/qzfwy_chhy"
MEETING = f"{COLUMN}/content/557b919b-8cce-4c9f-9751-91b4af374bbc.htm"  # the stored page
BRIDGES = f"{COLUMN}/content/181174ab-790f-a158-dd0c-840d71217609.htm"  # 闵交规〔2025〕1号
CREDIT = f"{COLUMN}/content/7b3d0f8f-3879-7f53-2108-f9a6d79d5263.htm"  # 闵建管规〔2025〕2号, list_2


@pytest.fixture
def spider(tmp_path: Path) -> MinhangSpider:
    return make_spider(MinhangSpider, tmp_path, channels=[COLUMN])  # type: ignore[return-value]


@pytest.fixture
def crawled(spider: MinhangSpider) -> Crawl:
    return crawl(spider, PLAY)


@pytest.fixture
def meeting(crawled: Crawl) -> PolicyItem:
    return crawled.item(MEETING)


# -- requests and paging ---------------------------------------------------------------------------------


def test_list_0_then_the_highest_page_then_down_to_list_1(crawled: Crawl) -> None:
    pages = [url.rsplit("/", 1)[1] for url in crawled.urls() if "/List/" in url]
    assert pages == ["list_0.htm", "list_2.htm", "list_1.htm"]


def test_relative_links_resolve_to_content_pages_on_base_url(crawled: Crawl) -> None:
    assert f"{BASE}/{MEETING}" in crawled.urls()


def test_every_listed_document_becomes_one_item(spider: MinhangSpider, crawled: Crawl) -> None:
    assert (len(crawled.items), kinds(spider)) == (5, [])


def test_without_configured_columns_nothing_is_asked_and_the_gap_is_a_fault(tmp_path: Path) -> None:
    spider = make_spider(MinhangSpider, tmp_path)  # the built-in entry names no policy column
    assert crawl(spider, PLAY).requests == []
    (fault,) = faults_of(spider)
    assert fault.kind == "layout" and "`channels`" in fault.detail


# -- fields of the stored page, one test each ------------------------------------------------------------


def test_title_is_the_link_title(meeting: PolicyItem) -> None:
    assert meeting.title == "2026年1月19日下午,区委副书记、区长吴强主持召开区政府常务会议"


def test_doc_number_is_the_header_fawenzihao(meeting: PolicyItem) -> None:
    assert meeting.doc_number == "闵教规字〔2024〕1号"  # what the stored page's block says


def test_agency_is_the_issuing_body_not_the_website(meeting: PolicyItem) -> None:
    assert meeting.agency == "上海市闵行区教育局"


def test_published_is_the_block_date_not_the_page_time(meeting: PolicyItem) -> None:
    assert meeting.published == "2024-06-21"


def test_status_is_the_header_wenjian_zhuangtai(meeting: PolicyItem) -> None:
    assert meeting.status == "正常"


def test_blank_validity_dates_are_kept_blank(meeting: PolicyItem) -> None:
    header = meeting.record["header"]
    assert (header["生效日期"], header["失效日期"]) == ("", "")


def test_the_source_line_is_kept_in_the_header(meeting: PolicyItem) -> None:
    header = meeting.record["header"]
    assert (header["来源"], header["发布时间"]) == ("上海市闵行区人民政府", "2026年2月10日")


def test_list_date_is_the_f_float_span(meeting: PolicyItem) -> None:
    assert meeting.record["list"]["date"] == "2026年02月10日"


def test_body_html_is_the_xx_text1_container(meeting: PolicyItem) -> None:
    assert meeting.body_html.startswith('<div class="xx_text1">')
    assert "会议还研究了其他事项。" in meeting.body_html and "索引号" not in meeting.body_html


# -- fields of the corpus pages --------------------------------------------------------------------------


def test_effective_date_is_read_from_the_header(crawled: Crawl) -> None:
    assert crawled.item(BRIDGES).record["header"]["生效日期"] == "2025-09-01"


def test_attachment_beside_the_body_is_found(crawled: Crawl) -> None:
    (attachment,) = crawled.item(CREDIT).record["attachments"]
    assert attachment["url"].startswith(f"{BASE}/mh-xxgk-cms/UploadPath/uploadfile/2025-07-09/")


def test_replay_from_raw_snapshots_gives_the_same_item(spider: MinhangSpider, crawled: Crawl) -> None:
    item = crawled.item(CREDIT)
    bodies = [served(PLAY, f"/{COLUMN}/List/list_2.htm").body, served(PLAY, f"/{CREDIT}").body]
    assert replay_item(spider.source, CREDIT, bodies, item.snapshot_ids) == item


# -- what must never become a document -------------------------------------------------------------------


def test_entries_without_their_date_span_are_layout_drift(spider: MinhangSpider) -> None:
    response = negative(PLAY, "list_without_dates", f"{BASE}/{COLUMN}/List/list_0.htm")
    assert list(spider.parse_list(response, column=COLUMN, page=0)) == []
    assert kinds(spider) == ["layout"]


def test_a_detail_page_without_xx_text1_is_layout_drift(spider: MinhangSpider) -> None:
    response = negative(PLAY, "detail_without_body", f"{BASE}/{BRIDGES}")
    assert list(spider.parse_detail(response, entry={"path": BRIDGES}, list_snapshot="x")) == []
    (fault,) = faults_of(spider)
    assert fault.kind == "layout" and ".xx_text1" in fault.detail


# -- over HTTP -------------------------------------------------------------------------------------------


def test_a_real_crawl_reads_every_page_of_the_column(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = crawl_over_http(PLAY, "minhang", tmp_path, monkeypatch, channels=[COLUMN])
    assert result.completed and result.faults == []
    assert len(result.output.items()) == 5
