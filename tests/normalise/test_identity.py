"""Matching listings to documents, on real titles and 文号 of ../shared/corpus/gov_docs.csv.

The district-side spellings are the variants sites.md §0.3 and §3 describe (〔〕 typed as [] or （）,
full-width digits, the issuing body left out of the title, a space before the edition mark); the
near-misses are real pairs of the corpus that are different documents.
"""

from __future__ import annotations

import pytest

from normalise.identity import (
    Sighting,
    conflicts_with,
    date_key,
    doc_number_key,
    match_reason,
    matchable_title,
    same_page,
)

PLATFORM = "https://www.shanghai.gov.cn/zhengce/detail/"


def platform(
    title: str, doc_number: str | None, published: str | None, native_id: str = "0001::a"
) -> Sighting:
    return Sighting("sh-platform", native_id, PLATFORM + native_id, title, doc_number, published)


def district(
    title: str, doc_number: str | None, published: str | None, native_id: str = "/a.html"
) -> Sighting:
    return Sighting(
        "minhang", native_id, "https://zwgk.shmh.gov.cn" + native_id, title, doc_number, published
    )


@pytest.mark.parametrize(
    "written",
    [
        "沪水务〔2023〕336号",
        "沪水务[2023]336号",
        "沪水务（２０２３）336号",
        "沪水务【2023】336 号",
        "沪水务﹝2023﹞336号",
    ],
)
def test_doc_number_spellings_fold_to_one_key(written: str) -> None:
    assert doc_number_key(written) == "沪水务〔2023〕336号"


def test_doc_number_key_keeps_what_tells_numbers_apart() -> None:
    assert doc_number_key("沪松建管规字〔2021〕1号") != doc_number_key("沪松建管规〔2021〕1号")
    assert doc_number_key("中（沪）自保管〔2021〕175号") == doc_number_key("中(沪)自保管[2021]175号")
    assert doc_number_key(None) is None and doc_number_key("  ") is None


def test_title_spelling_variants_fold_but_editions_and_years_stay() -> None:
    assert matchable_title("关于印发《虹口区房屋协议置换管理办法 （试行）》的通知") == matchable_title(
        "关于印发《虹口区房屋协议置换管理办法（试行）》的通知"
    )
    assert matchable_title(
        "关于印发《上海市国土空间近期实施规划（2026—2030年）》的通知。"
    ) == matchable_title("关于印发〈上海市国土空间近期实施规划(2026-2030年)〉的通知")
    trial = "关于印发《上海市建设工程消防设计审查验收管理办法（试行）》的通知"
    edition = "关于印发《上海市建设工程消防设计审查验收管理办法（2025年版）》的通知"
    assert matchable_title(trial) != matchable_title(edition)
    assert matchable_title("关于印发《上海市公共资源交易目录（2024年版）》的通知") != matchable_title(
        "关于印发《上海市公共资源交易目录（2025年版）》的通知"
    )


def test_same_doc_number_and_a_title_the_district_shortened_is_one_document() -> None:
    on_platform = platform(
        "上海市水务局关于印发《上海市圩区治理导则（试行）》的通知", "沪水务〔2023〕336号", "2023-05-15"
    )
    on_district = district("关于印发《上海市圩区治理导则（试行）》的通知", "沪水务[2023]336号", "2023-05-16")
    assert match_reason(on_district, on_platform) == "doc_number"
    assert match_reason(on_platform, on_district) == "doc_number"


def test_a_district_title_with_a_suffix_still_matches() -> None:
    on_platform = platform(
        "关于印发《浦东新区房票安置实施办法（试行）》的通知", "浦建委规〔2025〕1号", "2025-09-28"
    )
    on_district = district(
        "关于印发《浦东新区房票安置实施办法（试行）》的通知(联合发文)", "浦建委规〔2025〕1号", None
    )
    assert match_reason(on_district, on_platform) == "doc_number"


def test_same_doc_number_with_an_unrelated_title_is_not_merged() -> None:
    # A 文号 mistyped by one site must not glue two documents together.
    on_platform = platform(
        "关于印发《嘉定区绿色生态城区建设管理办法（试行）》的通知", "嘉建管规范联〔2024〕1号", "2024-01-18"
    )
    other = district(
        "关于印发《嘉定区海绵城市规划建设管理工作指引（试行）》的通知",
        "嘉建管规范联〔2024〕1号",
        "2024-10-09",
    )
    assert match_reason(other, on_platform) is None


def test_the_revised_edition_with_its_own_doc_number_is_another_document() -> None:
    first = platform(
        "上海市人民政府办公厅转发市规划资源局制订的《关于规范临时用地管理的指导意见（试行）》的通知",
        "沪府办规〔2023〕31号",
        "2023-12-29",
    )
    revised = district(
        "上海市人民政府办公厅转发市规划资源局修订的《关于规范临时用地管理的指导意见（试行）》的通知",
        "沪府办规〔2025〕16号",
        "2025-12-03",
    )
    assert match_reason(revised, first) is None


