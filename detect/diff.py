"""Clause-level diffs of canonical policy texts with explicit time limits.

A character diff over a whole document either runs for minutes or, once diff-match-patch's time limit
hits, degrades into "delete everything, insert everything": a false "document rewritten" alert. So
paragraphs are aligned exactly first (cheap: documents have hundreds of lines, not thousands), and
characters are compared only inside paragraphs that changed, each comparison under its own limit.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from diff_match_patch import diff_match_patch

from detect.clauses import clause_paths

ChangeOp = Literal["added", "removed", "modified"]
Fragment = tuple[int, str]
"""A diff-match-patch operation: -1 delete, 0 equal, 1 insert."""

# A deleted and an inserted paragraph at least this similar (Dice coefficient over character bigrams,
# which suits unspaced Chinese) are one edited clause; less similar ones are reported as removed + added.
PAIR_SIMILARITY = 0.4
# Similarity pairing costs deleted x inserted comparisons per block of changed paragraphs. Beyond this
# many, paragraphs are paired by position so a wholesale rewrite cannot make pairing the slow part.
MAX_PAIRING_CELLS = 40_000


@dataclass(frozen=True)
class ClauseChange:
    path: str
    op: ChangeOp
    before: str | None
    after: str | None
    fragments: list[Fragment] = field(default_factory=list)
    """Character diff inside the clause; empty for added, removed and coarse changes."""
    coarse: bool = False
    """The character diff ran out of time: only "this paragraph was replaced" is known."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "op": self.op,
            "before": self.before,
            "after": self.after,
            "fragments": [[op, text] for op, text in self.fragments],
            "coarse": self.coarse,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ClauseChange:
        if data["op"] not in get_args(ChangeOp):
            raise ValueError(f"unknown change op {data['op']!r}")
        return cls(
            path=data["path"],
            op=data["op"],
            before=data["before"],
            after=data["after"],
            fragments=[(int(op), text) for op, text in data["fragments"]],
            coarse=bool(data["coarse"]),
        )


