"""html_to_text: the same canonical text for re-rendered HTML, a different one for a real edit.

The documents are real (the 长宁 seed, 长发改规〔2024〕4号); the markup around them is built from the
documented platform body structure (see tests/normalise/corpus.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html import escape

import pytest

from normalise.html import html_to_text
from tests.normalise.corpus import CHANGNING_SEED, body_html, paragraphs

SEED = paragraphs(CHANGNING_SEED.read_text(encoding="utf-8"))
SEED_TEXT = html_to_text(body_html(SEED))
_FULL_WIDTH = str.maketrans(
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "０１２３４５６７８９ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ"
    "ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ",
)
_NUMBER_BETWEEN_HAN = re.compile(r"(?<=[\u4e00-\u9fff])(\d+)(?=[\u4e00-\u9fff])")
_HAN = re.compile(r"[\u4e00-\u9fff]")


def whitespace_html(paras: list[str]) -> str:
    """Body HTML with U+3000 indents, &nbsp; after commas, spaces around numbers, newlines in the source."""

    def noisy(paragraph: str) -> str:
        text = escape(_NUMBER_BETWEEN_HAN.sub(r" \1 ", paragraph))
        text = text.replace("，", "，&nbsp; ").replace("\n", "<br>\n      ")
        return f"\n    <p>\n      \u3000\u3000{text}&nbsp;\n    </p>"

    return '<div class="TRS_Editor">' + "".join(map(noisy, paras)) + "\n</div>\n"


def soft_breaks(paras: list[str]) -> list[str]:
    """A line break (rendered as <br>) in mid-sentence: three characters after the first comma."""

    def broken(paragraph: str) -> str:
        cut = paragraph.find("，") + 3
        if cut < 3 or not (_HAN.match(paragraph[cut - 1]) and _HAN.match(paragraph[cut])):
            return paragraph
        return paragraph[:cut] + "\n" + paragraph[cut:]

    return [broken(paragraph) for paragraph in paras]


def full_width(paras: list[str]) -> list[str]:
    return [paragraph.translate(_FULL_WIDTH) for paragraph in paras]


NOISE_VARIANTS: dict[str, Callable[[list[str]], str]] = {
    "whitespace": whitespace_html,
    "br-in-sentence": lambda paras: body_html(soft_breaks(paras)),
    "full-width": lambda paras: body_html(full_width(paras)),
    "all-together": lambda paras: whitespace_html(full_width(soft_breaks(paras))),
}


def replace_once(old: str, new: str) -> Callable[[list[str]], list[str]]:
    def edit(paras: list[str]) -> list[str]:
        text = "\n\n".join(paras)
        assert old in text
        return paragraphs(text.replace(old, new, 1))

    return edit


REAL_EDITS: dict[str, Callable[[list[str]], list[str]]] = {
    "amount": replace_once("不超过1000万元", "不超过500万元"),
    "word": replace_once("鼓励运用直播服务", "支持运用直播服务"),
    "added-paragraph": lambda paras: [*paras[:20], "对符合条件的市场主体，给予一次性奖励。", *paras[20:]],
    "removed-paragraph": lambda paras: paras[:20] + paras[21:],
}


def test_seed_paragraphs_become_one_line_each() -> None:
    assert SEED_TEXT.splitlines()[13:16] == [
        "区政府各委、办、局，各街道办事处，新泾镇政府：",
        "《长宁区加快构建现代化产业体系促进经济高质量发展的实施意见（试行）》已经十一届区委常委会第139次"
        "会议同意，现印发给你们，请认真按照执行。",
        "特此通知。",
    ]


def test_br_inside_a_wrapped_title_is_joined() -> None:
    title = "关于印发《长宁区加快构建现代化产业体系促进经济高质量发展的实施意见（试行）》的通知"
    assert title in SEED_TEXT.splitlines()


def test_br_between_signatures_keeps_one_agency_per_line() -> None:
    assert SEED_TEXT.splitlines()[1:3] == ["上海市长宁区发展和改革委员会", "上海市长宁区人才工作局"]


def test_canonical_text_has_no_blank_lines() -> None:
    assert all(line.strip() for line in SEED_TEXT.splitlines())


@pytest.mark.parametrize("variant", NOISE_VARIANTS.values(), ids=NOISE_VARIANTS.keys())
def test_noise_variant_gives_identical_text(variant: Callable[[list[str]], str]) -> None:
    noisy_html = variant(SEED)
    assert noisy_html != body_html(SEED)
    assert html_to_text(noisy_html) == SEED_TEXT


@pytest.mark.parametrize("edit", REAL_EDITS.values(), ids=REAL_EDITS.keys())
def test_real_edit_changes_text(edit: Callable[[list[str]], list[str]]) -> None:
    assert html_to_text(body_html(edit(SEED))) != SEED_TEXT


def test_headings_are_prefixed_with_their_level() -> None:
    html = "<h1>上海市人民政府文件</h1><h3>第一章 总则</h3><p>第一条 为规范本市工作，制定本办法。</p>"
    assert html_to_text(html) == "# 上海市人民政府文件\n### 第一章总则\n第一条为规范本市工作，制定本办法。"


def test_table_cells_are_joined_with_a_bar() -> None:
    html = (
        "<table><tr><th>序号</th><th>文号</th></tr>"
        "<tr><td><p>1</p></td><td>沪建交﹝2013﹞201号</td></tr></table>"
    )
    assert html_to_text(html) == "序号 | 文号\n1 | 沪建交﹝2013﹞201号"


def test_layout_table_keeps_paragraphs() -> None:
    html = (
        "<table><tr><td><table><tr><td><p>第一条 目的。</p><p>第二条 范围。</p></td></tr></table></td>"
        "<td>导航</td></tr></table>"
    )
    assert html_to_text(html).splitlines() == ["第一条目的。", "第二条范围。", "导航"]


def test_malformed_html_still_gives_the_text() -> None:
    html = (
        "<div><p>第一条　本办法适用于本市。</div></div><span><p>第二条　市生态环境局负责实施。</span>"
        "<p>第三条　本办法自2024年9月1日起实施<b>，有效期至2029年8月31日。"
    )
    assert html_to_text(html).splitlines() == [
        "第一条本办法适用于本市。",
        "第二条市生态环境局负责实施。",
        "第三条本办法自2024年9月1日起实施，有效期至2029年8月31日。",
    ]


def test_script_style_and_form_controls_are_dropped() -> None:
    html = (
        "<style>p{color:red}</style><script>var t='正文';</script><noscript>请启用脚本</noscript>"
        "<iframe src='x'>框架</iframe><form><input value='搜索'><button>搜索</button></form>"
        "<p>特此通知。</p>"
    )
    assert html_to_text(html) == "特此通知。"


def test_form_wrapping_the_whole_page_is_kept() -> None:
    assert html_to_text("<form id='form1'><div><p>特此通知。</p></div></form>") == "特此通知。"


def test_comments_are_not_text() -> None:
    assert html_to_text("<p>特此<!-- 编辑：张三 -->通知。</p>") == "特此通知。"


def test_page_furniture_is_removed() -> None:
    chrome = (
        '<div class="tools">【 打印本页 】&nbsp;【关闭窗口】</div>'
        "<div>字体：<a>大</a> <a>中</a> <a>小</a></div>"
        "<div>发布日期：2024-11-15 <span>阅读次数：<em>1234</em></span></div>"
        "<div>扫一扫在手机打开当前页</div><div>分享到：<a class='wx'></a></div>"
        "<p>【打印】 | 【关闭】</p><a href='#top'>返回顶部</a><p>浏览次数：56</p>"
    )
    page = f"<html><head><title>长宁区</title></head><body>{chrome}{body_html(SEED)}{chrome}</body></html>"
    assert html_to_text(page) == "发布日期：2024-11-15\n" + SEED_TEXT + "\n发布日期：2024-11-15"


def test_furniture_line_inside_a_content_block_is_removed() -> None:
    html = "<div>特此通知。<br>【打印本页】 【关闭窗口】<br>浏览次数：88</div>"
    assert html_to_text(html) == "特此通知。"


@pytest.mark.parametrize("counter", ["点击数：{count}", "阅读次数: {count}次", "访问量 {count}"])
def test_view_counter_value_does_not_change_text(counter: str) -> None:
    pages = (f"<p>特此通知。</p><div>{counter.format(count=count)}</div>" for count in (12, 13))
    assert {html_to_text(page) for page in pages} == {"特此通知。"}


def test_sentence_mentioning_furniture_words_is_kept() -> None:
    sentence = "申请人可在系统中打印本页并返回顶部菜单提交。"
    assert html_to_text(f"<p>{sentence}</p>") == sentence


def test_bytes_are_rejected() -> None:
    with pytest.raises(TypeError, match="str"):
        html_to_text("<p>特此通知。</p>".encode("gb18030"))  # type: ignore[arg-type]
