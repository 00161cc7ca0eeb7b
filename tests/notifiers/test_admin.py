from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from notifiers.admin import OutboxError, cancel_rows, list_rows, retry_rows
from notifiers.outbox import route_changes
from notifiers.subscriptions import Subscription
from storage.db import session_scope
from storage.models import Outbox, utcnow
from tests.notifiers.factories import store_change


def outbox_with(engine: Engine, *statuses: str) -> list[int]:
    """One row per status, in order; returns their ids."""
    for _ in statuses:
        store_change(engine)
    with session_scope(engine) as session:
        route_changes(session, [Subscription(name="hook", urls=("json://127.0.0.1/hook",))])
        ids = list(session.exec(select(Outbox.id).order_by(col(Outbox.id))).all())
        for row_id, status in zip(ids, statuses, strict=True):
            session.execute(update(Outbox).where(col(Outbox.id) == row_id).values(status=status, attempts=3))
    return [row_id for row_id in ids if row_id is not None]


def statuses(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return list(session.exec(select(Outbox.status).order_by(col(Outbox.id))).all())


def test_list_shows_unsettled_rows_with_their_document(engine: Engine) -> None:
    outbox_with(engine, "pending", "sent", "failed", "cancelled", "uncertain")

    listed = list_rows(engine)

    assert [row.status for row in listed] == ["pending", "failed", "uncertain"]
    assert listed[0].title == "长宁区关于促进人工智能产业发展的若干政策"


def test_list_by_status(engine: Engine) -> None:
    outbox_with(engine, "pending", "sent")

    assert [row.status for row in list_rows(engine, ["sent"])] == ["sent"]


def test_retry_makes_a_failed_row_due_with_fresh_attempts(engine: Engine) -> None:
    (row_id,) = outbox_with(engine, "failed")
    now = utcnow() + timedelta(hours=1)

    retry_rows(engine, [row_id], now=now)

    (row,) = list_rows(engine)
    assert (row.status, row.attempts, row.next_attempt_at) == ("pending", 0, now)


def test_cancel_keeps_the_row_but_never_sends_it(engine: Engine) -> None:
    row_ids = outbox_with(engine, "pending", "uncertain")

    cancel_rows(engine, row_ids)

    assert statuses(engine) == ["cancelled", "cancelled"]


def test_a_sent_row_cannot_be_retried_and_nothing_changes(engine: Engine) -> None:
    row_ids = outbox_with(engine, "failed", "sent")

    with pytest.raises(OutboxError, match=f"outbox row {row_ids[1]} is sent"):
        retry_rows(engine, row_ids)

    assert statuses(engine) == ["failed", "sent"]


def test_unknown_row_is_refused(engine: Engine) -> None:
    with pytest.raises(OutboxError, match="no outbox row 42"):
        cancel_rows(engine, [42])
