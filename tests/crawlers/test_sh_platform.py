"""The sh-platform spider, field by field, on responses of the local test site's platform play.

The fixtures (tests/fixtures/sh-platform/) are built from the documented API (sites.md §2) and real texts;
responses are produced by the same play the end-to-end tests run against, so both test the same bytes.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from scrapy.http import JsonRequest, Response, TextResponse
from scrapy.utils.test import get_crawler

from crawlers.items import PolicyItem
from crawlers.output import CrawlOutput
from crawlers.registry import load_registry
from crawlers.spiders.sh_platform import ShPlatformSpider, compose_doc_number, item_from_payloads, replay_item
from tests.site import protocol
from tests.site.faults import Fault
from tests.site.platform import AMENDMENT, PlatformPlay, documents

BASE = "http://policy.test"
CHANGNING = next(doc for doc in documents() if doc["businessId"] == AMENDMENT.business_id)


@pytest.fixture
def spider(tmp_path: Path) -> ShPlatformSpider:
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        f"sources:\n  - id: sh-platform\n    base_url: {BASE}\n    page_size: 2\n", encoding="utf-8"
    )
    crawler = get_crawler(
        ShPlatformSpider, {"POLICYWATCH_RUN_DIR": str(tmp_path / "run"), "POLICYWATCH_SOURCES": str(sources)}
    )
    spider = ShPlatformSpider.from_crawler(crawler)
    crawler.spider = spider
    return spider


def play(request: JsonRequest, *, faults: tuple[Fault, ...] = (), step: str = "1-initial") -> Response:
    """Answer a spider request with the platform play, as the test site would over HTTP."""
    path = request.url.removeprefix(BASE).split("?")[0]
    answer = PlatformPlay().respond(
        protocol.Request(
            request.method,
            path,
            {},
            {k.decode().lower(): v[0].decode() for k, v in request.headers.items()},
            request.body,
        ),
        step,
        faults,
    )
    headers = {"Content-Type": answer.content_type, **dict(answer.headers)}
    response = TextResponse(
        request.url, status=answer.status, body=answer.body, headers=headers, request=request
    )
    request.meta["snapshot_id"] = f"sha-of-{path}"
    return response


def faults_of(spider: ShPlatformSpider) -> list[str]:
    return [
        fault.kind
        for fault in CrawlOutput(Path(spider.settings["POLICYWATCH_RUN_DIR"]) / "sh-platform").faults()
    ]


def detail_request(spider: ShPlatformSpider, document: dict[str, Any]) -> JsonRequest:
    page = spider.page_request(document["siteId"], 1)
    requests = list(spider.parse_page(play(page), **page.cb_kwargs))
    return next(r for r in requests if json.loads(r.body).get("businessId") == document["businessId"])


def crawl_one(spider: ShPlatformSpider, document: dict[str, Any], **play_args: Any) -> list[PolicyItem]:
    request = detail_request(spider, document)
    return list(spider.parse_detail(play(request, **play_args), **request.cb_kwargs))


@pytest.fixture
def changning_item(spider: ShPlatformSpider) -> PolicyItem:
    (item,) = crawl_one(spider, CHANGNING)
    return item


# -- requests -------------------------------------------------------------------------------------------


def test_start_walks_every_configured_site(spider: ShPlatformSpider) -> None:
    async def collect() -> list[JsonRequest]:
        return [request async for request in spider.start()]

    requests = asyncio.run(collect())
    assert [json.loads(r.body)["siteIdList"] for r in requests] == [[s] for s in spider.source.site_ids]


def test_list_request_is_a_json_post_built_from_base_url(spider: ShPlatformSpider) -> None:
    request = spider.page_request("0074", 3)
    assert (request.method, request.url) == ("POST", f"{BASE}/gwk/policy/page")
    assert request.headers[b"Content-Type"] == b"application/json"
    assert json.loads(request.body) == {"siteIdList": ["0074"], "pageNo": 3, "pageSize": 2}
    assert request.headers[b"Referer"] == f"{BASE}/zhengce/list".encode()


def test_page_yields_a_detail_request_per_record_then_the_next_page(spider: ShPlatformSpider) -> None:
    page = spider.page_request("0070", 1)
    requests = list(spider.parse_page(play(page), **page.cb_kwargs))
    bodies = [json.loads(r.body) for r in requests]
    assert [b.get("businessId") for b in bodies[:2]] == [
        d["businessId"] for d in documents() if d["siteId"] == "0070"
    ][:2]
    assert bodies[2] == {"siteIdList": ["0070"], "pageNo": 2, "pageSize": 2}


def test_last_page_asks_for_no_further_page(spider: ShPlatformSpider) -> None:
    page = spider.page_request("0070", 2)
    requests = list(spider.parse_page(play(page), **page.cb_kwargs))
    assert [r.url for r in requests] == [f"{BASE}/gwk/policy/detail"]


def test_detail_request_names_site_and_business_id(spider: ShPlatformSpider) -> None:
    request = detail_request(spider, CHANGNING)
    assert json.loads(request.body) == {"siteId": "0074", "businessId": CHANGNING["businessId"]}


# -- fields, one test each ---------------------------------------------------------------------------------


def test_native_id_is_site_and_business_id(changning_item: PolicyItem) -> None:
    assert changning_item.native_id == f"0074::{CHANGNING['businessId']}"


def test_url_is_the_human_detail_page(changning_item: PolicyItem) -> None:
    assert changning_item.url == f"{BASE}/zhengce/detail?businessId={CHANGNING['businessId']}&siteId=0074"


def test_title(changning_item: PolicyItem) -> None:
    assert (
        changning_item.title
        == "关于印发《长宁区加快构建现代化产业体系促进经济高质量发展的实施意见（试行）》的通知"
    )


def test_doc_number_from_type_year_and_number(changning_item: PolicyItem) -> None:
    assert changning_item.doc_number == "长发改规〔2024〕4号"


def test_agency(changning_item: PolicyItem) -> None:
    assert changning_item.agency == CHANGNING["attrs"]["agency"]


def test_published(changning_item: PolicyItem) -> None:
    assert changning_item.published == CHANGNING["publishDate"]


def test_status(changning_item: PolicyItem) -> None:
    assert changning_item.status == "有效"


def test_site_id(changning_item: PolicyItem) -> None:
    assert changning_item.site_id == "0074"


def test_body_html_is_the_detail_txt(changning_item: PolicyItem) -> None:
    assert changning_item.body_html == CHANGNING["txt"]
    assert "不超过 1000 万元" in changning_item.body_html


def test_record_keeps_relates_and_pdf_url(changning_item: PolicyItem) -> None:
    assert changning_item.record["relates"] == CHANGNING["relates"]
    assert changning_item.record["attrs"]["zwPDFUrl"] == CHANGNING["attrs"]["zwPDFUrl"]
    assert "txt" not in changning_item.record


def test_snapshot_ids_name_list_page_then_detail(changning_item: PolicyItem) -> None:
    assert changning_item.snapshot_ids == ["sha-of-/gwk/policy/page", "sha-of-/gwk/policy/detail"]


def test_repealed_status_is_read_from_the_record(spider: ShPlatformSpider) -> None:
    repealed = next(doc for doc in documents() if doc["attrs"]["policyStatus"] == "废止")
    (item,) = crawl_one(spider, repealed)
    assert item.status == "废止"


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        ({"docType": "沪环规", "docYear": 2026, "docNo": "19"}, "沪环规〔2026〕19号"),
        ({"docType": "沪环规", "docYear": "2026", "docNo": "19号"}, "沪环规〔2026〕19号"),
        ({"docType": "", "docNum": "沪交道运 〔2024〕459号"}, "沪交道运 〔2024〕459号"),
        ({"title": "无文号"}, None),
    ],
)
def test_compose_doc_number(record: dict[str, Any], expected: str | None) -> None:
    assert compose_doc_number(record) == expected


def test_replay_from_raw_snapshots_gives_the_same_item(
    spider: ShPlatformSpider, changning_item: PolicyItem
) -> None:
    page = spider.page_request("0074", 1)
    list_body, detail_body = play(page).body, play(detail_request(spider, CHANGNING)).body
    replayed = replay_item(
        spider.source, changning_item.native_id, [list_body, detail_body], changning_item.snapshot_ids
    )
    assert replayed == changning_item


def test_item_from_payloads_prefers_detail_values() -> None:
    record = {"businessId": "b1", "siteId": "0001", "title": "列表标题", "attrs": {"agency": "甲"}}
    detail = {
        "businessId": "b1",
        "siteId": "0001",
        "title": "详情标题",
        "txt": "<p>正文</p>",
        "attrs": {"agency": "乙"},
    }
    item = item_from_payloads(record, detail, source=load_registry().get("sh-platform"), snapshot_ids=[])
    assert (item.title, item.agency, item.body_html) == ("详情标题", "乙", "<p>正文</p>")


# -- what must never become a document ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "kind"),
    [
        (Fault("truncated", business_id=AMENDMENT.business_id), "truncated"),
        (Fault("challenge", business_id=AMENDMENT.business_id), "challenge"),
        (Fault("412", business_id=AMENDMENT.business_id), "challenge"),
    ],
)
def test_bad_detail_response_is_a_fault_not_a_document(
    spider: ShPlatformSpider, fault: Fault, kind: str
) -> None:
    assert crawl_one(spider, CHANGNING, faults=(fault,)) == []
    assert faults_of(spider) == [kind]


@pytest.mark.parametrize(
    ("fault", "kind"),
    [(Fault("error-json", site_id="0074"), "error-json"), (Fault("challenge", site_id="0074"), "challenge")],
)
def test_bad_list_response_is_a_fault_and_lists_nothing(
    spider: ShPlatformSpider, fault: Fault, kind: str
) -> None:
    page = spider.page_request("0074", 1)
    assert list(spider.parse_page(play(page, faults=(fault,)), **page.cb_kwargs)) == []
    assert faults_of(spider) == [kind]


def test_spa_shell_is_never_parsed_as_a_document(spider: ShPlatformSpider) -> None:
    request = detail_request(spider, CHANGNING)
    shell = (Path(__file__).parents[1] / "fixtures" / "sh-platform" / "spa_shell.html").read_bytes()
    response = TextResponse(
        request.url, status=200, body=shell, headers={"Content-Type": "text/html"}, request=request
    )
    request.meta["snapshot_id"] = "shell"
    assert list(spider.parse_detail(response, **request.cb_kwargs)) == []
    assert faults_of(spider) == ["spa-shell"]


def _json_response(request: JsonRequest, payload: Any) -> TextResponse:
    request.meta["snapshot_id"] = "x"
    body = json.dumps(payload, ensure_ascii=False).encode()
    return TextResponse(request.url, body=body, headers={"Content-Type": "application/json"}, request=request)


def test_empty_first_page_is_a_fault_not_an_empty_source(spider: ShPlatformSpider) -> None:
    page = spider.page_request("0074", 1)
    response = _json_response(page, {"code": 0, "data": {"records": [], "totalPage": 0}})
    assert list(spider.parse_page(response, **page.cb_kwargs)) == []
    assert faults_of(spider) == ["empty"]


def test_records_missing_is_layout_drift(spider: ShPlatformSpider) -> None:
    page = spider.page_request("0074", 1)
    response = _json_response(page, {"code": 0, "data": {"rows": [{"businessId": "x"}], "total": 1}})
    assert list(spider.parse_page(response, **page.cb_kwargs)) == []
    assert faults_of(spider) == ["layout"]


def test_detail_without_body_is_layout_drift(spider: ShPlatformSpider) -> None:
    request = detail_request(spider, CHANGNING)
    response = _json_response(request, {"code": 0, "data": {**CHANGNING, "txt": "", "txt1": None}})
    assert list(spider.parse_detail(response, **request.cb_kwargs)) == []
    assert faults_of(spider) == ["layout"]


def test_forbidden_is_an_access_fault(spider: ShPlatformSpider) -> None:
    request = detail_request(spider, CHANGNING)
    request.meta["snapshot_id"] = "x"
    response = TextResponse(request.url, status=403, body=b"<html>Forbidden</html>", request=request)
    assert list(spider.parse_detail(response, **request.cb_kwargs)) == []
    assert faults_of(spider) == ["http-error"]


def test_no_items_at_all_is_recorded_as_empty_source(spider: ShPlatformSpider) -> None:
    spider.crawler.stats.open_spider()
    spider.closed("finished")
    assert faults_of(spider) == ["empty"]
    output = CrawlOutput(Path(spider.settings["POLICYWATCH_RUN_DIR"]) / "sh-platform")
    assert output.stats() is not None and output.stats().items == 0
