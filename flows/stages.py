"""The pipeline's stages as plain functions: crawl -> snapshot -> normalise -> version -> detect -> notify.

Prefect tasks in flows/run.py wrap these; tests call them directly. Each stage is idempotent and the
archive stage runs in one transaction per source, so a run killed anywhere can simply be run again.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, or_, select

from crawlers.items import PolicyItem
from crawlers.registry import Registry
from crawlers.runner import CrawlResult, load_crawl_result
from crawlers.spiders import affair, columns, sh_platform
from crawlers.spiders.pages import restore_attachments
from detect.changes import ChangeDraft, Snapshot, detect_change
from detect.lifecycle import (
    DEFAULT_EXPIRING_DAYS,
    IN_FORCE,
    STATUS_AFTER,
    UPSTREAM_KINDS,
    WITHDRAW_AFTER_MISSES,
    expiry_summary,
    validity_due,
)
from detect.priority import priority_of
from flows.attachments import attachment_reader, downloaded_files, keep_previous_when_attachments_lost
from normalise.attachments.document import add_attachments
from normalise.document import IDENTITY_FIELDS, NORMALISER_VERSION, NormalisedDocument
from normalise.page import normalise_page_item
from normalise.platform import normalise_item
from policywatch.failpoints import failpoint
from storage.archive import (
    apply_relations,
    count_misses,
    derive_lifecycle,
    evidence_of,
    latest_version,
    lifecycle_event_recorded,
    listing_of,
    new_editions,
    open_crawl_run,
    propagate_upstream,
    record_change,
    record_fetches,
    record_version,
    relations_naming,
    resolve,
)
from storage.db import session_scope
from storage.models import Change, CrawlRun, Document, Listing, Version, utcnow
from storage.search import refresh_search_index
from storage.snapshots import SnapshotMissing, SnapshotStore

# How each spider re-extracts a document from its raw snapshots (for re-normalisation).
_REPLAY = {
    "sh-platform": sh_platform.replay_item,
    "sh-gov": columns.replay_item,
    "sh-fgw": columns.replay_item,
    "minhang": columns.replay_item,
    "putuo": affair.replay_item,
    "pudong": affair.replay_item,
}


@dataclass
class SourceReport:
    source_id: str
    status: str
    requests: int = 0
    items: int = 0
    new: int = 0
    amended: int = 0
    other_changes: int = 0
    technical_upgrades: int = 0
    faults: list[dict[str, str]] = field(default_factory=list)
    duration_s: float = 0.0
    full_walk: bool = True
    """False when the crawl stopped at known documents: then nothing it did not list counts as missed."""


def normalise_document(
    item: PolicyItem, registry: Registry, store: SnapshotStore | None = None
) -> NormalisedDocument:
    """The canonical document; with ``store``, the text of its downloaded attachments follows the body."""
    source = registry.get(item.source)
    district = registry.district_of_site(item.site_id) or source.district
    # The platform's metadata comes from its API record; every other source reads an HTML detail page.
    if source.spider == "sh-platform":
        return normalise_item(item, district=district)
    document = normalise_page_item(item, district=district)
    if store is not None:
        add_attachments(document, item.record.get("attachments") or [], attachment_reader(store))
    return document


def renormalise_version(
    version: Version,
    listing: Listing,
    registry: Registry,
    store: SnapshotStore,
    downloaded: Mapping[str, str] | None = None,
) -> NormalisedDocument | None:
    """The version re-derived by today's normaliser from the raw snapshots of ``listing`` (the listing it
    came from: its source's spider replays them), or None if it cannot be.

    A version made before attachments were downloaded has none in its snapshots: ``downloaded`` (URL ->
    sha256, the files the current crawl fetched) supplies them, so reading attachments for the first
    time is a technical upgrade, not an amendment. Without them it cannot be re-derived.
    """
    source = registry.get(listing.source_id)
    replay = _REPLAY.get(source.spider or "")
    if replay is None:
        return None
    try:
        bodies = [store.get(sha) for sha in version.snapshot_ids]
    except SnapshotMissing:
        return None
    item = replay(source, listing.native_id, bodies, list(version.snapshot_ids))
    if item is None:
        return None
    if not restore_attachments(item, version.doc_metadata.get("attachments") or [], downloaded or {}):
        return None
    return normalise_document(item, registry, store)


# How the platform answers a detail request for a document it has taken down: error JSON with HTTP 200,
# a few dozen bytes long.
_TAKEDOWN_MESSAGES = ("数据不存在", "页面不存在")
_TAKEDOWN_MAX_BYTES = 1024


def _crawl_status(result: CrawlResult, takedowns: set[str]) -> str:
    # An incremental walk that found only archived documents read its lists: not a failure.
    if not result.completed or (result.stats.items == 0 and result.stats.known == 0):
        return "failed"
    # A takedown answer says something about one document, not that the source failed.
    faults = [f for f in result.faults if not (takedowns and _is_takedown(f.detail))]
    return "partial" if faults else "ok"


def _is_takedown(message: str) -> bool:
    return any(text in message for text in _TAKEDOWN_MESSAGES)


def find_takedowns(result: CrawlResult, store: SnapshotStore) -> set[str]:
    """Native ids (``siteId::businessId``) of documents still listed whose detail is a takedown answer."""
    found: set[str] = set()
    if not any(_is_takedown(fault.detail) for fault in result.faults):
        return found  # the crawl recorded no such answer: no snapshot needs reading
    for fetch in result.output.fetches():
        small = fetch.get("size", 0) <= _TAKEDOWN_MAX_BYTES
        if not (small and fetch.get("request_body") and fetch.get("sha256")):
            continue
        try:
            request, answer = json.loads(fetch["request_body"]), json.loads(store.get(fetch["sha256"]))
        except (SnapshotMissing, ValueError):
            continue
        if not (isinstance(request, dict) and isinstance(answer, dict) and request.get("businessId")):
            continue
        if answer.get("data") is None and _is_takedown(str(answer.get("msg") or "")):
            found.add(f"{request.get('siteId')}::{request['businessId']}")
    return found


def archive_crawl(
    engine: Engine,
    registry: Registry,
    result: CrawlResult,
    *,
    run_id: str,
    store: SnapshotStore,
    withdraw_after: int = WITHDRAW_AFTER_MISSES,
) -> SourceReport:
    """Normalise, version and detect everything one crawl produced, in one transaction."""
    started = time.monotonic()
    takedowns = find_takedowns(result, store)
    report = SourceReport(
        source_id=result.source_id,
        status=_crawl_status(result, takedowns),
        requests=result.stats.requests,
        faults=[asdict(f) for f in result.faults],
        full_walk=result.full_walk,
    )
    finished = result.stats.finished_at
    seen_at = datetime.fromisoformat(finished) if finished else utcnow()
    with session_scope(engine) as session:
        crawl_run = open_crawl_run(session, run_id, result.source_id)
        record_fetches(session, crawl_run, result.output.fetches())
        downloaded = downloaded_files(result)
        documents = (normalise_document(item, registry, store) for item in result.output.items())
        archive_documents(
            session,
            keep_previous_when_attachments_lost(session, documents, report.faults),
            report,
            crawl_run=crawl_run,
            seen_at=seen_at,
            renormalise=lambda version, listing: renormalise_version(
                version, listing, registry, store, downloaded
            ),
            takedowns=takedowns,
            withdraw_after=withdraw_after,
        )
        refresh_search_index(session)
        crawl_run.status = report.status
        crawl_run.full_walk = report.full_walk
        crawl_run.finished_at = utcnow()
        crawl_run.requests = result.stats.requests
        crawl_run.responses = result.stats.responses
        crawl_run.items = report.items
        crawl_run.errors = len(result.faults)
        crawl_run.new, crawl_run.amended = report.new, report.amended
        crawl_run.error_log = report.faults
        crawl_run.timings = {
            "crawl_s": round(result.duration_s, 3),
            "archive_s": round(time.monotonic() - started, 3),
        }
        session.add(crawl_run)
    report.duration_s = round(result.duration_s + time.monotonic() - started, 3)
    failpoint("after-version")
    return report


def archive_documents(
    session: Session,
    documents: Iterable[NormalisedDocument],
    report: SourceReport,
    *,
    crawl_run: CrawlRun,
    seen_at: datetime,
    renormalise: Callable[[Version, Listing], NormalisedDocument | None],
    takedowns: Collection[str] = (),
    withdraw_after: int = WITHDRAW_AFTER_MISSES,
) -> None:
    """Version and detect ``documents`` (everything one crawl of ``report.source_id`` saw), then the life
    cycle: validity, relations and what they do to other documents, upstream changes, withdrawals."""
    seen: dict[int, Document] = {}
    listed: set[int] = set()
    arrived: set[int] = set()
    upstream: list[Change] = []
    for doc in documents:
        outcome = record_version(
            session, doc, crawl_run_id=crawl_run.id, seen_at=seen_at, renormalise=renormalise
        )
        document = outcome.document
        assert document.id is not None and outcome.version.id is not None and outcome.listing.id is not None
        seen[document.id] = document
        listed.add(outcome.listing.id)
        report.items += 1
        if not outcome.created:
            continue
        if outcome.technical_upgrade:
            report.technical_upgrades += 1
            continue
        arrived.add(document.id)
        document.pending_review = False  # its own new text is what a reviewer would have produced
        previous = (
            Snapshot(outcome.baseline_text or "", _identity_of(outcome.previous))
            if outcome.previous
            else None
        )
        draft = detect_change(previous, Snapshot(doc.text, doc.identity()))
        if draft is None or _repeats_lifecycle_event(session, document.id, draft):
            continue
        change = record_change(
            session,
            Change(
                document_id=document.id,
                kind=draft.kind,
                from_version_id=outcome.previous.id if outcome.previous else None,
                to_version_id=outcome.version.id,
                detected_at=seen_at,
                summary=draft.summary,
                diff=draft.diff,
                priority=draft.priority,
            ),
        )
        _count(report, change)
        upstream.append(change)

    derived = [d for d in seen.values() if d.lifecycle_version_id != d.current_version_id]
    relations = [relation for document in derived for relation in derive_lifecycle(session, document)]
    relations += new_editions(session, derived) + relations_naming(session, derived)
    resolved = resolve(session, relations)
    for change in apply_relations(session, resolved, arrived=arrived, seen_at=seen_at):
        _count(report, change)
        upstream.append(change)
    for change in upstream:
        if change.kind in UPSTREAM_KINDS:
            for consequence in propagate_upstream(session, change, seen_at):
                _count(report, consequence)
    if report.status == "ok" and report.full_walk:
        for change in count_misses(
            session,
            crawl_run,
            listed,
            takedowns=takedowns,
            seen_at=seen_at,
            withdraw_after=withdraw_after,
        ):
            _count(report, change)


def check_validity(session: Session, today: date, days: int = DEFAULT_EXPIRING_DAYS) -> list[Change]:
    """``expiring`` for documents in force whose validity ends within ``days`` of ``today``, ``expired``
    for those whose end has passed without an extension; each once per end date (and threshold).
    Returns the changes recorded by this check."""
    documents = session.exec(
        select(Document)
        .where(
            col(Document.valid_until).is_not(None),
            or_(col(Document.validity_status).is_(None), col(Document.validity_status).in_(IN_FORCE)),
        )
        .order_by(col(Document.id))
    ).all()
    changes = []
    for document in documents:
        assert document.valid_until is not None and document.id is not None
        kind = validity_due(document.valid_until, today, days)
        if kind is None or document.current_version_id is None:
            continue
        stated = (document.validity_evidence or {}).get("valid_until") or {}
        proof = {**evidence_of(document, stated.get("quote") or ""), **_notice_fields(stated)}
        summary = expiry_summary(kind, document.valid_until, today)
        end = document.valid_until.isoformat()
        change = Change(
            document_id=document.id,
            kind=kind,
            to_version_id=document.current_version_id,
            detected_at=utcnow(),
            summary=summary,
            diff={"changes": []},
            priority=priority_of(kind, {}),
            event_key=f"{end}:{days}d" if kind == "expiring" else end,
            evidence=proof,
        )
        if record_change(session, change) is change:
            changes.append(change)
        if kind == "expired":
            evidence = dict(document.validity_evidence or {})
            evidence["status"] = {"value": STATUS_AFTER["expired"], "source": "check", "quote": summary}
            document.validity_status, document.validity_evidence = STATUS_AFTER["expired"], evidence
            session.add(document)
    return changes


def _notice_fields(stated: dict[str, Any]) -> dict[str, Any]:
    """The notice that set the end of validity, when one did: it is the evidence, not the document."""
    return {key: stated[key] for key in ("document_id", "title", "doc_number", "url") if key in stated}


def _repeats_lifecycle_event(session: Session, document_id: int, draft: ChangeDraft) -> bool:
    """The platform flags 废止/失效 after a notice or the validity check already reported it."""
    if draft.kind not in ("repealed", "expired"):
        return False
    status_only = all(change.get("path") == "状态" for change in draft.diff.get("changes", []))
    return status_only and lifecycle_event_recorded(session, document_id, draft.kind)


def _count(report: SourceReport, change: Change) -> None:
    if change.kind == "new":
        report.new += 1
    elif change.kind == "amended":
        report.amended += 1
    else:
        report.other_changes += 1


def _identity_of(version: Version) -> dict[str, Any]:
    return {name: version.doc_metadata.get(name) for name in IDENTITY_FIELDS}


@dataclass
class RenormaliseReport:
    checked: int = 0
    upgraded: int = 0
    unavailable: int = 0
    """Documents whose raw snapshots are missing or whose spider cannot replay them."""


def renormalise_archive(engine: Engine, registry: Registry, store: SnapshotStore) -> RenormaliseReport:
    """Re-derive every document made by an older normaliser from its raw snapshots alone.

    A text that differs only because the normaliser changed is recorded as a technical upgrade: a new
    version flagged as such, never a change, so nobody is alerted.
    """
    report = RenormaliseReport()
    with session_scope(engine) as session:
        for document in session.exec(select(Document).order_by(Document.id)).all():
            assert document.id is not None
            latest = latest_version(session, document.id)
            if latest is None or latest.normaliser_version == NORMALISER_VERSION:
                continue
            report.checked += 1
            redone = renormalise_version(latest, listing_of(session, latest), registry, store)
            if redone is None:
                report.unavailable += 1
                continue
            outcome = record_version(
                session,
                redone,
                crawl_run_id=None,
                seen_at=latest.last_seen,
                renormalise=lambda *_, same=redone: same,
            )
            report.upgraded += outcome.technical_upgrade
        refresh_search_index(session)
    return report


def mark_crawled(engine: Engine, run_id: str, result: CrawlResult) -> None:
    """Remember that a crawl finished, so a run killed before archiving it can archive it later."""
    with session_scope(engine) as session:
        crawl_run = open_crawl_run(session, run_id, result.source_id)
        crawl_run.status = "crawled"
        session.add(crawl_run)


def pending_crawls(engine: Engine, runs_dir: Path, *, exclude_run: str) -> list[tuple[str, CrawlResult]]:
    """Crawls of earlier, interrupted runs that finished but were never archived, oldest first."""
    with session_scope(engine) as session:
        rows = session.exec(
            select(CrawlRun)
            .where(CrawlRun.status == "crawled", CrawlRun.run_id != exclude_run)
            .order_by(CrawlRun.id)
        ).all()
        found = [(row.run_id, row.source_id) for row in rows]
    pending = []
    for run_id, source_id in found:
        result = load_crawl_result(runs_dir / run_id / source_id)
        if result is not None:
            pending.append((run_id, result))
    return pending


def known_listings(engine: Engine, source_id: str) -> set[str]:
    """Native ids the source still lists as far as the archive knows, for an incremental crawl: a listing
    found gone is left out, so its reappearance is read again."""
    with session_scope(engine) as session:
        listed = select(Listing.native_id).where(Listing.source_id == source_id)
        return set(session.exec(listed.where(col(Listing.gone_at).is_(None))).all())


def last_full_walk(engine: Engine, source_id: str) -> datetime | None:
    """When the source's last full walk ended (None: never). A partial one counts: it read what it could,
    and walking everything again on every run because one page keeps failing would hammer the site."""
    with session_scope(engine) as session:
        completed = col(CrawlRun.status).in_(("ok", "partial"))
        query = (
            select(CrawlRun.finished_at)
            .where(CrawlRun.source_id == source_id, col(CrawlRun.full_walk), completed)
            .order_by(col(CrawlRun.finished_at).desc())
            .limit(1)
        )
        return session.exec(query).first()
