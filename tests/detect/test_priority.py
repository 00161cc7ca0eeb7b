"""Change priority: what a policy team must act on ranks above wording."""

from __future__ import annotations

import pytest

from detect.diff import diff_texts
from detect.priority import CRITICAL, HIGH, LOW, NORMAL, priority_name, priority_of


def amended(before: str, after: str) -> dict:  # type: ignore[type-arg]
    return diff_texts(before, after).to_dict()


@pytest.mark.parametrize("kind", ["repealed", "superseded", "expired", "withdrawn"])
def test_life_cycle_endings_are_critical(kind: str) -> None:
    assert priority_of(kind, {}) == CRITICAL


def test_a_changed_amount_is_high() -> None:
    assert priority_of("amended", amended("给予不超过1000万元支持。", "给予不超过500万元支持。")) == HIGH


def test_a_changed_validity_date_is_high() -> None:
    assert priority_of("amended", amended("有效期至2026年12月31日。", "有效期至2028年12月31日。")) == HIGH


def test_a_new_obligation_is_high() -> None:
    assert priority_of("amended", amended("申请人提交材料。", "申请人应当提交材料。")) == HIGH


def test_a_reworded_sentence_is_normal() -> None:
    assert priority_of("amended", amended("推动产业加快发展。", "推动产业高质量发展。")) == NORMAL


def test_editorial_is_low_and_names_are_stable() -> None:
    assert priority_of("editorial", {}) == LOW
    assert [priority_name(p) for p in (LOW, NORMAL, HIGH, CRITICAL)] == ["low", "normal", "high", "critical"]


def test_a_changed_rate_or_duration_is_high() -> None:
    assert priority_of("amended", amended("占比不超过8%。", "占比不超过10%。")) == HIGH
    assert priority_of("amended", amended("过渡期以5年为限。", "过渡期以3年为限。")) == HIGH


def test_a_narrowed_scope_is_high() -> None:
    assert priority_of("amended", amended("用好用足市级政策。", "用好用足区级政策。")) == HIGH


def test_a_removed_prohibition_is_high_and_a_removed_sentence_normal() -> None:
    assert priority_of("amended", amended("一、范围\n（一）不得转让。", "一、范围")) == HIGH
    assert priority_of("amended", amended("一、范围\n（一）加强宣传。", "一、范围")) == NORMAL


def test_a_move_is_normal() -> None:
    diff = amended("（一）集成电路产业。\n（二）生物医药产业。", "（一）生物医药产业。\n（二）集成电路产业。")
    assert {c["op"] for c in diff["changes"]} >= {"moved"}
    assert priority_of("amended", diff) == NORMAL


def test_a_reformatted_value_inside_an_amendment_is_not_high() -> None:
    diff = amended(
        "有效期至2026年12月31日，推动产业加快发展。", "有效期至二〇二六年十二月三十一日，推动产业高质量发展。"
    )
    assert priority_of("amended", diff) == NORMAL


def test_diffs_archived_before_values_were_recorded_are_read_again() -> None:
    diff = amended("给予不超过1000万元支持。", "给予不超过500万元支持。")
    for change in diff["changes"]:
        del change["values"], change["granularity"], change["before_path"]
    assert priority_of("amended", diff) == HIGH


def test_status_and_doc_number_edits_are_high() -> None:
    change = {
        "path": "状态",
        "op": "modified",
        "before": "有效",
        "after": "已修改",
        "fragments": [],
        "coarse": False,
    }
    assert priority_of("amended", {"changes": [change]}) == HIGH
