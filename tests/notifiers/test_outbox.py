from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from notifiers.events import ChangeEvent, load_event
from notifiers.outbox import DeliveryReport, deliver_due, route_changes
from notifiers.render import render
from notifiers.schedule import Digest
from notifiers.subscriptions import Filters, RetryPolicy, Subscription, load_subscriptions
from storage.db import make_engine, session_scope
from storage.migrate import upgrade
from storage.models import Change, Outbox, utcnow
from tests.notifiers.factories import store_change
from tests.receivers import HTTPReceiver, SMTPReceiver


@pytest.fixture
def http() -> Iterator[HTTPReceiver]:
    with HTTPReceiver() as receiver:
        yield receiver


DEFAULT_RETRY = RetryPolicy()


def subscribe(name: str, *urls: str, retry: RetryPolicy = DEFAULT_RETRY, **filters: Any) -> Subscription:
    return Subscription(name=name, urls=urls, filters=Filters(**filters), retry=retry)


def route(engine: Engine, subscriptions: list[Subscription]) -> int:
    with session_scope(engine) as session:
        return route_changes(session, subscriptions)


def rows(engine: Engine) -> list[Outbox]:
    with Session(engine) as session:
        return list(session.exec(select(Outbox).order_by(col(Outbox.id))).all())


def routed_to(engine: Engine, subscription: Subscription) -> Outbox:
    """Stores the standard change and routes it to ``subscription``: the one outbox row."""
    store_change(engine)
    route(engine, [subscription])
    (row,) = rows(engine)
    return row


# Routing


def test_route_creates_one_row_per_matching_subscription(engine: Engine) -> None:
    changning = store_change(engine, district="changning")
    pudong = store_change(engine, district="pudong", kind="new")
    everything = subscribe("everything", "json://127.0.0.1/hook")
    local = subscribe("local", "json://127.0.0.1/hook", districts=frozenset({"changning"}))
    repeals = subscribe("repeals", "json://127.0.0.1/hook", kinds=frozenset({"repealed"}))

    created = route(engine, [everything, local, repeals])

    assert created == 3
    assert {(row.subscription, row.change_id) for row in rows(engine)} == {
        ("everything", changning),
        ("everything", pudong),
        ("local", changning),
    }


def test_route_marks_changes_routed(engine: Engine) -> None:
    change_id = store_change(engine)

    route(engine, [])

    with Session(engine) as session:
        change = session.get(Change, change_id)
        assert change is not None and change.routed_at is not None


def test_changes_are_routed_in_id_order(engine: Engine) -> None:
    stored = [store_change(engine) for _ in range(3)]
    loaded: list[int] = []

    def recording_loader(session: Session, change_id: int) -> ChangeEvent:
        loaded.append(change_id)
        return load_event(session, change_id)

    with session_scope(engine) as session:
        route_changes(session, [], events_loader=recording_loader)

    assert loaded == stored


def test_second_route_creates_nothing(engine: Engine) -> None:
    store_change(engine)
    everything = subscribe("everything", "json://127.0.0.1/hook")
    route(engine, [everything])

    assert (route(engine, [everything]), len(rows(engine))) == (0, 1)


def test_rerouting_a_reset_change_skips_rows_it_already_has(engine: Engine) -> None:
    store_change(engine)
    everything = subscribe("everything", "json://127.0.0.1/hook")
    route(engine, [everything])
    with session_scope(engine) as session:
        session.execute(update(Change).values(routed_at=None))

    assert (route(engine, [everything]), len(rows(engine))) == (0, 1)


# Delivery


def test_webhook_gets_the_plain_text_message(engine: Engine, http: HTTPReceiver) -> None:
    row = routed_to(engine, subscribe("hook", http.url("json")))
    with Session(engine) as session:
        expected = render(load_event(session, row.change_id))

    deliver_due(engine, [subscribe("hook", http.url("json"))])

    (request,) = http.delivered
    assert (request.json["title"], request.json["message"]) == (expected.title, expected.body)


def test_form_webhook_gets_title_and_message_fields(engine: Engine, http: HTTPReceiver) -> None:
    hook = subscribe("hook", http.url("form"))
    routed_to(engine, hook)

    deliver_due(engine, [hook])

    (request,) = http.delivered
    assert request.form["title"].startswith("【修订 amended】")
    assert "【1000】→【500】" in request.form["message"]


def test_delivered_row_is_marked_sent(engine: Engine, http: HTTPReceiver) -> None:
    hook = subscribe("hook", http.url("json"))
    routed_to(engine, hook)
    now = utcnow()

    report = deliver_due(engine, [hook], now=now)

    (row,) = rows(engine)
    assert (report.sent, row.status, row.sent_at, row.attempts) == (1, "sent", now, 0)


