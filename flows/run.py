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

from prefect import flow, get_run_logger, runtime, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture

from crawlers.registry import Registry, SourceConfig, load_registry
from crawlers.runner import CrawlResult, full_walk_due, run_crawl
from detect.lifecycle import DEFAULT_EXPIRING_DAYS, WITHDRAW_AFTER_MISSES
from flows.report import (
    artifact_key,
    health_markdown,
    health_rows,
    local_time,
    run_markdown,
    source_rows,
)
from flows.stages import (
    SourceReport,
    archive_crawl,
    check_validity,
    known_listings,
    last_full_walk,
    mark_crawled,
    pending_crawls,
)
from notifiers.health import check_health
from notifiers.outbox import deliver_due, route_changes
from notifiers.subscriptions import Subscription, load_subscriptions
from policywatch.config import load_settings
from policywatch.failpoints import failpoint
from storage.archive import sync_sources
from storage.db import make_engine, session_scope
from storage.health import DEFAULT_FAILING_AFTER, HealthPolicy, source_health
from storage.migrate import upgrade
from storage.snapshots import SnapshotStore


@dataclass
class RunSummary:
    run_id: str
    sources: list[SourceReport] = field(default_factory=list)
    routed: int = 0
    delivery: dict[str, Any] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    """Sources asked for but disabled in the registry (scheduled deployments skip them)."""
    health: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ-") + uuid.uuid4().hex[:6]


