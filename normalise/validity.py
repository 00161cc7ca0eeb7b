"""A document's validity from its own words: effective from, effective until, trial, status.

The platform flags only a status (有效/失效/废止) and "不标有效期" (sites.md §0.5): the dates have to be
mined from the text ("本办法自2024年9月1日起实施，有效期至2029年8月31日", "有效期5年", "试行1年"). Each
fact keeps the sentence it comes from, so a reader can check it, and only sentences about the document
itself count: "《临时建设工程规划许可证》的有效期不超过两年" is about a licence, and "有效期延长至…" in a
notice is about the document the notice extends (detect.lifecycle reads those).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from normalise.metadata import dates_in
from normalise.references import extract_references, sentences, title_key
from normalise.text import fold_width

_DATE = r"(\d{4})年(\d{1,2})月(\d{1,2})日"
_NUMBER = r"([\d一二两三四五六七八九十]+)"
_CHINESE_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"两": 2}
_ITEM_NUMBER = re.compile(
    r"^(?:第[一二三四五六七八九十百零\d]+条|[一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]+[）)]|\d+[.、．])"
)
_OWN = re.compile(
    r"^本[\u4e00-\u9fff]{0,6}(?:办法|规定|细则|意见|通知|决定|标准|规则|方案|措施|文件|制度|规程)"
)
# "自2024年9月1日起实施", "自 2020 年 5 月 1 日实施", "自2021年5月1日起在全市施行"; never "起停止执行".
_FROM = re.compile(
    rf"(?:有效期自{_DATE}起|{_DATE}起?(?:[\u4e00-\u9fff]{{0,4}}?(?:施行|实施|试行|生效)|执行))"
)
_FROM_ISSUE = re.compile(r"(?:自|于)(?:印发|发布|公布|颁布)之日起")
_UNTIL = re.compile(
    rf"(?:有效期(?:自\d{{4}}年\d{{1,2}}月\d{{1,2}}日起[，,]?)?(?:至|到|截止到|截至)|失效期为){_DATE}"
)
_DURATION = re.compile(rf"(?:有效期(?:为)?|试行){_NUMBER}年")
_TRIAL = re.compile(r"起试行|试行期|试行\d+年|试行[一二三四五]年")
_EXTENDED = re.compile(rf"延长(?:至|到){_DATE}|延长至{_DATE}")
_TRIAL_TITLE = re.compile(r"试行|暂行")
PLATFORM_STATUSES = ("有效", "失效", "废止")

# Which statement of the end of validity wins when a text has several: an extension of the regulation
# the document carries beats its original term, and a stated date beats one computed from a duration.
_EXTENSION, _STATED, _COMPUTED = 3, 2, 1


@dataclass(frozen=True)
class Fact:
    value: Any
    source: str
    """``platform`` (the record's flag), ``title`` or ``text`` (the document's own words)."""
    quote: str

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "source": self.source, "quote": self.quote}


@dataclass(frozen=True)
class Validity:
    valid_from: Fact | None = None
    valid_until: Fact | None = None
    trial: Fact | None = None
    status: Fact | None = None
    conflicts: list[Fact] = field(default_factory=list)
    """Other statements of the end of validity that disagree with ``valid_until``."""


def parse_chinese_date(text: str) -> dt.date | None:
    """The first 年月日 date in ``text`` (Arabic or Chinese numerals), as the metadata extractor reads it."""
    dates = dates_in(text)
    return dt.date.fromisoformat(dates[0]) if dates else None


def extension_until(text: str) -> dt.date | None:
    """The new end of validity an extension sentence states ("有效期延长至2026年12月3日")."""
    match = _EXTENDED.search(_compact(text))
    if match is None:
        return None
    groups = match.groups()
    return _date(groups[:3] if groups[0] else groups[3:])


def extract_validity(
    title: str, text: str, *, published: str | None, platform_status: str | None
) -> Validity:
    """The validity ``text`` states for its own document, each fact with the sentence that says it."""
    valid_from: Fact | None = None
    trial = Fact(True, "title", title) if _TRIAL_TITLE.search(title) else None
    ends: list[tuple[int, Fact]] = []
    durations: list[tuple[int, str]] = []
    carried = _carried_titles(text)
    extension_notice = False
    for sentence in sentences(text):
        compact = _compact(sentence)
        if "延长" in compact:
            until = extension_until(compact)
            extension_notice = extension_notice or until is not None
            if until and _extends_carried(sentence, carried):
                ends.append((_EXTENSION, Fact(until.isoformat(), "text", sentence)))
            continue
        if not _about_itself(compact):
            continue
        start = _start_of(compact, published)
        if start and valid_from is None:
            valid_from = Fact(start.isoformat(), "text", sentence)
        for match in _UNTIL.finditer(compact):
            if until := _date(match.groups()):
                ends.append((_STATED, Fact(until.isoformat(), "text", sentence)))
        durations += [(_number(match.group(1)), sentence) for match in _DURATION.finditer(compact)]
        if trial is None and _TRIAL.search(compact):
            trial = Fact(True, "text", sentence)
    if valid_from is not None:
        begin = dt.date.fromisoformat(valid_from.value)
        ends += [(_COMPUTED, Fact(_add_years(begin, years).isoformat(), "text", s)) for years, s in durations]
    if extension_notice and not any(rank == _EXTENSION for rank, _ in ends):
        # The terms in an extension notice are those of the regulation it extends, as first issued.
        ends = []
    valid_until = max(ends, key=lambda end: (end[0], end[1].value))[1] if ends else None
    conflicts = [fact for _, fact in ends if valid_until and fact.value != valid_until.value]
    status = (
        Fact(platform_status, "platform", f"平台标注：{platform_status}")
        if platform_status in PLATFORM_STATUSES
        else None
    )
    return Validity(valid_from, valid_until, trial, status, conflicts)


def _compact(sentence: str) -> str:
    return re.sub(r"\s+", "", fold_width(sentence))


def _about_itself(compact: str) -> bool:
    """A sentence about the document's own validity: "本办法…", or an enacting clause "自…起施行"."""
    body = _ITEM_NUMBER.sub("", compact)
    return bool(_OWN.match(body) or _FROM.search(body) or _FROM_ISSUE.search(body))


