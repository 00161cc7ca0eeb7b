"""Which change a new version is: a pure function of the previous and the new normalised content."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from detect.diff import ClauseChange, TextDiff, diff_texts, summarise
from detect.priority import priority_of

# Metadata whose change is a change of the document, with the label an alert shows for it.
_IDENTITY_LABELS = {"title": "标题", "doc_number": "文号", "agency": "发布机构", "status": "状态"}
# A status the platform flags, read as the life-cycle event it announces.
_STATUS_KINDS = {"废止": "repealed", "失效": "expired"}


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
    """``new`` for a first version, ``amended`` (or a status event) for a different one, else None.

    Only canonical text and identity metadata are compared, so noise that the normaliser folds away
    (whitespace, reflow, full-width digits, summaries, list order) can never produce a change.
    """
    if previous is None:
        title = current.identity.get("title") or ""
        number = current.identity.get("doc_number")
        return ChangeDraft("new", f"新文件：{title}" + (f"（{number}）" if number else ""), {"changes": []})

    text_diff = diff_texts(previous.text, current.text, char_timeout=char_timeout)
    metadata_changes = [
        ClauseChange(
            path=label,
            op="modified",
            before=previous.identity.get(name),
            after=current.identity.get(name),
            fragments=[],
            coarse=False,
        )
        for name, label in _IDENTITY_LABELS.items()
        if (previous.identity.get(name) or None) != (current.identity.get(name) or None)
    ]
    if text_diff.is_empty and not metadata_changes:
        return None
    combined = TextDiff(
        changes=metadata_changes + text_diff.changes,
        elapsed_ms=text_diff.elapsed_ms,
        coarse_pairs=text_diff.coarse_pairs,
    )
    new_status = current.identity.get("status")
    status_changed = new_status != previous.identity.get("status")
    kind = _STATUS_KINDS.get(new_status or "", "amended") if status_changed else "amended"
    return ChangeDraft(kind, summarise(combined), combined.to_dict())
