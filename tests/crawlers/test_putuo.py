"""putuo, 普陀区 www.shpt.gov.cn: the affair list API and the detail pages, field by field.

Fixtures: tests/fixtures/putuo (built by its build.py from sites.md §3.6 and corpus texts); the play answers
the list API from them: channel 3 reports the 10,000 cap and repeats its last page past the end, channel 6
reports the cap and answers empty metadata past the end, channel 1614 is exact.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from scrapy.http import JsonRequest, TextResponse

from crawlers.items import PolicyItem
from crawlers.registry import load_registry
from crawlers.spiders.affair import PutuoSpider, replay_item
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
)
from tests.site.faults import Fault
from tests.site.putuo import PutuoPlay

PLAY = PutuoPlay()
API = f"{BASE}/front/api/data/affair"
HOUSING = "zhengwu/zdgkml-qzfwj/2025/332/206773.html"  # 普府规范〔2025〕5号, in channels 3 and 1614
REPEAL = "zhengwu/zdgkml-qzfwj/2025/164/205890.html"  # 普府规范〔2025〕2号
REPLY = "zhengwu/wbj-zfwj/2023/128/207698.html"  # 普发改委〔2023〕14号 (seed 002)


@pytest.fixture
def spider(tmp_path: Path) -> PutuoSpider:
    return make_spider(PutuoSpider, tmp_path, channels=["3", "6", "1614"])  # type: ignore[return-value]


@pytest.fixture
def crawled(spider: PutuoSpider) -> Crawl:
    return crawl(spider, PLAY)


@pytest.fixture
def housing(crawled: Crawl) -> PolicyItem:
    return crawled.item(HOUSING)


def pages_asked(crawled: Crawl, channel: str) -> list[int]:
    bodies = [json.loads(r.body) for r in crawled.requests if r.url == API]
    return [body["pageNo"] for body in bodies if body["channelList"] == [channel]]


def api_response(request: JsonRequest, data: dict[str, Any] | None, code: int = 0) -> TextResponse:
    request.meta["snapshot_id"] = "x"
    body = json.dumps({"code": code, "message": "操作成功", "data": data}, ensure_ascii=False).encode()
    return TextResponse(request.url, body=body, headers={"Content-Type": "application/json"}, request=request)


# -- requests and paging ---------------------------------------------------------------------------------


def test_list_request_is_the_documented_json_post_on_base_url(spider: PutuoSpider) -> None:
    request = spider.page_request("3", 2)
    assert (request.method, request.url) == ("POST", API)
    assert json.loads(request.body) == {
        "channelList": ["3"],
        "pageNo": 2,
        "pageSize": 15,
        "orderFields": ["display_date"],
        "orderTypes": ["desc"],
        "docFlag": "1",
    }


def test_a_capped_channel_is_walked_until_the_api_repeats_its_last_page(
    spider: PutuoSpider, crawled: Crawl
) -> None:
    assert pages_asked(crawled, "3") == [1, 2]
    assert kinds(spider) == []


def test_a_capped_channel_is_walked_until_the_api_answers_empty_metadata(crawled: Crawl) -> None:
    assert pages_asked(crawled, "6") == [1, 2]


def test_an_exact_channel_stops_at_its_total_page(crawled: Crawl) -> None:
    assert pages_asked(crawled, "1614") == [1]


def test_at_the_cap_the_walk_goes_on_past_total_page(spider: PutuoSpider) -> None:
    request = spider.page_request("3", 667)
    data = {"list": [{"url": f"/{REPEAL}"}], "pageNo": 667, "totalPage": 667, "totalCount": 10000}
    follow = list(spider.parse_page(api_response(request, data), **request.cb_kwargs))
    assert [json.loads(r.body)["pageNo"] for r in follow if r.url == API] == [668]


def test_below_the_cap_total_page_is_the_last_page(spider: PutuoSpider) -> None:
    request = spider.page_request("3", 3)
    data = {"list": [{"url": f"/{REPEAL}", "title": "t"}], "pageNo": 3, "totalPage": 3, "totalCount": 45}
    follow = list(spider.parse_page(api_response(request, data), **request.cb_kwargs))
    assert [r.url for r in follow] == [f"{BASE}/{REPEAL}"]


def test_a_document_listed_in_two_channels_is_read_once(crawled: Crawl) -> None:
    assert sorted(item.native_id for item in crawled.items) == sorted([HOUSING, REPEAL, REPLY])


# -- fields, one test each -------------------------------------------------------------------------------


def test_native_id_is_the_detail_path_from_the_record_url(housing: PolicyItem) -> None:
    assert housing.native_id == HOUSING


def test_url_is_the_detail_page_on_base_url(housing: PolicyItem) -> None:
    assert housing.url == f"{BASE}/{HOUSING}"


def test_title_is_the_record_title(housing: PolicyItem) -> None:
    assert housing.title == "上海市普陀区人民政府关于印发《上海市普陀区房屋协议置换管理办法》的通知"


def test_doc_number_is_the_header_fawenzihao(housing: PolicyItem) -> None:
    assert housing.doc_number == "普府规范〔2025〕5号"


def test_agency_is_the_header_gongkai_zhuti(housing: PolicyItem) -> None:
    assert housing.agency == "上海市普陀区人民政府"


def test_published_is_the_header_fabu_riqi(housing: PolicyItem) -> None:
    assert housing.published == "2025年11月28日"


def test_header_keeps_all_seven_labels(housing: PolicyItem) -> None:
    labels = ["索引号", "主题分类", "公开属性", "成文日期", "发文字号", "发布日期", "公开主体"]
    assert list(housing.record["header"]) == labels


def test_index_number_has_the_district_code(housing: PolicyItem) -> None:
    assert housing.record["header"]["索引号"].startswith("SY310107202511")


def test_record_keeps_the_list_record(housing: PolicyItem) -> None:
    assert housing.record["list"]["id"] == 206773
    assert housing.record["list"]["display_date"] == "2025-11-28"


def test_body_html_is_the_article_content_container(housing: PolicyItem) -> None:
    assert housing.body_html.startswith('<div class="article-content">')
    assert "索引号" not in housing.body_html


def test_open_type_of_the_seed_page_is_its_own(crawled: Crawl) -> None:
    assert crawled.item(REPLY).record["header"]["公开属性"] == "主动公开 · 全文"


def test_snapshot_ids_name_the_api_answer_then_the_detail(housing: PolicyItem) -> None:
    assert housing.snapshot_ids == ["sha-of-/front/api/data/affair", f"sha-of-/{HOUSING}"]


def test_replay_from_raw_snapshots_gives_the_same_item(spider: PutuoSpider, housing: PolicyItem) -> None:
    listed, detail = spider.page_request("3", 1), spider.detail_request({"path": HOUSING}, "x")
    bodies = [answer(PLAY, listed).body, answer(PLAY, detail).body]
    assert replay_item(spider.source, HOUSING, bodies, housing.snapshot_ids) == housing


# -- what must never become a document -------------------------------------------------------------------


def test_a_truncated_list_answer_is_a_fault(spider: PutuoSpider) -> None:
    request = spider.page_request("3", 1)
    response = negative(PLAY, "truncated_list", API, method="POST")
    assert list(spider.parse_page(response, **request.cb_kwargs)) == []
    assert kinds(spider) == ["truncated"]


def test_an_empty_first_page_is_an_empty_fault_not_an_empty_channel(spider: PutuoSpider) -> None:
    request = spider.page_request("1225", 1)
    response = negative(PLAY, "empty_first_page", API, method="POST")
    assert list(spider.parse_page(response, **request.cb_kwargs)) == []
    (fault,) = faults_of(spider)
    assert fault.kind == "empty" and fault.detail.startswith("channel 1225 page 1:")


def test_error_json_is_a_fault(spider: PutuoSpider) -> None:
    crawl(spider, PLAY, faults=[Fault("error-json", site_id="6")])
    assert kinds(spider) == ["error-json"]


def test_a_challenge_instead_of_the_api_answer_is_a_fault(spider: PutuoSpider) -> None:
    result = crawl(spider, PLAY, faults=[Fault("challenge", site_id="6")])
    assert REPLY not in [item.native_id for item in result.items]
    assert kinds(spider) == ["challenge"]


def test_a_record_without_a_link_is_layout_drift(spider: PutuoSpider) -> None:
    request = spider.page_request("3", 1)
    data = {"list": [{"id": 1, "title": "无链接"}], "pageNo": 1, "totalPage": 1, "totalCount": 1}
    assert list(spider.parse_page(api_response(request, data), **request.cb_kwargs)) == []
    assert kinds(spider) == ["layout"]


def test_a_source_without_list_api_in_the_registry_is_a_layout_fault(tmp_path: Path) -> None:
    spider = make_spider(PutuoSpider, tmp_path, list_api=None)
    assert crawl(spider, PLAY).requests == []
    assert kinds(spider) == ["layout"]


# -- over HTTP -------------------------------------------------------------------------------------------


def test_a_real_crawl_reads_every_channel_and_its_items_replay(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = crawl_over_http(PLAY, "putuo", tmp_path, monkeypatch, channels=["3", "6"])
    assert result.completed and result.faults == []
    assert sorted(item.native_id for item in result.output.items()) == sorted([HOUSING, REPEAL, REPLY])
    store = SnapshotStore(tmp_path / "data" / "snapshots")
    source = load_registry(tmp_path / "sources.yaml").get("putuo")
    for item in result.output.items():
        bodies = [store.get(sha) for sha in item.snapshot_ids]
        assert replay_item(source, item.native_id, bodies, item.snapshot_ids) == item
