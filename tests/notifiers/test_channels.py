"""Chat channels checked at the HTTP layer, and each channel's form and size.

apprise's dingtalk, wecombot and feishu plugins post to a fixed https host: their URLs have no host
part to point elsewhere. The tests redirect the plugin's ``notify_url`` class attribute (the template
each plugin formats its request URL from) to the local receiver, so the real plugin code builds and
sends the real HTTP request, and the recording shows exactly what the service would get.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import apprise
import pytest
from apprise.plugins.dingtalk import NotifyDingTalk
from apprise.plugins.feishu import NotifyFeishu
from apprise.plugins.wecombot import NotifyWeComBot
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from notifiers.channels import MAX_BYTES, channel_of
from notifiers.outbox import deliver_due, route_changes
from notifiers.render import HTML, MARKDOWN, TEXT
from notifiers.subscriptions import Subscription
from storage.db import session_scope
from storage.models import Outbox
from tests.notifiers.factories import store_change
from tests.receivers import HTTPReceiver

DINGTALK_TOKEN = "d1n9ta1kt0ken0123456789abcdef"
WECOM_KEY = "w3c0mkey-0123-4567-89ab-cdef01234567"
FEISHU_TOKEN = "f3ishut0ken-0123456789"


@pytest.fixture
def http(monkeypatch: pytest.MonkeyPatch) -> Iterator[HTTPReceiver]:
    with HTTPReceiver() as receiver:
        base = f"http://127.0.0.1:{receiver.port}"
        monkeypatch.setattr(NotifyDingTalk, "notify_url", base + "/robot/send?access_token={token}")
        monkeypatch.setattr(NotifyWeComBot, "notify_url", base + "/cgi-bin/webhook/send?key={key}")
        monkeypatch.setattr(NotifyFeishu, "notify_url", base + "/open-apis/bot/v2/hook/{token}/")
        yield receiver


def delivered_to(engine: Engine, url: str, **change: object) -> None:
    subscription = Subscription(name="chat", urls=(url,))
    store_change(engine, **change)
    with session_scope(engine) as session:
        route_changes(session, [subscription])
    report = deliver_due(engine, [subscription])
    assert report.sent == 1, report.errors


def long_change() -> dict[str, object]:
    """A change with 40 added clauses: far more than a WeCom message holds."""
    clauses = [
        {"path": f"{n}", "op": "added", "before": None, "after": "新增的扶持条款内容" * 6, "coarse": False}
        for n in range(1, 41)
    ]
    return {"diff": {"changes": clauses}}


def test_dingtalk_markdown_payload(engine: Engine, http: HTTPReceiver) -> None:
    delivered_to(engine, f"dingtalk://{DINGTALK_TOKEN}/?format=markdown")

    (request,) = http.delivered
    assert request.path == f"/robot/send?access_token={DINGTALK_TOKEN}"
    assert (
        request.json["markdown"]["title"]
        == "【修订 amended】长宁区关于促进人工智能产业发展的若干政策（长府规〔2024〕3号）"
    )
    assert "不超过【1000】→【**500**】万元支持。" in request.json["markdown"]["text"]


def test_dingtalk_text_payload_carries_the_title_in_the_text(engine: Engine, http: HTTPReceiver) -> None:
    delivered_to(engine, f"dingtalk://{DINGTALK_TOKEN}/")

    content = http.delivered[0].json["text"]["content"]
    assert content.startswith("【修订 amended】长宁区关于促进人工智能产业发展的若干政策")
    assert "不超过【1000】→【500】万元支持。" in content


def test_wecom_payload_is_text_with_the_change(engine: Engine, http: HTTPReceiver) -> None:
    delivered_to(engine, f"wecombot://{WECOM_KEY}")

    (request,) = http.delivered
    assert request.path == f"/cgi-bin/webhook/send?key={WECOM_KEY}"
    assert request.json["msgtype"] == "text"
    assert "文号：长府规〔2024〕3号" in request.json["text"]["content"]


def test_wecom_message_stays_within_2048_bytes_and_points_to_the_full_diff(
    engine: Engine, http: HTTPReceiver
) -> None:
    delivered_to(engine, f"wecombot://{WECOM_KEY}", **long_change())

    content = http.delivered[0].json["text"]["content"]
    assert len(content.encode("utf-8")) <= 2048
    assert re.search(r"完整差异：policywatch diff doc-\d+ --from 1 --to 2）$", content)


def test_feishu_payload(engine: Engine, http: HTTPReceiver) -> None:
    delivered_to(engine, f"feishu://{FEISHU_TOKEN}")

    (request,) = http.delivered
    assert request.path == f"/open-apis/bot/v2/hook/{FEISHU_TOKEN}/"
    assert request.json["msg_type"] == "text"
    assert "不超过【1000】→【500】万元支持。" in request.json["content"]["text"]


def test_feishu_request_stays_within_20_kb(engine: Engine, http: HTTPReceiver) -> None:
    clauses = [
        {"path": f"{n}", "op": "added", "before": None, "after": "新增的扶持条款内容" * 6, "coarse": False}
        for n in range(1, 400)
    ]
    subscription = Subscription(name="chat", urls=(f"feishu://{FEISHU_TOKEN}",))
    store_change(engine, diff={"changes": clauses})
    with session_scope(engine) as session:
        route_changes(session, [subscription])

    deliver_due(engine, [subscription])

    assert len(http.delivered[0].body) <= 20_000


def test_failure_is_stored_without_the_key(engine: Engine, http: HTTPReceiver) -> None:
    subscription = Subscription(name="chat", urls=(f"wecombot://{WECOM_KEY}",))
    store_change(engine)
    with session_scope(engine) as session:
        route_changes(session, [subscription])
    http.fail_with(500)

    report = deliver_due(engine, [subscription])

    with Session(engine) as session:
        (row,) = session.exec(select(Outbox)).all()
    assert row.last_error is not None and "wecombot://" in row.last_error and "500" in row.last_error
    assert WECOM_KEY not in row.last_error + repr(report)


@pytest.mark.parametrize(
    ("url", "style"),
    [
        ("mailto://bot:pw@127.0.0.1?to=a@b.org&from=c@d.org", HTML),
        ("mailto://bot:pw@127.0.0.1?to=a@b.org&from=c@d.org&format=text", TEXT),
        ("slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#general", MARKDOWN),
        (f"dingtalk://{DINGTALK_TOKEN}/?format=markdown", MARKDOWN),
        (f"wecombot://{WECOM_KEY}", TEXT),
        (f"feishu://{FEISHU_TOKEN}", TEXT),
        ("json://127.0.0.1/hook", TEXT),
        ("tgram://123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/", TEXT),
    ],
    ids=["email", "email-text", "slack", "dingtalk-markdown", "wecom", "feishu", "json", "telegram-html"],
)
def test_each_service_gets_its_native_style(url: str, style: str) -> None:
    service = apprise.Apprise.instantiate(url)
    assert service is not None

    assert channel_of(service, "标题").style == style


def test_title_sent_inside_the_body_counts_against_the_limit() -> None:
    service = apprise.Apprise.instantiate(f"wecombot://{WECOM_KEY}")
    assert service is not None

    assert channel_of(service, "标题").max_bytes == MAX_BYTES["wecombot"] - len("标题".encode()) - 2
