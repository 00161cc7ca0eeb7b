"""The event the notify stage hands to filters and renderers: one change, self-contained.

Filters and message templates read only this, never the tables, so they can be tested without an
archive and a message can be rebuilt later from the same change.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypedDict

from sqlmodel import Session, col, select

from crawlers.registry import DISTRICTS
from storage.models import Change, Document, Listing, Version

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

LIFECYCLE_KINDS = frozenset(
    {"superseded", "repealed", "extended", "expired", "expiring", "withdrawn", "upstream_changed"}
)
"""Changes of whether and how long a document applies: their messages always say what proves them."""

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
class Evidence:
    """What proves a life-cycle change: the document that states it (a repeal or extension notice, or the
    document itself) and the sentence that does (``Change.evidence``, written by the archive stage)."""

    title: str
    url: str | None = None
    doc_number: str | None = None
    quote: str | None = None


@dataclass(frozen=True)
class ChangeEvent:
    change_id: int
    kind: str
    priority: int
    """detect.priority: 0 low … 3 critical."""
    detected_at: datetime
    summary: str
    clauses: tuple[Clause, ...]
    document_id: int
    sources: tuple[str, ...]
    """Every source that lists the document (one document, many listings), the first-archived first."""
    title: str
    doc_number: str | None
    agency: str | None
    url: str
    district: str | None
    level: str | None
    status: str | None
    """有效, 失效, 废止 or 已修改: the platform's flag, overruled by a later notice or by expiry; None when
    nothing states one."""
    published: str | None
    validity: str | None
    """When the document applies, as the archive derived it (``2024-03-01 至 2026-12-31（试行）``)."""
    evidence: Evidence | None
    text: str
    """The canonical text of the version the change produced."""
    archive_ref: str
    """The command that shows the archived document, for readers who want more than the message. It
    names the document by its native id, which stays the same when the archive is rebuilt."""
    diff_ref: str
    """The command that shows the full difference (for a first version: the document itself)."""

    def texts(self) -> Iterator[str]:
        """Every text a keyword may be found in: title, summary, both sides of each changed clause, and
        for a new document its whole text (all of it is new)."""
        yield self.title
        yield self.summary
        for clause in self.clauses:
            yield from (text for text in (clause["before"], clause["after"]) if text)
        if self.kind == "new":
            yield self.text


def _listing_sources(session: Session, document: Document) -> tuple[str, ...]:
    listed = session.exec(
        select(Listing.source_id).where(Listing.document_id == document.id).order_by(col(Listing.id))
    ).all()
    return tuple(dict.fromkeys([document.source_id, *listed]))


def load_event(session: Session, change_id: int) -> ChangeEvent:
    change = session.get(Change, change_id)
    if change is None:
        raise LookupError(f"change {change_id} is not in the archive")
    document = session.get(Document, change.document_id)
    if document is None or document.id is None:
        raise LookupError(f"change {change_id} names document {change.document_id}, which is missing")
    version = session.get(Version, change.to_version_id)
    previous = session.get(Version, change.from_version_id) if change.from_version_id else None
    text = version.text if version else ""
    archive_ref = f"policywatch show {document.native_id}"
    return ChangeEvent(
        change_id=change_id,
        kind=change.kind,
        priority=change.priority,
        detected_at=change.detected_at,
        summary=change.summary,
        clauses=tuple(_clause(entry) for entry in (change.diff or {}).get("changes", [])),
        document_id=document.id,
        sources=_listing_sources(session, document),
        title=document.title,
        doc_number=document.doc_number,
        agency=document.agency,
        url=document.url,
        district=document.district,
        level=document.level,
        status=document.validity_status or document.status,
        published=document.published,
        validity=validity_text(document.valid_from, document.valid_until, trial=document.trial),
        evidence=_evidence(change.evidence) if change.evidence else None,
        text=text,
        archive_ref=archive_ref,
        diff_ref=(
            f"policywatch diff {document.native_id} --from {previous.seq} --to {version.seq}"
            if previous and version
            else archive_ref
        ),
    )


def validity_text(valid_from: date | None, valid_until: date | None, *, trial: bool) -> str | None:
    """``2024-03-01 至 2026-12-31（试行）``, ``至 2026-12-31`` or ``2024-03-01 起``; None if unknown."""
    if valid_from and valid_until:
        text = f"{valid_from.isoformat()} 至 {valid_until.isoformat()}"
    elif valid_until:
        text = f"至 {valid_until.isoformat()}"
    elif valid_from:
        text = f"{valid_from.isoformat()} 起"
    else:
        return None
    return text + ("（试行）" if trial else "")


def _clause(entry: dict[str, Any]) -> Clause:
    return Clause(
        path=entry.get("path") or "",
        op=entry["op"],
        before=entry.get("before"),
        after=entry.get("after"),
        fragments=[(int(op), text) for op, text in entry.get("fragments") or []],
    )


def _evidence(entry: dict[str, Any]) -> Evidence:
    return Evidence(
        title=entry.get("title") or "",
        url=entry.get("url"),
        doc_number=entry.get("doc_number"),
        quote=entry.get("quote"),
    )