def _start_of(compact: str, published: str | None) -> dt.date | None:
    match = _FROM.search(compact)
    if match:
        return _date([group for group in match.groups() if group][:3])
    if _FROM_ISSUE.search(compact) and published:
        return dt.date.fromisoformat(published)
    return None


def _carried_titles(text: str) -> set[str]:
    """Titles standing alone on a line: the regulation a notice carries in its body."""
    return {title_key(line.strip("# ")) for line in text.splitlines() if line and "。" not in line}


def _extends_carried(sentence: str, carried: set[str]) -> bool:
    """An extension of a regulation whose text the document itself carries."""
    return any(ref.title and title_key(ref.title) in carried for ref in extract_references(sentence))


def _date(parts: tuple[str | None, ...] | list[str]) -> dt.date | None:
    try:
        year, month, day = (int(part or "") for part in parts)
        return dt.date(year, month, day)
    except ValueError:
        return None


def _number(text: str) -> int:
    if text.isdigit():
        return int(text)
    if text.startswith("十"):
        return 10 + (_CHINESE_DIGITS.get(text[1:], 0) if len(text) > 1 else 0)
    return _CHINESE_DIGITS.get(text, 0)


def _add_years(start: dt.date, years: int) -> dt.date:
    """The last day of a term of ``years`` years starting on ``start``."""
    try:
        end = start.replace(year=start.year + years)
    except ValueError:  # 29 February
        end = start.replace(year=start.year + years, day=28)
    return end - dt.timedelta(days=1)
