"""The pipeline's stages as plain functions: crawl -> snapshot -> normalise -> version -> detect -> notify.

Prefect tasks in flows/run.py wrap these; tests call them directly. Each stage is idempotent and the
archive stage runs in one transaction per source, so a run killed anywhere can simply be run again.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import select

from crawlers.items import PolicyItem
from crawlers.registry import Registry
from crawlers.runner import CrawlResult, load_crawl_result
from crawlers.spiders import sh_platform
from detect.changes import Snapshot, detect_change
from normalise.document import NORMALISER_VERSION, NormalisedDocument
from normalise.platform import normalise_item
from policywatch.failpoints import failpoint
from storage.archive import latest_version, open_crawl_run, record_change, record_fetches, record_version
from storage.db import session_scope
from storage.models import Change, CrawlRun, Document, Version, utcnow
from storage.snapshots import SnapshotMissing, SnapshotStore

# How each spider re-extracts a document from its raw snapshots (for re-normalisation).
_REPLAY = {"sh-platform": sh_platform.replay_item}


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


def normalise_document(item: PolicyItem, registry: Registry) -> NormalisedDocument:
    source = registry.get(item.source)
    district = registry.district_of_site(item.site_id) or source.district
    return normalise_item(item, district=district)


def renormalise_version(
    version: Version, document: Document, registry: Registry, store: SnapshotStore
) -> NormalisedDocument | None:
    """The version re-derived from its raw snapshots by today's normaliser (None if it cannot be)."""
    source = registry.get(document.source_id)
    replay = _REPLAY.get(source.spider or "")
    if replay is None:
        return None
    try:
        bodies = [store.get(sha) for sha in version.snapshot_ids]
    except SnapshotMissing:
        return None
    item = replay(source, document.native_id, bodies, list(version.snapshot_ids))
    return normalise_document(item, registry) if item else None


def _crawl_status(result: CrawlResult) -> str:
    if not result.completed or result.stats.items == 0:
        return "failed"
    return "partial" if result.faults else "ok"


def archive_crawl(
    engine: Engine, registry: Registry, result: CrawlResult, *, run_id: str, store: SnapshotStore
) -> SourceReport:
    """Normalise, version and detect everything one crawl produced, in one transaction."""
    started = time.monotonic()
    report = SourceReport(
        source_id=result.source_id,
        status=_crawl_status(result),
        requests=result.stats.requests,
        faults=[asdict(f) for f in result.faults],
    )
    finished = result.stats.finished_at
    seen_at = datetime.fromisoformat(finished) if finished else utcnow()
    with session_scope(engine) as session:
        crawl_run = open_crawl_run(session, run_id, result.source_id)
        record_fetches(session, crawl_run, result.output.fetches())
        for item in result.output.items():
            doc = normalise_document(item, registry)
            outcome = record_version(
                session,
                doc,
                crawl_run_id=crawl_run.id,
                seen_at=seen_at,
                renormalise=lambda version, document: renormalise_version(version, document, registry, store),
            )
            report.items += 1
            if not outcome.created:
                continue
            if outcome.technical_upgrade:
                report.technical_upgrades += 1
                continue
            previous = (
                Snapshot(outcome.baseline_text or "", _identity_of(outcome.previous))
                if outcome.previous
                else None
            )
            draft = detect_change(previous, Snapshot(doc.text, doc.identity()))
            if draft is None:
                continue
            assert outcome.document.id is not None and outcome.version.id is not None
            record_change(
                session,
                Change(
                    document_id=outcome.document.id,
                    kind=draft.kind,
                    from_version_id=outcome.previous.id if outcome.previous else None,
                    to_version_id=outcome.version.id,
                    detected_at=seen_at,
                    summary=draft.summary,
                    diff=draft.diff,
                    priority=draft.priority,
                ),
            )
            if draft.kind == "new":
                report.new += 1
            elif draft.kind == "amended":
                report.amended += 1
            else:
                report.other_changes += 1
        crawl_run.status = report.status
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


def _identity_of(version: Version) -> dict[str, Any]:
    return {k: version.doc_metadata.get(k) for k in ("title", "doc_number", "agency", "status")}


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
            redone = renormalise_version(latest, document, registry, store)
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
