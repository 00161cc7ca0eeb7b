from detect.diff import ClauseChange, TextDiff, diff_texts, summarise
from tests.detect.fixtures import read_pair


def test_amount_change_reads_as_a_value_change() -> None:
    summary = summarise(diff_texts(*read_pair("amount_changed")))
    assert summary == "四.(一).2.(1) 支持上限 1000万元 → 500万元"


def test_value_change_and_wording_edit_in_one_clause_are_both_listed() -> None:
    before = "本办法自2024年9月1日起施行，有效期至2029年8月31日。"
    after = "本实施办法自2024年9月1日起施行，有效期至2030年4月30日。"
    summary = summarise(diff_texts(before, after))
    assert (
        summary
        == "¶1 有效期至 2029年8月31日 → 2030年4月30日; ¶1: 本办法自2024年9月1日… → 本实施办法自2024年9月1日…"
    )


def test_reformatted_value_shows_as_an_edit() -> None:
    summary = summarise(diff_texts("比例不超过10%。", "比例不超过百分之十。"))
    assert summary == "¶1: 比例不超过10%。 → 比例不超过百分之十。"


def test_moved_clause_names_both_places() -> None:
    before = "一、范围\n（一）集成电路。\n（二）生物医药。\n二、条件\n（一）注册在本区。"
    after = "一、范围\n（一）集成电路。\n二、条件\n（一）注册在本区。\n（二）生物医药。"
    assert summarise(diff_texts(before, after)) == "一.(二) → 二.(二)（移动）: （二）生物医药。"


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
    before, after = read_pair("pairA_soil")
    summary = summarise(diff_texts(before, after, char_timeout=1e-9))
    assert summary.startswith("第一条（整段）: 为规范本市建设用地土壤污染责任人认定工作")


def test_coarse_change_still_reads_its_values() -> None:
    summary = summarise(diff_texts(*read_pair("amount_changed"), char_timeout=1e-9))
    assert summary == "四.(一).2.(1)（整段） 支持上限 1000万元 → 500万元"


def test_modified_change_without_fragments_shows_both_values() -> None:
    change = ClauseChange("标题", "modified", "关于印发《实施办法》的通知", "关于修改《实施办法》的通知")
    summary = summarise(TextDiff(changes=[change], elapsed_ms=0.0, coarse_pairs=0))
    assert summary == "标题: 关于印发《实施办法》的通知 → 关于修改《实施办法》的通知"


def test_empty_diff_says_nothing_changed() -> None:
    assert summarise(TextDiff(changes=[], elapsed_ms=0.0, coarse_pairs=0)) == "无变化"