def test_email_has_the_chinese_subject_and_plain_text(engine: Engine) -> None:
    with SMTPReceiver() as smtp:
        mail = subscribe("mail", smtp.url(to="team@example.org"))
        routed_to(engine, mail)

        deliver_due(engine, [mail])

    (received,) = smtp.messages
    assert received.recipients == ["team@example.org"]
    assert received.subject == "【修订 amended】长宁区关于促进人工智能产业发展的若干政策（长府规〔2024〕3号）"
    assert "四.(一).1：…工智能项目，给予单个项目不超过【1000】→【500】万元支持。" in received.text
    assert "文号：长府规〔2024〕3号" in received.text


def test_email_html_part_highlights_the_changed_words(engine: Engine) -> None:
    with SMTPReceiver() as smtp:
        mail = subscribe("mail", smtp.url())
        routed_to(engine, mail)

        deliver_due(engine, [mail])

    (html,) = smtp.messages[0].parts("text/html")
    assert '>1000</del>】→【<ins style="color:#22863a;background:#e6ffed">500</ins>】万元支持。' in html
    assert "发文机关：上海市长宁区人民政府" in html


def test_smtp_password_from_the_environment_logs_in(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PW_TEST_SMTP_PASSWORD", "p@ss/w0rd 1")
    with SMTPReceiver(user="pw", password="p@ss/w0rd 1") as smtp:
        path = tmp_path / "subscriptions.yaml"
        url = smtp.url(password="${PW_TEST_SMTP_PASSWORD}")
        path.write_text(f"subscriptions:\n  - name: mail\n    urls: ['{url}']\n", encoding="utf-8")
        subscriptions = load_subscriptions(path)
        store_change(engine)
        route(engine, subscriptions)

        report = deliver_due(engine, subscriptions)

    assert report.sent == 1
    assert [message.login for message in smtp.messages] == ["pw"]


# Failures and retries


def test_receiver_outage_leaves_the_row_pending_with_backoff(engine: Engine, http: HTTPReceiver) -> None:
    hook = subscribe("hook", http.url("json"))
    routed_to(engine, hook)
    http.fail_with(503)
    now = utcnow()

    report = deliver_due(engine, [hook], now=now)

    (row,) = rows(engine)
    assert (report.retrying, row.status, row.attempts) == (1, "pending", 1)
    assert row.next_attempt_at == now + timedelta(minutes=1)
    assert row.last_error is not None and "503" in row.last_error
    assert [error.outbox_id for error in report.errors] == [row.id]


def test_row_is_sent_once_after_recovery_and_backoff(engine: Engine, http: HTTPReceiver) -> None:
    hook = subscribe("hook", http.url("json"))
    routed_to(engine, hook)
    now = utcnow()
    http.fail_with(500)
    deliver_due(engine, [hook], now=now)
    http.recover()

    too_early = deliver_due(engine, [hook], now=now + timedelta(seconds=30))
    due = deliver_due(engine, [hook], now=now + timedelta(minutes=1))
    later = deliver_due(engine, [hook], now=now + timedelta(hours=1))

    assert (too_early.sent, due.sent, later.sent) == (0, 1, 0)
    assert len(http.delivered) == 1
    assert rows(engine)[0].status == "sent"


def test_backoff_doubles_with_each_failed_attempt(engine: Engine, http: HTTPReceiver) -> None:
    hook = subscribe("hook", http.url("json"))
    routed_to(engine, hook)
    http.fail_with(500)
    now = utcnow()
    waits = []

    for _ in range(3):
        deliver_due(engine, [hook], now=now)
        (row,) = rows(engine)
        waits.append(row.next_attempt_at - now)
        now = row.next_attempt_at

    assert waits == [timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4)]


def test_backoff_stops_growing_at_the_maximum(engine: Engine, http: HTTPReceiver) -> None:
    retry = RetryPolicy(backoff=timedelta(minutes=1), max_backoff=timedelta(minutes=3))
    hook = subscribe("hook", http.url("json"), retry=retry)
    routed_to(engine, hook)
    http.fail_with(500)
    now = utcnow()

    for _ in range(4):
        deliver_due(engine, [hook], now=now)
        now = rows(engine)[0].next_attempt_at

    assert rows(engine)[0].attempts == 4 and now - rows(engine)[0].claimed_at == timedelta(minutes=3)


