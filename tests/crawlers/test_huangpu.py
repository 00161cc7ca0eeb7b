"""huangpu, 黄浦区 www.shhuangpu.gov.cn: a Ruishu wall is detected, recorded with its evidence, never stored
as a document (fixtures: tests/fixtures/huangpu, modelled on sites.md §3.2 and §0.4)."""

from __future__ import annotations

from pathlib import Path

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse

from crawlers.spiders.huangpu import HuangpuSpider
from tests.crawlers.sites import BASE, crawl, crawl_over_http, faults_of, make_spider, negative
from tests.site.faults import Fault
from tests.site.huangpu import HuangpuPlay

PLAY = HuangpuPlay()
LIST = f"{BASE}/zw/009001/009001002/009001002003/009001002003001/specification.html"


@pytest.fixture
def spider(tmp_path: Path) -> HuangpuSpider:
    return make_spider(HuangpuSpider, tmp_path)  # type: ignore[return-value]


def test_it_asks_for_the_documented_policy_list_on_base_url(spider: HuangpuSpider) -> None:
    assert crawl(spider, PLAY).urls() == [LIST]


def test_the_wall_yields_no_document(spider: HuangpuSpider) -> None:
    assert crawl(spider, PLAY).items == []


@pytest.mark.parametrize(
    "evidence",
    [
        "HTTP 202",
        "cookies FSSBBIl1UgzbN7NO",
        "$_ts bootstrap script",
        'tags marked r="m"',
        "loader /4QbVtADbnLVIc/c.FxJzG50F.d5db026.js",
    ],
)
def test_the_first_answer_is_recorded_as_a_challenge_with_its_evidence(
    spider: HuangpuSpider, evidence: str
) -> None:
    spider.parse_list(negative(PLAY, "first_visit", LIST))
    (fault,) = faults_of(spider)
    assert fault.kind == "challenge" and evidence in fault.detail


def test_the_412_after_the_cookie_came_back_is_a_challenge_too(spider: HuangpuSpider) -> None:
    spider.parse_list(negative(PLAY, "cookie_sent_back", LIST))
    (fault,) = faults_of(spider)
    assert (fault.kind, "HTTP 412" in fault.detail) == ("challenge", True)


def test_a_page_without_the_wall_is_not_guessed_at(spider: HuangpuSpider) -> None:
    page = b"<html><body><ul><li><a href='/zw/1.html'>x</a></li></ul></body></html>"
    spider.parse_list(HtmlResponse(LIST, body=page, request=Request(LIST)))
    (fault,) = faults_of(spider)
    assert fault.kind == "layout" and "sh-platform siteId 0071" in fault.detail


def test_faults_cannot_be_injected_into_a_site_that_is_all_wall() -> None:
    with pytest.raises(ValueError, match="bot wall"):
        PLAY.check_fault(Fault("http-500", site_id="specification"))


def test_a_real_crawl_reports_the_source_blocked_and_stores_no_document(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = crawl_over_http(PLAY, "huangpu", tmp_path, monkeypatch)
    assert result.completed and result.output.items() == []
    assert [fault.kind for fault in result.faults] == ["challenge", "empty"]
    # robots.txt is asked first and walled too (202, cookie set); the list then answers 412
    assert [fetch["status"] for fetch in result.output.fetches()] == [202, 412]
