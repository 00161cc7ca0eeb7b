"""What the explorer's pages show, read from the archive: plain data for the templates (which escape it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlmodel import Session, col, func, select

from crawlers.registry import DISTRICTS
from detect.diff import ClauseChange, diff_texts
from notifiers.schedule import SHANGHAI
from storage.models import Change, Document, Fetch, Listing, Version
from storage.queries import changes_of, relations_from, relations_to, versions_of

# Relations as the citing document states them, and as the cited document sees them.
OUTGOING = {
    "cites": "引用 cites",
    "implements": "依据 implements",
    "supersedes": "取代 supersedes",
    "amends": "修改 amends",
    "interprets": "解读 interprets",
    "extends": "延长 extends",
    "repeals": "废止 repeals",
}
INCOMING = {
    "cites": "被引用 cited by",
    "implements": "被依据 implemented by",
    "supersedes": "被取代 superseded by",
    "amends": "被修改 amended by",
    "interprets": "被解读 interpreted by",
    "extends": "被延长 extended by",
    "repeals": "被废止 repealed by",
}
FACTS = {"valid_from": "施行日期 valid from", "valid_until": "有效期至 valid until", "trial": "试行 trial",
         "status": "状态 status"}  # fmt: skip
LEVEL_NAMES = {"municipal": "市级 municipal", "district": "区级 district", "commission": "委办 commission",
               "town": "街镇 town"}  # fmt: skip
RECENT_CHANGES = 20


def district_name(district: str | None) -> str:
    if not district:
        return ""
    return f"{DISTRICTS[district]} ({district})" if district in DISTRICTS else district


def safe_href(url: str | None) -> str | None:
    """The URL if a link to it is safe to render (http or https); scraped ``javascript:`` URLs are not."""
    if not url:
        return None
    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except ValueError:
        return None
    return url.strip() if scheme in ("http", "https") else None


def local(moment: datetime | None) -> str:
    """A moment as Shanghai analysts read it."""
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if moment else ""


def start_of_day(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=SHANGHAI)


def end_of_day(day: date) -> datetime:
    """The last moment of ``day`` in Shanghai: a version first seen that day was in force by then."""
    return start_of_day(day + timedelta(days=1)) - timedelta(microseconds=1)


@dataclass(frozen=True)
class RelationRow:
    quote: str
    target_number: str | None
    target_title: str | None
    document: Document | None
    """The archived document on the other side; None for an unresolved target."""
    detail: str = ""


@dataclass(frozen=True)
class TimelineEvent:
    day: str
    label: str
    detail: str = ""


@dataclass
class DocumentPage:
    document: Document
    versions: list[Version]
    current: Version | None
    relations: list[tuple[str, list[RelationRow]]]
    timeline: list[TimelineEvent]
    evidence: list[dict[str, Any]]
    listings: list[Listing]
    changes: list[Change]
    versions_by_id: dict[int, Version] = field(default_factory=dict)


def document_page(session: Session, document: Document) -> DocumentPage:
    assert document.id is not None
    versions = versions_of(session, document.id)
    changes = changes_of(session, document.id)
    by_id = {version.id: version for version in versions if version.id is not None}
    listings = list(
        session.exec(
            select(Listing).where(Listing.document_id == document.id).order_by(col(Listing.id))
        ).all()
    )
    return DocumentPage(
        document=document,
        versions=versions,
        current=by_id.get(document.current_version_id or -1),
        relations=_relations(session, document.id),
        timeline=_timeline(document, versions, changes),
        evidence=_evidence(document),
        listings=listings,
        changes=list(reversed(changes))[:RECENT_CHANGES],
        versions_by_id=by_id,
    )


def _relations(session: Session, document_id: int) -> list[tuple[str, list[RelationRow]]]:
    groups: dict[str, list[RelationRow]] = {}
    for relation, target in relations_from(session, document_id):
        groups.setdefault(OUTGOING.get(relation.kind, relation.kind), []).append(
            RelationRow(
                quote=relation.quote,
                target_number=relation.target_doc_number,
                target_title=relation.target_title,
                document=target,
                detail=_relation_detail(relation.valid_until, relation.effective),
            )
        )
    for relation, source in relations_to(session, document_id):
        groups.setdefault(INCOMING.get(relation.kind, relation.kind), []).append(
            RelationRow(
                quote=relation.quote,
                target_number=source.doc_number,
                target_title=source.title,
                document=source,
                detail=_relation_detail(relation.valid_until, relation.effective),
            )
        )
    order = [*OUTGOING.values(), *INCOMING.values()]
    return sorted(groups.items(), key=lambda item: order.index(item[0]) if item[0] in order else len(order))


def _relation_detail(valid_until: date | None, effective: date | None) -> str:
    if valid_until:
        return f"有效期延长至 valid until {valid_until.isoformat()}"
    if effective:
        return f"自 {effective.isoformat()} 起 effective"
    return ""


def _timeline(document: Document, versions: list[Version], changes: list[Change]) -> list[TimelineEvent]:
    events = []
    if document.published:
        events.append(TimelineEvent(document.published[:10], "发布 published"))
    if document.valid_from:
        events.append(TimelineEvent(document.valid_from.isoformat(), "施行 in force"))
    for version in versions:
        label = f"版本 version {version.seq} first seen"
        note = "technical upgrade" if version.technical_upgrade else ""
        events.append(TimelineEvent(local(version.first_seen)[:10], label, note))
    for change in changes:
        if change.kind != "new":  # a new document is its first version, already on the timeline
            events.append(TimelineEvent(local(change.detected_at)[:10], change.kind, change.summary))
    if document.valid_until:
        label = "试行期满 trial ends" if document.trial else "有效期至 valid until"
        events.append(TimelineEvent(document.valid_until.isoformat(), label))
    return sorted(events, key=lambda event: event.day)


def _evidence(document: Document) -> list[dict[str, Any]]:
    rows = []
    for fact, label in FACTS.items():
        proof = (document.validity_evidence or {}).get(fact)
        if not isinstance(proof, dict):
            continue
        rows.append(
            {
                "label": label,
                "value": proof.get("value"),
                "source": proof.get("source"),
                "quote": proof.get("quote"),
                "document_id": proof.get("document_id"),
                "title": proof.get("title"),
                "doc_number": proof.get("doc_number"),
            }
        )
    return rows


# --- diffs -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DiffRow:
    path: str
    op: str
    before: list[tuple[int, str]]
    """(op, text) pieces of the old clause: 0 unchanged, -1 deleted."""
    after: list[tuple[int, str]]
    """(op, text) pieces of the new clause: 0 unchanged, 1 inserted."""
    before_path: str | None
    note: str = ""


def diff_rows(before: str, after: str) -> list[DiffRow]:
    """The clause changes between two texts, each as its old and new side."""
    return [_row(change) for change in diff_texts(before, after).changes]


def _row(change: ClauseChange) -> DiffRow:
    if change.fragments:
        old = [(op, text) for op, text in change.fragments if op <= 0]
        new = [(op, text) for op, text in change.fragments if op >= 0]
    else:
        old = [(-1, change.before)] if change.before else []
        new = [(1, change.after)] if change.after else []
        if change.op == "moved":
            old, new = [(0, text) for _, text in old], [(0, text) for _, text in new]
    notes = {"clause": "whole clause replaced (the character diff ran out of time)",
             "sentence": "compared sentence by sentence"}  # fmt: skip
    return DiffRow(
        path=change.path,
        op=change.op,
        before=old,
        after=new,
        before_path=change.before_path if change.before_path != change.path else None,
        note=notes.get(change.granularity, "") if change.op == "modified" else "",
    )


# --- raw snapshots -------------------------------------------------------------------------------------


def snapshot_charset(session: Session, sha256: str) -> str | None:
    """The charset the server declared for this body, from the fetch log."""
    fetch = session.exec(select(Fetch).where(Fetch.sha256 == sha256).order_by(col(Fetch.id).desc())).first()
    if fetch is None:
        return None
    for name, value in (fetch.headers or {}).items():
        if name.lower() == "content-type" and "charset=" in value.lower():
            return value.lower().split("charset=", 1)[1].split(";")[0].strip().strip('"') or None
    return None


def decode_snapshot(body: bytes, charset: str | None) -> str:
    """The body as text: the declared charset, else UTF-8, else GB18030 (a superset of GBK and GB2312)."""
    if charset:
        if charset in ("gb2312", "gbk"):
            charset = "gb18030"  # servers say gb2312 and send GBK characters
        try:
            return body.decode(charset, errors="replace")
        except LookupError:
            pass
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body.decode("gb18030", errors="replace")


# --- facets --------------------------------------------------------------------------------------------


def facet_values(session: Session) -> dict[str, list[str]]:
    """The values each filter can take in this archive, for the search form's menus."""

    def distinct(column: Any) -> list[str]:
        return sorted(value for value in session.exec(select(column).distinct()).all() if value)

    return {
        "district": distinct(Document.district),
        "level": distinct(Document.level),
        "status": distinct(Document.validity_status),
        "kind": distinct(Change.kind),
    }


def archive_counts(session: Session) -> tuple[int, int]:
    documents = session.exec(select(func.count()).select_from(Document)).one()
    versions = session.exec(select(func.count()).select_from(Version)).one()
    return documents, versions
