"""Routing changes into the outbox and delivering outbox rows, at most once each and in order.

Routing and delivery are separate so a slow or broken receiver never blocks detection, and a crash
anywhere leaves a state the next run can continue from. Delivery claims rows with one conditional
UPDATE before sending, so two deliverers (threads or processes) never send the same row; a row found
still claimed after the lease is marked ``uncertain`` and never resent automatically, because we
cannot know whether the receiver got it.

A digest subscription's rows wait until their period's send time and go out together as one message.
A subscription's alerts are sent in the order they were routed: while one waits for a retry, later
ones are held back, and when a channel fails, the subscription's other alerts due in the same run
count a failed attempt with it instead of being tried against the broken channel.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from notifiers.channels import send
from notifiers.claims import claim, finish, rowcount
from notifiers.events import ChangeEvent, load_event
from notifiers.render import Message, render, render_digest
from notifiers.subscriptions import Subscription, redact_text
from policywatch.failpoints import failpoint
from storage.models import Change, Outbox, utcnow

MAX_ERROR_CHARS = 1000


@dataclass(frozen=True)
class DeliveryError:
    outbox_id: int
    subscription: str
    change_id: int
    error: str
    """Redacted: safe to print and store."""


@dataclass
class DeliveryReport:
    """Counts of outbox rows (one per subscription and change; a digest message carries several)."""

    sent: int = 0
    failed: int = 0
    """Rows that used their last attempt in this run."""
    retrying: int = 0
    """Rows that failed in this run and are scheduled again."""
    uncertain: int = 0
    """Rows found claimed past the lease in this run: maybe sent, not resent."""
    orphaned: int = 0
    """Rows left pending because their subscription is no longer in the file."""
    held: int = 0
    """Due rows held back behind an earlier alert of the same subscription that waits for a retry."""
    errors: list[DeliveryError] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        return (
            f"{self.sent} sent, {self.retrying} to retry, {self.failed} failed, "
            f"{self.uncertain} uncertain, {self.held} held, {self.orphaned} for removed subscriptions"
        )


def route_changes(
    session: Session,
    subscriptions: Sequence[Subscription],
    events_loader: Callable[[Session, int], ChangeEvent] = load_event,
) -> int:
    """Creates the outbox rows of every change not routed yet; returns how many rows were created.

    Runs in the caller's transaction. A change is claimed by setting ``routed_at`` only where it is
    still NULL, so two routers never route the same change; re-routing a change (``routed_at`` reset)
    skips the rows it already has.
    """
    created = 0
    pending = session.exec(select(Change.id).where(col(Change.routed_at).is_(None)).order_by(col(Change.id)))
    for change_id in pending.all():
        assert change_id is not None  # primary keys of stored rows
        routing = update(Change).where(col(Change.id) == change_id, col(Change.routed_at).is_(None))
        if rowcount(session.execute(routing.values(routed_at=utcnow()))) != 1:
            continue
        event = events_loader(session, change_id)
        existing = set(session.exec(select(Outbox.subscription).where(Outbox.change_id == change_id)).all())
        for subscription in subscriptions:
            if subscription.name not in existing and subscription.matches(event):
                session.add(_row(subscription, event))
                created += 1
    session.flush()
    return created


def _row(subscription: Subscription, event: ChangeEvent) -> Outbox:
    """Immediate rows are due now; digest rows at the send time of the period the change was detected in."""
    if subscription.digest is None:
        return Outbox(subscription=subscription.name, change_id=event.change_id)
    key, send_at = subscription.digest.period(event.detected_at)
    return Outbox(
        subscription=subscription.name, change_id=event.change_id, digest_key=key, next_attempt_at=send_at
    )


def deliver_due(
    engine: Engine,
    subscriptions: Sequence[Subscription],
    *,
    now: datetime | None = None,
    lease: timedelta = timedelta(minutes=10),
) -> DeliveryReport:
    """Sends every due pending row once; failures are retried by each subscription's ``retry`` policy.

    ``lease`` must be longer than the slowest send (apprise's e-mail connect timeout alone is 15 s).
    Each step commits on its own: a crash loses at most the outcome of the message being sent.
    """
    now = now or utcnow()
    report = DeliveryReport()
    _expire_claims(engine, now - lease, report)
    by_name = {subscription.name: subscription for subscription in subscriptions}
    with Session(engine) as session:
        pending = session.exec(
            select(Outbox).where(Outbox.status == "pending").order_by(col(Outbox.id))
        ).all()
    waiting: dict[str, tuple[str, int]] = {}
    for row in pending:
        if row.attempts and row.next_attempt_at > now:
            waiting[row.subscription] = min(waiting.get(row.subscription, _order(row)), _order(row))
    failed_channels: dict[str, str] = {}
    for unit in _units(row for row in pending if row.next_attempt_at <= now):
        subscription = by_name.get(unit[0].subscription)
        if subscription is None:
            for row in unit:
                _leave_orphan(engine, row, report)
        elif unit[0].subscription in waiting and waiting[unit[0].subscription] < _order(unit[0]):
            report.held += len(unit)
        else:
            _deliver(engine, subscription, unit, now, failed_channels, report)
    return report


def _order(row: Outbox) -> tuple[str, int]:
    """The order a subscription's alerts go out in: digests by period, then as routed."""
    assert row.id is not None
    return row.digest_key or "", row.id


def _units(rows: Iterable[Outbox]) -> list[list[Outbox]]:
    """What is sent as one message: an immediate row alone, a digest's due rows together."""
    units: dict[tuple[str, str], list[Outbox]] = {}
    for row in rows:
        units.setdefault((row.subscription, row.digest_key or f"#{row.id}"), []).append(row)
    return sorted(units.values(), key=lambda unit: _order(unit[0]))


def _deliver(
    engine: Engine,
    subscription: Subscription,
    unit: list[Outbox],
    now: datetime,
    failed_channels: dict[str, str],
    report: DeliveryReport,
) -> None:
    claimed = claim(engine, Outbox, [row.id for row in unit if row.id is not None], now)
    if not claimed:
        return  # another deliverer has them
    # In routing order (claimed is in the database's order), so a digest lists changes as detected.
    change_of = {row.id: row.change_id for row in unit if row.id in claimed}
    ids = list(change_of)
    error = _attempt(engine, subscription, unit[0].digest_key, list(change_of.values()), failed_channels)
    if error is None:
        finish(engine, Outbox, ids, now, status="sent", sent_at=now)
        report.sent += len(ids)
        failpoint("during-notify")
        return
    error = redact_text(error, subscription.secrets)[:MAX_ERROR_CHARS]
    attempts = max(claimed.values()) + 1
    if attempts >= subscription.retry.max_attempts:
        finish(engine, Outbox, ids, now, status="failed", attempts=attempts, last_error=error)
        report.failed += len(ids)
    else:
        retry_at = now + subscription.retry.wait(attempts)
        finish(
            engine,
            Outbox,
            ids,
            now,
            status="pending",
            attempts=attempts,
            last_error=error,
            next_attempt_at=retry_at,
        )
        report.retrying += len(ids)
    report.errors += [DeliveryError(row_id, subscription.name, change_of[row_id], error) for row_id in ids]


def _attempt(
    engine: Engine,
    subscription: Subscription,
    key: str | None,
    change_ids: list[int],
    failed_channels: dict[str, str],
) -> str | None:
    """Renders and sends one message: None when sent, else why not. A failed channel is remembered, so
    the subscription's later alerts in this run count a failed attempt without being tried."""
    broken = failed_channels.get(subscription.name)
    if broken is not None:
        return f"not tried: the channel failed for an earlier alert in this run ({broken})"
    try:
        message = _message(engine, subscription, key, change_ids)
    except Exception as exc:  # one broken change must not stop the subscription's other alerts
        return f"{type(exc).__name__}: {exc}"
    try:
        error = send(subscription, message)
    except Exception as exc:  # nor one broken service the other subscriptions
        error = f"{type(exc).__name__}: {exc}"
    if error is not None:
        failed_channels[subscription.name] = error
    return error


def _message(engine: Engine, subscription: Subscription, key: str | None, change_ids: list[int]) -> Message:
    with Session(engine) as session:
        events = [load_event(session, change_id) for change_id in change_ids]
    if key is None:
        return render(events[0], archive_url=subscription.archive_url)
    return render_digest(
        subscription.name, key, events, digest=subscription.digest, archive_url=subscription.archive_url
    )


def _expire_claims(engine: Engine, claimed_before: datetime, report: DeliveryReport) -> None:
    with Session(engine) as session:
        stuck = session.exec(
            select(Outbox).where(Outbox.status == "sending", col(Outbox.claimed_at) < claimed_before)
        ).all()
    for row in stuck:
        assert row.id is not None
        error = (
            f"claimed at {row.claimed_at:%Y-%m-%d %H:%M:%S}Z but no outcome was recorded (the deliverer "
            "stopped or outlived its lease); not resent: check the receiver, then `policywatch outbox "
            f"--retry {row.id}` or `--cancel {row.id}`"
        )
        with engine.begin() as connection:
            marked = connection.execute(
                update(Outbox)
                .where(
                    col(Outbox.id) == row.id,
                    col(Outbox.status) == "sending",
                    col(Outbox.claimed_at) == row.claimed_at,
                )
                .values(status="uncertain", last_error=error)
            )
        if rowcount(marked) == 1:
            report.uncertain += 1
            report.errors.append(DeliveryError(row.id, row.subscription, row.change_id, error))


def _leave_orphan(engine: Engine, row: Outbox, report: DeliveryReport) -> None:
    assert row.id is not None
    error = (
        f"subscription '{row.subscription}' is not in the subscription file; left pending: add it back "
        f"to deliver this row, or `policywatch outbox --cancel {row.id}` to drop it"
    )
    with engine.begin() as connection:
        connection.execute(
            update(Outbox)
            .where(col(Outbox.id) == row.id, col(Outbox.status) == "pending")
            .values(last_error=error)
        )
    report.orphaned += 1
    report.errors.append(DeliveryError(row.id, row.subscription, row.change_id, error))
