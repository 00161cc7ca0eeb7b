"""Routing changes into the outbox and delivering outbox rows, at most once each.

Routing and delivery are separate so a slow or broken receiver never blocks detection, and a crash
anywhere leaves a state the next run can continue from. Delivery claims a row with a conditional
UPDATE before sending, so two deliverers (threads or processes) never send the same row; a row found
still claimed after the lease is marked ``uncertain`` and never resent automatically, because we
cannot know whether the receiver got it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

import apprise
from sqlalchemy import CursorResult, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from notifiers.events import ChangeEvent, load_event
from notifiers.render import Message, render
from notifiers.subscriptions import Subscription, redact_text
from policywatch.failpoints import failpoint
from storage.models import Change, Outbox, utcnow

MAX_ERROR_CHARS = 1000

_RICH = "rich"
_PLAIN = "plain"
_RICH_FORMATS = (apprise.NotifyFormat.MARKDOWN, apprise.NotifyFormat.HTML)


@dataclass(frozen=True)
class DeliveryError:
    outbox_id: int
    subscription: str
    change_id: int
    error: str
    """Redacted: safe to print and store."""


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    """Rows that used their last attempt in this run."""
    retrying: int = 0
    """Rows that failed in this run and are scheduled again."""
    uncertain: int = 0
    """Rows found claimed past the lease in this run: maybe sent, not resent."""
    orphaned: int = 0
    """Rows left pending because their subscription is no longer in the file."""
    errors: list[DeliveryError] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        return (
            f"{self.sent} sent, {self.retrying} to retry, {self.failed} failed, "
            f"{self.uncertain} uncertain, {self.orphaned} for removed subscriptions"
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
        claim = update(Change).where(col(Change.id) == change_id, col(Change.routed_at).is_(None))
        if _rowcount(session.execute(claim.values(routed_at=utcnow()))) != 1:
            continue
        event = events_loader(session, change_id)
        existing = set(session.exec(select(Outbox.subscription).where(Outbox.change_id == change_id)).all())
        for subscription in subscriptions:
            if subscription.name not in existing and subscription.matches(event):
                session.add(Outbox(subscription=subscription.name, change_id=change_id))
                created += 1
    session.flush()
    return created


def deliver_due(
    engine: Engine,
    subscriptions: Sequence[Subscription],
    *,
    now: datetime | None = None,
    max_attempts: int = 8,
    base_backoff: timedelta = timedelta(minutes=1),
    lease: timedelta = timedelta(minutes=10),
) -> DeliveryReport:
    """Sends every due pending row once; failures are retried later with exponential back-off.

    ``lease`` must be longer than the slowest send (apprise's e-mail connect timeout alone is 15 s).
    Each step commits on its own: a crash loses at most the outcome of the row being sent.
    """
    now = now or utcnow()
    report = DeliveryReport()
    _expire_claims(engine, now - lease, report)
    by_name = {subscription.name: subscription for subscription in subscriptions}
    notifiers: dict[str, apprise.Apprise] = {}
    with Session(engine) as session:
        due = session.exec(
            select(Outbox)
            .where(Outbox.status == "pending", col(Outbox.next_attempt_at) <= now)
            .order_by(col(Outbox.id))
        ).all()
    for row in due:
        assert row.id is not None
        subscription = by_name.get(row.subscription)
        if subscription is None:
            _leave_orphan(engine, row, report)
            continue
        attempts = _claim(engine, row.id, now)
        if attempts is None:
            continue  # another deliverer has it
        try:
            with Session(engine) as session:
                message = render(load_event(session, row.change_id))
            if subscription.name not in notifiers:
                notifiers[subscription.name] = _notifier(subscription)
            error = _send(notifiers[subscription.name], message)
        except Exception as exc:  # one broken change or service must not stop the other rows
            error = f"{type(exc).__name__}: {exc}"
        if error is None:
            _finish(engine, row.id, now, status="sent", sent_at=now)
            report.sent += 1
            failpoint("during-notify")
            continue
        error = redact_text(error, subscription.secrets)[:MAX_ERROR_CHARS]
        attempts += 1
        if attempts >= max_attempts:
            _finish(engine, row.id, now, status="failed", attempts=attempts, last_error=error)
            report.failed += 1
        else:
            retry_at = now + base_backoff * 2 ** (attempts - 1)
            _finish(
                engine,
                row.id,
                now,
                status="pending",
                attempts=attempts,
                last_error=error,
                next_attempt_at=retry_at,
            )
            report.retrying += 1
        report.errors.append(DeliveryError(row.id, row.subscription, row.change_id, error))
    return report


def _expire_claims(engine: Engine, claimed_before: datetime, report: DeliveryReport) -> None:
    with Session(engine) as session:
        stuck = session.exec(
            select(Outbox).where(Outbox.status == "sending", col(Outbox.claimed_at) < claimed_before)
        ).all()
    for row in stuck:
        assert row.id is not None
        error = (
            f"claimed at {row.claimed_at:%Y-%m-%d %H:%M:%S}Z but no outcome was recorded (the deliverer "
            "stopped or outlived its lease); not resent: check the receiver, then set status to 'sent' "
            "or 'pending'"
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
        if _rowcount(marked) == 1:
            report.uncertain += 1
            report.errors.append(DeliveryError(row.id, row.subscription, row.change_id, error))


def _leave_orphan(engine: Engine, row: Outbox, report: DeliveryReport) -> None:
    assert row.id is not None
    error = (
        f"subscription '{row.subscription}' is not in the subscription file; left pending: add it back "
        "to deliver this row, or delete the row to drop it"
    )
    with engine.begin() as connection:
        connection.execute(
            update(Outbox)
            .where(col(Outbox.id) == row.id, col(Outbox.status) == "pending")
            .values(last_error=error)
        )
    report.orphaned += 1
    report.errors.append(DeliveryError(row.id, row.subscription, row.change_id, error))


def _claim(engine: Engine, row_id: int, now: datetime) -> int | None:
    """Marks the row ``sending`` if it is still pending and due; returns its attempts, None if taken."""
    with engine.begin() as connection:
        claimed = connection.execute(
            update(Outbox)
            .where(
                col(Outbox.id) == row_id, col(Outbox.status) == "pending", col(Outbox.next_attempt_at) <= now
            )
            .values(status="sending", claimed_at=now)
        )
        if _rowcount(claimed) != 1:
            return None
        # Read inside the claim: another deliverer may have counted a failed attempt since we listed it.
        attempts: int = connection.execute(
            select(Outbox.attempts).where(col(Outbox.id) == row_id)
        ).scalar_one()
        return attempts


def _finish(engine: Engine, row_id: int, claimed_at: datetime, **values: Any) -> None:
    """Records the outcome of our claim; matched on claimed_at so a re-queued, re-claimed row is not touched.

    A row marked uncertain meanwhile still gets the outcome: it is known now.
    """
    with engine.begin() as connection:
        connection.execute(
            update(Outbox)
            .where(
                col(Outbox.id) == row_id,
                col(Outbox.status).in_(("sending", "uncertain")),
                col(Outbox.claimed_at) == claimed_at,
            )
            .values(**values)
        )


def _notifier(subscription: Subscription) -> apprise.Apprise:
    """One apprise object per subscription; services that render Markdown/HTML are tagged apart.

    Sequential (async_mode off), so apprise's failure warnings come from this thread and can be
    attributed to the row being sent.
    """
    notifier = apprise.Apprise(asset=apprise.AppriseAsset(async_mode=False))
    for url in subscription.urls:
        # Instantiated once to read the service's native format (e-mail: HTML), then added with a tag.
        service = apprise.Apprise.instantiate(url)
        rich = service is not None and service.notify_format in _RICH_FORMATS
        notifier.add(url, tag=_RICH if rich else _PLAIN)
    return notifier


def _send(notifier: apprise.Apprise, message: Message) -> str | None:
    """Sends to every service of the subscription; returns None on full success, else the reason."""
    groups = (
        (_RICH, message.body_markdown, apprise.NotifyFormat.MARKDOWN),
        (_PLAIN, message.body, apprise.NotifyFormat.TEXT),
    )
    with _apprise_warnings() as warnings:
        # apprise 1.x returns True (all sent), False (something failed) or None (nothing to send to).
        results = [
            notifier.notify(title=message.title, body=body, body_format=body_format, tag=tag)
            for tag, body, body_format in groups
            if next(notifier.find(tag), None) is not None
        ]
    if results and all(result is True for result in results):
        return None
    return "; ".join(warnings) or "apprise reported a failure without a reason"


@contextmanager
def _apprise_warnings() -> Iterator[list[str]]:
    """apprise gives the reason for a failure only in its log: collect this thread's warnings."""
    collector = _ThreadWarnings()
    logger = logging.getLogger("apprise")
    logger.addHandler(collector)
    try:
        yield collector.messages
    finally:
        logger.removeHandler(collector)


class _ThreadWarnings(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.thread = threading.get_ident()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            self.messages.append(record.getMessage())


def _rowcount(result: Any) -> int:
    assert isinstance(result, CursorResult)
    return result.rowcount
