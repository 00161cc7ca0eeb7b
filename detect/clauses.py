"""Clause paths: where each paragraph of a canonical policy text sits in the document's numbering.

A change is only useful to a reader when it says *which* clause changed ("第十六条", "四.(一).2"), so every
paragraph is labelled with the nearest preceding structural markers rather than a line number.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_CN_DIGITS = "零〇一二两三四五六七八九十百千"

# Depths, outermost first. A marker at one depth clears every deeper one.
_CHAPTER, _SECTION, _ARTICLE, _TOP, _SECOND, _THIRD, _FOURTH, _FIFTH = range(8)
_DEPTHS = 8
_STRUCTURAL_KIND = {"章": _CHAPTER, "节": _SECTION, "条": _ARTICLE}

# Patterns are matched at the start of a paragraph after any heading '#'s. Spaces inside markers and
# half-width brackets are tolerated because OCR'd and PDF-extracted texts contain both.
_STRUCTURAL = re.compile(rf"第\s*([{_CN_DIGITS}\d][{_CN_DIGITS}\d\s]*?)\s*([章节条])")
_OUTLINE: tuple[tuple[int, re.Pattern[str], Callable[[str], str]], ...] = (
    (_TOP, re.compile(r"([一二三四五六七八九十]+)\s*[、.．]"), lambda n: n),
    (_SECOND, re.compile(r"[（(]\s*([一二三四五六七八九十]+)\s*[）)]"), lambda n: f"({n})"),
    # (?!\d) keeps decimals such as "1.5亿元" from being read as item 1.
    (_THIRD, re.compile(r"(\d+)\s*[.．、](?!\d)"), lambda n: n),
    (_FOURTH, re.compile(r"[（(]\s*(\d+)\s*[）)]"), lambda n: f"({n})"),
    (_FIFTH, re.compile(r"([\u2460-\u2473])"), lambda n: n),
)


def clause_paths(lines: list[str]) -> list[str]:
    """Label each paragraph with its clause path; paragraphs before any marker get ``¶N`` (1-based)."""
    current: list[str | None] = [None] * _DEPTHS
    paths = []
    for number, line in enumerate(lines, start=1):
        marker = _marker(line.lstrip("#").strip())
        if marker is not None:
            depth, label = marker
            current[depth] = label
            current[depth + 1 :] = [None] * (_DEPTHS - depth - 1)
        paths.append(_render(current) or f"¶{number}")
    return paths


def _marker(text: str) -> tuple[int, str] | None:
    structural = _STRUCTURAL.match(text)
    if structural:
        number = re.sub(r"\s+", "", structural.group(1))
        kind = structural.group(2)
        return _STRUCTURAL_KIND[kind], f"第{number}{kind}"
    for depth, pattern, label in _OUTLINE:
        match = pattern.match(text)
        if match:
            return depth, label(match.group(1))
    return None


def _render(current: list[str | None]) -> str:
    # Articles are numbered through the whole document, so chapter and section add nothing once an
    # article is known and would only make paths longer.
    start = _ARTICLE if current[_ARTICLE] else _CHAPTER
    return ".".join(label for label in current[start:] if label)
