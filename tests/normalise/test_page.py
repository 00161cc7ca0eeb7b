"""normalise_page_item: detail-page items (sh-gov, sh-fgw, Putuo, Pudong, Minhang) normalised like platform
items, plus their page header. Items are extracted from the page fixtures by the spiders' pure function."""

from __future__ import annotations

from dataclasses import replace

import pytest

from crawlers.items import PolicyItem
from crawlers.registry import load_registry
from crawlers.spiders.pages import decode_page, item_from_page
from normalise.document import NormalisedDocument
from normalise.page import normalise_page_item
from tests.site.pages import FIXTURES

BASE = "http://policy.test"


def page_item(slug: str, path: str, **entry: str) -> PolicyItem:
    source = replace(load_registry().get(slug), base_url=BASE)
    body = (FIXTURES / slug / "site" / path).read_bytes()
    item = item_from_page(
        source, {"path": path, **entry}, decode_page(f"{BASE}/{path}", body), snapshot_ids=["l", "d"]
    )
    assert item is not None
    return item


@pytest.fixture
def bridges() -> NormalisedDocument:
    """闵交规〔2025〕1号 on Minhang: a 9-label header with 生效日期 and 文件状态 正常."""
    path = "mh-xxgk-cms/website/mh_xxgk/qzfwy_chhy/content/181174ab-790f-a158-dd0c-840d71217609.htm"
    return normalise_page_item(page_item("minhang", path), district="minhang")


@pytest.fixture
def housing() -> NormalisedDocument:
    """普府规范〔2025〕5号 on Putuo: dates written 2025年11月28日."""
    return normalise_page_item(
        page_item("putuo", "zhengwu/zdgkml-qzfwj/2025/332/206773.html"), district="putuo"
    )


@pytest.fixture
def maintenance() -> NormalisedDocument:
    """沪府规〔2025〕1号 on www.shanghai.gov.cn: no header, metadata in <meta> tags, 文号 in the body."""
    item = page_item("sh-gov", "nw12344/20250117/fb5452777e7d1309a4a6bba249a62aea.html")
    return normalise_page_item(item, district=None)


def test_doc_number_from_the_header_is_canonical(bridges: NormalisedDocument) -> None:
    assert bridges.doc_number == "闵交规〔2025〕1号"


def test_doc_number_comes_from_the_body_when_the_page_has_no_header(maintenance: NormalisedDocument) -> None:
    assert maintenance.doc_number == "沪府规〔2025〕1号"


def test_published_han_date_becomes_iso(housing: NormalisedDocument) -> None:
    assert housing.published == "2025-11-28"


def test_published_meta_datetime_becomes_iso(maintenance: NormalisedDocument) -> None:
    assert maintenance.published == "2025-01-17"


def test_an_undocumented_status_is_kept_as_source_status_only(bridges: NormalisedDocument) -> None:
    assert (bridges.status, bridges.metadata["source_status"]) == (None, "正常")


def test_index_number_is_metadata(bridges: NormalisedDocument) -> None:
    assert bridges.metadata["index_no"].startswith("SY18")


def test_effective_date_from_the_header(bridges: NormalisedDocument) -> None:
    assert bridges.metadata["effective_date"] == "2025-09-01"


def test_blank_expiry_date_is_left_out(bridges: NormalisedDocument) -> None:
    assert "expiry_date" not in bridges.metadata


def test_topic_is_metadata(housing: NormalisedDocument) -> None:
    assert housing.metadata["topic"] == "房屋与住房"


def test_written_date_from_the_header(housing: NormalisedDocument) -> None:
    assert housing.metadata["page_header"]["成文日期"] == "2025年11月28日"
    assert housing.metadata["written_date"] == "2025-11-28"


def test_the_raw_header_is_kept(housing: NormalisedDocument) -> None:
    assert housing.metadata["page_header"]["公开主体"] == "上海市普陀区人民政府"


def test_district_and_level(bridges: NormalisedDocument) -> None:
    assert (bridges.district, bridges.level) == ("minhang", "district")


def test_municipal_page_has_municipal_level(maintenance: NormalisedDocument) -> None:
    assert (maintenance.district, maintenance.level) == (None, "municipal")


def test_the_header_wins_over_what_the_text_says() -> None:
    item = PolicyItem(
        source="minhang",
        native_id="x",
        url=f"{BASE}/x",
        title="关于印发某办法的通知",
        body_html="<p>现印发给你们，请遵照执行。</p><p>上海市闵行区交通委员会</p><p>2025年8月20日</p>",
        record={"header": {"成文日期": "2025-08-18", "失效日期": "2030-08-31"}},
    )
    metadata = normalise_page_item(item, district="minhang").metadata
    assert (metadata["written_date"], metadata["expiry_date"]) == ("2025-08-18", "2030-08-31")


def test_header_and_record_are_not_identity(housing: NormalisedDocument) -> None:
    renumbered = replace(housing, metadata={**housing.metadata, "index_no": "SY0"})
    assert renumbered.content_hash == housing.content_hash
