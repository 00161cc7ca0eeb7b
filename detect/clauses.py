"""Clause structure of a canonical policy text: 第X章 / 第X条 / 一、 / （一） / 1. / （1） / ①.

A change is only useful to a reader when it says *which* clause changed ("第十六条", "四.(一).2"), so every
paragraph is labelled with the nearest preceding structural markers rather than a line number, and the
paragraphs form a tree of clauses. Texts converted from scans and PDFs damage the numbering ("2，", "6。",
"5加强", "1S，" for 15); such markers are accepted where the numbering expects them, and page debris
("—4一", "__S") is recognised so that it never opens or splits a clause.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

_CN_DIGITS = "零〇一二两三四五六七八九十百千"
_CN_VALUES = {c: v for v, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}

# Depths, outermost first. A marker at one depth closes every deeper clause.
CHAPTER, SECTION, ARTICLE, TOP, SECOND, THIRD, FOURTH, FIFTH = range(8)
_DEPTHS = 8
_STRUCTURAL_KIND = {"章": CHAPTER, "节": SECTION, "条": ARTICLE}

# Patterns are matched at the start of a paragraph after any heading '#'s. Spaces inside markers and
# half-width brackets are tolerated because OCR'd and PDF-extracted texts contain both.
_STRUCTURAL = re.compile(rf"第\s*([{_CN_DIGITS}\d][{_CN_DIGITS}\d\s]*?)\s*([章节条])")
# OCR reads 一 as a dash and 5 as S: such a number is a marker only where the numbering expects it.
OCR_LOOKALIKES = str.maketrans("—-－SsOoIlZzB", "一一一550011228")
_SEPARATOR = r"\s*(?:[、.．]|[，,。]、?)"
_OUTLINE: tuple[tuple[int, re.Pattern[str], Callable[[str], str]], ...] = (
    (TOP, re.compile(rf"([一二三四五六七八九十—－-]+){_SEPARATOR}"), lambda n: n),
    (SECOND, re.compile(r"[（(]\s*([一二三四五六七八九十]+)\s*[）)]"), lambda n: f"({n})"),
    # (?!\d) keeps decimals such as "1.5亿元" from being read as item 1.
    (THIRD, re.compile(rf"(\d[\dSsOoIlZzB]*){_SEPARATOR}(?!\d)"), lambda n: n),
    (FOURTH, re.compile(r"[（(]\s*(\d+)\s*[）)]"), lambda n: f"({n})"),
    (FIFTH, re.compile(r"([\u2460-\u2473])"), lambda n: n),
)
# An item number that lost its separator ("5加强场景招商"): only taken when it is the expected next number.
_BARE_ITEM = re.compile(r"(\d{1,2})(?=[\u4e00-\u9fff])(?![年月日号万亿元个%倍家项名人])")
# What a marker can start with (most paragraphs start with none of these and are passed over at once).
_MARKER_STARTS = frozenset(
    "第一二三四五六七八九十—－-（(0123456789" + "".join(map(chr, range(0x2460, 0x2474)))
)
# An item number inside a heading, right after its title ("二、推动招商引资方式创新4，实施…").
_EMBEDDED_ITEM = re.compile(r"(?<=[\u4e00-\u9fff])(\d{1,2})\s*[，,.．、。](?=[\u4e00-\u9fff])")

# Page debris left by PDF and OCR conversion: page numbers such as "—4一", "- 6 -", "__S", "4一".
DEBRIS = re.compile(
    r"\s*[-—–_－~][-—–_－~\s]*[一\dA-Za-z]{0,3}[-—–_－~一\s]*[\u4e00-\u9fff]?\s*|\s*\d{1,3}一\s*"
)
# Page chrome a normaliser may leave in: toolbar words, page counters, view counters.
_CHROME = re.compile(
    r"(?:[【\[]?(?:打印本页|打印|关闭窗口|关闭|返回顶部|字号|字体|大|中|小|分享到|收藏)[】\]]?[：:\s|]*)+"
    r"|第\s*\d+\s*页\s*(?:/|共)?\s*\d*\s*页?|(?:阅读次数|浏览次数|访问量|点击数)[：:]?\s*\d+次?"
    r"|扫一扫在手机上?打开当前页"
)
_MAX_CHROME_CHARS = 24


@dataclass(frozen=True)
class Clause:
    """A numbered clause: its heading paragraph and every paragraph up to the next clause of its depth."""

    path: str
    """Stable address: 第十六条, 四.(一).2 (chapter and section are left out once an article is known)."""
    label: str
    """The clause's own step in its path: 第十六条, (一), 2."""
    depth: int
    start: int
    """Index of the heading paragraph."""
    end: int
    """One past the last paragraph of the clause, its sub-clauses included."""
    children: tuple[Clause, ...]

    def walk(self) -> Iterator[Clause]:
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass(frozen=True)
class ClauseTree:
    clauses: tuple[Clause, ...]
    """Top-level clauses in document order."""
    paths: tuple[str, ...]
    """The path of every paragraph; paragraphs before any marker get ``¶N`` (1-based)."""
    markers: tuple[str, ...]
    """The marker each paragraph opens with as written ("（三）", "5"), "" for none."""

    def walk(self) -> Iterator[Clause]:
        for clause in self.clauses:
            yield from clause.walk()

    def find(self, path: str) -> Clause | None:
        return next((clause for clause in self.walk() if clause.path == path), None)


