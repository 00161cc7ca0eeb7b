"""Per-source crawl health, derived from the recorded crawl runs (never stored twice)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from storage.models import CrawlRun, Source

# Fault kinds that say what is wrong with a source, most telling first.
_BLOCKED = {"challenge"}
_LAYOUT = {"layout", "empty", "spa-shell"}


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


def _health_of(run: CrawlRun) -> tuple[str, str]:
    kinds = [entry.get("kind") for entry in run.error_log]
    for label, wanted in (("blocked", _BLOCKED), ("layout-changed", _LAYOUT)):
        for entry in run.error_log:
            if entry.get("kind") in wanted:
                return label, f"{entry['kind']}: {entry.get('detail', '')} ({entry.get('url', '')})"
    if run.status == "ok":
        return "ok", ""
    first = run.error_log[0] if run.error_log else {}
    evidence = (
        f"{first.get('kind')}: {first.get('detail', '')} ({first.get('url', '')})" if kinds else run.status
    )
    return "failing", evidence


def source_health(session: Session, *, history: int = 20) -> list[SourceHealth]:
    """Health of every source from its latest crawl runs (only finished runs count)."""
    report = []
    for source in session.exec(select(Source).order_by(Source.id)).all():
        runs = session.exec(
            select(CrawlRun)
            .where(CrawlRun.source_id == source.id, col(CrawlRun.finished_at).is_not(None))
            .order_by(col(CrawlRun.id).desc())
            .limit(history)
        ).all()
        if not runs:
            report.append(
                SourceHealth(source.id, source.name, source.enabled, "never-run", 0, None, None, None, "")
            )
            continue
        health, evidence = _health_of(runs[0])
        failing = next((k for k, run in enumerate(runs) if run.status == "ok"), len(runs))
        last_ok = next((run.finished_at for run in runs if run.status == "ok"), None)
        report.append(
            SourceHealth(
                source.id,
                source.name,
                source.enabled,
                health,
                failing,
                runs[0].finished_at,
                last_ok,
                runs[0].status,
                evidence,
            )
        )
    return report
