"""Metadata that identifies a document: canonical forms of 文号 and dates, and what the text itself states.

The same 文号 is written 沪府规〔2022〕18号, 沪府规[2022]18号 or 沪府规（２０２２）18 号 depending on the
site and the editor; one canonical spelling keeps a re-typed bracket from looking like a new document.

``extract_metadata`` reads the metadata an official document carries in its own text (header, signature
block, imprint, closing article). The platform record is the authority; the text fills the gaps and lets
a disagreement be seen. Validity (有效期, 试行) and cited documents are read by ``validity`` and
``references``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import islice, pairwise

from normalise.text import DOC_NUMBER_PATTERN, collapse_whitespace, fold_width

# The only statuses with a documented meaning (the platform's 状态 and the text's 文件状态 alike).
KNOWN_STATUSES = frozenset({"有效", "失效", "废止"})

_YEAR_IN_BRACKETS = re.compile(r"[〔\[［（(【﹝](\d{4})[〕\]］）)】﹞]")
_WHITESPACE = re.compile(r"\s+")

# The document's own 文号: a line that is nothing but the number, or a labelled value in the header.
_STANDALONE_DOC_NUMBER = re.compile(DOC_NUMBER_PATTERN)
_LABELLED_DOC_NUMBER = re.compile(rf"(?:文号|文件编号|发文字号)[：:]?({DOC_NUMBER_PATTERN})")
_HEADING_MARK = re.compile(r"^#+\s*")

# Dates: ISO-like in records and page headers; 年月日 in texts, with Arabic digits or Chinese numerals
# (二○二○年六月十八日: ○ U+25CB and 〇 U+3007 both occur; 零, and the O or 0 of OCR, are read as zero).
_ZEROS = "〇○零Oo0"
_CHINESE_DIGITS = {char: n for n, chars in enumerate((_ZEROS, *"一二三四五六七八九")) for char in chars}
_CHINESE_YEAR = rf"[{_ZEROS}一二三四五六七八九]{{4}}"
_CHINESE_NUMBER = r"[二三]?十[一二三四五六七八九]?|[一二三四五六七八九]"
_NUMERIC_DATE = r"(?P<iy>\d{4})(?P<sep>[-/.])(?P<im>\d{1,2})(?P=sep)(?P<id>\d{1,2})"
_HAN_DATE = (
    rf"(?P<y>\d{{4}}|{_CHINESE_YEAR})年(?P<m>\d{{1,2}}|{_CHINESE_NUMBER})月(?P<d>\d{{1,2}}|{_CHINESE_NUMBER})日"
)
_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
_DATE = re.compile(rf"(?:{_NUMERIC_DATE}|{_HAN_DATE}){_TIME}")
_DATE_IN_TEXT = re.compile(_HAN_DATE)

# A reissued regulation's 题注 cites the notice that reissued it, dated, numbered and titled:
# "（2024年7月22日黄发改规〔2024〕2号发布，根据2026年7月31日黄发改规〔2026〕2号《…关于印发…的通知》修正…）".
# The date fixes where the number starts; a title equal to the document's own makes it its own number.
_DATED_CITATION = re.compile(rf"{_HAN_DATE}(?P<number>{DOC_NUMBER_PATTERN})《(?P<title>[^《》]+)》")
_QUOTE_MARKS = re.compile(r"[《》〈〉<>]")
_MIN_TITLE_CHARS = 6

# Names of issuing bodies. A name ends in one of these; several names on one line (a joint signature
# whose spaces canonicalisation removed) are split where the next one begins: 上海市… or 中共….
_BODY_SUFFIX = r"(?:人民政府|政府|委员会|办公室|办公厅|办事处|管委会|协会|局|委|办|厅|院|中心|小组|部|所|站)"
_BODY = re.compile(rf"[\u4e00-\u9fff（）()]{{1,40}}{_BODY_SUFFIX}")
_BODY_SEPARATOR = re.compile(r"[、，,\s]+|(?<!中共)(?=上海市)|(?=中共)")
# A signature line may follow 特此通知 in the same paragraph when the editor left out its 。.
_CLOSING_FORMULA = re.compile(r"^特此(?:通知|函告|批复|公告)。?")
# Anything shaped like a date, valid or not: a typo such as 2025年月30日 still ends a signature block.
_DATE_PART_SHAPE = rf"[\d十{''.join(_CHINESE_DIGITS)}]{{0,3}}"
_DATE_SHAPE = rf"(?:\d{{4}}|{_CHINESE_YEAR})年{_DATE_PART_SHAPE}月{_DATE_PART_SHAPE}日"
_SIGNATURE_LINE = re.compile(rf"(?P<bodies>[^。，；：]*?)(?P<date>{_DATE_SHAPE})")
# The imprint (版记) at the foot of a document: "<printing office> 2025年1月10日印发".
_IMPRINT_LINE = re.compile(rf"(?P<bodies>[^。，；：]*?){_HAN_DATE}印发")
# The red header: "上海市人民政府文件".
_RED_HEADER = re.compile(r"(?P<bodies>.+)文件")
_TITLE_PREFIX = re.compile(r"(?P<bodies>.+?)关于.+")

# Labelled page metadata (索引号 / 发布机构 / 成文日期 ... blocks of government sites): the value follows
# the label on the same line or, where a site lays them out as a table, on the next one.
def _label(*names: str) -> re.Pattern[str]:
    return re.compile(rf"(?:{'|'.join(names)})[：:]?(?P<value>.*)")


_ISSUER_LABEL = _label("发布机构", "发文机关", "发文单位", "发布单位")
_PUBLISHED_LABEL = _label("发布日期", "发布时间", "印发日期")
_WRITTEN_LABEL = _label("成文日期")
_EFFECTIVE_LABEL = _label("生效日期", "施行日期", "实施日期")
_STATUS_LABEL = _label("文件状态", "效力状态", "时效性")

# 自2026年8月17日起施行 / 自印发之日起施行: the closing article that starts the document's force.
_EFFECTIVE_FROM = re.compile(
    rf"自(?:{_HAN_DATE}|(?:本[\u4e00-\u9fff]{{1,4}})?(?P<event>印发|发布|公布)之日)起(?:施行|实施|试行|执行|生效)"
)

# 相关稿件 / 相关链接 lists at the foot of a page: the entries that are interpretations (解读) of it.
_RELATED_MARK = re.compile(r"(?:相关稿件|相关链接|相关解读|政策解读|文件解读)[：:]?(?P<rest>.*)")
_INTERPRETATION = re.compile(r"解读|起草说明")


@dataclass(frozen=True)
class TextMetadata:
    """What a document's text states about itself; None or empty where the text does not say."""

    doc_number: str | None = None
    issuers: tuple[str, ...] = ()
    """Issuing bodies in the document's order; several for a joint issuance (联合发文)."""
    written_date: str | None = None
    """成文日期: the date that closes the notice, under its signature."""
    published_date: str | None = None
    """Stated publication date: a labelled 发布日期 or the imprint's 印发 date."""
    effective_date: str | None = None
    """施行日期 from 自…起施行; "自印发之日起" gives the publication (or else the written) date."""
    status: str | None = None
    """有效/失效/废止, only from a labelled status field: prose about other documents is no evidence."""
    interpretation_links: tuple[str, ...] = ()
    """Titles of the 政策解读 entries listed under 相关稿件 / 相关链接."""


