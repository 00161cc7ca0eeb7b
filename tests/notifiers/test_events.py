from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from notifiers.events import Evidence, load_event, validity_text
from tests.notifiers.factories import AMOUNT_CLAUSE, store_change


def test_event_carries_document_fields(engine: Engine) -> None:
    change_id = store_change(
        engine, native_id="0075::4711", district="putuo", level="town", agency="普陀区长征镇人民政府"
    )

    with Session(engine) as session:
        event = load_event(session, change_id)

    assert (event.change_id, event.kind, event.sources) == (change_id, "amended", ("sh-platform",))
    assert (event.district, event.level, event.agency) == ("putuo", "town", "普陀区长征镇人民政府")
    assert event.archive_ref == "policywatch show 0075::4711"  # stays right when the archive is rebuilt


def test_event_carries_priority_and_status(engine: Engine) -> None:
    change_id = store_change(engine, priority=3, status="废止")

    with Session(engine) as session:
        event = load_event(session, change_id)

    assert (event.priority, event.status) == (3, "废止")


def test_event_clauses_come_from_the_stored_diff(engine: Engine) -> None:
    change_id = store_change(engine)

    with Session(engine) as session:
        event = load_event(session, change_id)

    assert event.clauses == (AMOUNT_CLAUSE,)


def test_diff_reference_names_both_versions(engine: Engine) -> None:
    change_id = store_change(engine, native_id="0074::77151")

    with Session(engine) as session:
        event = load_event(session, change_id)

    assert event.diff_ref == "policywatch diff 0074::77151 --from 1 --to 2"


def test_new_document_refers_to_the_document_itself(engine: Engine) -> None:
    change_id = store_change(engine, kind="new", diff={})

    with Session(engine) as session:
        event = load_event(session, change_id)

    assert event.diff_ref == event.archive_ref


def test_status_from_a_later_notice_overrules_the_platform_flag(engine: Engine) -> None:
    change_id = store_change(engine, status="有效", validity_status="废止")

    with Session(engine) as session:
        assert load_event(session, change_id).status == "废止"


def test_validity_comes_from_the_document(engine: Engine) -> None:
    change_id = store_change(engine, valid_from=date(2024, 3, 1), valid_until=date(2026, 12, 31), trial=True)

    with Session(engine) as session:
        assert load_event(session, change_id).validity == "2024-03-01 至 2026-12-31（试行）"


@pytest.mark.parametrize(
    ("valid_from", "valid_until", "text"),
    [
        (None, date(2028, 4, 30), "至 2028-04-30"),
        (date(2024, 9, 1), None, "2024-09-01 起"),
        (None, None, None),
    ],
    ids=["until", "from", "unknown"],
)
def test_validity_forms(valid_from: date | None, valid_until: date | None, text: str | None) -> None:
    assert validity_text(valid_from, valid_until, trial=False) == text


def test_evidence_comes_from_the_change(engine: Engine) -> None:
    notice = {
        "document_id": 9,
        "title": "关于废止部分规范性文件的通知",
        "doc_number": "沪府规〔2026〕1号",
        "url": "https://example.org/n",
        "quote": "《上海市某某办法》同时废止。",
    }
    change_id = store_change(engine, kind="repealed", diff={"changes": []}, evidence=notice)

    with Session(engine) as session:
        event = load_event(session, change_id)

    assert event.evidence == Evidence(
        "关于废止部分规范性文件的通知",
        "https://example.org/n",
        "沪府规〔2026〕1号",
        "《上海市某某办法》同时废止。",
    )


@pytest.mark.parametrize("diff", [{}, {"changes": []}])
def test_new_document_event_has_no_clauses(engine: Engine, diff: dict[str, object]) -> None:
    change_id = store_change(engine, kind="new", diff=diff)

    with Session(engine) as session:
        event = load_event(session, change_id)

    assert event.clauses == ()


def test_missing_change_is_an_error(engine: Engine) -> None:
    with Session(engine) as session, pytest.raises(LookupError, match="change 999"):
        load_event(session, 999)
