"""Health alerts for operators: a condition (storage.health) opens an alert when first found and clears it
when no longer found; each operators subscription is told once of each end, never on every run.

Alert state and notices live in the archive (``healthalert``, ``healthnotice``), so re-running a check
changes nothing and a crash between checking and sending leaves notices that the next run sends. Notices
are claimed with one conditional UPDATE before sending, like outbox rows, and go out through the same
apprise channels (notifiers.channels.send).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from notifiers.channels import send
from notifiers.claims import claim, finish, rowcount
from notifiers.render import Message, plain_message
from notifiers.schedule import SHANGHAI
from notifiers.subscriptions import Subscription, redact_text
from storage.health import DELIVERY_SUBJECT, Finding, HealthPolicy, find_conditions
from storage.models import HealthAlert, HealthNotice, utcnow

MAX_ERROR_CHARS = 1000
CONDITION_LABELS = {
    "failing": "连续抓取失败",
    "blocked": "被拦截（验证页/403）",
    "layout": "页面结构变化（选择器失效）",
    "stale": "长时间无新文件",
    "delivery": "提醒发送失败",
}
_ADVICE = {
    "failing": "检查网站是否可达、`policywatch status` 中的证据；恢复后自动解除。",
    "blocked": "网站返回了验证页或拒绝访问：降低频率或更换出口，勿反复重试。",
    "layout": "核对该来源的选择器（crawlers/sources.yaml），修正后重新抓取。",
    "stale": "确认网站近期确无新文件，或抓取是否只读到旧列表。",
    "delivery": "`policywatch outbox` 查看失败的提醒，修复渠道后 `--retry` 或 `--cancel`。",
}


@dataclass
class HealthReport:
    """What one check did: alerts opened and cleared (``subject condition: evidence``), those still open,
    and the notices routed and delivered."""

    opened: list[str] = field(default_factory=list)
    cleared: list[str] = field(default_factory=list)
    open: list[str] = field(default_factory=list)
    routed: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    uncertain: int = 0
    errors: list[str] = field(default_factory=list)
    """Redacted: safe to print and store."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _label(alert: HealthAlert, evidence: str) -> str:
    return f"{alert.subject} {alert.condition}: {evidence}"


def update_alerts(
    session: Session, findings: Sequence[Finding], now: datetime, report: HealthReport
) -> list[tuple[HealthAlert, str]]:
    """Opens an alert for each finding without an open one and clears open alerts no longer found, in
    the caller's transaction; returns the (alert, ``opened``/``cleared``) events of this check."""
    found = {(finding.subject, finding.condition): finding for finding in findings}
    events: list[tuple[HealthAlert, str]] = []
    open_alerts = session.exec(select(HealthAlert).where(col(HealthAlert.cleared_at).is_(None))).all()
    still_open = set()
    for alert in open_alerts:
        key = (alert.subject, alert.condition)
        if key in found:
            still_open.add(key)
            report.open.append(_label(alert, alert.evidence))
            continue
        clear = (
            update(HealthAlert)
            .where(col(HealthAlert.id) == alert.id, col(HealthAlert.cleared_at).is_(None))
            .values(cleared_at=now, clear_evidence=_clear_evidence(alert))
        )
        if rowcount(session.execute(clear)) == 1:  # another check may have cleared it meanwhile
            session.refresh(alert)
            events.append((alert, "cleared"))
            report.cleared.append(_label(alert, alert.clear_evidence or ""))
    for key, finding in found.items():
        if key in still_open:
            continue
        alert = HealthAlert(
            subject=finding.subject, condition=finding.condition, opened_at=now, evidence=finding.evidence
        )
        try:
            with session.begin_nested():
                session.add(alert)
        except IntegrityError:
            continue  # a concurrent check opened it first and tells the operators itself
        events.append((alert, "opened"))
        report.opened.append(_label(alert, alert.evidence))
        report.open.append(_label(alert, alert.evidence))
    return events


def _clear_evidence(alert: HealthAlert) -> str:
    if alert.condition == "delivery":
        return "no failed or uncertain alert is left in the outbox"
    return f"{alert.condition} no longer found for {alert.subject} by the latest check"


def route_notices(
    session: Session,
    subscriptions: Sequence[Subscription],
    events: Sequence[tuple[HealthAlert, str]],
    now: datetime,
) -> int:
    """A pending notice per operators subscription and event (skipping those that exist already)."""
    routed = 0
    for alert, event in events:
        assert alert.id is not None
        existing = set(
            session.exec(
                select(HealthNotice.subscription).where(
                    HealthNotice.alert_id == alert.id, HealthNotice.event == event
                )
            ).all()
        )
        for subscription in subscriptions:
            if subscription.operators and subscription.name not in existing:
                session.add(
                    HealthNotice(
                        subscription=subscription.name,
                        alert_id=alert.id,
                        event=event,
                        next_attempt_at=now,
                        created_at=now,
                    )
                )
                routed += 1
    session.flush()
    return routed


