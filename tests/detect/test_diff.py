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
    changes = diff_texts(*read_pair("heavy_rewrite")).changes
    modified = [c for c in changes if c.op == "modified" and not c.coarse]
    assert modified
    assert all(_rebuilt(c, -1) == c.before and _rebuilt(c, 1) == c.after for c in modified)


def test_modified_clause_takes_its_path_from_the_after_side() -> None:
    changes = diff_texts(*read_pair("heavy_rewrite")).changes
    (renumbered,) = [c for c in changes if c.after == "（九）优化规划许可流程"]
    assert (renumbered.before, renumbered.path) == ("（十二）优化建设项目规划许可流程。", "一.(九)")


def test_moved_paragraph_is_reported_as_removed_and_added() -> None:
    before, _ = read_pair("amount_changed")
    lines = before.splitlines()
    moved = lines.pop(5)
    lines.append(moved)
    changes = diff_texts(before, "\n".join(lines)).changes
    assert [(c.op, c.before or c.after) for c in changes] == [("removed", moved), ("added", moved)]


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


def test_non_positive_char_timeout_is_rejected() -> None:
    with pytest.raises(ValueError, match="char_timeout"):
        diff_texts("甲", "乙", char_timeout=0)


def test_to_dict_writes_fragments_as_lists() -> None:
    data = diff_texts(*read_pair("pairA_soil")).to_dict()
    assert set(data) == {"changes", "elapsed_ms", "coarse_pairs"}
    assert data["changes"][0]["fragments"][1] == [-1, "土壤污染防治法"]


def test_dict_form_survives_json_and_round_trips() -> None:
    diff = diff_texts(*read_pair("pairA_soil"))
    assert TextDiff.from_dict(json.loads(json.dumps(diff.to_dict()))) == diff


def test_from_dict_rejects_an_unknown_op() -> None:
    data = {"path": "第一条", "op": "moved", "before": "a", "after": "a", "fragments": [], "coarse": False}
    with pytest.raises(ValueError, match="moved"):
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
