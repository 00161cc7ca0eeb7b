"""Which change a new version is: noise, editorial or amended, decided clause by clause."""

from __future__ import annotations

import json

import pytest

from detect.changes import Snapshot, assess, detect_change
from detect.diff import diff_texts
from detect.priority import HIGH, LOW
from tests.detect.fixtures import read_pair

IDENTITY = {
    "title": "关于印发《实施意见》的通知",
    "doc_number": "长发改规〔2024〕4号",
    "agency": "区发改委",
    "status": "有效",
}
CLAUSE = (
    "（一）支持范围：适用于在长宁区依法设立、信用记录良好的法人和非法人组织，给予单个项目不超过1000万元支持。"
)


def kind_of(before: str, after: str, **identity: str) -> str | None:
    draft = detect_change(Snapshot(before, IDENTITY), Snapshot(after, {**IDENTITY, **identity}))
    return draft.kind if draft else None


def significance(before: str, after: str) -> str:
    (clause,) = diff_texts(before, after).changes
    return assess(clause)


def test_first_version_is_new() -> None:
    draft = detect_change(None, Snapshot("正文", IDENTITY))
    assert draft is not None
    assert (draft.kind, draft.summary) == ("new", "新文件：关于印发《实施意见》的通知（长发改规〔2024〕4号）")


@pytest.mark.parametrize(
    "after",
    [
        CLAUSE.replace("1000", "１０００"),
        CLAUSE.replace("，", " ，"),
        CLAUSE.replace("法人和", "法人和\n"),
        "—4一\n" + CLAUSE + "\n【打印本页】【关闭窗口】",
        CLAUSE.replace("依法设立", "依法设—4一立"),
    ],
    ids=["width", "spaces", "reflow", "debris lines", "debris in a line"],
)
def test_noise_is_no_change(after: str) -> None:
    assert kind_of(CLAUSE, after) is None


@pytest.mark.parametrize(
    "after",
    [
        CLAUSE.replace("1000万元", "1,000万元"),
        CLAUSE.replace("不超过1000万元", "最高1000万元"),
        CLAUSE.replace("，给予", "；给予"),
        CLAUSE.replace("信用记录", "信用纪录"),
        CLAUSE.replace("依法设立", "依法没立").replace("良好", "良奷"),
        CLAUSE.replace("（一）", "（二）"),
    ],
    ids=["thousands separator", "bound synonym", "punctuation", "typo", "two OCR misreadings", "renumbered"],
)
def test_editorial_edits(after: str) -> None:
    assert kind_of(CLAUSE, after) == "editorial"


@pytest.mark.parametrize(
    "after",
    [
        CLAUSE.replace("1000万元", "500万元"),
        CLAUSE.replace("法人和非法人组织", "法人组织"),
        CLAUSE.replace("长宁区", "长宁市"),
        CLAUSE.replace("给予", "不予"),
        CLAUSE.replace("信用记录良好", "信用良好"),
        CLAUSE.replace("依法设立、", "依法设立、正常经营、"),
    ],
    ids=["amount", "scope", "one scope character", "negation", "two characters dropped", "words added"],
)
def test_amendments(after: str) -> None:
    assert kind_of(CLAUSE, after) == "amended"


def test_many_typos_in_one_clause_are_a_rewording() -> None:
    before = "依法设立、信用记录良好的法人。"
    assert significance(before, before.replace("依法", "依发")) == "editorial"
    assert significance(
        before, before.replace("依法", "依发").replace("信用", "信甬").replace("良好", "良号")
    ) == ("substantive")


def test_a_word_inserted_is_not_a_typo() -> None:
    assert significance("征求环保、卫生等部门意见。", "征求环保、卫生健康等部门意见。") == "substantive"


def test_ocr_look_alike_digits_are_editorial() -> None:
    assert significance("14，强化协同。1S，加大培训力度。", "14，强化协同。15，加大培训力度。") == "editorial"


def test_page_debris_inside_a_line_is_noise() -> None:
    assert significance("加快以算力、算法、-一学语料为基础", "加快以算力、算法、语料为基础") == "noise"


def test_moves_within_a_clause_are_editorial_and_across_clauses_substantive() -> None:
    before = "一、范围\n（一）集成电路。\n（二）生物医药。\n（三）人工智能。\n二、条件\n（一）注册在本区。"
    within = "一、范围\n（一）集成电路。\n（二）人工智能。\n（三）生物医药。\n二、条件\n（一）注册在本区。"
    across = "一、范围\n（一）集成电路。\n（三）人工智能。\n二、条件\n（一）注册在本区。\n（二）生物医药。"
    assert {assess(c) for c in diff_texts(before, within).changes} == {"editorial"}
    moved = [c for c in diff_texts(before, across).changes if c.op == "moved"]
    assert [(c.before_path, c.path, assess(c)) for c in moved] == [("一.(二)", "二.(二)", "substantive")]


def test_added_and_removed_clauses_are_substantive() -> None:
    assert [assess(c) for c in diff_texts(*read_pair("clause_added")).changes] == ["substantive"] * 3
    assert [assess(c) for c in diff_texts(*read_pair("clause_removed")).changes] == ["substantive"]


def test_editorial_change_is_recorded_with_low_priority_and_its_edit() -> None:
    draft = detect_change(
        Snapshot(CLAUSE, IDENTITY), Snapshot(CLAUSE.replace("信用记录", "信用纪录"), IDENTITY)
    )
    assert draft is not None
    assert (draft.kind, draft.priority) == ("editorial", LOW)
    assert "信用纪录" in draft.summary


def test_amended_summary_reads_as_a_value_change_and_the_diff_is_json() -> None:
    draft = detect_change(*(Snapshot(text, IDENTITY) for text in read_pair("amount_changed")))
    assert draft is not None
    assert (draft.kind, draft.summary, draft.priority) == (
        "amended",
        "四.(一).2.(1) 支持上限 1000万元 → 500万元",
        HIGH,
    )
    (clause,) = json.loads(json.dumps(draft.diff))["changes"]
    assert clause["values"] == [
        {"kind": "amount", "before": "1000万元", "after": "500万元", "label": "支持上限"}
    ]


def test_noise_clauses_are_left_out_of_an_amendment() -> None:
    before, after = read_pair("amount_changed")
    after = after.replace("深度融合", "深度融合 ").replace("每年不超过1亿元", "每年不超过１亿元")
    draft = detect_change(Snapshot(before, IDENTITY), Snapshot(after, IDENTITY))
    assert draft is not None
    assert [c["path"] for c in draft.diff["changes"]] == ["四.(一).2.(1)"]


def test_title_punctuation_is_editorial_and_a_new_doc_number_amends() -> None:
    assert kind_of(CLAUSE, CLAUSE, title="关于印发《实施意见》的通知。") == "editorial"
    assert kind_of(CLAUSE, CLAUSE, doc_number="长发改规〔2024〕5号") == "amended"


@pytest.mark.parametrize(("status", "kind"), [("废止", "repealed"), ("失效", "expired")])
def test_a_status_the_platform_flags_is_its_life_cycle_event(status: str, kind: str) -> None:
    assert kind_of(CLAUSE, CLAUSE, status=status) == kind


def test_unchanged_text_and_identity_is_no_change() -> None:
    assert kind_of(CLAUSE, CLAUSE) is None
