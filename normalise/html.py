"""HTML body -> canonical text: one paragraph per line, headings marked with ``#``.

The canonical text is what versions are hashed and diffed on, so it keeps the paragraph structure and
every character of content, and drops everything a re-render can change: markup, whitespace, character
width, soft line breaks and page furniture (print/close links, font-size switches, view counters).
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, NavigableString, Tag

from normalise.text import collapse_whitespace, fold_width, reflow

_DROPPED_TAGS = (
    "head",
    "script",
    "style",
    "noscript",
    "iframe",
    "template",
    "button",
    "input",
    "select",
    "textarea",
)
_BLOCK_TAGS = frozenset(
    {
        "address",
        "article",
        "aside",
        "blockquote",
        "body",
        "caption",
        "center",
        "dd",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "header",
        "hr",
        "html",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
    }
)
_HEADING_LEVELS = {f"h{level}": level for level in range(1, 7)}
# ASP.NET WebForms pages wrap the whole page in one <form>: only forms without document content are chrome.
_CONTENT_TAGS = ("p", "table", "article", *_HEADING_LEVELS)

# Page furniture, matched on folded, whitespace-collapsed text. An element or line is dropped only when it
# consists of nothing but these tokens and separators, so a sentence that mentions them is never cut.
_FURNITURE_TOKENS = (
    r"[【\[［](?:打印本页|打印|关闭窗口|关闭|返回顶部|返回)[】\]］]",  # 【打印本页】【关闭】 toolbar
    r"打印本页",
    r"关闭窗口",
    r"返回顶部",
    r"字体[：:]?[【\[［]?大[】\]］]?[【\[［]?中[】\]］]?[【\[［]?小[】\]］]?",  # 字体：大 中 小
    r"(?:阅读次数|浏览次数|访问量|点击数|阅读量|浏览量)[：:]?\s*\d+次?",  # view counters change daily
    r"扫一扫在手机上?打开当前页",
    r"分享到[：:]?",
)
_FURNITURE = re.compile("|".join(_FURNITURE_TOKENS))
_FURNITURE_SEPARATORS = re.compile(r"[\s|｜/·•丨]+")
_FURNITURE_MAX_CHARS = 80
_CELL_SEPARATOR = " | "


def html_to_text(html: str) -> str:
    """Return the canonical text of an HTML document or fragment.

    Takes ``str`` only: BeautifulSoup given GBK bytes can silently return an empty document, which would
    look like a deleted policy.
    """
    if not isinstance(html, str):
        raise TypeError(f"html_to_text needs decoded text (str), got {type(html).__name__}")
    soup = BeautifulSoup(html, "lxml")
    _drop_chrome(soup)
    return "\n".join(line for line in _block_lines(soup) if not _is_furniture(line))


def _drop_chrome(soup: BeautifulSoup) -> None:
    for tag in soup.find_all(_DROPPED_TAGS):
        tag.decompose()
    for form in soup.find_all("form"):
        if not form.find(_CONTENT_TAGS):
            form.decompose()
    # Candidates are found before anything is removed (asking a removed tag anything is slow in bs4),
    # then removed outermost first; a candidate inside one already removed is skipped.
    candidates = [
        (tag, {id(parent) for parent in tag.parents})
        for tag in soup.find_all(True)
        if _is_furniture(tag.get_text())
    ]
    removed: set[int] = set()
    for tag, ancestors in candidates:
        if not ancestors & removed:
            removed.add(id(tag))
            tag.decompose()


def _is_furniture(text: str) -> bool:
    if len(text) > _FURNITURE_MAX_CHARS * 4:  # cheap exit for large containers before folding
        return False
    canonical = collapse_whitespace(fold_width(text))
    if len(canonical) > _FURNITURE_MAX_CHARS or not _FURNITURE.search(canonical):
        return False
    return not _FURNITURE_SEPARATORS.sub("", _FURNITURE.sub("", canonical))


class _Paragraphs:
    """Collects lines while walking the tree: a block ends a paragraph, ``<br>`` only a segment of it."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._segments: list[str] = []
        self._pieces: list[str] = []

    def add_text(self, text: str) -> None:
        self._pieces.append(text)

    def soft_break(self) -> None:
        self._segments.append("".join(self._pieces))
        self._pieces = []

    def end_paragraph(self) -> None:
        self.soft_break()
        cleaned = (collapse_whitespace(fold_width(segment)) for segment in self._segments)
        self.lines.extend(reflow(segment for segment in cleaned if segment))
        self._segments = []


def _block_lines(node: Tag) -> list[str]:
    paragraphs = _Paragraphs()
    _walk(node, paragraphs)
    paragraphs.end_paragraph()
    return paragraphs.lines


def _walk(node: Tag, paragraphs: _Paragraphs) -> None:
    for child in node.children:
        if isinstance(child, Tag):
            _visit_tag(child, paragraphs)
        elif type(child) is NavigableString:  # subclasses are comments, CDATA, doctypes, ...
            paragraphs.add_text(str(child))


def _visit_tag(tag: Tag, paragraphs: _Paragraphs) -> None:
    name = tag.name
    if name == "br":
        paragraphs.soft_break()
    elif name in _HEADING_LEVELS:
        paragraphs.end_paragraph()
        prefix = "#" * _HEADING_LEVELS[name] + " "
        paragraphs.lines.extend(prefix + line for line in _block_lines(tag))
    elif name == "tr" and _is_data_row(tag):
        paragraphs.end_paragraph()
        cells = [collapse_whitespace(" ".join(_block_lines(cell))) for cell in _cells(tag)]
        if any(cells):
            paragraphs.lines.append(_CELL_SEPARATOR.join(cells))
    elif name in _BLOCK_TAGS:
        paragraphs.end_paragraph()
        _walk(tag, paragraphs)
        paragraphs.end_paragraph()
    else:
        _walk(tag, paragraphs)


def _cells(row: Tag) -> list[Tag]:
    return row.find_all(("td", "th"), recursive=False)


def _is_data_row(row: Tag) -> bool:
    # Old government templates lay whole pages out in tables: a row holding a nested table, or a single
    # cell, is layout and its content keeps its own paragraphs.
    cells = _cells(row)
    return len(cells) > 1 and not any(cell.find("table") for cell in cells)
