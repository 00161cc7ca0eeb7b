"""normalise_item: canonical text and merged metadata for unified-platform items.

Text and identity values are real (沪环规〔2026〕19号, corpus/revisions/pairA_soil_v2_2026_amendment.md,
official …/zhengce/detail/0024::1f0bdcc6a96842dfa6f5c27ce8122154). The record has the field names of
shared/sites.md §2; values no source shows (indexNo, effectiveFlag, relates id, zwPDFUrl) are made up.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from crawlers.items import PolicyItem
from normalise.document import NormalisedDocument
from normalise.platform import normalise_item
from tests.normalise.corpus import CHANGNING_SEED, body_html, paragraphs, revision

FIELDS, BODY = revision("pairA_soil_v2_2026_amendment.md")
BUSINESS_ID = "1f0bdcc6a96842dfa6f5c27ce8122154"
RELATE_TITLE = "关于《上海市建设用地土壤污染责任人认定实施办法》的政策解读"
PDF_URL = f"/gwk/pdf/{BUSINESS_ID}.pdf"
RECORD: dict[str, Any] = {
    "businessId": BUSINESS_ID,
    "siteId": "0024",
    "title": FIELDS["标题"],
    "summary": "现决定对《上海市建设用地土壤污染责任人认定实施办法》作如下修改。",
    "publishDate": "2026-08-17 16:07:48",
    "docType": "沪环规",
    "docYear": "2026",
    "docNo": "19",
    "indexNo": "SY-2026-00019",
    "effectiveFlag": "1",
    "relates": [{"id": "a1b2c3", "title": RELATE_TITLE, "sort": 1}],
    "attrs": {"agency": FIELDS["发布单位"], "policyStatus": "有效", "zwPDFUrl": PDF_URL},
}


def make_item(**changes: Any) -> PolicyItem:
    item = PolicyItem(
        source="sh-platform",
        native_id=f"0024::{BUSINESS_ID}",
        url=f"https://www.shanghai.gov.cn/zhengce/detail?businessId={BUSINESS_ID}&siteId=0024",
        title=FIELDS["标题"],
        body_html=body_html(paragraphs(BODY)),
        doc_number="沪环规〔2026〕19号",  # as the spider composes it from docType/docYear/docNo
        agency=FIELDS["发布单位"],
        published=RECORD["publishDate"],
        status=FIELDS["状态(平台)"],
        site_id="0024",
        record=RECORD,
        snapshot_ids=["a" * 64, "b" * 64],
    )
    return dataclasses.replace(item, **changes)


def normalise(item: PolicyItem) -> NormalisedDocument:
    return normalise_item(item, district=None)


def test_text_is_the_canonical_body() -> None:
    assert normalise(make_item()).text.splitlines()[:2] == [
        "各有关单位：",
        "现决定对《上海市建设用地土壤污染责任人认定实施办法》作如下修改：",
    ]


def test_doc_number_comes_from_the_item() -> None:
    assert normalise(make_item()).doc_number == "沪环规〔2026〕19号"


def test_item_doc_number_is_normalised() -> None:
    assert normalise(make_item(doc_number="沪环规[2026]19 号")).doc_number == "沪环规〔2026〕19号"


def test_record_doc_number_wins_over_the_body() -> None:
    # The body's header line disagrees with the record (made up): the record is the authority.
    item = make_item(body_html=body_html(["沪环规〔2026〕18号", *paragraphs(BODY)]))
    assert normalise(item).doc_number == "沪环规〔2026〕19号"


def test_disagreeing_body_doc_number_is_kept_in_metadata() -> None:
    item = make_item(body_html=body_html(["沪环规〔2026〕18号", *paragraphs(BODY)]))
    assert normalise(item).metadata["doc_number_in_body"] == "沪环规〔2026〕18号"


def test_body_doc_number_fills_a_record_without_one() -> None:
    record = {key: value for key, value in RECORD.items() if key not in ("docType", "docYear", "docNo")}
    seed_html = body_html(paragraphs(CHANGNING_SEED.read_text(encoding="utf-8")))
    item = make_item(body_html=seed_html, record=record, doc_number=None)
    document = normalise(item)
    assert (document.doc_number, "doc_number_in_body" in document.metadata) == ("长发改规〔2024〕4号", False)


def test_published_is_an_iso_date() -> None:
    assert normalise(make_item()).published == "2026-08-17"


def test_published_falls_back_to_the_record() -> None:
    assert normalise(make_item(published=None)).published == "2026-08-17"


def test_documented_status_is_kept() -> None:
    assert normalise(make_item(status="废止")).status == "废止"


def test_undocumented_status_stays_in_metadata_only() -> None:
    document = normalise(make_item(status="1"))
    assert (document.status, document.metadata["source_status"]) == (None, "1")


def test_metadata_keeps_stable_record_and_text_fields_only() -> None:
    assert normalise(make_item()).metadata == {
        "site_id": "0024",
        "index_no": "SY-2026-00019",
        "relates": [{"id": "a1b2c3", "title": RELATE_TITLE}],
        "pdf_url": PDF_URL,
        "effective_flag": "1",
        "policy_status": "有效",
        "published": "2026-08-17 16:07:48",
        "issuers_in_text": ["上海市生态环境局", "上海市规划和自然资源局"],
        "written_date": "2026-08-17",
        "effective_date": "2026-08-17",
    }


def test_joint_issuers_in_the_text_leave_the_record_agency_alone() -> None:
    document = normalise(make_item())
    assert (document.agency, document.metadata["issuers_in_text"]) == (
        "上海市生态环境局",
        ["上海市生态环境局", "上海市规划和自然资源局"],
    )


def test_interpretation_links_come_from_the_body() -> None:
    # The 相关链接 line at the foot of the 2024 original (corpus/revisions/pairA_soil_v1_2024_original.md).
    link = "关于《上海市建设用地土壤污染责任人认定实施办法》的政策解读"
    item = make_item(body_html=body_html([*paragraphs(BODY), f"相关链接：{link}"]))
    assert normalise(item).metadata["interpretation_links"] == [link]


def test_summary_view_count_and_list_position_do_not_change_the_version() -> None:
    # Key names for view count and list position are not documented (sites.md §2): extra fields are ignored.
    changed = {**RECORD, "summary": "经研究，现作如下修改。", "visitCount": 1234, "rowNum": 7}
    before, after = normalise(make_item()), normalise(make_item(record=changed))
    assert (after.content_hash, after.metadata) == (before.content_hash, before.metadata)


def test_whitespace_in_identity_fields_does_not_change_the_hash() -> None:
    title, agency = FIELDS["标题"].replace("关于", "\u3000关于 "), f" {FIELDS['发布单位']}\u00a0"
    noisy = make_item(title=title, agency=agency)
    assert normalise(noisy).content_hash == normalise(make_item()).content_hash


def test_snapshot_ids_are_copied_from_the_item() -> None:
    item = make_item()
    document = normalise(item)
    assert document.snapshot_ids == item.snapshot_ids
    assert document.snapshot_ids is not item.snapshot_ids


def test_district_comes_from_the_caller_and_sets_the_level() -> None:
    document = normalise_item(make_item(), district="changning")
    assert (document.district, document.level) == ("changning", "district")


def test_without_district_the_level_is_municipal() -> None:
    assert normalise_item(make_item(), district=None).level == "municipal"


@pytest.mark.parametrize("agency", ["上海市浦东新区张江镇人民政府", "南码头路街道办事处", "柘林镇"])
def test_town_and_subdistrict_bodies_are_town_level(agency: str) -> None:
    document = normalise_item(make_item(agency=agency), district="pudong")
    assert document.level == "town"


def test_paragraphs_split_differently_hash_the_same() -> None:
    split = make_item(body_html="<p>第一条 为规范本市建设用地</p><p>土壤污染责任人认定工作，制定本办法。</p>")
    joined = make_item(body_html="<p>第一条 为规范本市建设用地土壤污染责任人认定工作，制定本办法。</p>")
    assert normalise(split).content_hash == normalise(joined).content_hash


def test_a_changed_word_changes_the_hash() -> None:
    before = make_item(body_html="<p>第一条 为规范本市建设用地土壤污染责任人认定工作。</p>")
    after = make_item(body_html="<p>第一条 为规范本市建设用地土壤污染责任人认定活动。</p>")
    assert normalise(before).content_hash != normalise(after).content_hash
