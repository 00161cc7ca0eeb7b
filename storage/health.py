"""Per-source crawl health, derived from the recorded crawl runs and documents (never stored twice), and
the conditions operators are alerted about: failing, blocked, layout drift, stale, failed delivery."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from storage.models import CrawlRun, HealthAlert, Listing, Outbox, Source, utcnow

# Fault kinds that say what is wrong with a source, most telling first.
_BLOCKED = {"challenge"}
_BLOCKED_HTTP = ("HTTP 403", "HTTP 412")
_LAYOUT = {"layout", "spa-shell"}
# "empty" (nothing extracted) is layout drift only when no fetch failure explains it.
_UNREACHABLE = {"network", "http-error", "challenge", "error-json", "truncated"}

CONDITIONS = ("failing", "blocked", "layout", "stale", "delivery")
DELIVERY_SUBJECT = "outbox"
"""The subject of the ``delivery`` condition: alerts that could not be delivered, whatever their source."""

DEFAULT_FAILING_AFTER = 3
HISTORY = 20
"""Crawl runs per source looked at: the longest failing streak that can be told."""
# How long a source may go without a new document before it is stale. The platform aggregates the city,
# its departments and all 16 districts, which publish every working day; a district or commission site
# alone publishes a few documents a month.
DEFAULT_STALE_DAYS: dict[str, float] = {"municipal": 7, "district": 30, "commission": 30}


@dataclass(frozen=True)
class SourceHealth:
    source_id: str
    name: str
    enabled: bool
    health: str
    """ok, failing, blocked, layout-changed, or never-run."""
    failing_runs: int
    """Consecutive latest crawl runs that were not ok."""
    last_run_at: datetime | None
    last_ok_at: datetime | None
    last_status: str | None
    evidence: str
    """The fault that decided the health, as recorded (kind: detail, url)."""
    since: datetime | None = None
    """When the current health began: the first run of the current streak (of the runs looked at)."""
    last_new_at: datetime | None = None
    """When the newest of its listings was first seen (a document new to it, though another had it)."""
    stale_after: timedelta | None = None
    stale: bool = False
    """Enabled, crawled, and no new document for longer than ``stale_after``."""


@dataclass(frozen=True)
class HealthPolicy:
    """When a condition is raised: ``failing_after`` not-ok runs in a row; stale after the per-source
    override in ``stale_after_days``, else the default of the source's level."""

    failing_after: int = DEFAULT_FAILING_AFTER
    stale_after_days: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 1 <= self.failing_after <= HISTORY:
            raise ValueError(f"failing_after must be 1-{HISTORY}, got {self.failing_after}")
        bad = {k: v for k, v in self.stale_after_days.items() if not v > 0}
        if bad:
            raise ValueError(f"stale_after_days must be positive numbers of days, got {bad}")

    def stale_after(self, source: Source) -> timedelta:
        days = self.stale_after_days.get(source.id, DEFAULT_STALE_DAYS.get(source.level, 30))
        return timedelta(days=days)


@dataclass(frozen=True)
class Finding:
    """A condition found now: ``subject`` (a source id or ``outbox``) and the evidence proving it."""

    subject: str
    condition: str
    evidence: str


def _fault_text(entry: dict[str, Any]) -> str:
    return f"{entry.get('kind')}: {entry.get('detail', '')} ({entry.get('url', '')})"


def _is_blocked(entry: dict[str, Any]) -> bool:
    return entry.get("kind") in _BLOCKED or (
        entry.get("kind") == "http-error" and str(entry.get("detail", "")).startswith(_BLOCKED_HTTP)
    )


def _layout_fault(run: CrawlRun) -> dict[str, Any] | None:
    for entry in run.error_log:
        if entry.get("kind") in _LAYOUT:
            return entry
    unreachable = any(entry.get("kind") in _UNREACHABLE for entry in run.error_log)
    for entry in run.error_log:
        if entry.get("kind") == "empty" and not unreachable:
            return entry
    return None


def _health_of(run: CrawlRun) -> tuple[str, str]:
    blocked = next((entry for entry in run.error_log if _is_blocked(entry)), None)
    if blocked is not None:
        return "blocked", _fault_text(blocked)
    layout = _layout_fault(run)
    if layout is not None:
        return "layout-changed", _fault_text(layout)
    if run.status == "ok":
        return "ok", ""
    return "failing", _fault_text(run.error_log[0]) if run.error_log else run.status