def normalise_doc_number(s: str | None) -> str | None:
    """Canonical 文号: year in 〔〕, no spaces, ASCII digits; None when there is nothing to normalise."""
    if s is None:
        return None
    folded = _WHITESPACE.sub("", fold_width(s))
    return _YEAR_IN_BRACKETS.sub(r"〔\1〕", folded) or None


def find_doc_number(text: str) -> str | None:
    """The document's own 文号 from the header of its text, canonical, or None.

    Official documents carry their 文号 in the header, above the first sentence. Only header lines are
    read, and only a line that is the bare number or a labelled value (文号：…): the body cites other
    documents' numbers in running text, and returning one of those would give the document a wrong
    identity, so a text without such a line yields None.
    """
    for line in _canonical_lines(text):
        # The label first: "文件编号浦府〔2022〕1号" is also shaped like a bare number.
        labelled = _LABELLED_DOC_NUMBER.search(line)
        if labelled:
            return normalise_doc_number(labelled.group(1))
        if _STANDALONE_DOC_NUMBER.fullmatch(line):
            return normalise_doc_number(line)
        if "。" in line:  # the first sentence ends the header
            return None
    return None


def parse_date(s: str | None) -> str | None:
    """ISO ``YYYY-MM-DD`` from the date spellings sources use (2026-07-31 16:07:48, 2026年7月31日,
    二〇二六年七月三十一日, ...)."""
    if s is None:
        return None
    match = _DATE.fullmatch(collapse_whitespace(fold_width(s)))
    return None if match is None else _iso_date(match)


