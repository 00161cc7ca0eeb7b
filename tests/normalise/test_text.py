"""Character folding, whitespace collapsing and reflow of hard-wrapped lines."""

from __future__ import annotations

import pytest

from normalise.text import collapse_whitespace, fold_width, reflow
from tests.normalise.corpus import CORPUS


def canonical(line: str) -> str:
    return collapse_whitespace(fold_width(line))


def test_fold_width_maps_full_width_digits_and_letters_to_ascii() -> None:
    assert fold_width("沪府发〔２０２１〕１４号 ｅＶＴＯＬ") == "沪府发〔2021〕14号 eVTOL"


def test_fold_width_maps_value_symbols_to_ascii() -> None:
    assert fold_width("３．６８亿人次，增长１６％，＋５／－３") == "3.68亿人次，增长16%，+5／-3"


def test_fold_width_keeps_chinese_punctuation() -> None:
    punctuation = "，。：；（）《》〔〕“”"
    assert fold_width(punctuation) == punctuation


def test_fold_width_turns_unicode_spaces_into_spaces() -> None:
    assert fold_width("\u3000\u3000第一条\u00a0目的\u2003依据") == "  第一条 目的 依据"


def test_fold_width_removes_zero_width_characters() -> None:
    assert fold_width("不超过\u200b1000\ufeff万元") == "不超过1000万元"


def test_amount_spellings_are_equal_after_folding_and_collapsing() -> None:
    spellings = {canonical(s) for s in ("不超过 1000 万元", "不超过1000万元", "不超过１０００万元")}
    assert spellings == {"不超过1000万元"}


def test_collapse_removes_ideographic_space_before_full_width_bracket() -> None:
    assert collapse_whitespace("第一条\u3000（目的依据）") == "第一条（目的依据）"


def test_collapse_keeps_one_space_between_latin_words() -> None:
    assert collapse_whitespace("  Shanghai \t  Policy   Platform ") == "Shanghai Policy Platform"


def test_collapse_removes_space_between_latin_and_han() -> None:
    assert collapse_whitespace("支持 eVTOL （电动垂直起降飞行器）") == "支持eVTOL（电动垂直起降飞行器）"


def test_reflow_joins_ocr_hard_wraps_into_paragraphs() -> None:
    lines = (CORPUS / "seeds" / "000_065a853221348270.txt").read_text(encoding="utf-8").splitlines()
    paragraphs = reflow(canonical(line) for line in lines[1:8])
    assert paragraphs == [
        "招商引资是经济工作的牛摆子和生命线，是高质量发展的关键举措。为深入贯彻落实党的二十大和二十届二中、"
        "三中全会精神，按照十二届市委五次全会部署，进一步加大招商引资统筹力度，创新招商方式，完善招商政策，"
        "推动招商和服务一体化建设，规范招商行为，现提出如下措施:",
        "一、加大重点领域招商引资力度",
        '1.聚焦服务国家重大战略。聚焦上海“五个中心"建设、',
    ]


def test_reflow_joins_without_a_space_between_han_characters() -> None:
    assert reflow(["给予单个项目不超过", "1000万元支持。"]) == ["给予单个项目不超过1000万元支持。"]


def test_reflow_joins_latin_words_with_a_space() -> None:
    assert reflow(["支持 eVTOL and", "UAV 研发。"]) == ["支持 eVTOL and UAV 研发。"]


@pytest.mark.parametrize("ending", ["。", "！", "？", "；", "：", "…", "。”", "。）", "."])
def test_reflow_keeps_break_after_sentence_end(ending: str) -> None:
    lines = [f"特此通知{ending}", "长宁区数据局经研究决定"]
    assert reflow(lines) == lines


@pytest.mark.parametrize(
    "item",
    [
        "第二条本办法适用于本市",
        "第三章监督管理",
        "二、基本原则和要求",
        "（二）有利于更好培育",
        "(二)大商务集聚",
        "2.提升特色产业集群能级",
        "2、提升能级",
        "（2）航空及运输服务业",
        "②支持开展",
        "附件：延长有效期的文件目录",
    ],
)
def test_reflow_keeps_break_before_clause_or_item(item: str) -> None:
    lines = ["给予单个项目不超过1000万元支持", item]
    assert reflow(lines) == lines


def test_reflow_does_not_take_a_decimal_number_for_an_item() -> None:
    assert reflow(["年均总客流", "3.68亿人次，"]) == ["年均总客流3.68亿人次，"]


def test_reflow_keeps_date_line_alone() -> None:
    assert reflow(["上海市规划和自然资源局", "2026年8月17日", "附"]) == [
        "上海市规划和自然资源局",
        "2026年8月17日",
        "附",
    ]


def test_reflow_keeps_doc_number_line_alone() -> None:
    assert reflow(["长发改规〔2024〕4号", "关于印发《长宁区加快构建现代化产业体系"]) == [
        "长发改规〔2024〕4号",
        "关于印发《长宁区加快构建现代化产业体系",
    ]


def test_reflow_joins_a_break_inside_a_heading() -> None:
    assert reflow(["第八条（房屋置换协", "议主体的确定）"]) == ["第八条（房屋置换协议主体的确定）"]


def test_reflow_keeps_signature_lines_apart() -> None:
    signature = ["长宁区发展和改革委员会", "长宁区人才工作局", "长宁区投资促进办公室"]
    assert reflow(signature) == signature


def test_reflow_joins_a_wrapped_title() -> None:
    lines = ["关于印发《长宁区加快构建现代化产业体系", "促进经济高质量发展的实施意见（试行）》", "的通知"]
    assert reflow(lines) == ["".join(lines)]


def test_reflow_ignores_blank_lines_from_page_breaks() -> None:
    assert reflow(["坚持充分激发市场主体活力动力，着力稳定存量、", "", "促进增量。"]) == [
        "坚持充分激发市场主体活力动力，着力稳定存量、促进增量。"
    ]
