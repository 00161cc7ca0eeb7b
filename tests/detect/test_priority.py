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