def _streak(runs: list[CrawlRun], ok: bool) -> int:
    """How many of the latest runs (newest first) are ok (``ok``) or not ok, in a row."""
    return next((k for k, run in enumerate(runs) if (run.status == "ok") != ok), len(runs))


def source_health(
    session: Session,
    *,
    history: int = HISTORY,
    policy: HealthPolicy | None = None,
    now: datetime | None = None,
) -> list[SourceHealth]:
    """Health of every source from its latest crawl runs (only finished runs count)."""
    policy = policy or HealthPolicy()
    now = now or utcnow()
    newest = dict(
        session.exec(select(Listing.source_id, func.max(Listing.first_seen)).group_by(Listing.source_id))
        .tuples()
        .all()
    )
    report = []
    for source in session.exec(select(Source).order_by(Source.id)).all():
        runs = list(
            session.exec(
                select(CrawlRun)
                .where(CrawlRun.source_id == source.id, col(CrawlRun.finished_at).is_not(None))
                .order_by(col(CrawlRun.id).desc())
                .limit(history)
            ).all()
        )
        stale_after = policy.stale_after(source)
        last_new = _aware(newest.get(source.id))
        if not runs:
            report.append(
                SourceHealth(
                    source.id,
                    source.name,
                    source.enabled,
                    "never-run",
                    0,
                    None,
                    None,
                    None,
                    "",
                    last_new_at=last_new,
                    stale_after=stale_after,
                )
            )
            continue
        health, evidence = _health_of(runs[0])
        ok = runs[0].status == "ok"
        streak = _streak(runs, ok)
        last_ok = next((run.finished_at for run in runs if run.status == "ok"), None)
        # Without any document yet, the wait for the first one counts from the first crawl looked at.
        waiting_since = last_new or runs[-1].finished_at
        stale = source.enabled and waiting_since is not None and now - waiting_since > stale_after
        report.append(
            SourceHealth(
                source.id,
                source.name,
                source.enabled,
                health,
                0 if ok else streak,
                runs[0].finished_at,
                last_ok,
                runs[0].status,
                evidence,
                since=runs[streak - 1].finished_at,
                last_new_at=last_new,
                stale_after=stale_after,
                stale=stale,
            )
        )
    return report


def _aware(moment: datetime | None) -> datetime | None:
    """func.max bypasses the column type on SQLite: put the UTC zone back."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def find_conditions(
    session: Session, policy: HealthPolicy | None = None, now: datetime | None = None
) -> list[Finding]:
    """Every condition operators should know of now, for enabled sources and for alert delivery."""
    policy = policy or HealthPolicy()
    now = now or utcnow()
    findings = []
    for health in source_health(session, policy=policy, now=now):
        if not health.enabled or health.health == "never-run":
            continue
        if health.failing_runs >= policy.failing_after:
            findings.append(
                Finding(
                    health.source_id,
                    "failing",
                    f"{health.failing_runs} crawl runs in a row not ok (last: {health.last_status}); "
                    f"last ok run: {_when(health.last_ok_at)}; {health.evidence}",
                )
            )
        if health.health == "blocked":
            findings.append(Finding(health.source_id, "blocked", health.evidence))
        if health.health == "layout-changed":
            findings.append(Finding(health.source_id, "layout", health.evidence))
        if health.stale and health.stale_after is not None:
            findings.append(
                Finding(
                    health.source_id,
                    "stale",
                    f"no new document since {_when(health.last_new_at)}; allowed: "
                    f"{health.stale_after.days} days",
                )
            )
    undelivered = session.exec(
        select(Outbox).where(col(Outbox.status).in_(("failed", "uncertain"))).order_by(col(Outbox.id))
    ).all()
    if undelivered:
        shown = "; ".join(
            f"#{row.id} {row.subscription} {row.status}: {(row.last_error or '')[:200]}"
            for row in undelivered[:3]
        )
        more = f" (and {len(undelivered) - 3} more)" if len(undelivered) > 3 else ""
        findings.append(
            Finding(
                DELIVERY_SUBJECT,
                "delivery",
                f"{len(undelivered)} alert(s) failed or uncertain: {shown}{more}; see `policywatch outbox`",
            )
        )
    return findings


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "never"


def open_alerts(session: Session) -> list[HealthAlert]:
    """Health alerts operators were told of that have not cleared yet, oldest first."""
    return list(
        session.exec(
            select(HealthAlert).where(col(HealthAlert.cleared_at).is_(None)).order_by(col(HealthAlert.id))
        ).all()
    )