def parse_clauses(lines: list[str]) -> ClauseTree:
    """The clause tree of canonical paragraphs ``lines`` (one paragraph per item)."""
    parser = _Parser()
    paths, markers = [], []
    for index, line in enumerate(lines):
        text = line.strip().lstrip("#").strip()
        marker = None if is_debris(line) else parser.marker(text)
        markers.append(text[: marker.length] if marker else "")
        if marker is not None:
            parser.open(marker, index)
        paths.append(parser.path or f"¶{index + 1}")
        # A heading that swallowed the first item under it ("二、推动方式创新4，实施…"): later paragraphs
        # belong to that item, and the next item number is expected after it.
        embedded = parser.embedded_item(text[marker.length :]) if marker and marker.depth < THIRD else None
        if embedded is not None:
            parser.open(embedded, index)
    return ClauseTree(parser.finish(len(lines)), tuple(paths), tuple(markers))


def clause_paths(lines: list[str]) -> list[str]:
    """Label each paragraph with its clause path; paragraphs before any marker get ``¶N`` (1-based)."""
    return list(parse_clauses(lines).paths)


def is_debris(line: str) -> bool:
    """A paragraph that is page furniture or conversion debris, not document content."""
    text = line.strip().lstrip("#").strip()
    if len(text) > _MAX_CHROME_CHARS:
        return False
    return not text or bool(DEBRIS.fullmatch(text) or _CHROME.fullmatch(text))


class _Marker(NamedTuple):
    depth: int
    label: str
    number: int
    length: int


@dataclass
class _Open:
    path: str
    label: str
    depth: int
    start: int
    children: list[Clause] = field(default_factory=list)


class _Parser:
    """Numbering state while reading a document: the open clauses and the numbers seen per depth."""

    def __init__(self) -> None:
        self.current: list[str | None] = [None] * _DEPTHS
        self.numbers = [0] * _DEPTHS
        """The last number per depth under the current parent (numbering restarts under each one)."""
        self.seen = [0] * _DEPTHS
        """The last number per depth anywhere (some documents number items through all sections)."""
        self.open_clauses: list[_Open] = []
        self.roots: list[Clause] = []
        self.path = ""
        """The path of the clause the next paragraph belongs to; "" before the first marker."""

    def expected(self, depth: int, number: int) -> bool:
        return number in (self.numbers[depth] + 1, self.seen[depth] + 1)

    def marker(self, text: str) -> _Marker | None:
        """The marker opening ``text``; a damaged one only where the numbering expects its number."""
        if not text or text[0] not in _MARKER_STARTS:
            return None
        structural = _STRUCTURAL.match(text)
        if structural:
            number = re.sub(r"\s+", "", structural.group(1))
            kind = structural.group(2)
            return _Marker(_STRUCTURAL_KIND[kind], f"第{number}{kind}", _number(number), structural.end())
        for depth, pattern, label in _OUTLINE:
            match = pattern.match(text)
            if not match:
                continue
            raw = match.group(1)
            clean = raw.translate(OCR_LOOKALIKES)
            if clean != raw and not self.expected(depth, _number(clean)):
                continue
            return _Marker(depth, label(clean), _number(clean), match.end())
        bare = _BARE_ITEM.match(text)
        if bare and self.seen[THIRD] and self.expected(THIRD, int(bare.group(1))):
            return _Marker(THIRD, bare.group(1), int(bare.group(1)), bare.end())
        return None

    def embedded_item(self, rest: str) -> _Marker | None:
        match = _EMBEDDED_ITEM.search(rest)
        if match and self.expected(THIRD, int(match.group(1))):
            return _Marker(THIRD, match.group(1), int(match.group(1)), 0)
        return None

    def open(self, marker: _Marker, index: int) -> None:
        depth = marker.depth
        self.current[depth] = marker.label
        self.current[depth + 1 :] = [None] * (_DEPTHS - depth - 1)
        self.numbers[depth] = self.seen[depth] = marker.number
        self.numbers[depth + 1 :] = [0] * (_DEPTHS - depth - 1)
        while self.open_clauses and self.open_clauses[-1].depth >= depth:
            self._close(index)
        # Articles are numbered through the whole document, so chapter and section add nothing once an
        # article is known and would only make paths longer.
        start = ARTICLE if self.current[ARTICLE] else CHAPTER
        self.path = ".".join(label for label in self.current[start:] if label)
        self.open_clauses.append(_Open(self.path, marker.label, depth, index))

    def finish(self, end: int) -> tuple[Clause, ...]:
        while self.open_clauses:
            self._close(end)
        return tuple(self.roots)

    def _close(self, end: int) -> None:
        done = self.open_clauses.pop()
        clause = Clause(done.path, done.label, done.depth, done.start, end, tuple(done.children))
        (self.open_clauses[-1].children if self.open_clauses else self.roots).append(clause)


def _number(figure: str) -> int:
    """The integer a marker number stands for, 0 when it cannot be read (十六, 16 and ⑯ → 16)."""
    if figure.isascii() and figure.isdigit():
        return int(figure)
    if "\u2460" <= figure <= "\u2473":
        return ord(figure) - 0x245F
    total = digit = 0
    for char in figure:
        if char in _CN_VALUES:
            digit = _CN_VALUES[char]
        elif char in "十百千":
            total += (digit or 1) * {"十": 10, "百": 100, "千": 1000}[char]
            digit = 0
        else:
            return 0
    return total + digit
