from __future__ import annotations

from datetime import time

from notifiers.events import Clause, Evidence
from notifiers.render import HTML, MARKDOWN, MAX_SUMMARY_LINES, TEXT, render, render_digest, render_test
from notifiers.schedule import Digest
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
        "重要程度：高 high",
        "文号：长府规〔2024〕3号",
        "发文机关：上海市长宁区人民政府",
        "范围：长宁区 · 区级",
        "状态：有效",
        "有效期：2024-03-01 至 2026-12-31（试行）",
        "发布日期：2024-03-01",
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
    assert body.rstrip().endswith("另有2处修改，完整内容见 policywatch diff 7 --from 1 --to 2")


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


def test_document_without_a_status_says_so() -> None:
    assert "状态：未标注" in render(make_event(status=None)).body.splitlines()


def test_archive_url_links_the_change() -> None:
    body = render(make_event(), archive_url="https://archive.example.org/change/{change_id}").body

    assert "存档：https://archive.example.org/change/1" in body.splitlines()


def test_lifecycle_change_names_its_evidence_and_quotes_it() -> None:
    notice = Evidence(
        "关于废止部分规范性文件的通知",
        "https://www.shanghai.gov.cn/n1",
        "沪府规〔2026〕1号",
        "下列文件自即日起废止。",
    )
    event = make_event(kind="repealed", priority=3, clauses=(), evidence=notice)

    lines = render(event).body.splitlines()

    assert "依据：关于废止部分规范性文件的通知（沪府规〔2026〕1号） https://www.shanghai.gov.cn/n1" in lines
    assert "原文：「下列文件自即日起废止。」" in lines


def test_lifecycle_change_without_evidence_points_at_the_source_page() -> None:
    body = render(make_event(kind="expired", status="失效", clauses=())).body

    assert "依据：来源页面（状态：失效） https://www.shcn.gov.cn/art/2024/3/1/art_1.html" in body.splitlines()


def test_amendment_of_the_text_has_no_evidence_line() -> None:
    assert "依据" not in render(make_event()).body


def test_amendment_announced_by_a_notice_names_it() -> None:
    notice = Evidence("关于修改《长宁区促进人工智能产业发展的若干政策》的通知", quote="作如下修改")

    assert (
        "依据：关于修改《长宁区促进人工智能产业发展的若干政策》的通知"
        in render(make_event(evidence=notice)).body
    )


def test_html_strikes_the_old_words_and_marks_the_new() -> None:
    html = render(make_event()).body_html

    assert (
        '【<del style="color:#b31d28;background:#ffeef0">1000</del>】→'
        '【<ins style="color:#22863a;background:#e6ffed">500</ins>】万元支持。'
    ) in html


def test_html_escapes_document_text() -> None:
    html = render(make_event(title="关于<b>试点</b>的通知")).body_html

    assert "关于&lt;b&gt;试点&lt;/b&gt;的通知" in html and "<b>试点" not in html


def test_html_links_the_source_page() -> None:
    url = "https://www.shcn.gov.cn/art/2024/3/1/art_1.html"

    assert f'链接：<a href="{url}">{url}</a>' in render(make_event()).body_html


def test_short_body_is_not_cut() -> None:
    message = render(make_event())

    assert message.fitted(TEXT, max_bytes=100_000) == message.body


def test_long_body_is_cut_at_a_line_within_the_byte_limit_with_a_pointer_to_the_full_diff() -> None:
    clauses = tuple(clause(f"{n}", "added", None, "很长的新增条款内容" * 6, []) for n in range(1, 41))
    message = render(make_event(clauses=clauses), max_clauses=40)

    cut = message.fitted(TEXT, max_bytes=2048)

    assert len(cut.encode("utf-8")) <= 2048
    assert cut.endswith("\n\n……（消息过长，已截断。完整差异：policywatch diff 7 --from 1 --to 2）")
    assert set(cut.splitlines()[:-2]) <= set(message.body.splitlines())


def test_cut_points_to_the_archive_link_when_there_is_one() -> None:
    clauses = tuple(clause(f"{n}", "added", None, "新增条款" * 10, []) for n in range(1, 41))
    message = render(
        make_event(clauses=clauses), max_clauses=40, archive_url="https://a.example.org/{change_id}"
    )

    assert message.fitted(MARKDOWN, max_chars=1000).endswith("完整差异：<https://a.example.org/1>）")


def test_digest_groups_by_priority_then_document() -> None:
    events = [
        make_event(change_id=1, document_id=10, priority=1, title="甲文件"),
        make_event(change_id=2, document_id=11, priority=3, title="乙文件", kind="repealed", clauses=()),
        make_event(change_id=3, document_id=10, priority=1, title="甲文件"),
    ]

    body = render_digest("legal", "daily:2026-03-02", events, digest=Digest("daily", time(9, 0))).body

    headings = [line for line in body.splitlines() if line.startswith("■ ")]
    assert headings == ["■ 紧急 critical（1项）", "■ 一般 normal（2项）"]
    assert body.index("乙文件") < body.index("甲文件")
    assert body.count("甲文件") == 1  # one heading for the document, its two changes listed under it
    assert body.count("修订 amended：") == 2


def test_digest_states_its_period_in_beijing_time() -> None:
    body = render_digest("legal", "daily:2026-03-02", [make_event()], digest=Digest("daily", time(9, 0))).body

    assert body.startswith(
        "订阅「legal」2026-03-01 09:00（北京时间） 至 2026-03-02 09:00（北京时间）检测到1项变动"
    )


def test_digest_title_counts_the_changes() -> None:
    message = render_digest("legal", "weekly:2026-W10", [make_event(), make_event(change_id=2)])

    assert message.title == "【policywatch 每周摘要】2026-W10：2项政策变动"


def test_digest_shows_each_changed_clause() -> None:
    body = render_digest("legal", "daily:2026-03-02", [make_event()]).body

    assert "- 修订 amended：四.(一).1：…工智能项目，给予单个项目不超过【1000】→【500】万元支持。" in body


def test_test_message_is_chinese_in_every_style() -> None:
    message = render_test("legal", ["发送方式：即时"])

    assert all(
        "订阅「legal」的政策变动提醒将通过此渠道送达" in message.bodies[style]
        for style in (TEXT, MARKDOWN, HTML)
    )