def dates_in(text: str) -> list[str]:
    """Every valid 年月日 date written in a text, in order (the benchmark asks whether a label is stated)."""
    matches = (match for line in _canonical_lines(text) for match in _DATE_IN_TEXT.finditer(line))
    return [date for date in map(_iso_date, matches) if date]


def extract_metadata(text: str) -> TextMetadata:
    """Metadata a document's text states about itself: 文号, issuers, dates, status, 政策解读 links.

    Reads canonical text (one paragraph per line); raw text works too, as every line is folded and
    collapsed here first.
    """
    lines = list(_canonical_lines(text))
    # The first signature closes the notice. A second one signs an attachment or starts another document
    # (an attached old notice): a 施行 clause after it is not this document's.
    signatures = list(islice(_signatures(lines), 2))
    notice = signatures[0] if signatures else None
    written_date = _labelled_date(lines, _WRITTEN_LABEL) or (notice.date if notice else None)
    published_date = _labelled_date(lines, _PUBLISHED_LABEL) or _imprint_date(lines)
    status = _labelled(lines, _STATUS_LABEL)
    own_lines = lines[: signatures[1].line] if len(signatures) > 1 else lines
    return TextMetadata(
        doc_number=find_doc_number(text) or _self_cited_doc_number(lines),
        issuers=_issuers(lines, notice.bodies if notice else ()),
        written_date=written_date,
        published_date=published_date,
        effective_date=_effective_date(own_lines, published_date or written_date),
        status=status if status in KNOWN_STATUSES else None,
        interpretation_links=_interpretation_links(lines),
    )


def _canonical_lines(text: str) -> Iterator[str]:
    for raw_line in text.splitlines():
        line = _HEADING_MARK.sub("", collapse_whitespace(fold_width(raw_line)), count=1)
        if line:
            yield line


def _iso_date(match: re.Match[str]) -> str | None:
    groups = match.groupdict()
    names = ("iy", "im", "id") if groups.get("iy") else ("y", "m", "d")
    try:
        return dt.date(*(_number(groups[name]) for name in names)).isoformat()
    except ValueError:
        return None


def _number(written: str) -> int:
    """2024, 二〇二四 (digit by digit) or 二十九 (tens): the value of one part of a date."""
    if written.isascii():
        return int(written)
    if "十" not in written:
        return int("".join(str(_CHINESE_DIGITS[char]) for char in written))
    tens, _, units = written.partition("十")
    return _CHINESE_DIGITS.get(tens, 1) * 10 + _CHINESE_DIGITS.get(units, 0)


def _self_cited_doc_number(lines: Sequence[str]) -> str | None:
    """The 文号 a 题注 gives the document itself, recognised by the document's title (its first line)."""
    title = _QUOTE_MARKS.sub("", lines[0]) if lines and "。" not in lines[0] else ""
    if len(title) < _MIN_TITLE_CHARS:
        return None
    for line in lines:
        for citation in _DATED_CITATION.finditer(line):
            if _QUOTE_MARKS.sub("", citation["title"]).endswith(title):
                return normalise_doc_number(citation["number"])
    return None


