"""The labelled metadata block of a government detail page (索引号 / 发文字号 / 发布日期 ...).

Sites lay the block out differently — Putuo as ``<span>label：</span><span>value</span>`` cells, Pudong as
"label value" rows, Minhang as a label line followed by a value line (sites.md §3.6, §3.1, §3.9; the
rendered texts in ../shared/corpus/pages/) — but always as text in reading order: label, then its value.
So the block is read from the page's text, not from markup that no stored source shows.

Pure (no Scrapy), so the normaliser can resolve the same fields from an item's record.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

# Field -> the labels that carry it, most specific first (a page may print several: Minhang shows
# 发布时间 in its 来源 line and 发布日期 in the block, and the block is the document's own).
FIELD_LABELS: dict[str, tuple[str, ...]] = {
    "doc_number": ("发文字号", "文件编号", "文号"),
    "agency": ("发文机关", "发布机构", "公开主体"),
    "published": ("发布日期", "发布时间"),
    "status": ("文件状态",),
    "index_no": ("索引号",),
    "topic": ("主题分类",),
    "open_type": ("公开属性", "公开类别"),
    "written": ("成文日期",),
    "effective": ("生效日期",),
    "expires": ("失效日期",),
}
# 来源 (the publishing site, Minhang's "来源:上海市闵行区人民政府  发布时间:…") is read so that it ends the
# value before it, but it names the website's owner, not the issuing body.
LABELS: tuple[str, ...] = (*(label for labels in FIELD_LABELS.values() for label in labels), "来源")

# A label starts a text token or follows whitespace, and ends at a colon, whitespace or the token's end:
# "按主题分类" in running text is not a label.
_LABEL = re.compile(
    rf"(?:^|(?<=\s))(?P<label>{'|'.join(sorted(LABELS, key=len, reverse=True))})(?:\s*[:：]\s*|\s+|$)"
)


def header_fields(tokens: Iterable[str]) -> dict[str, str]:
    """Label -> value from a page's text tokens in reading order; the first occurrence of a label wins.

    A value is the text after its label up to the next label, in the same token or the next one; a label
    directly followed by another label has an empty value (Minhang's blank 生效日期 / 失效日期).
    """
    pieces: list[tuple[str, str]] = []  # ("label", name) or ("text", value)
    for token in tokens:
        text = token.strip()
        position = 0
        for match in _LABEL.finditer(text):
            before = text[position : match.start()].strip()
            if before:
                pieces.append(("text", before))
            pieces.append(("label", match["label"]))
            position = match.end()
        rest = text[position:].strip()
        if rest:
            pieces.append(("text", rest))
    fields: dict[str, str] = {}
    for (kind, name), following in zip(pieces, [*pieces[1:], ("label", "")], strict=True):
        if kind == "label" and name not in fields:
            fields[name] = following[1] if following[0] == "text" else ""
    return fields


def header_value(header: Mapping[str, str], field: str) -> str | None:
    """The first non-empty value among the labels that carry ``field`` (see ``FIELD_LABELS``)."""
    for label in FIELD_LABELS[field]:
        value = (header.get(label) or "").strip()
        if value:
            return value
    return None
