"""文号 and date canonicalisation, checked on real spellings from the corpus index and texts."""

from __future__ import annotations

import pytest

from normalise.metadata import find_doc_number, normalise_doc_number, parse_date
from tests.normalise.corpus import CORPUS, corpus_doc

DOCS = CORPUS / "docs"


@pytest.mark.parametrize(
    "spelling",
    [
        "沪府规〔2022〕18号",
        "沪府规[2022]18号",
        "沪府规［2022］18号",
        "沪府规（２０２２）18 号",
        "沪府规(2022)18号",
        "沪府规【2022】18号",
        "沪府规﹝2022﹞18号",
        " 沪府规 〔2022〕 18号\u3000",
    ],
)
def test_doc_number_spellings_share_one_canonical_form(spelling: str) -> None:
    assert normalise_doc_number(spelling) == "沪府规〔2022〕18号"


def test_doc_number_keeps_brackets_that_are_not_around_a_year() -> None:
    assert normalise_doc_number("中（沪）自保管（2021）175号") == "中（沪）自保管〔2021〕175号"


@pytest.mark.parametrize("blank", [None, "", " \u3000"])
def test_blank_doc_number_is_none(blank: str | None) -> None:
    assert normalise_doc_number(blank) is None


@pytest.mark.parametrize(
    ("seed", "expected"),
    [
        ("002_9332f8a4cbbb0d88.txt", "普发改委〔2023〕14号"),
        ("003_f93ece479afd5806.txt", "沪府发〔2021〕14号"),  # written 沪府发 〔２０２１〕１４号
        ("004_d7a5a1d8257d0abe.txt", "长发改规〔2024〕4号"),
    ],
)
def test_find_doc_number_reads_the_header_line_of_a_seed(seed: str, expected: str) -> None:
    assert find_doc_number((CORPUS / "seeds" / seed).read_text(encoding="utf-8")) == expected


def test_find_doc_number_prefers_own_line_over_later_table_of_cited_numbers() -> None:
    path = next(DOCS.glob("工程建设管理/*关于延长《关于印发_上海市政府投资*.md"))
    _, body = corpus_doc(path)
    assert "沪建交﹝2013﹞201号" in body
    assert find_doc_number(body) == "沪建法规〔2022〕657号"


def test_find_doc_number_ignores_numbers_cited_in_sentences() -> None:
    _, body = corpus_doc(next(DOCS.glob("工程建设管理/关于延长《上海市建筑师负责制扩大试点*.md")))
    assert "（沪建建管联〔2022〕727号）" in body
    assert find_doc_number(body) is None


def test_find_doc_number_reads_a_labelled_header_value() -> None:
    header = "发布日期：2026-07-31 文号：沪府规[2022]18号\n各区人民政府："
    assert find_doc_number(header) == "沪府规〔2022〕18号"


def test_find_doc_number_reads_a_label_before_its_value_on_one_line() -> None:
    # pages/pudong_detail_1.txt; collapsed, "文件编号浦府〔2022〕1号" is also shaped like a bare number.
    assert find_doc_number("文件编号 浦府〔2022〕1号") == "浦府〔2022〕1号"


def test_find_doc_number_reads_a_heading_line() -> None:
    text = "# 上海市人民政府文件\n### 沪府规〔2022〕18号\n各区人民政府："
    assert find_doc_number(text) == "沪府规〔2022〕18号"


def test_find_doc_number_agrees_with_the_index_on_every_corpus_doc() -> None:
    compared = 0
    for path in sorted(DOCS.rglob("*.md")):
        fields, body = corpus_doc(path)
        found = find_doc_number(body)
        if found and fields["文号"] != "-":
            assert found == normalise_doc_number(fields["文号"]), path.name
            compared += 1
    assert compared >= 15


@pytest.mark.parametrize(
    "spelling",
    [
        "2026-07-31 16:07:48",
        "2026-07-31",
        "2026年7月31日",
        "２０２６年７月３１日",
        "2026/7/31",
        "2026.07.31",
        "2026 年 7 月 31 日",
        "2026-07-31T16:07:48",
        "二〇二六年七月三十一日",  # U+3007
        "二○二六年七月三十一日",  # U+25CB, as in the zjw.sh.gov.cn notices (二○二○年六月十八日)
        "二O二六年七月三十一日",  # OCR reads 〇 as the letter O
    ],
)
def test_date_spellings_parse_to_iso(spelling: str) -> None:
    assert parse_date(spelling) == "2026-07-31"


@pytest.mark.parametrize(
    "invalid",
    [
        None,
        "",
        "2026-02-30",
        "2026-13-01",
        "2026-07",
        "2026-07/31",
        "发布日期：2026-07-31",
        "明天",
        "二〇二六年二月三十日",
    ],
)
def test_invalid_date_is_none(invalid: str | None) -> None:
    assert parse_date(invalid) is None


def test_find_doc_number_stops_at_the_first_sentence() -> None:
    # The same real notice without its own number line: the table below the text lists cited numbers.
    path = next(DOCS.glob("工程建设管理/*关于延长《关于印发_上海市政府投资*.md"))
    _, body = corpus_doc(path)
    assert find_doc_number(body.replace("沪建法规〔2022〕657号", "")) is None
