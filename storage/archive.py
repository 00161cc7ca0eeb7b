"""Writing to the archive: sources, crawl runs, fetches, document versions and changes.

Every writer is idempotent (git-history style): a version row is written only when the content hash
differs from the document's latest version, a change only once per (document, version, kind), a fetch
once per (crawl run, seq). Callers decide the transaction; the flows use one per source and crawl.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, func, select

from crawlers.registry import SourceConfig
from normalise.document import NormalisedDocument
from storage.models import Change, CrawlRun, Document, Fetch, Source, Version, utcnow


def sync_sources(session: Session, sources: Iterable[SourceConfig]) -> None:
    for config in sources:
        row = session.get(Source, config.id) or Source(id=config.id, name=config.name, level=config.level)
        row.name, row.level, row.district = config.name, config.level, config.district
        row.spider, row.base_url, row.enabled = config.spider, config.base_url, config.enabled
        row.updated_at = utcnow()
        session.add(row)


def open_crawl_run(session: Session, run_id: str, source_id: str) -> CrawlRun:
    existing = session.exec(
        select(CrawlRun).where(CrawlRun.run_id == run_id, CrawlRun.source_id == source_id)
    ).first()
    if existing:
        return existing
    crawl_run = CrawlRun(run_id=run_id, source_id=source_id)
    session.add(crawl_run)
    session.flush()
    return crawl_run


def record_fetches(session: Session, crawl_run: CrawlRun, fetches: Iterable[dict[str, Any]]) -> int:
    assert crawl_run.id is not None
    known = set(session.exec(select(Fetch.seq).where(Fetch.crawl_run_id == crawl_run.id)).all())
    added = 0
    for fetch in fetches:
        if fetch["seq"] in known:
            continue
        session.add(
            Fetch(
                crawl_run_id=crawl_run.id,
                seq=fetch["seq"],
                method=fetch["method"],
                url=fetch["url"],
                request_body=fetch.get("request_body"),
                status=fetch["status"],
                headers=fetch.get("headers") or {},
                sha256=fetch.get("sha256") or "",
                size=fetch.get("size", 0),
                fetched_at=datetime.fromisoformat(fetch["fetched_at"]),
            )
        )
        added += 1
    return added


@dataclass
class VersionOutcome:
    document: Document
    version: Version
    previous: Version | None
    baseline_text: str | None
    """What the new version is compared with: the previous text, re-normalised when the normaliser changed."""
    created: bool
    technical_upgrade: bool = False


def latest_version(session: Session, document_id: int) -> Version | None:
    return session.exec(
        select(Version).where(Version.document_id == document_id).order_by(col(Version.seq).desc())
    ).first()


def record_version(
    session: Session,
    doc: NormalisedDocument,
    *,
    crawl_run_id: int | None,
    seen_at: datetime,
    renormalise: Callable[[Version, Document], NormalisedDocument | None],
) -> VersionOutcome:
    """Archive ``doc`` as its document's newest version unless the latest version has the same hash.

    When the latest version was made by an older normaliser, ``renormalise`` re-derives it from its raw
    snapshots with the current one: if that equals ``doc``, the new version is a technical upgrade.
    """
    document = session.exec(
        select(Document).where(Document.source_id == doc.source, Document.native_id == doc.native_id)
    ).first()
    if document is None:
        document = Document(
            source_id=doc.source,
            native_id=doc.native_id,
            title=doc.title,
            url=doc.url,
            first_seen=seen_at,
            last_seen=seen_at,
        )
    document.title, document.url, document.doc_number = doc.title, doc.url, doc.doc_number
    document.agency, document.district, document.level = doc.agency, doc.district, doc.level
    document.published, document.status = doc.published, doc.status
    document.last_seen = max(document.last_seen, seen_at)
    session.add(document)
    session.flush()
    assert document.id is not None

    previous = latest_version(session, document.id)
    if previous is not None and previous.content_hash == doc.content_hash:
        previous.last_seen = max(previous.last_seen, seen_at)
        session.add(previous)
        return VersionOutcome(document, previous, previous, previous.text, created=False)

    baseline_text = previous.text if previous else None
    upgrade = False
    if previous is not None and previous.normaliser_version != doc.normaliser_version:
        redone = renormalise(previous, document)
        if redone is not None:
            upgrade = redone.content_hash == doc.content_hash
            baseline_text = redone.text

    version = Version(
        document_id=document.id,
        seq=(previous.seq + 1) if previous else 1,
        content_hash=doc.content_hash,
        text=doc.text,
        doc_metadata={**doc.metadata, **doc.identity(), "published": doc.published},
        snapshot_ids=doc.snapshot_ids,
        normaliser_version=doc.normaliser_version,
        technical_upgrade=upgrade,
        crawl_run_id=crawl_run_id,
        first_seen=seen_at,
        last_seen=seen_at,
    )
    session.add(version)
    session.flush()
    document.current_version_id = version.id
    session.add(document)
    return VersionOutcome(document, version, previous, baseline_text, created=True, technical_upgrade=upgrade)


def record_change(session: Session, change: Change) -> Change:
    """Insert ``change`` unless the same (document, version, kind) is already recorded."""
    existing = session.exec(
        select(Change).where(
            Change.document_id == change.document_id,
            Change.to_version_id == change.to_version_id,
            Change.kind == change.kind,
        )
    ).first()
    if existing:
        return existing
    session.add(change)
    session.flush()
    return change


def count_versions(session: Session) -> int:
    return session.exec(select(func.count()).select_from(Version)).one()
