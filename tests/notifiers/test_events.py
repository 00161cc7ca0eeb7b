from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from notifiers.events import load_event
from tests.notifiers.factories import AMOUNT_CLAUSE, store_change


def test_event_carries_document_fields(engine: Engine) -> None:
    change_id = store_change(engine, district="putuo", level="town", agency="普陀区长征镇人民政府")

    with Session(engine) as session:
        event = load_event(session, change_id)

    assert (event.change_id, event.kind, event.source) == (change_id, "amended", "sh-platform")
    assert (event.district, event.level, event.agency) == ("putuo", "town", "普陀区长征镇人民政府")
    assert event.archive_ref == f"policywatch show {event.document_id}"


def test_event_clauses_come_from_the_stored_diff(engine: Engine) -> None:
    change_id = store_change(engine)

    with Session(engine) as session:
        event = load_event(session, change_id)

    assert event.clauses == (AMOUNT_CLAUSE,)


@pytest.mark.parametrize("diff", [{}, {"changes": []}])
def test_new_document_event_has_no_clauses(engine: Engine, diff: dict[str, object]) -> None:
    change_id = store_change(engine, kind="new", diff=diff)

    with Session(engine) as session:
        event = load_event(session, change_id)

    assert event.clauses == ()


def test_missing_change_is_an_error(engine: Engine) -> None:
    with Session(engine) as session, pytest.raises(LookupError, match="change 999"):
        load_event(session, 999)
