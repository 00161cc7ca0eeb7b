"""Clause-level diffs of canonical policy texts with explicit time limits.

A character diff over a whole document either runs for minutes or, once diff-match-patch's time limit
hits, degrades into "delete everything, insert everything": a false "document rewritten" alert. So
paragraphs are aligned first (exactly, on text with whitespace and character width folded away), moved
and edited clauses are matched by body, path and similarity, and characters are compared only inside the
sentences that changed within an edited clause, each clause under its own limit. A timed-out comparison
is never passed off as exact: it falls back to a sentence-level alignment and then to a whole-clause
replacement, and says so (``granularity``).
"""

from __future__ import annotations

import operator
import re
import time
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import partial
from typing import Any, Literal, get_args

from diff_match_patch import diff_match_patch

from detect.clauses import is_debris, parse_clauses
from detect.values import FIGURE_CHARS, ValueChange, find_values, value_changes
from normalise.text import fold_width

ChangeOp = Literal["added", "removed", "modified", "moved"]
Granularity = Literal["char", "sentence", "clause"]
Fragment = tuple[int, str]
"""A diff-match-patch operation: -1 delete, 0 equal, 1 insert."""

# A deleted and an inserted paragraph at least this similar (Dice coefficient over character bigrams,
# which suits unspaced Chinese) are one edited clause; less similar ones are reported as removed + added.
PAIR_SIMILARITY = 0.4
# Paragraphs under the same clause path need less resemblance: the path already says they are one clause;
# among equally similar candidates, the one under the same path wins.
SAME_PATH_SIMILARITY = 0.2
SAME_PATH_BONUS = 0.1
# Similarity pairing costs deleted x inserted comparisons per block of changed paragraphs. Beyond this
# many, paragraphs are paired by position so a wholesale rewrite cannot make pairing the slow part.
MAX_PAIRING_CELLS = 40_000
# Unequal numbers of changed paragraphs this alike, joined, are one passage wrapped differently and edited.
REWRAP_SIMILARITY = 0.9
# A moved paragraph must have at least this much body: short headings recur legitimately.
MIN_MOVED_CHARS = 4
# Replaced sentences longer than this (both sides together) are compared character by character only
# when they resemble each other; unrelated sentences are shown as replaced, which is what they are.
SHORT_RUN_CHARS = 16
RUN_SIMILARITY = 0.5

# Sentence pieces: a character diff runs only between pieces that differ.
_PIECE = re.compile(r"[^，。；：！？、]*[，。；：！？、]?")
_SPACES = re.compile(r"\s+")
_LINE_SPACES = re.compile(r"[^\S\n]+")
# What fold_width changes (full-width digits, letters and value symbols, Unicode spaces, invisible
# characters, all below U+3001 or from U+FE00), found once by asking it.
_CANDIDATES = [chr(code) for code in (*range(0x80, 0x3001), *range(0xFE00, 0x10000))]
_FOLDABLE = re.compile(
    "["
    + "".join(
        re.escape(char)
        for char, folded in zip(_CANDIDATES, fold_width("\0".join(_CANDIDATES)).split("\0"), strict=True)
        if folded != char
    )
    + "]"
)
_FIGURES = re.compile(rf"[{FIGURE_CHARS}.,%]+")


