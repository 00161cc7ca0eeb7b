"""The event the notify stage hands to filters and renderers: one change, self-contained.

Filters and message templates read only this, never the tables, so they can be tested without an
archive and a message can be rebuilt later from the same change.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypedDict

from sqlmodel import Session

from crawlers.registry import DISTRICTS
from storage.models import Change, Document

KIND_LABELS: dict[str, str] = {
    "new": "新发布",
    "amended": "修订",
    "superseded": "被替代",
    "repealed": "废止",
    "extended": "延期",
    "expired": "失效",
    "expiring": "即将到期",
    "withdrawn": "撤回",
    "upstream_changed": "上位政策变动",
    "editorial": "文字调整",
}

DISTRICT_LABELS = DISTRICTS

LEVEL_LABELS: dict[str, str] = {"municipal": "市级", "district": "区级", "town": "街镇级"}


class Clause(TypedDict):
    """One changed clause, as detect.diff records it."""

    path: str
    """Clause address such as ``四.(一).1``; empty for text before the first numbered clause."""
    op: str
    """``modified``, ``added`` or ``removed``."""
    before: str | None
    after: str | None
    fragments: list[tuple[int, str]]
    """diff-match-patch pairs inside a modified clause: -1 deleted, 0 kept, 1 inserted."""


@dataclass(frozen=True)
class ChangeEvent:
    change_id: int
    kind: str
    detected_at: datetime
    summary: str
    clauses: tuple[Clause, ...]
    document_id: int
    source: str
    title: str
    doc_number: str | None
    agency: str | None
    url: str
    district: str | None
    level: str | None
    archive_ref: str
    """The command that shows the archived document, for readers who want more than the message."""

    def texts(self) -> Iterator[str]:
        """Every text a keyword may be found in: title, summary and both sides of each changed clause."""
        yield self.title
        yield self.summary
        for clause in self.clauses:
            yield from (text for text in (clause["before"], clause["after"]) if text)


def load_event(session: Session, change_id: int) -> ChangeEvent:
    change = session.get(Change, change_id)
    if change is None:
        raise LookupError(f"change {change_id} is not in the archive")
    document = session.get(Document, change.document_id)
    if document is None or document.id is None:
        raise LookupError(f"change {change_id} names document {change.document_id}, which is missing")
    return ChangeEvent(
        change_id=change_id,
        kind=change.kind,
        detected_at=change.detected_at,
        summary=change.summary,
        clauses=tuple(_clause(entry) for entry in (change.diff or {}).get("changes", [])),
        document_id=document.id,
        source=document.source_id,
        title=document.title,
        doc_number=document.doc_number,
        agency=document.agency,
        url=document.url,
        district=document.district,
        level=document.level,
        archive_ref=f"policywatch show {document.id}",
    )


def _clause(entry: dict[str, Any]) -> Clause:
    return Clause(
        path=entry.get("path") or "",
        op=entry["op"],
        before=entry.get("before"),
        after=entry.get("after"),
        fragments=[(int(op), text) for op, text in entry.get("fragments") or []],
    )
