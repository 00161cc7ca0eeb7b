"""Source health from crawl runs: ok, failing, blocked, layout-changed, with the evidence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine

from crawlers.registry import load_registry
from storage.archive import sync_sources
from storage.db import session_scope
from storage.health import source_health
from storage.models import CrawlRun

T0 = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.fixture
def archive(engine: Engine) -> Engine:
    with session_scope(engine) as session:
        sync_sources(session, load_registry().sources)
    return engine


def add_runs(engine: Engine, *runs: tuple[str, list[dict[str, str]]]) -> None:
    with session_scope(engine) as session:
        for k, (status, faults) in enumerate(runs):
            session.add(
                CrawlRun(
                    run_id=f"r{k}",
                    source_id="sh-platform",
                    status=status,
                    error_log=faults,
                    started_at=T0 + timedelta(hours=k),
                    finished_at=T0 + timedelta(hours=k, minutes=5),
                )
            )


def platform_health(engine: Engine):  # type: ignore[no-untyped-def]
    with session_scope(engine) as session:
        return next(h for h in source_health(session) if h.source_id == "sh-platform")


def test_a_source_never_crawled_is_never_run(archive: Engine) -> None:
    assert platform_health(archive).health == "never-run"


def test_an_ok_run_is_ok(archive: Engine) -> None:
    add_runs(archive, ("ok", []))
    health = platform_health(archive)
    assert (health.health, health.failing_runs, health.last_ok_at) == ("ok", 0, T0 + timedelta(minutes=5))


def test_consecutive_failed_runs_are_counted(archive: Engine) -> None:
    fault = {"kind": "network", "detail": "Connection refused", "url": "http://x/"}
    add_runs(archive, ("ok", []), ("failed", [fault]), ("failed", [fault]))
    health = platform_health(archive)
    assert (health.health, health.failing_runs) == ("failing", 2)
    assert "Connection refused" in health.evidence


def test_a_challenge_means_blocked(archive: Engine) -> None:
    add_runs(
        archive, ("partial", [{"kind": "challenge", "detail": "HTTP 412 anti-bot", "url": "http://x/d"}])
    )
    assert platform_health(archive).health == "blocked"


def test_layout_drift_is_reported_as_such(archive: Engine) -> None:
    add_runs(archive, ("partial", [{"kind": "layout", "detail": "`records` missing", "url": "http://x/p"}]))
    health = platform_health(archive)
    assert health.health == "layout-changed" and "`records` missing" in health.evidence


def test_an_unfinished_run_does_not_count(archive: Engine) -> None:
    add_runs(archive, ("ok", []))
    with session_scope(archive) as session:
        session.add(CrawlRun(run_id="running", source_id="sh-platform", status="running", started_at=T0))
    assert platform_health(archive).health == "ok"