@dataclass(frozen=True)
class ClauseChange:
    path: str
    op: ChangeOp
    before: str | None
    after: str | None
    fragments: list[Fragment] = field(default_factory=list)
    """Diff inside a modified (or moved and renumbered) clause; empty for added, removed and coarse."""
    granularity: Granularity = "char"
    """char: exact character diff; sentence: the character diff ran out of time, fragments are exact
    whole sentence pieces; clause: out of time altogether, only "this paragraph was replaced" is known."""
    before_path: str | None = None
    """Where the clause was in the old text (moved, modified and removed clauses)."""
    values: list[ValueChange] = field(default_factory=list)
    """Values (amounts, dates, ...) whose meaning changed in a modified clause."""

    @property
    def coarse(self) -> bool:
        return self.granularity == "clause"

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "op": self.op,
            "before": self.before,
            "after": self.after,
            "fragments": [[op, text] for op, text in self.fragments],
            "coarse": self.coarse,
            "granularity": self.granularity,
            "before_path": self.before_path,
            "values": [value.to_dict() for value in self.values],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ClauseChange:
        """Reads every stored form; diffs archived before granularity, moves and values existed too."""
        if data["op"] not in get_args(ChangeOp):
            raise ValueError(f"unknown change op {data['op']!r}")
        granularity: Granularity = data.get("granularity") or ("clause" if data.get("coarse") else "char")
        if granularity not in get_args(Granularity):
            raise ValueError(f"unknown granularity {granularity!r}")
        return cls(
            path=data["path"],
            op=data["op"],
            before=data["before"],
            after=data["after"],
            fragments=[(int(op), text) for op, text in data.get("fragments") or []],
            granularity=granularity,
            before_path=data.get("before_path"),
            values=[ValueChange.from_dict(value) for value in data.get("values") or []],
        )


