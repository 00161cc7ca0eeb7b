"""Values in policy text — amounts, percentages, dates, durations, counted quantities — read as values.

A policy team acts on "支持上限 1000万元 → 500万元", not on the characters "10" → "5"; and a site that
re-types 二〇二六年 as 2026年, 1000万元 as 1,000万元 or 10% as 百分之十 has not changed the policy. So values
are parsed into canonical keys (kind, bound, magnitude, unit) and compared as such.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

ValueKind = Literal["amount", "percent", "date", "duration", "quantity"]

# Full-width digits and value symbols to ASCII, one character for one so that spans stay valid.
_FOLD = str.maketrans({**{chr(0xFF10 + d): str(d) for d in range(10)}, "％": "%", "．": "."})
_WIDE = re.compile("[０-９％．]")
_CN_DIGITS = {"零": 0, "〇": 0, "○": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6}
_CN_DIGITS |= {"七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_CN_BIG = {"万": 10**4, "亿": 10**8}
_CN_DIGIT_CHARS = "".join(_CN_DIGITS)
FIGURE_CHARS = "0123456789" + _CN_DIGIT_CHARS + "十百千万亿"
"""Every character a figure can be written with."""
_MULTIPLIERS = {"": 1, "百": 100, "千": 1000, "万": 10**4, "十万": 10**5, "百万": 10**6, "千万": 10**7}
_MULTIPLIERS |= {"亿": 10**8, "万亿": 10**12}


def _number(group: str) -> str:
    """A figure: 1,000 / 1000.5 / 一千二百 / 二〇二六 / 十五点五.

    Chinese figures start with a digit or 十 so that 万 or 千 alone is never one, and neither an ordinal
    (第三) nor the middle of a figure starts one.
    """
    return (
        rf"(?<![第\d.,{_CN_DIGIT_CHARS}十百千万亿])"
        rf"(?P<{group}>\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|\d+(?:\.\d+)?"
        rf"|[{_CN_DIGIT_CHARS}十][{_CN_DIGIT_CHARS}十百千万亿]*(?:点[{_CN_DIGIT_CHARS}]+)?)"
    )


_NUMBER = _number("num")
# Bounds, longest first. In legal usage 以上/以下/不超过/不低于 include the figure, 超过/低于/不满 do not.
_BOUND_WORDS = {
    "最高不超过": "<=", "不超过": "<=", "不高于": "<=", "不多于": "<=", "最高": "<=", "最多": "<=",
    "上限为": "<=", "上限": "<=", "不低于": ">=", "不少于": ">=", "最低": ">=", "至少": ">=",
    "超过": ">", "高于": ">", "多于": ">", "低于": "<", "少于": "<", "不满": "<", "不足": "<",
    "及以上": ">=", "以上": ">=", "及以下": "<=", "以下": "<=", "以内": "<=",
}  # fmt: skip
_SUFFIX_BOUNDS = ("及以上", "以上", "及以下", "以下", "以内")
# Looked up before a matched figure rather than matched with it: an optional 20-way alternation tried at
# every position is most of the cost of scanning a clause.
_PREFIXES = tuple(word for word in _BOUND_WORDS if word not in _SUFFIX_BOUNDS)
_SUFFIX = "(?P<post>" + "|".join(_SUFFIX_BOUNDS) + ")?"
_CN_SMALL = rf"[{_CN_DIGIT_CHARS}十]{{1,3}}"

# Where a value's figure can start (group 1: a run of figure characters); from there the kinds are tried
# in this order, but only when the run is followed by something the patterns below can continue with.
_ANCHOR = re.compile(rf"百分之|半|([\d{_CN_DIGIT_CHARS}十][\d{_CN_DIGIT_CHARS}十百千万亿点]*)")
_AFTER_FIGURE = frozenset("年月日号元美个周天小工平公亩吨千兆人名家户项倍辆套间张台座栋床强%-/.,") | {" ", ""}
_PATTERNS: tuple[tuple[ValueKind, re.Pattern[str]], ...] = (
    (
        "date",
        re.compile(
            rf"(?<!\d)(?P<y>\d{{4}}|[{_CN_DIGIT_CHARS}]{{4}})年"
            rf"(?:(?P<m>\d{{1,2}}|{_CN_SMALL})月(?:(?P<d>\d{{1,2}}|{_CN_SMALL})[日号])?)?"
            r"|(?P<iy>\d{4})(?P<sep>[-/.])(?P<im>\d{1,2})(?P=sep)(?P<id>\d{1,2})(?!\d)"
            rf"|(?<![\d年])(?P<mm>\d{{1,2}}|{_CN_SMALL})月(?P<md>\d{{1,2}}|{_CN_SMALL})[日号]"
        ),
    ),
    (
        "percent",
        re.compile(rf"(?:百分之{_number('cnum')}|{_NUMBER}\s*(?P<unit>%|个百分点)){_SUFFIX}"),
    ),
    (
        "amount",
        re.compile(rf"{_NUMBER}(?P<mult>万亿|十万|百万|千万|[百千万亿])?(?P<unit>美元|元){_SUFFIX}"),
    ),
    (
        "duration",
        re.compile(
            rf"(?:{_NUMBER}|(?P<half>半))"
            rf"(?P<unit>个工作日|工作日|个月|年(?!度|级)|周|天|日|小时){_SUFFIX}"
        ),
    ),
    (
        "quantity",
        re.compile(
            rf"{_NUMBER}(?P<mult>万|亿)?"
            r"(?P<unit>平方米|平方公里|公顷|亩|吨|千瓦|兆瓦|人次|人|名|家|户|项|倍|辆|套|间|张|台|座|栋|床|强)"
            rf"{_SUFFIX}"
        ),
    ),
)  # fmt: skip
# Durations in the same unit class compare as one magnitude: 1年 == 12个月, 1周 == 7天.
_DURATION_UNITS = {"年": ("month", 12), "个月": ("month", 1), "周": ("day", 7), "天": ("day", 1)}
_DURATION_UNITS |= {"日": ("day", 1), "个工作日": ("workday", 1), "工作日": ("workday", 1)}
_DURATION_UNITS |= {"小时": ("hour", 1)}

# What a value measures, found in its own phrase: the nearest of these words names it in summaries.
_SUBJECTS: dict[ValueKind, tuple[str, ...]] = {
    "amount": (
        "支持", "奖励", "补贴", "补助", "资助", "扶持", "贴息", "租金", "房租", "费用", "投资", "营业收入",
        "营收", "注册资本", "税收", "罚款", "补偿", "资金", "金额",
    ),
    "percent": ("比例", "占比", "比率", "比重", "税率", "利率", "增长率", "贴息", "补贴", "奖励", "支持"),
    "quantity": ("面积", "人数", "规模", "倍", "户", "家"),
    "date": ("有效期至", "有效期", "施行", "实施", "起试行", "废止", "截止", "截至", "申报"),
    "duration": ("有效期", "过渡期", "试行期", "期限", "租期", "期"),
}  # fmt: skip
_DATE_LABELS = {"有效期至": "有效期至", "有效期": "有效期至", "施行": "施行日期", "实施": "施行日期"}
_DATE_LABELS |= {"起试行": "试行日期", "废止": "废止日期", "截止": "截止日期", "截至": "截止日期"}
_DATE_LABELS |= {"申报": "申报日期"}
_BOUND_LABELS = {"<=": "上限", "<": "上限", ">=": "下限", ">": "下限"}
_PHRASE_BREAK = re.compile(r"[，。；：！？、（）()\n]")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Value:
    kind: ValueKind
    text: str
    """As written, bound words included: 不超过1000万元."""
    figure: str
    """As written without bound words: 1000万元."""
    start: int
    end: int
    key: tuple[Any, ...]
    """Canonical and comparable: equal keys are the same value however it was typed."""

    @property
    def bound(self) -> str:
        return str(self.key[1])


@dataclass(frozen=True)
class ValueChange:
    """One value that differs in meaning between two versions of a clause; a side is None when absent."""

    kind: ValueKind
    before: str | None
    after: str | None
    label: str
    """What the value measures, from its phrase: 支持上限, 有效期至, 比例下限."""

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "before": self.before, "after": self.after, "label": self.label}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ValueChange:
        return cls(data["kind"], data.get("before"), data.get("after"), data.get("label") or "")


def find_values(text: str) -> list[Value]:
    """Every value in ``text`` with its span, in order of appearance.

    Patterns are tried only where a figure starts, which is several times faster than scanning every
    position with each of them.
    """
    folded = _folded(text)
    values: list[Value] = []
    position = 0
    while anchor := _ANCHOR.search(folded, position):
        # Most figures (统一, 进一步, 十四五) are followed by nothing a value can continue with.
        if anchor.group(1) and folded[anchor.end() : anchor.end() + 1] not in _AFTER_FIGURE:
            position = anchor.end()
            continue
        value = _value_at(folded, text, anchor.start())
        values += [value] if value else []
        position = value.end if value else anchor.end()
    return values


def parse_number(figure: str) -> Decimal | None:
    """1,000 / 1.5 / 一千二百 / 二〇二六 (digit by digit) / 十五点五 as a Decimal; None if not a figure."""
    figure = _folded(figure).replace(",", "")
    try:
        return Decimal(figure)
    except InvalidOperation:
        pass
    whole, _, decimals = figure.partition("点")
    if not whole or any(c not in _CN_DIGITS and c not in _CN_UNITS and c not in _CN_BIG for c in whole):
        return None
    if any(c not in _CN_DIGITS for c in decimals):
        return None
    if len(whole) > 1 and all(c in _CN_DIGITS for c in whole):
        number = Decimal("".join(str(_CN_DIGITS[c]) for c in whole))
    else:
        number = Decimal(_cn_integer(whole))
    if decimals:
        number += Decimal("0." + "".join(str(_CN_DIGITS[c]) for c in decimals))
    return number


def value_changes(
    before: str, after: str, fragments: list[tuple[int, str]] | None = None
) -> list[ValueChange]:
    """Values whose meaning differs between ``before`` and ``after``.

    ``fragments`` (a character diff of the two) lets the value that changed be told apart from an equal
    one elsewhere in the clause; without it, values are matched by key and then by kind in order.
    """
    old, new = find_values(before), find_values(after)
    matched = _match_by_position(old, new, _anchors(fragments)) if fragments else []
    rest_old = [v for v in old if all(v is not a for a, _ in matched)]
    rest_new = [v for v in new if all(v is not b for _, b in matched)]
    for value in list(rest_old):
        twin = next((other for other in rest_new if other.key == value.key), None)
        if twin is not None:
            rest_old.remove(value)
            rest_new.remove(twin)
    for value in list(rest_old):
        other = next((other for other in rest_new if other.kind == value.kind), None)
        if other is not None:
            matched.append((value, other))
            rest_old.remove(value)
            rest_new.remove(other)
    changes = [_change(a, b, after) for a, b in matched if a.key != b.key]
    changes += [ValueChange(v.kind, v.text, None, _label(before, v)) for v in rest_old]
    changes += [ValueChange(v.kind, None, v.text, _label(after, v)) for v in rest_new]
    return changes


def same_meaning(before: str, after: str) -> bool:
    """True when two texts differ only in whitespace, character width, punctuation or value formatting."""
    return _meaning(before) == _meaning(after)


def _meaning(text: str) -> str:
    """``text`` with every value replaced by its key, and width, whitespace and punctuation dropped."""
    parts, last = [], 0
    for value in find_values(text):
        parts += [_plain(text[last : value.start]), f"\ue000{value.key!r}\ue001"]
        last = value.end
    return "".join([*parts, _plain(text[last:])])


def _plain(text: str) -> str:
    return "".join(c for c in _SPACES.sub("", _folded(text)) if c.isalnum() or c in "%+-")


def _folded(text: str) -> str:
    # Translating is the slow part of scanning a clause, and almost no clause has a full-width figure.
    return text.translate(_FOLD) if _WIDE.search(text) else text


def _value_at(folded: str, original: str, position: int) -> Value | None:
    """The value whose figure starts at ``position``, trying the kinds in order."""
    for kind, pattern in _PATTERNS:
        match = pattern.match(folded, position)
        value = _value(kind, match, folded, original) if match else None
        if value:
            return value
    return None


def _value(kind: ValueKind, match: re.Match[str], folded: str, original: str) -> Value | None:
    groups = match.groupdict()
    pre = next((word for word in _PREFIXES if folded.endswith(word, 0, match.start())), "")
    post = groups.get("post") or ""
    bound = _BOUND_WORDS.get(pre) or _BOUND_WORDS.get(post) or "="
    magnitude: tuple[Any, ...] | None
    if kind == "date":
        magnitude = _date(groups)
    elif kind == "duration":
        unit_class, factor = _DURATION_UNITS[groups["unit"]]
        number = Decimal("0.5") if groups.get("half") else parse_number(groups["num"])
        magnitude = None if number is None else (unit_class, (number * factor).normalize())
    else:
        number = parse_number(groups.get("num") or groups.get("cnum") or "")
        unit = groups.get("unit") or "%"
        multiplier = _MULTIPLIERS.get(groups.get("mult") or "", 1)
        magnitude = None if number is None else (unit, (number * multiplier).normalize())
    if magnitude is None:
        return None
    start, end = match.start() - len(pre), match.end()
    figure_start, figure_end = match.start(), end - len(post)
    return Value(
        kind=kind,
        text=original[start:end],
        figure=original[figure_start:figure_end],
        start=start,
        end=end,
        key=(kind, bound, *magnitude),
    )


def _date(groups: dict[str, str | None]) -> tuple[Any, ...] | None:
    year, month, day = (
        (groups["y"], groups["m"], groups["d"])
        if groups.get("y")
        else (groups["iy"], groups["im"], groups["id"])
        if groups.get("iy")
        else (None, groups["mm"], groups["md"])
    )
    parts = tuple(None if part is None else parse_number(part) for part in (year, month, day))
    if (month and not 1 <= (parts[1] or 0) <= 12) or (day and not 1 <= (parts[2] or 0) <= 31):
        return None
    return tuple(None if part is None else int(part) for part in parts)


def _cn_integer(figure: str) -> int:
    """一千二百万 = 12,000,000: 十百千 scale the digit before them, 万 and 亿 everything before them."""
    yi = wan = section = digit = 0
    for char in figure:
        if char in _CN_DIGITS:
            digit = _CN_DIGITS[char]
        elif char in _CN_UNITS:
            section += (digit or 1) * _CN_UNITS[char]
            digit = 0
        elif char == "万":
            wan = (wan + section + digit) * _CN_BIG[char]
            section = digit = 0
        else:
            yi = (yi + wan + section + digit) * _CN_BIG[char]
            wan = section = digit = 0
    return yi + wan + section + digit


def _match_by_position(
    old: list[Value], new: list[Value], pairs: list[tuple[int, int]]
) -> list[tuple[Value, Value]]:
    """Pair each old value with the new value of the same kind that its start maps onto."""
    matched: list[tuple[Value, Value]] = []
    for value in old:
        position = _map_position(value.start, pairs)
        candidates = [
            other
            for other in new
            if other.kind == value.kind
            and other.start <= position < max(other.end, other.start + 1)
            and all(other is not b for _, b in matched)
        ]
        if candidates:
            matched.append((value, candidates[0]))
    return matched


def _anchors(fragments: list[tuple[int, str]]) -> list[tuple[int, int]]:
    """(old, new) offsets where each fragment starts: a position maps to the same offset after them."""
    anchors, old, new = [], 0, 0
    for op, text in fragments:
        anchors.append((old, new))
        old += len(text) if op <= 0 else 0
        new += len(text) if op >= 0 else 0
    return anchors


def _map_position(position: int, pairs: list[tuple[int, int]]) -> int:
    """The position in the new text for ``position`` in the old one (pairs: sorted (old, new) anchors)."""
    mapped = 0
    for old, new in pairs:
        if old > position:
            break
        mapped = new + (position - old)
    return mapped


def _change(old: Value, new: Value, after: str) -> ValueChange:
    same_bound = old.bound == new.bound
    return ValueChange(
        kind=old.kind,
        before=old.figure if same_bound else old.text,
        after=new.figure if same_bound else new.text,
        label=_label(after, new),
    )


def _label(text: str, value: Value) -> str:
    """What ``value`` measures: the nearest subject word in its phrase, plus 上限/下限 for a bound."""
    left = max((m.end() for m in _PHRASE_BREAK.finditer(text, 0, value.start)), default=0)
    right_break = _PHRASE_BREAK.search(text, value.end)
    right = right_break.start() if right_break else len(text)
    subject = _nearest_subject(text, value, left, right)
    if value.kind == "date":
        return _DATE_LABELS.get(subject, "日期") if subject else "日期"
    if value.kind == "duration":
        return subject if subject and subject != "期" else "期限"
    bound = _BOUND_LABELS.get(value.bound, "")
    if subject:
        return subject + bound
    lead = re.sub(r"[^\u4e00-\u9fff]", "", text[left : value.start])[-4:]
    return (lead + bound) or {"amount": "金额", "percent": "比例", "quantity": "数量"}[value.kind]


def _nearest_subject(text: str, value: Value, left: int, right: int) -> str:
    best: tuple[int, str] | None = None
    for word in _SUBJECTS[value.kind]:
        for match in re.finditer(re.escape(word), text[left:right]):
            start, end = left + match.start(), left + match.end()
            distance = value.start - end if end <= value.start else start - value.end
            if distance >= 0 and (best is None or distance < best[0]):
                best = (distance, word)
    return best[1] if best else ""
