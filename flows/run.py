"""The Prefect flows: ``policywatch-run``, one pass of crawl -> archive -> notify over the enabled sources,
and ``policywatch-lifecycle``, the daily validity check (expiring, expired) -> notify.

Tasks are coarse (one per source and stage, never per document): Prefect costs 10-50 ms per task run.
Crawls of different hosts run in parallel; crawls of the same host wait for each other, so each host
sees one request at a time.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture

from crawlers.registry import Registry, SourceConfig, load_registry
from crawlers.runner import CrawlResult, run_crawl
from detect.lifecycle import DEFAULT_EXPIRING_DAYS, WITHDRAW_AFTER_MISSES
from flows.stages import SourceReport, archive_crawl, check_validity, mark_crawled, pending_crawls
from notifiers.outbox import deliver_due, route_changes
from notifiers.subscriptions import Subscription, load_subscriptions
from policywatch.config import load_settings
from policywatch.failpoints import failpoint
from storage.archive import sync_sources
from storage.db import make_engine, session_scope
from storage.migrate import upgrade
from storage.snapshots import SnapshotStore


@dataclass
class RunSummary:
    run_id: str
    sources: list[SourceReport] = field(default_factory=list)
    routed: int = 0
    delivery: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ-") + uuid.uuid4().hex[:6]


@task(name="crawl", task_run_name="crawl {source.id}", cache_policy=NO_CACHE)
def crawl_source(
    source: SourceConfig, run_dir: Path, sources_file: Path | None, run_id: str, database_url: str
) -> CrawlResult:
    result = run_crawl(source, run_dir, sources_file=sources_file)
    # Recorded at once, so a run killed before archiving this crawl archives it the next time.
    mark_crawled(make_engine(database_url), run_id, result)
    get_run_logger().info(
        "%s: %d requests, %d items, %d faults in %.1f s",
        source.id,
        result.stats.requests,
        result.stats.items,
        len(result.faults),
        result.duration_s,
    )
    return result


@task(name="archive", task_run_name="archive {result.source_id}", cache_policy=NO_CACHE)
def archive_source(
    registry: Registry,
    result: CrawlResult,
    run_id: str,
    database_url: str,
    snapshots: Path,
    withdraw_after: int = WITHDRAW_AFTER_MISSES,
) -> SourceReport:
    report = archive_crawl(
        make_engine(database_url),
        registry,
        result,
        run_id=run_id,
        store=SnapshotStore(snapshots),
        withdraw_after=withdraw_after,
    )
    get_run_logger().info(
        "%s: %s, %d items, %d new, %d amended",
        report.source_id,
        report.status,
        report.items,
        report.new,
        report.amended,
    )
    return report


@task(name="notify", cache_policy=NO_CACHE)
def notify(subscriptions: list[Subscription], database_url: str) -> tuple[int, dict[str, Any]]:
    engine = make_engine(database_url)
    with session_scope(engine) as session:
        routed = route_changes(session, subscriptions)
    delivery = deliver_due(engine, subscriptions)
    get_run_logger().info("routed %d alert(s); delivery: %s", routed, delivery.summary())
    return routed, delivery.to_dict()


def _host(source: SourceConfig) -> str:
    return urlsplit(source.base_url).netloc


@flow(name="policywatch-run", flow_run_name="run-{only_label}", log_prints=True)
def policywatch_run(
    sources_file: str | None = None,
    subscriptions_file: str | None = None,
    only: list[str] | None = None,
    only_label: str = "all",
    withdraw_after: int = WITHDRAW_AFTER_MISSES,
) -> dict[str, Any]:
    """Crawl every enabled source (or ``only`` these), archive what changed and alert subscribers.

    A document missing from ``withdraw_after`` successful crawls of its source in a row is withdrawn.
    """
    settings = load_settings()
    registry = load_registry(Path(sources_file) if sources_file else None)
    subscriptions = load_subscriptions(Path(subscriptions_file)) if subscriptions_file else []
    engine = make_engine(settings.database_url)
    upgrade(engine)
    with session_scope(engine) as session:
        sync_sources(session, registry.sources)

    run_id = new_run_id()
    summary = RunSummary(run_id=run_id)
    store_dir = settings.snapshots_dir
    # Crawls of an earlier run that was killed after crawling are archived first, in order.
    for old_run_id, result in pending_crawls(engine, settings.runs_dir, exclude_run=run_id):
        summary.sources.append(
            archive_source(registry, result, old_run_id, settings.database_url, store_dir, withdraw_after)
        )

    run_dir = settings.runs_dir / run_id
    last_on_host: dict[str, PrefectFuture[CrawlResult]] = {}
    futures: list[PrefectFuture[CrawlResult]] = []
    for source in registry.enabled(only):
        previous = last_on_host.get(_host(source))
        future = crawl_source.submit(
            source,
            run_dir,
            Path(sources_file) if sources_file else None,
            run_id,
            settings.database_url,
            wait_for=[previous] if previous else [],
        )
        last_on_host[_host(source)] = future
        futures.append(future)
    results = [future.result() for future in futures]
    failpoint("after-crawl")

    for result in results:
        summary.sources.append(
            archive_source(registry, result, run_id, settings.database_url, store_dir, withdraw_after)
        )

    summary.routed, summary.delivery = notify(subscriptions, settings.database_url)
    return summary.to_dict()


# China has no daylight saving: "today" for validity is the date in UTC+8, whatever the worker's zone.
_SHANGHAI = timezone(timedelta(hours=8))


@task(name="check-validity", cache_policy=NO_CACHE)
def check_validity_task(database_url: str, today: date, days: int) -> list[dict[str, Any]]:
    with session_scope(make_engine(database_url)) as session:
        changes = check_validity(session, today, days)
        found = [
            {"id": c.id, "kind": c.kind, "document_id": c.document_id, "summary": c.summary} for c in changes
        ]
    get_run_logger().info("validity as of %s (%d days ahead): %d change(s)", today, days, len(found))
    return found


@flow(name="policywatch-lifecycle", flow_run_name="validity-check", log_prints=True)
def policywatch_lifecycle(
    subscriptions_file: str | None = None, today: str | None = None, days: int = DEFAULT_EXPIRING_DAYS
) -> dict[str, Any]:
    """Report documents whose validity ends within ``days`` (expiring) or has ended (expired) as of
    ``today`` (ISO date; default: today in Shanghai), and alert subscribers."""
    settings = load_settings()
    subscriptions = load_subscriptions(Path(subscriptions_file)) if subscriptions_file else []
    engine = make_engine(settings.database_url)
    upgrade(engine)
    as_of = date.fromisoformat(today) if today else datetime.now(_SHANGHAI).date()
    changes = check_validity_task(settings.database_url, as_of, days)
    routed, delivery = notify(subscriptions, settings.database_url)
    return {
        "today": as_of.isoformat(),
        "days": days,
        "changes": changes,
        "routed": routed,
        "delivery": delivery,
    }
