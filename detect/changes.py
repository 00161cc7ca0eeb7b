"""Which change a new version is: a pure function of the previous and the new normalised content.

Every changed clause is judged on its own: noise (nothing a reader could see: layout, character width,
page debris) is dropped, editorial edits (typos, OCR misreadings, punctuation, a value typed another way,
renumbering, reordering within one clause) are recorded without being alerted by default, and anything
else amends the document.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from diff_match_patch import diff_match_patch

from detect.clauses import DEBRIS, OCR_LOOKALIKES, parse_clauses
from detect.diff import (
    ClauseChange,
    Hunk,
    TextDiff,
    diff_clause,
    diff_texts,
    hunks,
    inside,
    squash,
    summarise,
)
from detect.priority import CONSEQUENTIAL_FIELDS, priority_of, touches_meaning
from detect.values import FIGURE_CHARS, find_values, same_meaning

Significance = Literal["noise", "editorial", "substantive"]

# Metadata whose change is a change of the document, with the label an alert shows for it.
_IDENTITY_LABELS = {"title": "标题", "doc_number": "文号", "agency": "发布机构", "status": "状态"}
# A status the platform flags, read as the life-cycle event it announces.
_STATUS_KINDS = {"废止": "repealed", "失效": "expired"}
# A typo replaces at most this many characters on either side...
TYPO_CHARS = 2
# ...and the typos of one clause together touch at most this share of it (more is a rewording).
TYPO_SHARE = 0.15
# Edits up to this long (both sides) are looked at character by character when they are not one typo.
FINER_CHARS = 12


@dataclass(frozen=True)
class Snapshot:
    """The parts of a version that change detection looks at."""

    text: str
    identity: dict[str, Any]


@dataclass
class ChangeDraft:
    kind: str
    summary: str
    diff: dict[str, Any] = field(default_factory=dict)

    @property
    def priority(self) -> int:
        return priority_of(self.kind, self.diff)


def detect_change(
    previous: Snapshot | None, current: Snapshot, *, char_timeout: float = 0.2
) -> ChangeDraft | None:
    """``new`` for a first version; ``amended``, ``editorial`` or a status event for a different one;
    None when nothing a reader could see has changed.

    Only canonical text and identity metadata are compared, so noise that the normaliser folds away
    (summaries, list order) can never produce a change, and noise it may let through (whitespace,
    reflow, character width, page debris) is recognised here.
    """
    if previous is None:
        title = current.identity.get("title") or ""
        number = current.identity.get("doc_number")
        return ChangeDraft("new", f"新文件：{title}" + (f"（{number}）" if number else ""), {"changes": []})

    text_diff = diff_texts(previous.text, current.text, char_timeout=char_timeout)
    metadata_changes = [
        _identity_change(label, previous.identity.get(name), current.identity.get(name), char_timeout)
        for name, label in _IDENTITY_LABELS.items()
        if (previous.identity.get(name) or None) != (current.identity.get(name) or None)
    ]
    judged = [(change, assess(change)) for change in metadata_changes + text_diff.changes]
    kept = [change for change, significance in judged if significance != "noise"]
    if not kept:
        return None
    combined = TextDiff(
        changes=kept,
        elapsed_ms=text_diff.elapsed_ms,
        coarse_pairs=sum(change.coarse for change in kept),
        sentence_pairs=sum(change.granularity == "sentence" for change in kept),
    )
    new_status = current.identity.get("status")
    if new_status != previous.identity.get("status"):
        kind = _STATUS_KINDS.get(new_status or "", "amended")
    else:
        kind = "amended" if any(significance == "substantive" for _, significance in judged) else "editorial"
    return ChangeDraft(kind, summarise(combined), combined.to_dict())


def assess(change: ClauseChange) -> Significance:
    """How much one clause change means: noise, editorial or substantive."""
    if change.op == "moved":
        return "editorial" if _parent(change.before_path) == _parent(change.path) else "substantive"
    if change.op != "modified":
        return "substantive"
    before, after = change.before or "", change.after or ""
    if not change.fragments:
        if squash(before) == squash(after):
            return "noise"
        return "editorial" if same_meaning(before, after) and not change.values else "substantive"
    if change.values:
        return "substantive"
    edits = [hunk for hunk in hunks(change.fragments) if not _noise(hunk)]
    if not edits:
        return "noise"
    if change.path in CONSEQUENTIAL_FIELDS:
        return "substantive"
    return "editorial" if _editorial(change, edits) else "substantive"


def _identity_change(label: str, before: str | None, after: str | None, char_timeout: float) -> ClauseChange:
    if before is None or after is None:
        return ClauseChange(label, "modified", before, after, before_path=label)
    return diff_clause(label, before, after, char_timeout=char_timeout)


def _parent(path: str | None) -> str:
    return (path or "").rpartition(".")[0]


def _noise(hunk: Hunk) -> bool:
    """Layout, character width or page debris such as "—4一" that an OCR'd page break left in a line."""
    if squash(hunk.deleted) == squash(hunk.inserted):
        return True
    return all(not text.strip() or DEBRIS.fullmatch(text.strip()) for text in (hunk.deleted, hunk.inserted))