@dataclass(frozen=True)
class TextDiff:
    changes: list[ClauseChange]
    elapsed_ms: float
    coarse_pairs: int
    """How many modified clauses are coarse, so callers can tell an exact diff from a partial one."""
    sentence_pairs: int = 0
    """How many modified clauses fell back to sentence granularity (exact, but not per character)."""

    @property
    def is_empty(self) -> bool:
        return not self.changes

    def to_dict(self) -> dict[str, Any]:
        return {
            "changes": [change.to_dict() for change in self.changes],
            "elapsed_ms": self.elapsed_ms,
            "coarse_pairs": self.coarse_pairs,
            "sentence_pairs": self.sentence_pairs,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TextDiff:
        return cls(
            changes=[ClauseChange.from_dict(change) for change in data["changes"]],
            elapsed_ms=float(data["elapsed_ms"]),
            coarse_pairs=int(data["coarse_pairs"]),
            sentence_pairs=int(data.get("sentence_pairs") or 0),
        )


@dataclass(frozen=True)
class Hunk:
    """One changed place in a clause: the edited spans in the old and the new text."""

    old_start: int
    old_end: int
    new_start: int
    new_end: int
    deleted: str
    inserted: str


def diff_texts(before: str, after: str, *, char_timeout: float = 0.2, time_limit: float = 5.0) -> TextDiff:
    """Clause changes from ``before`` to ``after`` in document order.

    Whitespace, character width, heading marks, line breaks inside a passage (reflow) and page debris
    lines are not differences. Each edited clause gets ``char_timeout`` seconds and the whole document
    ``time_limit``; clauses left when it is spent get the coarsest exact answer still possible.
    """
    if char_timeout <= 0 or time_limit <= 0:
        # diff-match-patch reads 0 as "no limit", which is exactly the unbounded case to avoid.
        raise ValueError("char_timeout and time_limit must be positive")
    started = time.perf_counter()
    document_deadline = time.time() + time_limit
    old, new = _Side(before), _Side(after)
    blocks = [
        block for block in map(partial(_unwrapped, old, new), _changed_blocks(old.keys, new.keys)) if block
    ]
    moved = _moves(old, new, blocks)
    moved_from = set(moved.values())
    changes: list[ClauseChange] = []
    for deleted, inserted in blocks:
        staying = [i for i in deleted if i not in moved_from]
        arriving = [j for j in inserted if j not in moved]
        if _rewrapped(old, new, staying, arriving):
            deadline = min(time.time() + char_timeout, document_deadline)
            changes.append(_rewrapped_change(old, new, staying, arriving, deadline))
            items = []
        else:
            items = _pair(old, new, staying, arriving)
        for i, j in _with_moves(items, [(moved[j], j) for j in inserted if j in moved]):
            deadline = min(time.time() + char_timeout, document_deadline)
            if i is not None and j is not None:
                op: ChangeOp = "moved" if j in moved else "modified"
                changes.append(_changed(op, old, new, i, j, deadline))
            elif i is not None:
                path = old.paths[i]
                changes.append(ClauseChange(path, "removed", old.lines[i], None, before_path=path))
            elif j is not None:
                changes.append(ClauseChange(new.paths[j], "added", None, new.lines[j]))
    return TextDiff(
        changes=changes,
        elapsed_ms=(time.perf_counter() - started) * 1000,
        coarse_pairs=sum(change.granularity == "clause" for change in changes),
        sentence_pairs=sum(change.granularity == "sentence" for change in changes),
    )


def diff_clause(path: str, before: str, after: str, *, char_timeout: float = 0.2) -> ClauseChange:
    """One modified clause (or metadata field) with its character diff and changed values."""
    return _modified_clause(path, path, before, after, time.time() + char_timeout, "modified")


def hunks(fragments: list[Fragment]) -> list[Hunk]:
    """The changed places of a diff: each run of deletions and insertions between equal text."""
    old_text = "".join(text for op, text in fragments if op <= 0)
    new_text = "".join(text for op, text in fragments if op >= 0)
    spans: list[tuple[int, int, int, int]] = []
    old = new = 0
    for op, text in fragments:
        if op != 0 and spans and (old, new) == (spans[-1][1], spans[-1][3]):
            old_start, _, new_start, _ = spans.pop()
        else:
            old_start, new_start = old, new
        old += len(text) if op <= 0 else 0
        new += len(text) if op >= 0 else 0
        if op != 0:
            spans.append((old_start, old, new_start, new))
    return [Hunk(a, b, c, d, old_text[a:b], new_text[c:d]) for a, b, c, d in spans]


def summarise(diff: TextDiff, *, max_items: int = 3, context: int = 12) -> str:
    """One line for a notification: each changed value or place with a little context, old → new."""
    items = [item for change in diff.changes for item in _describe(change, context)]
    if not items:
        return "无变化"
    shown = "; ".join(items[:max_items])
    hidden = len(items) - max_items
    return f"{shown}（另有{hidden}处）" if hidden > 0 else shown


def squash(text: str) -> str:
    """Text as compared: character width folded, whitespace and heading marks removed."""
    return _SPACES.sub("", _fold(text.strip().lstrip("#")))


def _fold(text: str) -> str:
    # Folding is the slow part of reading a text, and a canonical paragraph has nothing left to fold.
    return fold_width(text) if _FOLDABLE.search(text) else text


class _Side:
    """One text's paragraphs with what alignment needs: paths, comparison keys, bigrams on demand."""

    def __init__(self, text: str) -> None:
        # Blank lines and page debris are not paragraphs; counting them would report layout as clauses.
        self.lines = [line for line in text.split("\n") if not is_debris(line)]
        tree = parse_clauses(self.lines)
        self.paths, self._markers = tree.paths, tree.markers
        unspaced = _LINE_SPACES.sub("", "\n".join(self.lines)).split("\n") if self.lines else []
        self.keys = [_fold(line).lstrip("#") for line in unspaced]
        self._bigrams: dict[int, frozenset[str]] = {}

    def body(self, index: int) -> str:
        """The paragraph's comparison key without its clause number: what stays when it is renumbered."""
        marker = self._markers[index]
        return self.keys[index][len(_SPACES.sub("", marker)) :] if marker else self.keys[index]

    def bigrams(self, index: int) -> frozenset[str]:
        """Bigrams of the body with every figure as "#": a renumbered clause or a changed (or
        re-typed) amount must not make an edited clause look like a different one."""
        if index not in self._bigrams:
            self._bigrams[index] = _bigrams(_FIGURES.sub("#", self.body(index)))
        return self._bigrams[index]


def _changed_blocks(old: list[str], new: list[str]) -> list[tuple[range, range]]:
    """Runs of deleted and inserted paragraph indices between paragraphs that stayed the same.

    difflib's matcher is exact (every equal pair it reports is equal) and, on paragraphs, fast; a
    character-style O(ND) line diff costs hundreds of milliseconds once half of a long text is reworded.
    """
    matcher = SequenceMatcher(None, old, new, autojunk=False)
    return [(range(i1, i2), range(j1, j2)) for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"]


def _unwrapped(old: _Side, new: _Side, block: tuple[range, range]) -> tuple[list[int], list[int]] | None:
    """The block without its leading and trailing paragraphs that differ only in line breaks (reflow);
    None when that is all of it."""
    deleted, inserted = list(block[0]), list(block[1])
    ahead = _same_text_run([old.keys[i] for i in deleted], [new.keys[j] for j in inserted])
    deleted, inserted = deleted[ahead[0] :], inserted[ahead[1] :]
    behind = _same_text_run(
        [old.keys[i][::-1] for i in reversed(deleted)], [new.keys[j][::-1] for j in reversed(inserted)]
    )
    deleted, inserted = deleted[: len(deleted) - behind[0]], inserted[: len(inserted) - behind[1]]
    return (deleted, inserted) if deleted or inserted else None


def _same_text_run(old: list[str], new: list[str]) -> tuple[int, int]:
    """How many paragraphs from the start of each side hold the same text, however it is wrapped."""
    i = j = 0
    before = after = ""
    run = (0, 0)
    while before.startswith(after) or after.startswith(before):
        if before == after:
            run = (i, j)
            if i == len(old) or j == len(new):
                break
            before, after, i, j = before + old[i], after + new[j], i + 1, j + 1
        elif len(before) < len(after) and i < len(old):
            before, i = before + old[i], i + 1
        elif len(after) < len(before) and j < len(new):
            after, j = after + new[j], j + 1
        else:
            break
    return run


def _rewrapped(old: _Side, new: _Side, deleted: list[int], inserted: list[int]) -> bool:
    """Paragraphs wrapped differently on each side and edited: compared as one passage, joined."""
    if not deleted or not inserted or len(deleted) == len(inserted):
        return False
    joined = (
        _FIGURES.sub("#", "".join(side.keys[k] for k in ks)) for side, ks in ((old, deleted), (new, inserted))
    )
    return _similarity(*map(_bigrams, joined)) >= REWRAP_SIMILARITY


def _rewrapped_change(
    old: _Side, new: _Side, deleted: list[int], inserted: list[int], deadline: float
) -> ClauseChange:
    """One modified clause for a rewrapped passage: its paragraphs joined on each side."""
    before, after = (
        "".join(side.lines[k].strip() for k in ks) for side, ks in ((old, deleted), (new, inserted))
    )
    return _modified_clause(
        new.paths[inserted[0]], old.paths[deleted[0]], before, after, deadline, "modified"
    )


def _moves(old: _Side, new: _Side, blocks: list[tuple[list[int], list[int]]]) -> dict[int, int]:
    """Moved paragraphs, new index → old index: the same body removed in one place, added in another.

    Equal bodies within one block whose order is kept are renumbered clauses (第五条 → 第四条 after a
    deletion), not moves; they are left to pairing.
    """
    block_of = {i: n for n, (deleted, _) in enumerate(blocks) for i in deleted}
    waiting: dict[str, list[int]] = defaultdict(list)
    for deleted, _ in blocks:
        for i in deleted:
            waiting[old.body(i)].append(i)
    matches: list[tuple[int, int, int]] = []
    for n, (_, inserted) in enumerate(blocks):
        for j in inserted:
            body = new.body(j)
            if len(body) >= MIN_MOVED_CHARS and waiting.get(body):
                matches.append((n, waiting[body].pop(0), j))
    in_place: set[tuple[int, int]] = set()
    for n in {n for n, _, _ in matches}:
        local = [(i, j) for m, i, j in matches if m == n and block_of[i] == n]
        in_place |= {local[k] for k in _increasing([i for i, _ in local])}
    return {j: i for _, i, j in matches if (i, j) not in in_place}


def _increasing(sequence: list[int]) -> set[int]:
    """Positions of one longest strictly increasing subsequence."""
    tails: list[int] = []
    tail_at: list[int] = []
    previous: list[int | None] = []
    for position, value in enumerate(sequence):
        k = bisect_left(tails, value)
        tails[k : k + 1] = [value]
        tail_at[k : k + 1] = [position]
        previous.append(tail_at[k - 1] if k else None)
    result: set[int] = set()
    cursor = tail_at[-1] if tail_at else None
    while cursor is not None:
        result.add(cursor)
        cursor = previous[cursor]
    return result


def _pair(
    old: _Side, new: _Side, deleted: list[int], inserted: list[int]
) -> list[tuple[int | None, int | None]]:
    """Deleted/inserted paragraphs in document order, edited ones paired as (old index, new index)."""
    if len(deleted) * len(inserted) > MAX_PAIRING_CELLS:
        matches = [
            (k, k)
            for k in range(min(len(deleted), len(inserted)))
            if _pair_score(old, new, deleted[k], inserted[k]) > 0
        ]
    else:
        matches = _align(old, new, deleted, inserted)
    result: list[tuple[int | None, int | None]] = []
    next_a = next_b = 0
    for a, b in [*matches, (len(deleted), len(inserted))]:
        result += [(deleted[k], None) for k in range(next_a, a)]
        result += [(None, inserted[k]) for k in range(next_b, b)]
        if a < len(deleted):
            result.append((deleted[a], inserted[b]))
        next_a, next_b = a + 1, b + 1
    return result


def _align(old: _Side, new: _Side, deleted: list[int], inserted: list[int]) -> list[tuple[int, int]]:
    """Order-preserving pairing that maximises total pairing score (a weighted LCS)."""
    rows, cols = len(deleted), len(inserted)
    best = [[0.0] * (cols + 1) for _ in range(rows + 1)]
    for a in range(rows):
        for b in range(cols):
            score = _pair_score(old, new, deleted[a], inserted[b])
            paired = best[a][b] + score if score > 0 else 0.0
            best[a + 1][b + 1] = max(best[a][b + 1], best[a + 1][b], paired)
    matches = []
    a, b = rows, cols
    while a and b:
        if best[a][b] == best[a - 1][b]:
            a -= 1
        elif best[a][b] == best[a][b - 1]:
            b -= 1
        else:
            matches.append((a - 1, b - 1))
            a, b = a - 1, b - 1
    return matches[::-1]


def _pair_score(old: _Side, new: _Side, i: int, j: int) -> float:
    """How strongly two paragraphs are one edited clause; 0 when they are not."""
    similarity = _similarity(old.bigrams(i), new.bigrams(j))
    same_path = old.paths[i] == new.paths[j] and not old.paths[i].startswith("¶")
    if same_path and similarity >= SAME_PATH_SIMILARITY:
        return similarity + SAME_PATH_BONUS
    return similarity if similarity >= PAIR_SIMILARITY else 0.0


def _with_moves(
    items: list[tuple[int | None, int | None]], moves: list[tuple[int, int]]
) -> Iterator[tuple[int | None, int | None]]:
    """``items`` with each moved (old, new) pair placed at its new position."""
    pending = list(moves)
    for i, j in items:
        while pending and j is not None and pending[0][1] < j:
            yield pending.pop(0)
        yield i, j
    yield from pending


def _bigrams(text: str) -> frozenset[str]:
    return frozenset(map(operator.add, text, text[1:])) or frozenset(text)


def _similarity(a: frozenset[str], b: frozenset[str]) -> float:
    return 2 * len(a & b) / (len(a) + len(b)) if a and b else 0.0


def _changed(op: ChangeOp, old: _Side, new: _Side, i: int, j: int, deadline: float) -> ClauseChange:
    before, after = old.lines[i], new.lines[j]
    if op == "moved" and old.keys[i] == new.keys[j]:
        return ClauseChange(new.paths[j], op, before, after, before_path=old.paths[i])
    return _modified_clause(new.paths[j], old.paths[i], before, after, deadline, op)


def _modified_clause(
    path: str, before_path: str, before: str, after: str, deadline: float, op: ChangeOp
) -> ClauseChange:
    fragments, granularity = _fragments(before, after, deadline)
    return ClauseChange(
        path=path,
        op=op,
        before=before,
        after=after,
        fragments=fragments,
        granularity=granularity,
        before_path=before_path,
        values=value_changes(before, after, fragments or None),
    )


def _fragments(before: str, after: str, deadline: float) -> tuple[list[Fragment], Granularity]:
    """Sentence pieces first, then characters inside the pieces that differ, all before ``deadline``."""
    pieces = _piece_diff(before, after, deadline)
    if pieces is None:
        return [], "clause"
    granularity: Granularity = "char"
    fragments: list[Fragment] = []
    for deleted, inserted, equal in _runs(pieces):
        chars = None
        if deleted and inserted and _worth_chars(deleted, inserted):
            chars = _dmp(deleted, inserted, deadline)
            if chars is None:
                granularity = "sentence"
        if chars is None:
            fragments += [(op, text) for op, text in ((-1, deleted), (1, inserted)) if text]
        else:
            fragments += chars
        if equal:
            fragments.append((0, equal))
    dmp = diff_match_patch()
    dmp.diff_cleanupSemantic(fragments)
    return whole_numbers(fragments), granularity


def _piece_diff(before: str, after: str, deadline: float) -> list[Fragment] | None:
    """An exact diff whose units are sentence pieces (up to and including ，。；：！？、)."""
    codes: dict[str, str] = {}
    pieces: list[str] = []

    def encode(text: str) -> str:
        encoded = []
        for piece in _PIECE.findall(text):
            if piece and piece not in codes:
                codes[piece] = chr(len(pieces) + 1)
                pieces.append(piece)
            if piece:
                encoded.append(codes[piece])
        return "".join(encoded)

    diffs = _dmp(encode(before), encode(after), deadline)
    if diffs is None:
        return None
    return [(op, "".join(pieces[ord(code) - 1] for code in text)) for op, text in diffs]


def _runs(diffs: list[Fragment]) -> Iterator[tuple[str, str, str]]:
    """(deleted, inserted, following equal text) for each changed run of a diff; a leading equal run too."""
    deleted = inserted = ""
    for op, text in diffs:
        if op == -1:
            deleted += text
        elif op == 1:
            inserted += text
        else:
            yield deleted, inserted, text
            deleted = inserted = ""
    if deleted or inserted:
        yield deleted, inserted, ""


def _worth_chars(deleted: str, inserted: str) -> bool:
    """Short replacements and similar long ones are diffed by character; unrelated long ones are not.

    Figures count as alike (2026年 and 二〇二六年), so a value typed another way is still compared closely.
    """
    if len(deleted) + len(inserted) <= SHORT_RUN_CHARS:
        return True
    alike = _bigrams(_FIGURES.sub("#", deleted)), _bigrams(_FIGURES.sub("#", inserted))
    return _similarity(*alike) >= RUN_SIMILARITY


def _dmp(before: str, after: str, deadline: float) -> list[Fragment] | None:
    """diff-match-patch's exact diff, or None when it may have given up at ``deadline``.

    diff-match-patch does not say whether it gave up; past its deadline it may return the degenerate
    "delete all, insert all" for any sub-problem, so only a diff finished in time counts as exact.
    """
    if time.time() >= deadline:
        return None
    diffs = diff_match_patch().diff_main(before, after, False, deadline)
    if time.time() >= deadline:
        return None
    return [(op, text) for op, text in diffs]


_LEADING_DIGITS = re.compile(r"^[\d.,]*\d")
_TRAILING_DIGITS = re.compile(r"\d[\d.,]*$")


def whole_numbers(fragments: list[Fragment]) -> list[Fragment]:
    """Widen every edit that cuts through a number to the whole number.

    A character diff of 1000 -> 500 is "10" -> "5" followed by an equal "00"; a reader (and a value
    comparison) needs "1000" -> "500".
    """
    result: list[Fragment] = []
    k = 0
    while k < len(fragments):
        if fragments[k][0] == 0:
            result.append(fragments[k])
            k += 1
            continue
        end = k
        while end < len(fragments) and fragments[end][0] != 0:
            end += 1
        deleted = "".join(text for op, text in fragments[k:end] if op == -1)
        inserted = "".join(text for op, text in fragments[k:end] if op == 1)
        edges = [text for text in (deleted, inserted) if text]
        head = tail = ""
        if result and any(text[0].isdigit() for text in edges):
            match = _TRAILING_DIGITS.search(result[-1][1])
            if match:
                head = match.group()
                result[-1] = (0, result[-1][1][: match.start()])
        following = fragments[end][1] if end < len(fragments) else ""
        if following and any(text[-1].isdigit() for text in edges):
            match = _LEADING_DIGITS.match(following)
            if match:
                tail = match.group()
                fragments = [*fragments[:end], (0, following[match.end() :]), *fragments[end + 1 :]]
        if result and not result[-1][1]:
            result.pop()
        if deleted or head or tail:
            result.append((-1, head + deleted + tail))
        if inserted or head or tail:
            result.append((1, head + inserted + tail))
        k = end
    return [(op, text) for op, text in result if text]


def _describe(change: ClauseChange, context: int) -> list[str]:
    width = 2 * context
    if change.op == "added":
        return [f"+ {change.path}: {_head(change.after or '', width)}"]
    if change.op == "removed":
        return [f"- {change.path}: {_head(change.before or '', width)}"]
    if change.op == "moved":
        return [f"{change.before_path} → {change.path}（移动）: {_head(change.after or '', width)}"]
    # A coarse change has no character diff: only "this paragraph was replaced" is known.
    where = change.path + ("（整段）" if change.coarse else "")
    valued = [f"{where} {v.label} {v.before or '（无）'} → {v.after or '（无）'}" for v in change.values]
    if change.fragments:
        places = [hunk for hunk in hunks(change.fragments) if _meaningful(hunk, change)]
        shown = _grouped(places if places or valued else hunks(change.fragments), change, width)
        return valued + [f"{where}: {old} → {new}" for old, new in _in_context(shown, change, context)]
    # No character diff (it timed out, or the caller built the change, e.g. for metadata): show both whole.
    return valued or [f"{where}: {_head(change.before or '', width)} → {_head(change.after or '', width)}"]


def _meaningful(hunk: Hunk, change: ClauseChange) -> bool:
    """Worth showing beside the value summary: not layout, and not an edit inside values (listed apart)."""
    if squash(hunk.deleted) == squash(hunk.inserted):
        return False
    old_values = [(value.start, value.end) for value in find_values(change.before or "")]
    new_values = [(value.start, value.end) for value in find_values(change.after or "")]
    return not (
        inside(hunk.old_start, hunk.old_end, old_values) and inside(hunk.new_start, hunk.new_end, new_values)
    )


def inside(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    """An edit span lies within one of ``spans``; an empty one (a point of insertion) always does."""
    return start == end or any(low <= start and end <= high for low, high in spans)


def _grouped(places: list[Hunk], change: ClauseChange, gap: int) -> list[Hunk]:
    """Places at most ``gap`` equal characters apart shown as one, as their contexts would overlap."""
    before, after = change.before or "", change.after or ""
    result: list[Hunk] = []
    for hunk in places:
        if result and hunk.old_start - result[-1].old_end <= gap:
            last = result.pop()
            old, new = (last.old_start, hunk.old_end), (last.new_start, hunk.new_end)
            hunk = Hunk(*old, *new, before[slice(*old)], after[slice(*new)])
        result.append(hunk)
    return result


def _in_context(places: list[Hunk], change: ClauseChange, context: int) -> list[tuple[str, str]]:
    """Old and new text of each place with ``context`` characters either side."""
    before = change.before or ""
    result = []
    for hunk in places:
        lead = before[max(0, hunk.old_start - context) : hunk.old_start]
        tail = before[hunk.old_end : hunk.old_end + context]
        lead = ("…" if hunk.old_start > context else "") + lead
        tail += "…" if len(before) - hunk.old_end > context else ""
        old, new = _clip(hunk.deleted, 2 * context), _clip(hunk.inserted, 2 * context)
        result.append((lead + old + tail, lead + new + tail))
    return result


def _head(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width] + "…"


def _clip(text: str, width: int) -> str:
    """Keep both ends of a long changed span: the start and end of an edit are what readers compare."""
    if len(text) <= width:
        return text
    return text[: width // 2] + "…" + text[len(text) - width // 2 :]
