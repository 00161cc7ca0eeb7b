from __future__ import annotations

from notifiers.events import Clause
from notifiers.render import MAX_SUMMARY_LINES, render
from tests.notifiers.factories import AMOUNT_CLAUSE, make_event


def clause(
    path: str, op: str, before: str | None, after: str | None, fragments: list[tuple[int, str]]
) -> Clause:
    return Clause(path=path, op=op, before=before, after=after, fragments=fragments)


def test_title_names_kind_document_and_number() -> None:
    assert (
        render(make_event()).title
        == "【修订 amended】长宁区关于促进人工智能产业发展的若干政策（长府规〔2024〕3号）"
    )


def test_body_names_document_issuer_link_and_archive() -> None:
    body = render(make_event()).body

    for line in [
        "修订 amended：长宁区关于促进人工智能产业发展的若干政策",
        "文号：长府规〔2024〕3号",
        "发文机关：上海市长宁区人民政府",
        "范围：长宁区 · 区级",
        "链接：https://www.shcn.gov.cn/art/2024/3/1/art_1.html",
        "存档：policywatch show 7",
    ]:
        assert line in body.splitlines()


def test_detection_time_is_shown_in_beijing_time() -> None:
    assert "检测时间：2026-11-23 15:30（北京时间）" in render(make_event()).body


def test_modified_clause_shows_old_and_new_amount_in_context() -> None:
    assert (
        "- 四.(一).1：…工智能项目，给予单个项目不超过【1000】→【500】万元支持。" in render(make_event()).body
    )


def test_long_unchanged_text_between_changes_is_shortened_on_both_sides() -> None:
    changed = clause(
        "二",
        "modified",
        None,
        None,
        [
            (-1, "市"),
            (1, "区"),
            (0, "经济和信息化委员会会同发展改革委员会、财政局、科学技术委员会及市场监督管理局"),
            (-1, "负责"),
            (1, "牵头"),
        ],
    )

    line = render(make_event(clauses=(changed,))).body.splitlines()[-1]

    assert (
        line
        == "- 二：【市】→【区】经济和信息化委员会会同发展改革…科学技术委员会及市场监督管理局【负责】→【牵头】"
    )


def test_inserted_words_show_an_empty_old_side() -> None:
    changed = clause("三", "modified", None, None, [(0, "给予"), (1, "最高"), (0, "奖励")])

    assert "- 三：给予【】→【最高】奖励" in render(make_event(clauses=(changed,))).body


def test_added_and_removed_clauses_show_their_text() -> None:
    added = clause("五", "added", None, "本政策自2025年1月1日起施行。", [])
    removed = clause("", "removed", "原第六条内容", None, [])

    lines = render(make_event(clauses=(added, removed))).body.splitlines()

    assert lines[-2:] == ["- 五：新增「本政策自2025年1月1日起施行。」", "- 正文：删除「原第六条内容」"]


def test_long_added_text_is_cut() -> None:
    added = clause("五", "added", None, "很长的条款" * 40, [])

    line = render(make_event(clauses=(added,))).body.splitlines()[-1]

    assert line.endswith("…」") and len(line) < 80


def test_many_clauses_are_capped_with_a_count_of_the_rest() -> None:
    clauses = tuple(clause(f"{n}", "added", None, f"条款{n}", []) for n in range(1, 13))

    body = render(make_event(clauses=clauses), max_clauses=10).body

    assert "变动条款（共12处）：" in body
    assert [line for line in body.splitlines() if line.startswith("- ")][-1] == "- 10：新增「条款10」"
    assert body.rstrip().endswith("另有2处修改，完整内容见 policywatch show 7")


def test_new_document_lists_metadata_and_first_lines_of_text() -> None:
    text = "\n".join(f"第{n}条 内容{n}。" for n in range(1, 9))

    body = render(make_event(kind="new", clauses=(), summary=text)).body

    assert "新发布 new：长宁区关于促进人工智能产业发展的若干政策" in body
    assert "文号：长府规〔2024〕3号" in body
    shown = [line.strip() for line in body.split("摘要：\n")[1].splitlines()]
    assert shown == [*(f"第{n}条 内容{n}。" for n in range(1, MAX_SUMMARY_LINES + 1)), "…"]


def test_unknown_kind_is_shown_by_its_code() -> None:
    assert render(make_event(kind="renumbered")).title.startswith("【renumbered】")


def test_markdown_emphasises_the_new_value() -> None:
    assert "不超过【1000】→【**500**】万元" in render(make_event(clauses=(AMOUNT_CLAUSE,))).body_markdown


def test_markdown_escapes_document_text() -> None:
    markdown = render(make_event(title="关于*试点*的通知<script>", summary="1. 第一项")).body_markdown

    assert "关于\\*试点\\*的通知&lt;script>" in markdown
    assert "  1\\. 第一项" in markdown