@dataclass(frozen=True)
class TextDiff:
    changes: list[ClauseChange]
    elapsed_ms: float
    coarse_pairs: int
    """How many modified clauses are coarse, so callers can tell an exact diff from a partial one."""

    @property
    def is_empty(self) -> bool:
        return not self.changes

    def to_dict(self) -> dict[str, Any]:
        return {
            "changes": [change.to_dict() for change in self.changes],
            "elapsed_ms": self.elapsed_ms,
            "coarse_pairs": self.coarse_pairs,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TextDiff:
        return cls(
            changes=[ClauseChange.from_dict(change) for change in data["changes"]],
            elapsed_ms=float(data["elapsed_ms"]),
            coarse_pairs=int(data["coarse_pairs"]),
        )


def diff_texts(before: str, after: str, *, char_timeout: float = 0.2) -> TextDiff:
    """Clause changes from ``before`` to ``after``; a moved paragraph shows as removed + added.

    Worst-case time is the exact paragraph diff plus ``char_timeout`` per edited paragraph.
    """
    if char_timeout <= 0:
        # diff-match-patch reads 0 as "no limit", which is exactly the unbounded case to avoid.
        raise ValueError("char_timeout must be positive")
    started = time.perf_counter()
    old, new = _paragraphs(before), _paragraphs(after)
    old_paths, new_paths = clause_paths(old), clause_paths(new)
    changes = []
    for deleted, inserted in _changed_blocks(old, new):
        for i, j in _pair(old, new, deleted, inserted):
            if i is not None and j is not None:
                changes.append(_modified(new_paths[j], old[i], new[j], char_timeout))
            elif i is not None:
                changes.append(ClauseChange(old_paths[i], "removed", old[i], None))
            elif j is not None:
                changes.append(ClauseChange(new_paths[j], "added", None, new[j]))
    return TextDiff(
        changes=changes,
        elapsed_ms=(time.perf_counter() - started) * 1000,
        coarse_pairs=sum(change.coarse for change in changes),
    )


def summarise(diff: TextDiff, *, max_items: int = 3, context: int = 12) -> str:
    """One line for a notification: each changed place with a little context, old → new."""
    items = [item for change in diff.changes for item in _describe(change, context)]
    if not items:
        return "无变化"
    shown = "; ".join(items[:max_items])
    hidden = len(items) - max_items
    return f"{shown}（另有{hidden}处）" if hidden > 0 else shown


def _paragraphs(text: str) -> list[str]:
    # Blank lines are not paragraphs; counting them would report layout noise as added clauses.
    return [line for line in text.split("\n") if line.strip()]


def _changed_blocks(old: list[str], new: list[str]) -> Iterator[tuple[range, range]]:
    """Runs of deleted and inserted paragraph indices between paragraphs that stayed the same."""
    dmp = diff_match_patch()
    # Exact: a time-limited line diff could itself report the whole document as replaced.
    dmp.Diff_Timeout = 0
    old_chars, new_chars, lines = dmp.diff_linesToChars(_joined(old), _joined(new))
    diffs = dmp.diff_main(old_chars, new_chars, checklines=False)
    dmp.diff_charsToLines(diffs, lines)
    i = j = block_i = block_j = 0
    for op, text in diffs:
        count = text.count("\n")
        if op == 0:
            if (i, j) != (block_i, block_j):
                yield range(block_i, i), range(block_j, j)
            block_i, block_j = i + count, j + count
        if op != 1:
            i += count
        if op != -1:
            j += count
    if (i, j) != (block_i, block_j):
        yield range(block_i, i), range(block_j, j)


def _joined(paragraphs: list[str]) -> str:
    return "".join(f"{paragraph}\n" for paragraph in paragraphs)


def _pair(
    old: list[str], new: list[str], deleted: range, inserted: range
) -> list[tuple[int | None, int | None]]:
    """Deleted/inserted paragraphs in document order, similar ones paired as (old index, new index)."""
    old_grams = [_bigrams(old[i]) for i in deleted]
    new_grams = [_bigrams(new[j]) for j in inserted]
    if len(deleted) * len(inserted) > MAX_PAIRING_CELLS:
        matches = [
            (k, k)
            for k in range(min(len(deleted), len(inserted)))
            if _similarity(old_grams[k], new_grams[k]) >= PAIR_SIMILARITY
        ]
    else:
        matches = _align(old_grams, new_grams)
    result: list[tuple[int | None, int | None]] = []
    next_a = next_b = 0
    for a, b in [*matches, (len(deleted), len(inserted))]:
        result += [(deleted[k], None) for k in range(next_a, a)]
        result += [(None, inserted[k]) for k in range(next_b, b)]
        if a < len(deleted):
            result.append((deleted[a], inserted[b]))
        next_a, next_b = a + 1, b + 1
    return result


def _align(old_grams: list[frozenset[str]], new_grams: list[frozenset[str]]) -> list[tuple[int, int]]:
    """Order-preserving pairing that maximises total similarity (a weighted LCS)."""
    rows, cols = len(old_grams), len(new_grams)
    best = [[0.0] * (cols + 1) for _ in range(rows + 1)]
    for a in range(rows):
        for b in range(cols):
            score = _similarity(old_grams[a], new_grams[b])
            paired = best[a][b] + score if score >= PAIR_SIMILARITY else 0.0
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


def _bigrams(text: str) -> frozenset[str]:
    return frozenset(text[k : k + 2] for k in range(len(text) - 1)) or frozenset(text)


def _similarity(a: frozenset[str], b: frozenset[str]) -> float:
    return 2 * len(a & b) / (len(a) + len(b)) if a and b else 0.0


def _modified(path: str, before: str, after: str, timeout: float) -> ClauseChange:
    dmp = diff_match_patch()
    dmp.Diff_Timeout = timeout
    started = time.perf_counter()
    diffs = dmp.diff_main(before, after, checklines=False)
    # diff-match-patch does not say whether it gave up; when the limit was reached the result may be
    # the degenerate "delete all, insert all", which must not be shown as an exact diff.
    if time.perf_counter() - started >= timeout:
        return ClauseChange(path, "modified", before, after, coarse=True)
    dmp.diff_cleanupSemantic(diffs)
    return ClauseChange(path, "modified", before, after, whole_numbers([(op, text) for op, text in diffs]))


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
    if change.fragments:
        return [f"{change.path}: {old} → {new}" for old, new in _hunks(change.fragments, context)]
    # No character diff (it timed out, or the caller built the change, e.g. for metadata): show both whole.
    mark = "（整段）" if change.coarse else ""
    return [f"{change.path}{mark}: {_head(change.before or '', width)} → {_head(change.after or '', width)}"]


def _hunks(fragments: list[Fragment], context: int) -> list[tuple[str, str]]:
    """Old and new text of each changed place, with ``context`` characters either side.

    Edits separated by at most ``2 * context`` equal characters are one place, as their contexts overlap.
    """
    edited = [k for k, (op, _) in enumerate(fragments) if op != 0]
    groups: list[list[int]] = []
    for k in edited:
        if groups and sum(len(text) for _, text in fragments[groups[-1][-1] + 1 : k]) <= 2 * context:
            groups[-1].append(k)
        else:
            groups.append([k])
    hunks = []
    for group in groups:
        first, last = group[0], group[-1]
        left = fragments[first - 1][1] if first > 0 else ""
        right = fragments[last + 1][1] if last + 1 < len(fragments) else ""
        lead = ("…" if len(left) > context else "") + left[max(0, len(left) - context) :]
        tail = right[:context] + ("…" if len(right) > context else "")
        inner = fragments[first : last + 1]
        old = "".join(text for op, text in inner if op <= 0)
        new = "".join(text for op, text in inner if op >= 0)
        hunks.append((lead + _clip(old, 2 * context) + tail, lead + _clip(new, 2 * context) + tail))
    return hunks


def _head(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width] + "…"


def _clip(text: str, width: int) -> str:
    """Keep both ends of a long changed span: the start and end of an edit are what readers compare."""
    if len(text) <= width:
        return text
    return text[: width // 2] + "…" + text[len(text) - width // 2 :]