def test_row_fails_for_good_after_max_attempts(engine: Engine, http: HTTPReceiver) -> None:
    hook = subscribe("hook", http.url("json"), retry=RetryPolicy(max_attempts=2))
    routed_to(engine, hook)
    http.fail_with(500)
    now = utcnow()

    first = deliver_due(engine, [hook], now=now)
    second = deliver_due(engine, [hook], now=now + timedelta(minutes=1))
    after = deliver_due(engine, [hook], now=now + timedelta(days=1))

    assert [(r.retrying, r.failed) for r in (first, second, after)] == [(1, 0), (0, 1), (0, 0)]
    assert (rows(engine)[0].status, len(http.requests)) == ("failed", 2)


def test_subscription_fails_when_any_of_its_urls_fails(engine: Engine, http: HTTPReceiver) -> None:
    with HTTPReceiver() as broken:
        broken.fail_with(500)
        both = subscribe("both", http.url("json"), broken.url("json"))
        routed_to(engine, both)

        report = deliver_due(engine, [both])

    assert (report.retrying, len(http.delivered)) == (1, 1)


def test_change_that_cannot_be_rendered_is_a_failed_attempt(engine: Engine, http: HTTPReceiver) -> None:
    hook = subscribe("hook", http.url("json"))
    routed_to(engine, hook)
    with session_scope(engine) as session:
        session.execute(update(Change).values(diff={"changes": [{"path": "一"}]}))

    report = deliver_due(engine, [hook])

    (row,) = rows(engine)
    assert (report.retrying, row.status, http.requests) == (1, "pending", [])
    assert row.last_error is not None and row.last_error.startswith("KeyError")


# Claims: never send a row twice


def claim_row(engine: Engine, row_id: int | None, claimed_ago: timedelta) -> None:
    """What a deliverer leaves behind when it stops between claiming and recording the outcome."""
    with session_scope(engine) as session:
        session.execute(
            update(Outbox)
            .where(col(Outbox.id) == row_id)
            .values(status="sending", claimed_at=utcnow() - claimed_ago)
        )


def test_claim_older_than_lease_becomes_uncertain_without_sending(engine: Engine, http: HTTPReceiver) -> None:
    hook = subscribe("hook", http.url("json"))
    claim_row(engine, routed_to(engine, hook).id, claimed_ago=timedelta(minutes=11))

    report = deliver_due(engine, [hook], lease=timedelta(minutes=10))

    (row,) = rows(engine)
    assert (report.uncertain, row.status, http.requests) == (1, "uncertain", [])
    assert row.last_error is not None and "not resent" in row.last_error


def test_uncertain_row_is_never_resent(engine: Engine, http: HTTPReceiver) -> None:
    hook = subscribe("hook", http.url("json"))
    claim_row(engine, routed_to(engine, hook).id, claimed_ago=timedelta(minutes=11))
    deliver_due(engine, [hook])

    reports = [deliver_due(engine, [hook], now=utcnow() + timedelta(days=days)) for days in (1, 30)]

    assert [(r.sent, r.uncertain) for r in reports] == [(0, 0), (0, 0)]
    assert http.requests == []


def test_claim_within_lease_is_left_alone(engine: Engine, http: HTTPReceiver) -> None:
    hook = subscribe("hook", http.url("json"))
    claim_row(engine, routed_to(engine, hook).id, claimed_ago=timedelta(minutes=5))

    report = deliver_due(engine, [hook], lease=timedelta(minutes=10))

    assert (report, rows(engine)[0].status, http.requests) == (DeliveryReport(), "sending", [])


def test_row_of_a_removed_subscription_stays_pending_with_the_reason(
    engine: Engine, http: HTTPReceiver
) -> None:
    routed_to(engine, subscribe("retired", http.url("json")))

    report = deliver_due(engine, [subscribe("other", http.url("json"))])

    (row,) = rows(engine)
    assert (report.orphaned, row.status, row.attempts, http.requests) == (1, "pending", 0, [])
    assert (
        row.last_error is not None
        and "subscription 'retired' is not in the subscription file" in row.last_error
    )


