"""How much a change matters, so digests can rank and subscriptions can filter (``min_priority``).

What a policy team acts on — money, rates, dates, durations (detect/values), obligations, scope and
validity — ranks above wording. The same vocabulary tells detect/changes that an edit is not a typo.
"""

from __future__ import annotations

import re
from typing import Any

from detect.diff import ClauseChange, Hunk, hunks
from detect.values import find_values, value_changes

PRIORITY_NAMES = ("low", "normal", "high", "critical")
LOW, NORMAL, HIGH, CRITICAL = range(4)

# The document stops (or may stop) applying: a team must act.
_CRITICAL_KINDS = {"repealed", "superseded", "expired", "withdrawn"}
_HIGH_KINDS = {"extended", "expiring", "upstream_changed"}
# Metadata whose every change is consequential.
CONSEQUENTIAL_FIELDS = {"状态", "文号"}

# Words whose edit changes what a clause requires, allows, covers or how long it applies. Single
# characters (可, 须, 市, 区, 不, …) count only when an edit touches them, never by mere presence nearby.
OBLIGATION = r"应当|必须|不得|禁止|严禁|不准|可以|原则上|鼓励|[应须可]"
NEGATION = r"[不未无非免勿禁]"
SCOPE = (
    r"不适用|适用|范围|对象|条件|除外|以外|限于|仅限|全市|本市|全区|本区|市级|区级|国家级|境内|境外"
    r"|[市区县镇省国]"
)
VALIDITY = r"有效期|施行|实施|废止|失效|试行|暂行|截止|截至|延长|届满"
MEANING = re.compile("|".join((OBLIGATION, NEGATION, SCOPE, VALIDITY)))
# How far a term may reach beyond an edit that cuts into it (the longest terms have three characters).
_TERM_REACH = 3


def priority_name(priority: int) -> str:
    return PRIORITY_NAMES[max(LOW, min(CRITICAL, priority))]


def priority_of(kind: str, diff: dict[str, Any]) -> int:
    """critical for life-cycle endings, high for validity and for edits of values or obligations."""
    if kind in _CRITICAL_KINDS:
        return CRITICAL
    if kind in _HIGH_KINDS:
        return HIGH
    if kind == "editorial":
        return LOW
    if kind == "new":
        return NORMAL
    changes = diff.get("changes", [])
    return HIGH if any(_consequential(data) for data in changes) else NORMAL


def touches_meaning(change: ClauseChange, hunk: Hunk) -> bool:
    """Whether ``hunk`` edits an obligation, negation, scope or validity term on either side."""
    return _touches(change.before or "", hunk.old_start, hunk.old_end) or _touches(
        change.after or "", hunk.new_start, hunk.new_end
    )


def _consequential(data: dict[str, Any]) -> bool:
    change = ClauseChange.from_dict(data)
    if change.path in CONSEQUENTIAL_FIELDS:
        return True
    if change.op in ("added", "removed"):
        text = change.after or change.before or ""
        return bool(find_values(text) or MEANING.search(text))
    if change.op == "moved":
        return False
    # Diffs archived before values were recorded are read again here.
    values = change.values if "values" in data else value_changes(change.before or "", change.after or "")
    if values:
        return True
    if not change.fragments:
        return MEANING.findall(change.before or "") != MEANING.findall(change.after or "")
    return any(touches_meaning(change, hunk) for hunk in hunks(change.fragments))


def _touches(text: str, start: int, end: int) -> bool:
    window = MEANING.finditer(text, max(0, start - _TERM_REACH), end + _TERM_REACH)
    return any(match.start() < max(end, start + 1) and start < match.end() for match in window)
