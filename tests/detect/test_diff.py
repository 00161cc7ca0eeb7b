import json
import time

import pytest

from detect import diff as diff_module
from detect.diff import ClauseChange, TextDiff, diff_texts, whole_numbers
from tests.detect.fixtures import expected, names_with_expectations, read_pair

# A diff of these real revisions takes tens of milliseconds; whole-text character mode takes minutes.
FAST_ENOUGH_S = 3.0
# Any diff-match-patch call takes longer than this, so every edited pair reaches its limit.
EXHAUSTED_TIMEOUT = 1e-9


def _rebuilt(change: ClauseChange, side: int) -> str:
    return "".join(text for op, text in change.fragments if op in (0, side))


@pytest.mark.parametrize("name", names_with_expectations())
def test_pair_changes_match_expected_paths_ops_and_texts(name: str) -> None:
    diff = diff_texts(*read_pair(name))
    found = [{"path": c.path, "op": c.op, "before": c.before, "after": c.after} for c in diff.changes]
    assert found == expected(name)["changes"]


def test_identical_texts_give_an_empty_diff() -> None:
    assert diff_texts(*read_pair("identical")).is_empty


def test_blank_lines_are_not_paragraphs() -> None:
    before, _ = read_pair("pairA_soil")
    assert diff_texts(before, before.replace("\n", "\n\n")).is_empty


def test_amended_law_name_is_the_only_changed_fragment() -> None:
    (change,) = diff_texts(*read_pair("pairA_soil")).changes
    edits = [(op, text) for op, text in change.fragments if op != 0]
    assert edits == [(-1, "土壤污染防治法"), (1, "生态环境法典")]


def test_fragments_rebuild_both_paragraphs_of_every_modified_clause() -> None:
    diff = diff_texts(*read_pair("heavy_rewrite"))
    assert (diff.coarse_pairs, diff.sentence_pairs) == (0, 0)
    modified = [c for c in diff.changes if c.op == "modified"]
    assert modified
    assert all(_rebuilt(c, -1) == c.before and _rebuilt(c, 1) == c.after for c in modified)


def test_modified_clause_takes_its_path_from_the_after_side() -> None:
    changes = diff_texts(*read_pair("heavy_rewrite")).changes
    (renumbered,) = [c for c in changes if c.after == "（九）优化规划许可流程"]
    assert (renumbered.before, renumbered.path) == ("（十二）优化建设项目规划许可流程。", "一.(九)")


def test_moved_paragraph_is_one_change_with_old_and_new_path() -> None:
    before, _ = read_pair("amount_changed")
    lines = before.splitlines()
    moved = lines.pop(5)
    lines.append(moved)
    (change,) = diff_texts(before, "\n".join(lines)).changes
    assert (change.op, change.before, change.after, change.fragments) == ("moved", moved, moved, [])
    assert (change.before_path, change.path) == ("四.(一).1", "四.(一).2.(2)")


def test_moved_and_renumbered_item_keeps_its_marker_edit() -> None:
    before = "一、范围\n（一）集成电路。\n（二）生物医药。\n二、条件\n（一）注册在本区。"
    after = "一、范围\n（一）集成电路。\n二、条件\n（一）注册在本区。\n（二）生物医药。"
    (change,) = diff_texts(before, after).changes
    assert (change.op, change.before_path, change.path) == ("moved", "一.(二)", "二.(二)")


def test_renumbered_items_after_a_deletion_are_modified_not_moved() -> None:
    before = "（一）集成电路产业。\n（二）生物医药产业。\n（三）人工智能产业。"
    after = "（一）集成电路产业。\n（二）人工智能产业。"
    changes = diff_texts(before, after).changes
    assert [(c.op, c.before_path, c.path) for c in changes] == [
        ("removed", "(二)", "(二)"),
        ("modified", "(三)", "(二)"),
    ]
    assert [(op, text) for op, text in changes[1].fragments if op != 0] == [(-1, "三"), (1, "二")]


def test_swapped_items_are_moves() -> None:
    before = "（一）集成电路产业。\n（二）生物医药产业。\n（三）人工智能产业。"
    after = "（一）集成电路产业。\n（二）人工智能产业。\n（三）生物医药产业。"
    ops = sorted((c.op, c.before_path or "", c.path) for c in diff_texts(before, after).changes)
    assert ops in (
        [("modified", "(三)", "(二)"), ("moved", "(二)", "(三)")],
        [("modified", "(二)", "(三)"), ("moved", "(三)", "(二)")],
    )


def _two_edited_paragraphs() -> tuple[str, str, str, str]:
    lines = read_pair("amount_changed")[0].splitlines()
    first, second = lines[7], lines[10]
    return first, second, first.replace("更大力度", "更强力度"), second.replace("1000万元", "800万元")