def check_health(
    engine: Engine,
    subscriptions: Sequence[Subscription],
    policy: HealthPolicy | None = None,
    *,
    now: datetime | None = None,
) -> HealthReport:
    """Finds the conditions, updates the alerts and routes their notices (one transaction), then sends
    every due notice."""
    now = now or utcnow()
    report = HealthReport()
    with Session(engine, expire_on_commit=False) as session:
        findings = find_conditions(session, policy, now)
        events = update_alerts(session, findings, now, report)
        report.routed = route_notices(session, subscriptions, events, now)
        session.commit()
    deliver_notices(engine, subscriptions, report, now=now)
    return report


def deliver_notices(
    engine: Engine,
    subscriptions: Sequence[Subscription],
    report: HealthReport,
    *,
    now: datetime | None = None,
    lease: timedelta = timedelta(minutes=10),
) -> None:
    """Sends every due pending notice once, oldest first; a subscription whose channel failed is not
    tried again in this run. A notice still claimed after ``lease`` is marked uncertain, never resent."""
    now = now or utcnow()
    _expire_claims(engine, now - lease, report)
    by_name = {subscription.name: subscription for subscription in subscriptions if subscription.operators}
    with Session(engine) as session:
        due = session.exec(
            select(HealthNotice, HealthAlert)
            .join(HealthAlert, col(HealthAlert.id) == HealthNotice.alert_id)
            .where(HealthNotice.status == "pending", col(HealthNotice.next_attempt_at) <= now)
            .order_by(col(HealthNotice.id))
        ).all()
    broken: set[str] = set()
    for notice, alert in due:
        subscription = by_name.get(notice.subscription)
        if subscription is None or subscription.name in broken:
            continue  # removed from the file (left pending), or its channel failed a moment ago
        assert notice.id is not None
        attempts = claim(engine, HealthNotice, [notice.id], now).get(notice.id)
        if attempts is None:
            continue  # another deliverer has it
        try:
            error = send(subscription, render_notice(alert, notice.event))
        except Exception as exc:  # one broken service must not stop the other subscriptions
            error = f"{type(exc).__name__}: {exc}"
        if error is None:
            finish(engine, HealthNotice, [notice.id], now, status="sent", sent_at=now)
            report.sent += 1
            continue
        broken.add(subscription.name)
        error = redact_text(error, subscription.secrets)[:MAX_ERROR_CHARS]
        attempts += 1
        report.errors.append(f"notice #{notice.id} to {subscription.name}: {error}")
        if attempts >= subscription.retry.max_attempts:
            finish(
                engine, HealthNotice, [notice.id], now, status="failed", attempts=attempts, last_error=error
            )
            report.failed += 1
        else:
            retry_at = now + subscription.retry.wait(attempts)
            finish(
                engine,
                HealthNotice,
                [notice.id],
                now,
                status="pending",
                attempts=attempts,
                last_error=error,
                next_attempt_at=retry_at,
            )
            report.retrying += 1


def render_notice(alert: HealthAlert, event: str) -> Message:
    """The operators' message: which source, what condition, since when, the evidence, what to do."""
    label = CONDITION_LABELS.get(alert.condition, alert.condition)
    subject = "提醒发送" if alert.subject == DELIVERY_SUBJECT else f"来源 {alert.subject}"
    opened = alert.opened_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    if event == "opened":
        title = f"【policywatch 运行告警】{subject}：{label}"
        lines = [
            f"{subject}：{label}",
            f"开始于：{opened}（北京时间）",
            f"证据：{alert.evidence}",
            f"处理：{_ADVICE.get(alert.condition, '`policywatch status` 查看详情。')}",
        ]
    else:
        assert alert.cleared_at is not None
        cleared = alert.cleared_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
        hours = (alert.cleared_at - alert.opened_at).total_seconds() / 3600
        title = f"【policywatch 已恢复】{subject}：{label}"
        lines = [
            f"{subject}：{label}，已恢复",
            f"持续：{opened} 至 {cleared}（北京时间，约 {hours:.1f} 小时）",
            f"当时的证据：{alert.evidence}",
            f"恢复依据：{alert.clear_evidence or ''}",
        ]
    return plain_message(title, lines, more="……（已截断，`policywatch status` 查看全部）")


def _expire_claims(engine: Engine, claimed_before: datetime, report: HealthReport) -> None:
    with engine.begin() as connection:
        marked = connection.execute(
            update(HealthNotice)
            .where(col(HealthNotice.status) == "sending", col(HealthNotice.claimed_at) < claimed_before)
            .values(
                status="uncertain",
                last_error="claimed but no outcome was recorded (the deliverer stopped); not resent",
            )
        )
    report.uncertain += rowcount(marked)