def _editorial(change: ClauseChange, edits: list[Hunk]) -> bool:
    """Every edit is renumbering, punctuation, a value typed another way, an OCR look-alike or a typo."""
    before, after = change.before or "", change.after or ""
    markers = ([_marker_span(before)], [_marker_span(after)])
    values = ([(v.start, v.end) for v in find_values(before)], [(v.start, v.end) for v in find_values(after)])
    typos = 0
    pending = list(edits)
    while pending:
        hunk = pending.pop()
        if any(
            inside(hunk.old_start, hunk.old_end, old_spans)
            and inside(hunk.new_start, hunk.new_end, new_spans)
            for old_spans, new_spans in (markers, values)
        ):
            continue
        deleted, inserted = squash(hunk.deleted), squash(hunk.inserted)
        if _punctuation(deleted + inserted) or deleted.translate(OCR_LOOKALIKES) == inserted.translate(
            OCR_LOOKALIKES
        ):
            continue
        if _typo(change, hunk, deleted, inserted):
            typos += max(len(deleted), len(inserted))
            continue
        finer = _finer(hunk)
        if not finer:
            return False
        pending += finer
    return typos <= max(TYPO_CHARS, TYPO_SHARE * len(squash(before)))


def _finer(hunk: Hunk) -> list[Hunk]:
    """A short edit split into the single edits it joins ("谐，排措" → "谱，精准" is two typos and a comma
    that the semantic clean-up of the diff merged into one place); none when it is long or indivisible."""
    if len(hunk.deleted) + len(hunk.inserted) > FINER_CHARS:
        return []
    parts = hunks(diff_match_patch().diff_main(hunk.deleted, hunk.inserted, False))
    if len(parts) < 2:
        return []
    return [
        Hunk(
            hunk.old_start + part.old_start,
            hunk.old_start + part.old_end,
            hunk.new_start + part.new_start,
            hunk.new_start + part.new_end,
            part.deleted,
            part.inserted,
        )
        for part in parts
    ]


def _typo(change: ClauseChange, hunk: Hunk, deleted: str, inserted: str) -> bool:
    """A small edit that touches no figure and no obligation, negation, scope or validity term."""
    # A typo swaps a character or two, or drops or doubles one; a word added or dropped is an edit.
    if max(len(deleted), len(inserted)) > (TYPO_CHARS if deleted and inserted else 1):
        return False
    if set(FIGURE_CHARS) & set(deleted + inserted):
        return False
    return not touches_meaning(change, hunk)


def _marker_span(line: str) -> tuple[int, int]:
    """Where a paragraph's clause number ("（三）", "第十六条") sits in it; empty when there is none."""
    offset = len(line) - len(line.lstrip().lstrip("#").lstrip())
    return offset, offset + len(parse_clauses([line]).markers[0])


def _punctuation(text: str) -> bool:
    return not any(char.isalnum() for char in text)
