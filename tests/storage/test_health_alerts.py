"""Health conditions (failing N in a row, blocked, layout drift, stale, undelivered alerts) and the alerts
operators get when one starts and when it clears, on SQLite and PostgreSQL, through a real webhook."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

from crawlers.registry import load_registry
from notifiers.health import HealthReport, check_health, render_notice, route_notices, update_alerts
from notifiers.subscriptions import Subscription, SubscriptionError, load_subscriptions
from policywatch.cli import app
from storage.archive import sync_sources
from storage.db import session_scope
from storage.health import HealthPolicy, find_conditions, source_health
from storage.models import CrawlRun, Document, HealthAlert, HealthNotice, Listing, Outbox, Source
from tests.notifiers.factories import store_change
from tests.receivers import HTTPReceiver

T0 = datetime(2026, 3, 1, tzinfo=UTC)
NETWORK = {"kind": "network", "detail": "Connection refused", "url": "http://x/list"}
EMPTY = {"kind": "empty", "detail": "no document extracted", "url": "http://x/"}
CHALLENGE = {"kind": "challenge", "detail": "HTTP 412 Ruishu challenge", "url": "http://x/d"}
FORBIDDEN = {"kind": "http-error", "detail": "HTTP 403 (access refused: blocked or geo-fenced)", "url": "u"}
LAYOUT = {"kind": "layout", "detail": "`records` missing or not a list", "url": "http://x/p"}


@pytest.fixture
def archive(engine: Engine) -> Engine:
    with session_scope(engine) as session:
        sync_sources(session, load_registry().sources)
    return engine


@pytest.fixture
def webhook() -> Iterator[HTTPReceiver]:
    with HTTPReceiver() as receiver:
        yield receiver


def add_run(
    engine: Engine, status: str, *faults: dict[str, str], hour: int, source: str = "sh-platform"
) -> None:
    with session_scope(engine) as session:
        session.add(
            CrawlRun(
                run_id=f"r{hour}",
                source_id=source,
                status=status,
                error_log=list(faults),
                started_at=T0 + timedelta(hours=hour),
                finished_at=T0 + timedelta(hours=hour, minutes=5),
            )
        )


def add_document(engine: Engine, first_seen: datetime, source: str = "sh-platform") -> None:
    with session_scope(engine) as session:
        listed = {"source_id": source, "native_id": f"d-{first_seen.isoformat()}", "url": "http://x/d"}
        seen = {"title": "关于印发某政策的通知", "first_seen": first_seen, "last_seen": first_seen}
        document = Document(**listed, **seen)
        session.add(document)
        session.flush()
        assert document.id is not None
        session.add(Listing(document_id=document.id, **listed, **seen))


def conditions(
    engine: Engine, now: datetime = T0 + timedelta(days=1), **policy: object
) -> set[tuple[str, str]]:
    with Session(engine) as session:
        found = find_conditions(session, HealthPolicy(**policy), now)  # type: ignore[arg-type]
    return {(finding.subject, finding.condition) for finding in found}


def test_failing_is_raised_at_the_nth_not_ok_run_in_a_row(archive: Engine) -> None:
    add_document(archive, T0)
    add_run(archive, "ok", hour=0)
    add_run(archive, "failed", NETWORK, EMPTY, hour=1)
    add_run(archive, "failed", NETWORK, EMPTY, hour=2)
    assert conditions(archive) == set()
    assert conditions(archive, failing_after=2) == {("sh-platform", "failing")}
    add_run(archive, "partial", NETWORK, hour=3)
    assert conditions(archive) == {("sh-platform", "failing")}


def test_blocked_by_a_challenge_or_a_403(archive: Engine) -> None:
    add_document(archive, T0)
    add_run(archive, "partial", CHALLENGE, hour=0)
    assert conditions(archive) == {("sh-platform", "blocked")}
    add_run(archive, "failed", FORBIDDEN, EMPTY, hour=1)
    assert conditions(archive) == {("sh-platform", "blocked")}
    with Session(archive) as session:
        health = next(h for h in source_health(session) if h.source_id == "sh-platform")
    assert health.evidence.startswith("http-error: HTTP 403")


def test_layout_drift_but_not_when_the_site_was_unreachable(archive: Engine) -> None:
    add_document(archive, T0)
    add_run(archive, "failed", NETWORK, EMPTY, hour=0)
    assert conditions(archive) == set()
    add_run(archive, "partial", LAYOUT, hour=1)
    assert conditions(archive) == {("sh-platform", "layout")}
    add_run(archive, "failed", EMPTY, hour=2)  # fetched fine, extracted nothing: the selectors broke
    assert conditions(archive, failing_after=5) == {("sh-platform", "layout")}


def test_stale_after_the_cadence_of_the_level_or_the_override(archive: Engine) -> None:
    add_document(archive, T0)
    add_run(archive, "ok", hour=0)
    assert conditions(archive, now=T0 + timedelta(days=6)) == set()
    assert conditions(archive, now=T0 + timedelta(days=8)) == {("sh-platform", "stale")}  # municipal: 7
    assert conditions(archive, now=T0 + timedelta(days=8), stale_after_days={"sh-platform": 10}) == set()
    add_document(archive, T0 + timedelta(days=7))
    assert conditions(archive, now=T0 + timedelta(days=8)) == set()


def test_disabled_and_never_run_sources_raise_nothing(archive: Engine) -> None:
    add_run(archive, "failed", LAYOUT, hour=0, source="putuo")  # disabled in the built-in registry
    add_run(archive, "failed", LAYOUT, hour=1, source="putuo")
    add_run(archive, "failed", LAYOUT, hour=2, source="putuo")
    assert conditions(archive, now=T0 + timedelta(days=90)) == set()


def test_failed_and_uncertain_outbox_rows(archive: Engine) -> None:
    change_id = store_change(archive)
    with session_scope(archive) as session:
        session.add(Outbox(subscription="team", change_id=change_id, status="uncertain", last_error="lost"))
    assert conditions(archive) == {("outbox", "delivery")}


def test_status_reports_since_last_ok_and_last_new(archive: Engine) -> None:
    add_document(archive, T0 - timedelta(days=2))
    add_run(archive, "ok", hour=0)
    add_run(archive, "failed", NETWORK, EMPTY, hour=1)
    add_run(archive, "failed", NETWORK, EMPTY, hour=2)
    with Session(archive) as session:
        health = next(h for h in source_health(session, now=T0) if h.source_id == "sh-platform")
    assert (health.health, health.failing_runs) == ("failing", 2)
    assert health.since == T0 + timedelta(hours=1, minutes=5)
    assert health.last_ok_at == T0 + timedelta(minutes=5)
    assert health.last_new_at == T0 - timedelta(days=2)
    assert "Connection refused" in health.evidence


def operators(receiver: HTTPReceiver, name: str = "ops") -> Subscription:
    return Subscription(name=name, urls=(receiver.url("json"),), operators=True)


def test_operators_hear_once_when_it_starts_and_once_when_it_clears(
    archive: Engine, webhook: HTTPReceiver
) -> None:
    readers = Subscription(name="readers", urls=(webhook.url("json", "readers"),))
    subscriptions = [operators(webhook), readers]
    add_document(archive, T0)
    for hour in range(3):
        add_run(archive, "failed", NETWORK, EMPTY, hour=hour)
    now = T0 + timedelta(hours=4)
    first = check_health(archive, subscriptions, now=now)
    assert [line.split(":")[0] for line in first.opened] == ["sh-platform failing"]
    assert (first.routed, first.sent) == (1, 1)
    (message,) = webhook.delivered
    assert message.path == "/hook"  # only the operators subscription
    assert "连续抓取失败" in message.json["title"] and "Connection refused" in message.json["message"]

    again = check_health(archive, subscriptions, now=now + timedelta(minutes=30))
    assert (again.opened, again.routed, again.sent, len(again.open)) == ([], 0, 0, 1)
    assert len(webhook.delivered) == 1

    add_run(archive, "ok", hour=5)
    cleared = check_health(archive, subscriptions, now=now + timedelta(hours=2))
    assert [line.split(":")[0] for line in cleared.cleared] == ["sh-platform failing"]
    assert cleared.sent == 1 and cleared.open == []
    assert "已恢复" in webhook.delivered[-1].json["title"]
    assert check_health(archive, subscriptions, now=now + timedelta(hours=3)).sent == 0
    assert len(webhook.delivered) == 2

    # It can start again: a new alert, told again.
    for hour in range(6, 9):
        add_run(archive, "failed", NETWORK, EMPTY, hour=hour)
    assert check_health(archive, subscriptions, now=now + timedelta(hours=9)).sent == 1
    with Session(archive) as session:
        assert len(session.exec(select(HealthAlert)).all()) == 2


def test_a_failed_notice_is_retried_later_and_not_sent_twice(archive: Engine, webhook: HTTPReceiver) -> None:
    add_document(archive, T0)
    add_run(archive, "partial", CHALLENGE, hour=0)
    webhook.fail_with(500)
    now = T0 + timedelta(hours=1)
    report = check_health(archive, [operators(webhook)], now=now)
    assert (report.sent, report.retrying, len(report.errors)) == (0, 1, 1)
    webhook.recover()
    assert check_health(archive, [operators(webhook)], now=now).sent == 0  # waits for its retry time
    later = check_health(archive, [operators(webhook)], now=now + timedelta(minutes=5))
    assert later.sent == 1
    assert len(webhook.delivered) == 1 and "被拦截" in webhook.delivered[0].json["title"]
    with Session(archive) as session:
        (notice,) = session.exec(select(HealthNotice)).all()
    assert (notice.status, notice.attempts) == ("sent", 1)


def test_notice_text_names_the_source_the_time_and_the_evidence(archive: Engine) -> None:
    alert = HealthAlert(
        subject="putuo", condition="layout", opened_at=T0, evidence="layout: `.article-info` missing (u)"
    )
    message = render_notice(alert, "opened")
    assert message.title == "【policywatch 运行告警】来源 putuo：页面结构变化（选择器失效）"
    assert "2026-03-01 08:00" in message.body and "`.article-info` missing" in message.body


def test_operators_flag_in_the_subscription_file(tmp_path: Path) -> None:
    path = tmp_path / "subscriptions.yaml"
    entries = [
        {"name": "ops", "urls": ["json://127.0.0.1:9/ops"], "operators": "true"},
        {"name": "team", "urls": ["json://127.0.0.1:9/team"]},
    ]
    path.write_text(yaml.safe_dump({"subscriptions": entries}), encoding="utf-8")
    ops, team = load_subscriptions(path)
    assert (ops.operators, team.operators) == (True, False)

    entries[0]["filters"] = {"levels": ["district"]}
    entries[1]["operators"] = "maybe"
    path.write_text(yaml.safe_dump({"subscriptions": entries}), encoding="utf-8")
    with pytest.raises(SubscriptionError) as refused:
        load_subscriptions(path)
    assert any("`filters` on an operators subscription" in p for p in refused.value.problems)
    assert any("operators 'maybe' is not true or false" in p for p in refused.value.problems)


def test_status_prints_the_table_and_json_with_open_alerts(
    archive: Engine, database_url: str, webhook: HTTPReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_document(archive, T0)
    add_run(archive, "ok", hour=0)
    add_run(archive, "partial", LAYOUT, hour=1)
    check_health(archive, [operators(webhook)], now=T0 + timedelta(hours=2))
    monkeypatch.setenv("POLICYWATCH_DATABASE_URL", database_url)

    shown = CliRunner().invoke(app, ["status"], env={"COLUMNS": "250"})
    assert shown.exit_code == 0, shown.output
    (line,) = [line for line in shown.output.splitlines() if "sh-platform" in line and "│" in line]
    assert "layout-changed" in line and "2026-03-01 08:05 +08:00" in line  # last ok run, Shanghai time
    assert "open alert sh-platform layout since 2026-03-01 10:00 +08:00: layout: `records` missing" in (
        shown.output.replace("\n", "")
    )

    as_json = CliRunner().invoke(app, ["status", "--json"])
    data = json.loads(as_json.output)
    (platform,) = [entry for entry in data["sources"] if entry["source_id"] == "sh-platform"]
    assert (platform["health"], platform["failing_runs"], platform["stale_after"]) == ("layout-changed", 1, 7)
    assert [(a["subject"], a["condition"]) for a in data["open_alerts"]] == [("sh-platform", "layout")]


def test_a_notice_left_claimed_by_a_dead_deliverer_is_uncertain_not_resent(
    archive: Engine, webhook: HTTPReceiver
) -> None:
    add_document(archive, T0)
    add_run(archive, "partial", CHALLENGE, hour=0)
    now = T0 + timedelta(hours=1)
    with Session(archive, expire_on_commit=False) as session:
        findings = find_conditions(session, HealthPolicy(), now)
        report = HealthReport()
        events = update_alerts(session, findings, now, report)
        route_notices(session, [operators(webhook)], events, now)
        session.commit()
    with session_scope(archive) as session:
        (notice,) = session.exec(select(HealthNotice)).all()
        notice.status, notice.claimed_at = "sending", now  # the deliverer died mid-send
        session.add(notice)
    later = check_health(archive, [operators(webhook)], now=now + timedelta(hours=1))
    assert (later.uncertain, later.sent) == (1, 0)
    assert webhook.requests == []


def test_disabling_a_source_clears_its_alerts(archive: Engine, webhook: HTTPReceiver) -> None:
    add_document(archive, T0)
    add_run(archive, "partial", LAYOUT, hour=0)
    assert check_health(archive, [operators(webhook)], now=T0 + timedelta(hours=1)).sent == 1
    with session_scope(archive) as session:
        source = session.get(Source, "sh-platform")
        assert source is not None
        source.enabled = False
        session.add(source)
    cleared = check_health(archive, [operators(webhook)], now=T0 + timedelta(hours=2))
    assert [line.split(":")[0] for line in cleared.cleared] == ["sh-platform layout"]
    assert len(webhook.delivered) == 2
