"""Digests on a frozen clock: every ``now`` is given, so periods and send times are exact."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from notifiers.outbox import deliver_due, route_changes
from notifiers.schedule import SHANGHAI, Digest
from notifiers.subscriptions import Filters, Subscription
from storage.db import session_scope
from storage.models import Outbox
from tests.notifiers.factories import store_change
from tests.receivers import HTTPReceiver

NINE = datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)
"""The send time of the daily digest ``daily:2026-03-02``."""


@pytest.fixture
def http() -> Iterator[HTTPReceiver]:
    with HTTPReceiver() as receiver:
        yield receiver


def daily(http: HTTPReceiver) -> Subscription:
    return Subscription(
        name="changning-daily",
        urls=(http.url("json"),),
        filters=Filters(districts=frozenset({"changning"})),
        digest=Digest("daily", time(9, 0)),
    )


def detected(engine: Engine, title: str, when: datetime, **document: str) -> None:
    store_change(engine, title=title, detected_at=when, **document)


@pytest.fixture
def week_of_changes(engine: Engine, http: HTTPReceiver) -> Subscription:
    """Changes around the 2 March digest, routed to a daily 09:00 digest of 长宁 documents."""
    detected(engine, "前一天的文件", NINE - timedelta(days=1, minutes=1))
    detected(engine, "正好九点的文件", NINE - timedelta(days=1))
    detected(engine, "深夜的文件", NINE - timedelta(hours=10))
    detected(engine, "浦东的文件", NINE - timedelta(hours=5), district="pudong")
    detected(engine, "八点五十九分的文件", NINE - timedelta(minutes=1))
    detected(engine, "第二天的文件", NINE)
    subscription = daily(http)
    with session_scope(engine) as session:
        route_changes(session, [subscription])
    deliver_due(engine, [subscription], now=NINE - timedelta(days=1))  # the 1 March digest
    http.requests.clear()
    return subscription


def test_daily_digest_at_nine_holds_exactly_that_days_matching_changes(
    engine: Engine, http: HTTPReceiver, week_of_changes: Subscription
) -> None:
    report = deliver_due(engine, [week_of_changes], now=NINE)

    (request,) = http.delivered
    message = request.json["message"]
    titles = ["正好九点的文件", "深夜的文件", "八点五十九分的文件"]
    assert request.json["title"] == "【policywatch 每日摘要】2026-03-02：3项政策变动"
    assert [title for title in titles if title in message] == titles
    assert [title for title in ("前一天的文件", "浦东的文件", "第二天的文件") if title in message] == []
    assert report.sent == 3


def test_digest_is_not_sent_before_its_time(
    engine: Engine, http: HTTPReceiver, week_of_changes: Subscription
) -> None:
    report = deliver_due(engine, [week_of_changes], now=NINE - timedelta(seconds=1))

    assert (report.sent, http.requests) == (0, [])


def test_digest_rows_are_marked_sent_together_and_sent_once(
    engine: Engine, http: HTTPReceiver, week_of_changes: Subscription
) -> None:
    deliver_due(engine, [week_of_changes], now=NINE)
    again = deliver_due(engine, [week_of_changes], now=NINE + timedelta(hours=1))

    with Session(engine) as session:
        sent = session.exec(select(Outbox).where(Outbox.digest_key == "daily:2026-03-02")).all()
    assert {(row.status, row.sent_at) for row in sent} == {("sent", NINE)}
    assert (again.sent, len(http.delivered)) == (0, 1)


def test_failed_digest_is_retried_whole_as_one_message(
    engine: Engine, http: HTTPReceiver, week_of_changes: Subscription
) -> None:
    http.fail_with(502)
    failed = deliver_due(engine, [week_of_changes], now=NINE)
    http.recover()

    retried = deliver_due(engine, [week_of_changes], now=NINE + timedelta(minutes=1))

    assert (failed.retrying, retried.sent, len(http.delivered)) == (3, 3, 1)
    assert "3项政策变动" in http.delivered[0].json["title"]


def test_digest_sends_only_the_rows_it_claimed(
    engine: Engine, http: HTTPReceiver, week_of_changes: Subscription
) -> None:
    with session_scope(engine) as session:
        taken = session.exec(select(Outbox.id).where(Outbox.digest_key == "daily:2026-03-02")).first()
        session.execute(
            update(Outbox).where(col(Outbox.id) == taken).values(status="sending", claimed_at=NINE)
        )

    report = deliver_due(engine, [week_of_changes], now=NINE)

    assert (report.sent, http.delivered[0].json["title"]) == (
        2,
        "【policywatch 每日摘要】2026-03-02：2项政策变动",
    )
