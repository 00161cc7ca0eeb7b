from detect.diff import ClauseChange, TextDiff, diff_texts, summarise
from tests.detect.fixtures import read_pair


def test_amount_change_shows_old_and_new_amount_with_context() -> None:
    summary = summarise(diff_texts(*read_pair("amount_changed")))
    assert summary == (
        "四.(一).2.(1): …内容，给予单个项目不超过1000万元支持。 → …内容，给予单个项目不超过500万元支持。"
    )


def test_added_clause_is_marked_with_plus_and_its_path() -> None:
    summary = summarise(diff_texts(*read_pair("clause_added")), max_items=1)
    assert summary.startswith("+ 三: 三、施行")


def test_removed_clause_is_marked_with_minus_and_shortened() -> None:
    summary = summarise(diff_texts(*read_pair("clause_removed")))
    assert summary == "- 第十四条.(四): （四）不得与所调查的建设用地、涉及土壤污染责任的…"


def test_places_beyond_max_items_are_counted_not_listed() -> None:
    summary = summarise(diff_texts(*read_pair("clause_added")), max_items=2)
    assert (summary.count("; "), summary.endswith("（另有1处）")) == (1, True)


def test_distant_edits_in_one_clause_are_separate_places() -> None:
    before, after = read_pair("pairA_soil")
    after = after.replace("制定本办法。", "制定本实施办法。")
    items = summarise(diff_texts(before, after)).split("; ")
    assert [("法典" in item, "实施办法" in item) for item in items] == [(True, False), (False, True)]


def test_coarse_change_is_marked_as_a_whole_paragraph() -> None:
    summary = summarise(diff_texts(*read_pair("amount_changed"), char_timeout=1e-9))
    assert summary.startswith("四.(一).2.(1)（整段）: 促进“互联网+”")


def test_modified_change_without_fragments_shows_both_values() -> None:
    change = ClauseChange("标题", "modified", "关于印发《实施办法》的通知", "关于修改《实施办法》的通知")
    summary = summarise(TextDiff(changes=[change], elapsed_ms=0.0, coarse_pairs=0))
    assert summary == "标题: 关于印发《实施办法》的通知 → 关于修改《实施办法》的通知"


def test_empty_diff_says_nothing_changed() -> None:
    assert summarise(TextDiff(changes=[], elapsed_ms=0.0, coarse_pairs=0)) == "无变化"
