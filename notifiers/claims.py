"""Claims on delivery rows (alert outbox rows, operators' health notices), so no row is sent twice.

A deliverer marks due pending rows ``sending`` in one statement and records the outcome only on rows it
still holds (matched on ``claimed_at``): a second deliverer, or one that outlived its lease and whose
rows were marked uncertain, never overwrites another's outcome.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, update
from sqlalchemy.engine import Engine
from sqlmodel import col

from storage.models import HealthNotice, Outbox

DeliveryRow = type[Outbox] | type[HealthNotice]


def claim(engine: Engine, table: DeliveryRow, row_ids: list[int], now: datetime) -> dict[int, int]:
    """Marks the rows ``sending`` where still pending and due; returns the attempts of each row this call
    claimed (RETURNING: a row another deliverer took in between is not among them)."""
    with engine.begin() as connection:
        claimed = connection.execute(
            update(table)
            .where(
                col(table.id).in_(row_ids), col(table.status) == "pending", col(table.next_attempt_at) <= now
            )
            .values(status="sending", claimed_at=now)
            .returning(col(table.id), col(table.attempts))
        )
        return {row_id: attempts for row_id, attempts in claimed.all()}


def finish(
    engine: Engine, table: DeliveryRow, row_ids: list[int], claimed_at: datetime, **values: Any
) -> None:
    """Records the outcome of our claim; a row marked uncertain meanwhile still gets it: it is known now."""
    with engine.begin() as connection:
        connection.execute(
            update(table)
            .where(
                col(table.id).in_(row_ids),
                col(table.status).in_(("sending", "uncertain")),
                col(table.claimed_at) == claimed_at,
            )
            .values(**values)
        )


def rowcount(result: Any) -> int:
    assert isinstance(result, CursorResult)
    return result.rowcount