def _bodies(s: str) -> tuple[str, ...]:
    """The names in ``s`` when it consists of issuing bodies' names only, else ()."""
    names = tuple(name for name in _BODY_SEPARATOR.split(s) if name)
    return names if names and all(_BODY.fullmatch(name) for name in names) else ()


@dataclass(frozen=True)
class _Signature:
    line: int
    bodies: tuple[str, ...]
    date: str | None


def _signatures(lines: Sequence[str]) -> Iterator[_Signature]:
    """Signature blocks: a date line, alone or after the signing bodies, with the name lines just above.

    A date with a typo (2025年月30日) still closes its block, with no date: the names above it are good.
    """
    for index, line in enumerate(lines):
        match = _SIGNATURE_LINE.fullmatch(line)
        if not match or (match["bodies"] and not _bodies(match["bodies"])):
            continue
        bodies = list(_bodies(match["bodies"]))
        for above in range(index - 1, -1, -1):
            names = _bodies(_CLOSING_FORMULA.sub("", lines[above]))
            if not names:
                break
            bodies[:0] = names
        yield _Signature(index, tuple(bodies), parse_date(match["date"]))


def _issuers(lines: Sequence[str], signed: tuple[str, ...]) -> tuple[str, ...]:
    """Signature block first (it lists a joint issuance in order), then the header (red header, title),
    a labelled 发布机构, and last the imprint's printing office, often an office of the issuer rather
    than the issuer itself."""
    if signed:
        return signed
    labelled = _labelled(lines, _ISSUER_LABEL) or ""
    imprints = (match["bodies"] for match in map(_IMPRINT_LINE.fullmatch, lines) if match)
    for candidate in (*_header_candidates(lines), labelled, *imprints):
        if _bodies(candidate):
            return _bodies(candidate)
    return ()


def _header_candidates(lines: Sequence[str]) -> Iterator[str]:
    """Header spellings of the issuers: "<bodies>文件", "<bodies>关于…", or a line of names above "关于…"."""
    for line, following in pairwise([*_header(lines), ""]):
        for pattern in (_RED_HEADER, _TITLE_PREFIX):
            match = pattern.fullmatch(line)
            if match:
                yield match["bodies"]
        if following.startswith("关于"):
            yield line


def _header(lines: Sequence[str]) -> Iterator[str]:
    """Lines above the first sentence."""
    for line in lines:
        if "。" in line:
            return
        yield line


def _labelled(lines: Sequence[str], label: re.Pattern[str]) -> str | None:
    for index, line in enumerate(lines):
        match = label.fullmatch(line)
        if match:
            following = lines[index + 1] if index + 1 < len(lines) else None
            return match["value"] or following
    return None


def _labelled_date(lines: Sequence[str], label: re.Pattern[str]) -> str | None:
    return parse_date(_labelled(lines, label))


def _imprint_date(lines: Sequence[str]) -> str | None:
    for line in lines:
        imprint = _IMPRINT_LINE.fullmatch(line)
        if imprint and (not imprint["bodies"] or _bodies(imprint["bodies"])):
            return _iso_date(imprint)
    return None


def _effective_date(lines: Sequence[str], published_date: str | None) -> str | None:
    labelled = _labelled_date(lines, _EFFECTIVE_LABEL)
    if labelled:
        return labelled
    for line in lines:
        match = _EFFECTIVE_FROM.search(line)
        if match:
            return published_date if match["event"] else _iso_date(match)
    return None


def _interpretation_links(lines: Sequence[str]) -> tuple[str, ...]:
    titles: list[str] = []
    listing = False
    for line in lines:
        mark = _RELATED_MARK.fullmatch(line)
        candidate = mark["rest"] if mark else line if listing else ""
        listing = listing or mark is not None
        if _INTERPRETATION.search(candidate) and not candidate.endswith("。") and candidate not in titles:
            titles.append(candidate)
    return tuple(titles)