def test_edited_paragraph_is_paired_with_its_old_version_not_its_neighbour() -> None:
    first, second, _, edited_second = _two_edited_paragraphs()
    changes = diff_texts(f"{first}\n{second}", edited_second).changes
    assert [(c.op, c.before) for c in changes] == [("removed", first), ("modified", second)]


def test_large_blocks_pair_paragraphs_by_position(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(diff_module, "MAX_PAIRING_CELLS", 0)
    first, second, edited_first, edited_second = _two_edited_paragraphs()
    changes = diff_texts(f"{first}\n{second}", f"{edited_second}\n{edited_first}").changes
    assert [c.op for c in changes] == ["removed", "removed", "added", "added"]


def test_heavy_rewrite_finishes_quickly() -> None:
    started = time.perf_counter()
    diff_texts(*read_pair("heavy_rewrite"))
    assert time.perf_counter() - started < FAST_ENOUGH_S


def test_mostly_equal_text_reports_only_the_replaced_paragraphs() -> None:
    before, rewrite = (text.splitlines() for text in read_pair("heavy_rewrite"))
    shared = range(0, min(len(before), len(rewrite)), 4)
    replacements = {k: rewrite[k] for k in shared if rewrite[k] not in before}
    after = [replacements.get(k, line) for k, line in enumerate(before)]
    changes = diff_texts("\n".join(before), "\n".join(after)).changes
    assert {c.before for c in changes} - {None} == {before[k] for k in replacements}
    assert {c.after for c in changes} - {None} == set(replacements.values())


def test_pairs_out_of_time_are_coarse_without_fragments() -> None:
    diff = diff_texts(*read_pair("heavy_rewrite"), char_timeout=EXHAUSTED_TIMEOUT)
    modified = [c for c in diff.changes if c.op == "modified"]
    assert modified
    assert all(c.coarse and not c.fragments and c.before and c.after for c in modified)


def test_coarse_pairs_counts_coarse_changes() -> None:
    diff = diff_texts(*read_pair("amount_changed"), char_timeout=EXHAUSTED_TIMEOUT)
    assert (diff.coarse_pairs, [c.coarse for c in diff.changes]) == (1, [True])


def test_non_positive_limits_are_rejected() -> None:
    with pytest.raises(ValueError, match="char_timeout"):
        diff_texts("甲", "乙", char_timeout=0)
    with pytest.raises(ValueError, match="time_limit"):
        diff_texts("甲", "乙", time_limit=0)


def test_a_spent_document_limit_leaves_the_remaining_clauses_coarse() -> None:
    diff = diff_texts(*read_pair("heavy_rewrite"), time_limit=EXHAUSTED_TIMEOUT)
    assert all(c.coarse for c in diff.changes if c.op == "modified")


def test_timed_out_character_diff_falls_back_to_exact_sentence_pieces(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[str] = []
    exact = diff_module._dmp

    def pieces_only(before: str, after: str, deadline: float) -> list[tuple[int, str]] | None:
        calls.append(before)
        return exact(before, after, deadline) if len(calls) == 1 else None

    monkeypatch.setattr(diff_module, "_dmp", pieces_only)
    diff = diff_texts(*read_pair("amount_changed"))
    (change,) = diff.changes
    assert (change.granularity, diff.sentence_pairs, diff.coarse_pairs) == ("sentence", 1, 0)
    assert _rebuilt(change, -1) == change.before and _rebuilt(change, 1) == change.after
    assert change.fragments[1:] == [
        (-1, "给予单个项目不超过1000万元支持。"),
        (1, "给予单个项目不超过500万元支持。"),
    ]


def test_whitespace_width_and_heading_marks_are_not_differences() -> None:
    before, _ = read_pair("amount_changed")
    after = before.replace("1000", "１０００").replace("，", " ，").replace("四、政策内容", "## 四、政策内容")
    assert after != before
    assert diff_texts(before, after).is_empty


def test_paragraphs_split_at_other_places_are_not_differences() -> None:
    before, _ = read_pair("pairA_soil")
    after = before.replace("认定工作，根据", "认定工作，\n根据", 1)
    assert diff_texts(before, after).is_empty


def test_page_debris_lines_are_not_paragraphs() -> None:
    before, _ = read_pair("pairA_soil")
    lines = before.splitlines()
    after = "\n".join([*lines[:3], "—4一", *lines[3:6], "- 5 -", "【打印本页】【关闭窗口】", *lines[6:]])
    assert diff_texts(before, after).is_empty


def test_changed_values_are_reported_with_what_they_measure() -> None:
    (change,) = diff_texts(*read_pair("amount_changed")).changes
    assert [v.to_dict() for v in change.values] == [
        {"kind": "amount", "before": "1000万元", "after": "500万元", "label": "支持上限"}
    ]


def test_reformatted_value_is_an_edit_without_value_change() -> None:
    (change,) = diff_texts(
        "本意见有效期至2026年12月31日。", "本意见有效期至二〇二六年十二月三十一日。"
    ).changes
    assert (change.op, change.values) == ("modified", [])


def test_legacy_dict_without_granularity_moves_or_values_still_reads() -> None:
    data = {"path": "一", "op": "modified", "before": "a", "after": "b", "fragments": [], "coarse": True}
    change = ClauseChange.from_dict(data)
    assert (change.granularity, change.coarse, change.before_path, change.values) == (
        "clause",
        True,
        None,
        [],
    )
    legacy = {"changes": [data], "elapsed_ms": 1.0, "coarse_pairs": 1}
    assert TextDiff.from_dict(legacy).sentence_pairs == 0


def test_moves_and_values_survive_json() -> None:
    before, _ = read_pair("amount_changed")
    lines = before.replace("1000万元", "800万元", 1).splitlines()
    lines.append(lines.pop(5))
    diff = diff_texts(before, "\n".join(lines))
    assert {c.op for c in diff.changes} == {"moved", "modified"}
    assert TextDiff.from_dict(json.loads(json.dumps(diff.to_dict()))) == diff


def test_to_dict_writes_fragments_as_lists() -> None:
    data = diff_texts(*read_pair("pairA_soil")).to_dict()
    assert set(data) == {"changes", "elapsed_ms", "coarse_pairs", "sentence_pairs"}
    assert data["changes"][0]["fragments"][1] == [-1, "土壤污染防治法"]


def test_dict_form_survives_json_and_round_trips() -> None:
    diff = diff_texts(*read_pair("pairA_soil"))
    assert TextDiff.from_dict(json.loads(json.dumps(diff.to_dict()))) == diff


def test_from_dict_rejects_an_unknown_op() -> None:
    data = {"path": "第一条", "op": "renamed", "before": "a", "after": "a", "fragments": [], "coarse": False}
    with pytest.raises(ValueError, match="renamed"):
        ClauseChange.from_dict(data)


def test_an_edit_inside_a_number_is_widened_to_the_whole_number() -> None:
    (change,) = diff_texts("给予单个项目不超过1000万元支持。", "给予单个项目不超过500万元支持。").changes
    assert [(op, text) for op, text in change.fragments if op != 0] == [(-1, "1000"), (1, "500")]


def test_whole_numbers_keeps_edits_away_from_numbers_as_they_are() -> None:
    fragments = [(0, "有效期至2026年"), (-1, "十二"), (1, "六"), (0, "月31日")]
    assert whole_numbers(fragments) == fragments


def test_whole_numbers_widens_a_decimal() -> None:
    fragments = [(0, "比例为1."), (-1, "5"), (1, "8"), (0, "%")]
    assert whole_numbers(fragments) == [(0, "比例为"), (-1, "1.5"), (1, "1.8"), (0, "%")]


def test_rewrapped_paragraph_with_an_edit_is_one_modified_clause() -> None:
    before, _ = read_pair("pairA_soil")
    paragraph = next(line for line in before.splitlines() if line.startswith("本办法适用于"))
    rewrapped = paragraph.replace("会同规划资源部门", "会同规划资源部门\n")
    rewrapped = rewrapped.replace("监督管理职责", "监督管理职能")
    (change,) = diff_texts(before, before.replace(paragraph, rewrapped)).changes
    assert (change.op, change.path, change.before) == ("modified", "第二条", paragraph)
    assert [(op, text) for op, text in change.fragments if op != 0] == [(-1, "责"), (1, "能")]


def test_reflowed_paragraphs_around_an_edit_are_left_out() -> None:
    before, _ = read_pair("pairA_soil")
    lines = before.splitlines()
    after = [line.replace("，", "，\n", 1) for line in lines]
    after[2] = after[2].replace("制定本办法", "制定本实施办法")
    changes = diff_texts(before, "\n".join(after)).changes
    assert [(c.op, c.path) for c in changes] == [("modified", "第一条")]


def test_an_empty_side_makes_every_paragraph_added_or_removed() -> None:
    assert diff_texts("", "").is_empty
    assert [(c.op, c.path) for c in diff_texts("", "第一条 新增。\n—4一").changes] == [("added", "第一条")]
    assert [(c.op, c.path) for c in diff_texts("第一条 旧的。", "\n").changes] == [("removed", "第一条")]
