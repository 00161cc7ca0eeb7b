"""How much a change matters, so digests can rank and subscriptions can filter (``min_priority``)."""

from __future__ import annotations

import re
from typing import Any

PRIORITY_NAMES = ("low", "normal", "high", "critical")
LOW, NORMAL, HIGH, CRITICAL = range(4)

# The document stops (or may stop) applying: a team must act.
_CRITICAL_KINDS = {"repealed", "superseded", "expired", "withdrawn"}
_HIGH_KINDS = {"extended", "expiring", "upstream_changed"}
# Money, rates, dates and durations: what a policy team acts on.
_VALUE = re.compile(r"\d[\d.,]*\s*(?:万元|亿元|元|%|％|个百分点|年|个月|月|日|天|倍)|有效期|施行|废止|截止")
_OBLIGATION = re.compile(r"应当|必须|不得|禁止|须|可以|申请条件|适用范围|不适用")


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
    for change in diff.get("changes", []):
        fragments = change.get("fragments") or []
        edited = (
            _edits_in_context(fragments)
            if fragments
            else [change.get("before") or "", change.get("after") or ""]
        )
        if change.get("path") in ("状态", "文号") or any(
            _VALUE.search(text) or _OBLIGATION.search(text) for text in edited
        ):
            return HIGH
    return NORMAL


def _edits_in_context(fragments: list[Any], width: int = 4) -> list[str]:
    """Each edited fragment with a few equal characters around it: "1000" alone does not say 万元."""
    texts = []
    for k, (op, text) in enumerate(fragments):
        if op == 0:
            continue
        left = next((t[-width:] for o, t in reversed(fragments[:k]) if o == 0), "")
        right = next((t[:width] for o, t in fragments[k + 1 :] if o == 0), "")
        texts.append(left + text + right)
    return texts
