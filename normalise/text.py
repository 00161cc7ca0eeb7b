"""Character- and line-level canonicalisation shared by the normalisers.

Canonical text must not change when a site only re-renders a document: full-width vs half-width digits,
indentation with U+3000 or ``&nbsp;``, spaces typed around numbers and hard line breaks are noise. Chinese
punctuation is content and is kept exactly as published.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# Full-width digits, Latin letters and the symbols that occur inside values (50％, 3．68, ＋/－).
_WIDE_CHARS = (*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B), *map(ord, "％．＋－"))
_UNICODE_SPACES = "\u00a0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u202f\u205f\u3000"
# Invisible characters that editors leave behind; kept, they make two equal texts differ.
_INVISIBLE = "\u00ad\u200b\u200c\u200d\u2060\ufeff"
_FOLD_TABLE: dict[int, int | str | None] = {
    **{code: code - 0xFEE0 for code in _WIDE_CHARS},
    **{ord(char): " " for char in _UNICODE_SPACES},
    **{ord(char): None for char in _INVISIBLE},
}

# Han characters and CJK / full-width punctuation (U+3000 is left out: it is a space, folded above).
_CJK = (
    "\u2e80-\u2fff\u3001-\u303f\u3040-\u9fff\uf900-\ufaff\ufe10-\ufe1f\ufe30-\ufe6f\uff01-\uffef"
    "\U00020000-\U0003134f“”‘’…—·"
)
_SPACE_AT_CJK = re.compile(rf"(?<=[{_CJK}])\s+|\s+(?=[{_CJK}])")
_SPACE_RUN = re.compile(r"\s+")

# A 文号 such as 沪府规〔2022〕18号 or 中（沪）自保管〔2021〕175号, in any bracket style and spacing. It lives
# here because reflow needs it (a 文号 line stands alone) as well as the metadata extraction.
DOC_NUMBER_PATTERN = (
    r"[\u4e00-\u9fff]{1,15}(?:[（(][\u4e00-\u9fff]{1,3}[）)][\u4e00-\u9fff]{1,10})?"
    r"\s*[〔\[［（(【﹝]\s*\d{4}\s*[〕\]］）)】﹞]\s*\d{1,5}\s*号"
)

# reflow: a line ending like this closes a sentence (closing quotes/brackets may follow the mark). Text
# converted from PDF often has an ASCII "." for 。; after a Han character it cannot be a decimal point.
_SENTENCE_END = re.compile(r"(?:[。！？；：…!?;:]|(?<=[\u4e00-\u9fff])\.)[”’」』）)》〉】〕\"']*$")
# reflow: a line starting like this opens a new clause or item.
_ITEM_START = re.compile(
    r"第[一二三四五六七八九十百千零〇两\d]+[编章节条款]"
    r"|[一二三四五六七八九十]+[、.．]"
    r"|[（(][一二三四五六七八九十]+[）)]"
    r"|\d{1,3}[、.．](?!\d)"
    r"|[（(]\d{1,3}[）)]"
    r"|[①-⑳]"
    r"|附件"
)
_DATE_LINE = re.compile(
    r"(?:\d{4}|[〇○零一二三四五六七八九]{4})年[\d一二三四五六七八九十]{1,3}月[\d一二三四五六七八九十]{1,3}日"
)
_DOC_NUMBER_LINE = re.compile(DOC_NUMBER_PATTERN)
_ORGANISATION_LINE = re.compile(
    r"[\u4e00-\u9fff（）]{1,30}(?:人民政府|政府|委员会|办公室|办事处|局|委|办|厅|院|中心|小组)"
)


def fold_width(s: str) -> str:
    """Map full-width digits/letters/value symbols to ASCII and every Unicode space to a space.

    Sites type amounts as 1000 or １０００ at random; Chinese punctuation is left alone because it is
    the document's own spelling.
    """
    return s.translate(_FOLD_TABLE)


def collapse_whitespace(line: str) -> str:
    """Drop whitespace next to CJK characters, squeeze other runs to one space, strip the ends.

    Chinese has no word spaces, so "不超过 1000 万元" and "不超过1000万元" are the same text; between
    Latin words or numbers a single space is meaningful and kept.
    """
    return _SPACE_RUN.sub(" ", _SPACE_AT_CJK.sub("", line)).strip()


def reflow(lines: Iterable[str]) -> list[str]:
    """Join hard-wrapped lines back into paragraphs.

    Line breaks inside one HTML block (``<br>``) and in PDF or plain text are layout, not content.
    A line is joined to the next when it does not end a sentence (。！？；：…, or "." after a Han
    character; closing quotes or brackets may follow) and the next line does not start a clause
    or item (第X条/章, 一、, （一）, 1., （1）, ①, 附件). Date lines and 文号 lines always stand alone,
    and consecutive organisation names (a signature block) are not merged. A short heading followed by
    text inside one block is joined to it: a break inside a heading ("二、基本<br>原则") is far more
    common in CMS output than a heading and its text sharing one block. Blank lines are ignored: PDF
    page breaks put them in mid-sentence. Expects lines that went through ``fold_width`` and
    ``collapse_whitespace``.
    """
    paragraphs: list[str] = []
    for line in lines:
        if not line.strip():
            continue
        if paragraphs and _continues(paragraphs[-1], line):
            paragraphs[-1] = _join(paragraphs[-1], line)
        else:
            paragraphs.append(line)
    return paragraphs


def _continues(previous: str, line: str) -> bool:
    if _SENTENCE_END.search(previous) or _ITEM_START.match(line):
        return False
    if _stands_alone(previous) or _stands_alone(line):
        return False
    return not (_ORGANISATION_LINE.fullmatch(previous) and _ORGANISATION_LINE.fullmatch(line))


def _stands_alone(line: str) -> bool:
    return bool(_DATE_LINE.fullmatch(line) or _DOC_NUMBER_LINE.fullmatch(line))


def _join(previous: str, line: str) -> str:
    # Only two Latin words/numbers need a space between them; CJK is written without one.
    between_words = _is_latin_word_char(previous[-1]) and _is_latin_word_char(line[0])
    return f"{previous} {line}" if between_words else previous + line


def _is_latin_word_char(char: str) -> bool:
    return char.isascii() and char.isalnum()