def test_a_notice_amending_a_document_is_not_that_document() -> None:
    original = platform(
        "上海市生态环境局、上海市规划和自然资源局关于印发《上海市建设用地土壤污染责任人认定实施办法》的通知",
        "沪环规〔2024〕12号",
        "2024-08-30",
    )
    amending = district(
        "上海市生态环境局、上海市规划和自然资源局关于修改 《上海市建设用地土壤污染责任人认定实施办法》的通知",
        "沪环规〔2026〕19号",
        "2026-08-17",
    )
    assert match_reason(amending, original) is None
    # Without 文号 the amending notice's title contains the original's, on the same day: still two.
    bare = [
        district("上海市建设用地土壤污染责任人认定实施办法", None, "2026-08-17"),
        district(amending.title, None, "2026-08-17", "/b.html"),
    ]
    assert match_reason(bare[0], bare[1]) is None


def test_without_doc_number_the_same_title_on_the_same_day_is_one_document() -> None:
    # A 市住建委 title of the corpus (dated 2022-11 there; the day and the 文号 are made up).
    title = "关于印发《上海市保障性租赁住房项目认定办法（试行）》的通知"
    assert (
        match_reason(district(title, None, "2022-11-03"), platform(title, None, "2022-11-03")) == "title_date"
    )
    # One listing has the 文号, the other does not: the title and the day decide.
    assert match_reason(
        district(title, None, "2022-11-03"), platform(title, "沪房规范〔2022〕9号", "2022-11-03")
    )


def test_the_same_title_in_another_year_is_another_document() -> None:
    # Two real notices: 沪交法〔2025〕413号 of 2025-06-30 and 沪交法〔2024〕604号 of 2024-08-23.
    title = "关于废止和宣布失效部分文件的通知"
    assert match_reason(district(title, None, "2025-06-30"), platform(title, None, "2024-08-23")) is None
    assert (
        match_reason(
            district(title, "沪交法〔2025〕413号", None), platform(title, "沪交法〔2024〕604号", None)
        )
        is None
    )


def test_without_doc_number_a_month_or_no_date_is_not_enough() -> None:
    title = "关于印发《上海市保障性租赁住房租赁管理办法（试行）》的通知"  # 市住建委: published "2022-07"
    assert date_key("2022-07") is None
    assert match_reason(district(title, None, "2022-07"), platform(title, None, "2022-07")) is None
    assert match_reason(district(title, None, None), platform(title, None, None)) is None


def test_two_columns_of_one_site_listing_one_page() -> None:
    # sites.md §1.1/§1.2: 政策文件 (nw12344) and 沪府规 (nw42944) link the same 32-hex page.
    page = "87151565cd6246c99854c129797d178c.html"
    assert same_page(
        f"https://www.shanghai.gov.cn/nw12344/20221110/{page}",
        f"https://www.shanghai.gov.cn/nw42944/20221110/{page}",
    )
    assert same_page(
        "https://www.shanghai.gov.cn/nw12344/20200813/0001-12344_61407.html",
        "http://WWW.shanghai.gov.cn//nw12344/20200813/0001-12344_61407.html",
    )
    assert not same_page(
        "https://www.shanghai.gov.cn/nw12344/index.html", "https://www.shanghai.gov.cn/nw42944/index.html"
    )
    assert not same_page(
        "https://www.shanghai.gov.cn/nw12344/20221110/87151565cd6246c99854c129797d178c.html",
        "https://www.shanghai.gov.cn/nw12344/20240228/1fa3b59ef795429f9bc3cfd7b6599ceb.html",
    )


def test_a_source_listing_two_ids_for_one_document_only_as_one_page() -> None:
    page = "87151565cd6246c99854c129797d178c.html"
    sh_gov = "https://www.shanghai.gov.cn"
    listed = [Sighting("sh-gov", f"/nw12344/20221110/{page}", f"{sh_gov}/nw12344/20221110/{page}", "t")]
    same = Sighting("sh-gov", f"/nw42944/20221110/{page}", f"{sh_gov}/nw42944/20221110/{page}", "t")
    other = Sighting(
        "sh-gov", "/nw42944/20221110/0001-42944_1.html", f"{sh_gov}/nw42944/20221110/0001-42944_1.html", "t"
    )
    assert not conflicts_with(same, listed)
    assert conflicts_with(other, listed)
    assert not conflicts_with(district("t", None, None), listed)  # another source
    assert not conflicts_with(listed[0], listed)  # itself