def test_two_deliverers_send_each_row_exactly_once(
    engine: Engine, http: HTTPReceiver, tmp_path: Path
) -> None:
    hook = subscribe("hook", http.url("json"))
    titles = [f"政策文件{n}" for n in range(30)]
    for title in titles:
        store_change(engine, title=title)
    route(engine, [hook])
    second_engine = make_engine(f"sqlite:///{tmp_path / 'archive.db'}")
    start = threading.Barrier(2)
    reports: list[DeliveryReport] = []

    def deliverer(own_engine: Engine) -> None:
        start.wait()
        reports.append(deliver_due(own_engine, [hook]))

    threads = [threading.Thread(target=deliverer, args=(e,)) for e in (engine, second_engine)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    second_engine.dispose()

    delivered = sorted(request.json["title"] for request in http.requests)
    assert delivered == sorted(f"【修订 amended】{title}（长府规〔2024〕3号）" for title in titles)
    assert sum(report.sent for report in reports) == 30
    assert {row.status for row in rows(engine)} == {"sent"}


def test_digest_row_waits_for_the_send_time_of_its_period(engine: Engine) -> None:
    daily = Subscription(name="daily", urls=("json://127.0.0.1/hook",), digest=Digest("daily", time(9, 0)))
    store_change(engine, detected_at=datetime(2026, 3, 1, 4, 0, tzinfo=UTC))  # 12:00 in Shanghai

    route(engine, [daily])

    (row,) = rows(engine)
    assert (row.digest_key, row.next_attempt_at) == (
        "daily:2026-03-02",
        datetime(2026, 3, 2, 1, 0, tzinfo=UTC),
    )


# Order: a subscription's alerts go out as routed, also across an outage


def test_alerts_after_a_failed_one_are_not_tried_in_the_same_run(engine: Engine, http: HTTPReceiver) -> None:
    hook = subscribe("hook", http.url("json"))
    for _ in range(3):
        store_change(engine)
    route(engine, [hook])
    http.fail_with(503)

    report = deliver_due(engine, [hook])

    assert (report.retrying, len(http.requests)) == (3, 1)
    assert {row.attempts for row in rows(engine)} == {1}
    assert rows(engine)[2].last_error is not None and rows(engine)[2].last_error.startswith("not tried")


def test_later_alert_is_held_while_an_earlier_one_waits_for_its_retry(
    engine: Engine, http: HTTPReceiver
) -> None:
    hook = subscribe("hook", http.url("json"))
    routed_to(engine, hook)
    now = utcnow()
    http.fail_with(503)
    deliver_due(engine, [hook], now=now)
    http.recover()
    store_change(engine, title="后来的文件")
    route(engine, [hook])

    report = deliver_due(engine, [hook], now=now + timedelta(seconds=10))

    assert (report.held, report.sent, http.delivered) == (1, 0, [])


def test_outage_then_recovery_delivers_every_alert_once_in_routing_order(
    engine: Engine, http: HTTPReceiver
) -> None:
    hook = subscribe("hook", http.url("json"))
    now = utcnow()
    http.fail_with(503)
    titles = []
    for hour in range(5):  # five hours down; a new change arrives every hour
        titles.append(f"政策文件{hour}")
        store_change(engine, title=titles[-1])
        route(engine, [hook])
        deliver_due(engine, [hook], now=now + timedelta(hours=hour))
    http.recover()

    reports = [deliver_due(engine, [hook], now=now + timedelta(hours=hour)) for hour in range(5, 8)]

    assert [request.json["title"] for request in http.delivered] == [
        f"【修订 amended】{title}（长府规〔2024〕3号）" for title in titles
    ]
    assert [report.sent for report in reports] == [5, 0, 0]
    assert {row.status for row in rows(engine)} == {"sent"}


def test_change_that_cannot_be_rendered_does_not_hold_back_the_others(
    engine: Engine, http: HTTPReceiver
) -> None:
    hook = subscribe("hook", http.url("json"))
    broken = store_change(engine)
    store_change(engine, title="正常的文件")
    route(engine, [hook])
    with session_scope(engine) as session:
        session.execute(
            update(Change).where(col(Change.id) == broken).values(diff={"changes": [{"path": "一"}]})
        )

    report = deliver_due(engine, [hook])

    assert (report.retrying, report.sent) == (1, 1)
    assert [error.change_id for error in report.errors] == [broken]


@pytest.mark.postgres
def test_two_deliverers_on_postgres_send_each_row_exactly_once(postgres_url: str) -> None:
    engines = [make_engine(postgres_url) for _ in range(2)]
    upgrade(engines[0])
    titles = [f"政策文件{n}" for n in range(20)]
    for title in titles:
        store_change(engines[0], title=title)
    start = threading.Barrier(2)
    reports: list[DeliveryReport] = []
    with HTTPReceiver(delay=0.05) as slow:
        hook = subscribe("hook", slow.url("json"))
        route(engines[0], [hook])

        def deliverer(own_engine: Engine) -> None:
            start.wait()
            reports.append(deliver_due(own_engine, [hook]))

        threads = [threading.Thread(target=deliverer, args=(e,)) for e in engines]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    statuses = {row.status for row in rows(engines[0])}
    for own_engine in engines:
        own_engine.dispose()

    delivered = sorted(request.json["title"] for request in slow.requests)
    assert delivered == sorted(f"【修订 amended】{title}（长府规〔2024〕3号）" for title in titles)
    assert all(report.sent > 0 for report in reports), "the deliverers did not overlap"
    assert (sum(report.sent for report in reports), statuses) == (20, {"sent"})
