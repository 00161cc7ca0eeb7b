"""What operators do with the outbox: see the rows that need attention, send them again, or drop them.

``policywatch outbox`` is the command line of these functions. Changes are all-or-nothing: a list of
ids with one that cannot be changed changes none, so a typo never half-applies.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from storage.models import Change, Document, Outbox, utcnow

ATTENTION = ("pending", "sending", "failed", "uncertain")
"""Rows not settled yet: what ``policywatch outbox`` lists by default."""
RETRYABLE = ("pending", "failed", "uncertain")
CANCELLABLE = ("pending", "failed", "uncertain")


class OutboxError(ValueError):
    """Rows an operator named cannot be changed; ``problems`` says which and why."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class OutboxEntry:
    id: int
    subscription: str
    status: str
    attempts: int
    next_attempt_at: datetime
    digest_key: str | None
    last_error: str | None
    """Redacted when stored."""
    change_id: int
    kind: str
    priority: int
    title: str
    doc_number: str | None

    def to_dict(self) -> dict[str, Any]:
        entry = asdict(self)
        entry["next_attempt_at"] = self.next_attempt_at.isoformat()
        return entry


def list_rows(engine: Engine, statuses: Sequence[str] = ATTENTION) -> list[OutboxEntry]:
    """Outbox rows in these statuses with the change and document they are about, oldest first."""
    with Session(engine) as session:
        found = session.exec(
            select(Outbox, Change, Document)
            .where(col(Outbox.status).in_(statuses))
            .join(Change, col(Change.id) == col(Outbox.change_id))
            .join(Document, col(Document.id) == col(Change.document_id))
            .order_by(col(Outbox.id))
        ).all()
    return [
        OutboxEntry(
            id=row.id or 0,
            subscription=row.subscription,
            status=row.status,
            attempts=row.attempts,
            next_attempt_at=row.next_attempt_at,
            digest_key=row.digest_key,
            last_error=row.last_error,
            change_id=row.change_id,
            kind=change.kind,
            priority=change.priority,
            title=document.title,
            doc_number=document.doc_number,
        )
        for row, change, document in found
    ]


def retry_rows(engine: Engine, row_ids: Sequence[int], *, now: datetime | None = None) -> None:
    """Makes the rows due now with a fresh set of attempts (failed, uncertain or waiting rows)."""
    _change(
        engine, row_ids, RETRYABLE, "retried", status="pending", attempts=0, next_attempt_at=now or utcnow()
    )


def cancel_rows(engine: Engine, row_ids: Sequence[int]) -> None:
    """Marks the rows ``cancelled``: they are kept for the record and never sent."""
    _change(engine, row_ids, CANCELLABLE, "cancelled", status="cancelled")


def _change(engine: Engine, row_ids: Sequence[int], allowed: Sequence[str], verb: str, **values: Any) -> None:
    with engine.begin() as connection:
        statuses = dict(
            connection.execute(select(Outbox.id, Outbox.status).where(col(Outbox.id).in_(row_ids))).all()
        )
        problems = [
            f"no outbox row {row_id}"
            if row_id not in statuses
            else f"outbox row {row_id} is {statuses[row_id]}"
            for row_id in dict.fromkeys(row_ids)
            if statuses.get(row_id) not in allowed
        ]
        if problems:
            raise OutboxError(
                [*problems, f"only {', '.join(allowed)} rows can be {verb}; nothing was changed"]
            )
        changed = connection.execute(
            update(Outbox)
            .where(col(Outbox.id).in_(row_ids), col(Outbox.status).in_(allowed))
            .values(**values)
        )
        if changed.rowcount != len(statuses):  # a deliverer claimed one in between: roll back
            raise OutboxError(["a row changed while it was being updated; nothing was changed, try again"])