@task(name="crawl", task_run_name="crawl {source.id}", cache_policy=NO_CACHE)
def crawl_source(
    source: SourceConfig,
    run_dir: Path,
    sources_file: Path | None,
    run_id: str,
    database_url: str,
    full: bool = False,
) -> CrawlResult:
    """A full walk when forced (``full``) or due by the source's ``full_walk_every``, else incremental."""
    engine = make_engine(database_url)
    last_full = last_full_walk(engine, source.id)
    full = full or full_walk_due(last_full, source.full_walk_interval, datetime.now(UTC))
    known = None if full else known_listings(engine, source.id)
    result = run_crawl(source, run_dir, sources_file=sources_file, known=known)
    # Recorded at once, so a run killed before archiving this crawl archives it the next time.
    mark_crawled(engine, run_id, result)
    get_run_logger().info(
        "%s: %s, %d requests, %d items, %d known, %d faults in %.1f s",
        source.id,
        "full walk" if result.full_walk else "incremental walk",
        result.stats.requests,
        result.stats.items,
        result.stats.known,
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


@task(name="health-check", cache_policy=NO_CACHE)
def health_check(
    subscriptions: list[Subscription], database_url: str, policy: HealthPolicy
) -> dict[str, Any]:
    report = check_health(make_engine(database_url), subscriptions, policy)
    get_run_logger().info(
        "health: %d started, %d cleared, %d open; %d notice(s) sent, %d to retry",
        len(report.opened),
        len(report.cleared),
        len(report.open),
        report.sent,
        report.retrying,
    )
    return report.to_dict()


def _run_time() -> datetime:
    """The slot a scheduled run was made for (else now), so a late run is still named after its slot."""
    scheduled = runtime.flow_run.scheduled_start_time
    return datetime.fromtimestamp(scheduled.timestamp(), UTC) if scheduled else datetime.now(UTC)


def _run_name() -> str:
    """``sh-platform 2026-11-23 18:30 +08:00``: what ran and for which time, in Shanghai time."""
    label = runtime.flow_run.parameters.get("only_label") or runtime.flow_run.flow_name
    return f"{label} {local_time(_run_time())}"


def _optional_file(value: str | None, variable: str) -> Path | None:
    """A file parameter; empty means none. A ``{{ $VAR }}`` left in it was not set at deploy time."""
    if not value:
        return None
    if "{{" in value:
        raise ValueError(
            f"parameter {value!r} was never filled in: set {variable} (empty for none) and run "
            "`prefect deploy --all` again"
        )
    return Path(value)


def sources_to_crawl(
    registry: Registry, only: list[str] | None, *, skip_disabled: bool
) -> tuple[list[SourceConfig], list[str]]:
    """The sources a run crawls, and the ids of those of ``only`` it skips because they are disabled
    (with ``skip_disabled``: a schedule must not crawl a source whose selectors are unconfirmed)."""
    chosen = registry.enabled(only)
    if not skip_disabled:
        return chosen, []
    return [s for s in chosen if s.enabled], [s.id for s in chosen if not s.enabled]


@task(name="publish-report", cache_policy=NO_CACHE)
def publish_report(summary: dict[str, Any], label: str, title: str) -> None:
    """The run's table (a row per source) and Markdown summary, as Prefect artifacts keyed by what ran."""
    key = artifact_key("policywatch-run", label)
    create_table_artifact(source_rows(summary), key=key, description=title)
    create_markdown_artifact(run_markdown(summary, title), key=f"{key}-summary", description=title)


@flow(name="policywatch-run", flow_run_name=_run_name, log_prints=True)
def policywatch_run(
    sources_file: str | None = None,
    subscriptions_file: str | None = None,
    only: list[str] | None = None,
    only_label: str = "all",
    withdraw_after: int = WITHDRAW_AFTER_MISSES,
    skip_disabled: bool = False,
    failing_after: int = DEFAULT_FAILING_AFTER,
    stale_after_days: dict[str, float] | None = None,
    full: bool = False,
) -> dict[str, Any]:
    """Crawl every enabled source (or ``only`` these), archive what changed, alert subscribers, check
    the sources' health (alerting operators subscriptions) and publish the run's artifacts.

    A document missing from ``withdraw_after`` successful crawls of its source in a row is withdrawn.
    With ``skip_disabled`` (scheduled deployments) sources of ``only`` that are disabled in the registry
    are skipped and listed in the summary instead of crawled.
    """
    settings = load_settings()
    sources_path = _optional_file(sources_file, "POLICYWATCH_SOURCES")
    subscriptions_path = _optional_file(subscriptions_file, "POLICYWATCH_SUBSCRIPTIONS")
    policy = HealthPolicy(failing_after, stale_after_days or {})
    registry = load_registry(sources_path)
    subscriptions = load_subscriptions(subscriptions_path) if subscriptions_path else []
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
    chosen, summary.skipped = sources_to_crawl(registry, only, skip_disabled=skip_disabled)
    if summary.skipped:
        get_run_logger().info(
            "skipped %s: disabled in the source registry (enable in the sources file)",
            ", ".join(summary.skipped),
        )
    last_on_host: dict[str, PrefectFuture[CrawlResult]] = {}
    futures: list[PrefectFuture[CrawlResult]] = []
    for source in chosen:
        previous = last_on_host.get(_host(source))
        future = crawl_source.submit(
            source,
            run_dir,
            sources_path,
            run_id,
            settings.database_url,
            full,
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
    summary.health = health_check(subscriptions, settings.database_url, policy)
    result = summary.to_dict()
    publish_report(result, only_label, f"policywatch run {only_label} {local_time(_run_time())}")
    return result


@flow(name="policywatch-deliver", flow_run_name=_run_name, log_prints=True)
def policywatch_deliver(subscriptions_file: str | None = None) -> dict[str, Any]:
    """Route changes not routed yet and send every due alert, digests included, without crawling: digests
    go out at their time even when no crawl runs then."""
    settings = load_settings()
    path = _optional_file(subscriptions_file, "POLICYWATCH_SUBSCRIPTIONS")
    subscriptions = load_subscriptions(path) if path else []
    upgrade(make_engine(settings.database_url))
    routed, delivery = notify(subscriptions, settings.database_url)
    return {"routed": routed, "delivery": delivery}


@flow(name="policywatch-health", flow_run_name=_run_name, log_prints=True)
def policywatch_health(
    sources_file: str | None = None,
    subscriptions_file: str | None = None,
    failing_after: int = DEFAULT_FAILING_AFTER,
    stale_after_days: dict[str, float] | None = None,
) -> dict[str, Any]:
    """Check every source's health without crawling (staleness and undelivered alerts grow between
    runs), alert operators subscriptions, and publish the per-source health table."""
    settings = load_settings()
    registry = load_registry(_optional_file(sources_file, "POLICYWATCH_SOURCES"))
    path = _optional_file(subscriptions_file, "POLICYWATCH_SUBSCRIPTIONS")
    subscriptions = load_subscriptions(path) if path else []
    policy = HealthPolicy(failing_after, stale_after_days or {})
    engine = make_engine(settings.database_url)
    upgrade(engine)
    with session_scope(engine) as session:
        sync_sources(session, registry.sources)
    health = health_check(subscriptions, settings.database_url, policy)
    with session_scope(engine) as session:
        rows = health_rows(source_health(session, policy=policy))
    title = f"policywatch health {local_time(_run_time())}"
    create_table_artifact(rows, key="policywatch-health", description=title)
    create_markdown_artifact(
        "\n".join([f"# {title}", "", *health_markdown(health)]) + "\n",
        key="policywatch-health-summary",
        description=title,
    )
    return health


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
