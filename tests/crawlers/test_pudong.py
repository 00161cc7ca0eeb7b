"""pudong, 浦东新区 www.pudong.gov.cn: the affair list API under /zwgk-search-front and the detail pages.

Fixtures: tests/fixtures/pudong (built by its build.py from sites.md §3.1, the stored page
corpus/pages/pudong_detail_1.txt and corpus texts). Only what differs from Putuo's CMS is tested here:
absolute record urls, epoch-millisecond dates, the five-label header, the shell and the wall's cookies.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crawlers.items import PolicyItem
from crawlers.spiders.affair import PudongSpider, list_date
from tests.crawlers.sites import BASE, Crawl, crawl, faults_of, kinds, make_spider, negative
from tests.site.pudong import PudongPlay

PLAY = PudongPlay()
API = f"{BASE}/zwgk-search-front/api/data/affair"
EXTENSION = "zwgk/gfxwj-kjwzcwj/2024/362/352671.html"  # 浦科经委规〔2024〕11号
REPEAL = "zwgk/qt-qzf/2020/283/320200.html"  # 浦府规〔2020〕4号


@pytest.fixture
def spider(tmp_path: Path) -> PudongSpider:
    return make_spider(PudongSpider, tmp_path, page_size=2)  # type: ignore[return-value]


@pytest.fixture
def crawled(spider: PudongSpider) -> Crawl:
    return crawl(spider, PLAY)


@pytest.fixture
def extension(crawled: Crawl) -> PolicyItem:
    return crawled.item(EXTENSION)


def test_the_registry_channel_is_read_page_by_page(spider: PudongSpider, crawled: Crawl) -> None:
    asked = [json.loads(r.body) for r in crawled.requests if r.url == API]
    assert asked == [
        {"channelList": ["5144"], "pageNo": 1, "pageSize": 2},
        {"channelList": ["5144"], "pageNo": 2, "pageSize": 2},
    ]
    assert (len(crawled.items), kinds(spider)) == (3, [])


def test_absolute_record_urls_are_fetched_through_base_url(crawled: Crawl) -> None:
    assert f"{BASE}/{EXTENSION}" in crawled.urls()


def test_epoch_milliseconds_are_a_shanghai_date() -> None:
    assert list_date(1735285330000) == "2024-12-27"
    assert list_date(1735228800000 - 1) == "2024-12-26"  # 23:59:59.999 on 26 December in Shanghai


def test_list_date_is_kept_with_the_record(extension: PolicyItem) -> None:
    assert extension.record["list"]["date"] == "2024-12-27"


def test_doc_number_is_the_header_wenjian_bianhao(extension: PolicyItem) -> None:
    assert extension.doc_number == "浦科经委规〔2024〕11号"


def test_agency_is_the_header_fabu_jigou(extension: PolicyItem) -> None:
    assert extension.agency == "上海市浦东新区科技和经济委员会"


def test_published_is_the_header_fabu_shijian(extension: PolicyItem) -> None:
    assert extension.published == "2024-12-27"


def test_index_number_is_kept_in_the_header(extension: PolicyItem) -> None:
    assert extension.record["header"]["索引号"].startswith("SY-310115-2024-")


def test_open_type_is_kept_in_the_header(extension: PolicyItem) -> None:
    assert extension.record["header"]["公开类别"] == "主动公开"


def test_title_is_the_record_title(crawled: Crawl) -> None:
    title = "浦东新区人民政府关于废止《临港地区限价商品住房供应管理工作实施办法》的通知"
    assert crawled.item(REPEAL).title == title


def test_body_html_is_the_ivs_content_container(extension: PolicyItem) -> None:
    assert extension.body_html.startswith('<div id="ivs_content">')
    assert "文件编号" not in extension.body_html


def test_the_js_list_page_instead_of_json_is_a_spa_shell_fault(spider: PudongSpider) -> None:
    request = spider.page_request("5144", 1)
    response = negative(PLAY, "list_shell", API, method="POST")
    assert list(spider.parse_page(response, **request.cb_kwargs)) == []
    assert kinds(spider) == ["spa-shell"]


def test_the_ruishu_cookies_of_pudong_are_a_challenge(spider: PudongSpider) -> None:
    request = spider.page_request("5144", 1)
    response = negative(PLAY, "challenge", API, method="POST")
    assert list(spider.parse_page(response, **request.cb_kwargs)) == []
    (fault,) = faults_of(spider)
    assert fault.kind == "challenge" and "cookies 0zaLpREBxJs7SO" in fault.detail
