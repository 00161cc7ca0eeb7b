"""Values read as values: the same amount, rate, date or duration however it is typed."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from detect.diff import diff_texts
from detect.values import ValueChange, find_values, parse_number, same_meaning, value_changes


@pytest.mark.parametrize(
    ("figure", "number"),
    [
        ("1000", "1000"),
        ("1,000.5", "1000.5"),
        ("１０００", "1000"),
        ("十", "10"),
        ("三十一", "31"),
        ("一千二百", "1200"),
        ("一亿二千万", "120000000"),
        ("二〇二六", "2026"),
        ("二○三五", "2035"),
        ("两", "2"),
        ("十五点五", "15.5"),
    ],
)
def test_figures_in_digits_and_chinese_numerals(figure: str, number: str) -> None:
    assert parse_number(figure) == Decimal(number)


def test_words_are_not_figures() -> None:
    assert parse_number("万元") is None


def kinds(text: str) -> list[tuple[str, str]]:
    return [(value.kind, value.text) for value in find_values(text)]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("给予不超过1000万元支持", [("amount", "不超过1000万元")]),
        ("每年不超过1.5亿元，另给予20万元", [("amount", "不超过1.5亿元"), ("amount", "20万元")]),
        ("占比不超过8%，比率不低于５０％", [("percent", "不超过8%"), ("percent", "不低于５０％")]),
        ("比例为百分之十五", [("percent", "百分之十五")]),
        ("提高2个百分点", [("percent", "2个百分点")]),
        ("有效期至2026年12月31日", [("date", "2026年12月31日")]),
        ("有效期至二〇二六年十二月三十一日", [("date", "二〇二六年十二月三十一日")]),
        ("截止2026-12-31", [("date", "2026-12-31")]),
        ("自9月1日起施行", [("date", "9月1日")]),
        ("有效期五年，过渡期以3年为限", [("duration", "五年"), ("duration", "3年")]),
        (
            "六个月内、三十日内、5个工作日内、半年",
            [("duration", "六个月"), ("duration", "三十日"), ("duration", "5个工作日"), ("duration", "半年")],
        ),
        (
            "不少于10人，3万平方米以上，世界500强",
            [("quantity", "不少于10人"), ("quantity", "3万平方米以上"), ("quantity", "500强")],
        ),
    ],
)
def test_values_are_found_with_their_bounds(text: str, found: list[tuple[str, str]]) -> None:
    assert kinds(text) == found


@pytest.mark.parametrize(
    "text", ["第三年度计划", "“十四五”规划", "统一规划", "十二届市委五次全会", "2024年度"]
)
def test_ordinals_names_and_years_of_plans_are_not_amounts_or_durations(text: str) -> None:
    assert [kind for kind, _ in kinds(text) if kind != "date"] == []


def test_figure_is_the_value_without_its_bound_words() -> None:
    (value,) = find_values("给予最高不超过1000万元支持")
    assert (value.text, value.figure, value.bound, value.start) == ("最高不超过1000万元", "1000万元", "<=", 2)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("有效期至2026年12月31日。", "有效期至二〇二六年十二月三十一日。"),
        ("有效期至2026年12月31日。", "有效期至2026-12-31。"),
        ("给予不超过1000万元支持。", "给予不超过1,000万元支持。"),
        ("给予不超过1000万元支持。", "给予最高1000万元支持。"),
        ("给予不超过1亿元支持。", "给予不超过10000万元支持。"),
        ("比例为10%。", "比例为百分之十。"),
        ("有效期5年。", "有效期五年。"),
        ("期限12个月。", "期限1年。"),
        ("给予不超过1000万元支持。", "给予不超过１０００万元支持；"),
    ],
)
def test_the_same_value_typed_another_way_means_the_same(before: str, after: str) -> None:
    assert same_meaning(before, after)
    assert value_changes(before, after) == []


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("给予不超过1000万元支持。", "给予不超过500万元支持。"),
        ("给予不超过1000万元支持。", "给予不低于1000万元支持。"),
        ("给予不超过1000万元支持。", "给予不超过1000万美元支持。"),
        ("有效期5年。", "有效期5个月。"),
        ("比例为10%。", "比例为10个百分点。"),
        ("给予支持。", "给予不超过100万元支持。"),
    ],
)
def test_a_different_value_is_a_change_of_meaning(before: str, after: str) -> None:
    assert not same_meaning(before, after)
    assert value_changes(before, after)


def test_value_change_names_what_the_value_measures() -> None:
    cases = {
        ("给予单个项目不超过1000万元支持。", "给予单个项目不超过500万元支持。"): (
            "支持上限",
            "1000万元",
            "500万元",
        ),
        ("有效期至2026年12月31日。", "有效期至2028年12月31日。"): (
            "有效期至",
            "2026年12月31日",
            "2028年12月31日",
        ),
        ("本办法自2024年9月1日起实施。", "本办法自2024年10月1日起实施。"): (
            "施行日期",
            "2024年9月1日",
            "2024年10月1日",
        ),
        ("绿化面积比率不低于50%。", "绿化面积比率不低于40%。"): ("比率下限", "50%", "40%"),
        ("原则上允许以5年为限。", "原则上允许以3年为限。"): ("期限", "5年", "3年"),
    }
    for (before, after), expected in cases.items():
        (change,) = value_changes(before, after)
        assert (change.label, change.before, change.after) == expected


def test_a_changed_bound_shows_the_bound_words() -> None:
    (change,) = value_changes("给予不超过1000万元支持。", "给予不低于1000万元支持。")
    assert (change.before, change.after) == ("不超过1000万元", "不低于1000万元")


def test_added_and_removed_values_have_one_side_only() -> None:
    assert value_changes("给予支持。", "给予不超过100万元支持。") == [
        ValueChange("amount", None, "不超过100万元", "支持上限")
    ]
    assert value_changes("有效期五年。", "长期有效。") == [ValueChange("duration", "五年", None, "有效期")]


def test_the_diff_tells_which_of_two_equal_values_changed() -> None:
    before = "开办给予不超过1000万元补贴，研发给予不超过1000万元奖励。"
    after = "开办给予不超过1000万元补贴，研发给予不超过800万元奖励。"
    (change,) = diff_texts(before, after).changes
    assert [v.to_dict() for v in change.values] == [
        {"kind": "amount", "before": "1000万元", "after": "800万元", "label": "奖励上限"}
    ]


def test_value_change_round_trips_through_json() -> None:
    change = ValueChange("date", "2026年12月31日", "2027年12月31日", "有效期至")
    assert ValueChange.from_dict(json.loads(json.dumps(change.to_dict()))) == change
