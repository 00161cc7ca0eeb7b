"""End to end: alerts of real `policywatch run` processes reach real local receivers, once each.

Subscriptions use the whole file format (secrets file, topics, filters, retry policy); the JSON webhook
is down for the first two runs and up for the third; two runs at once on PostgreSQL share the work.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlmodel import Session, col, select

from notifiers.events import load_event
from notifiers.render import render
from storage.db import make_engine
from storage.models import Outbox
from tests.e2e.conftest import POLICYWATCH, Workspace, make_workspace
from tests.receivers import HTTPReceiver, SMTPReceiver
from tests.site.platform import documents
from tests.site.server import TestSite

pytestmark = pytest.mark.e2e

SMTP_PASSWORD = "e2e-Smtp-pa55"


@pytest.fixture
def smtp() -> Iterator[SMTPReceiver]:
    with SMTPReceiver(user="policywatch", password=SMTP_PASSWORD) as receiver:
        yield receiver


@pytest.fixture
def webhook() -> Iterator[HTTPReceiver]:
    with HTTPReceiver() as receiver:
        yield receiver


def write_subscriptions(workspace: Workspace, document: dict[str, Any]) -> None:
    workspace.subscriptions = workspace.root / "subscriptions.yaml"
    text = yaml.safe_dump(
        {"delivery": {"backoff": "1s", "max_backoff": "1s"}, **document}, allow_unicode=True
    )
    workspace.subscriptions.write_text(text, encoding="utf-8")


def expected_titles(workspace: Workspace, subscription: str) -> list[str]:
    """The titles of a subscription's alerts in routing order, rendered from the archive."""
    engine = make_engine(workspace.database_url)
    with Session(engine) as session:
        change_ids = session.exec(
            select(Outbox.change_id).where(Outbox.subscription == subscription).order_by(col(Outbox.id))
        ).all()
        titles = [render(load_event(session, change_id)).title for change_id in change_ids]
    engine.dispose()
    return titles


def test_alerts_survive_an_outage_and_reach_every_channel_once_in_order(
    tmp_path: Path, prefect_api: str, site: TestSite, smtp: SMTPReceiver, webhook: HTTPReceiver
) -> None:
    workspace = make_workspace(tmp_path, None, prefect_api, site)
    (tmp_path / "secrets.env").write_text(f"PW_E2E_SMTP_PASSWORD={SMTP_PASSWORD}\n", encoding="utf-8")
    mail_url = smtp.url(to="invest@changning.example", password="${PW_E2E_SMTP_PASSWORD}")
    with HTTPReceiver() as form:
        write_subscriptions(
            workspace,
            {
                "secrets_file": "secrets.env",
                "subscriptions": [
                    {"name": "everything", "urls": [webhook.url("json")]},
                    {
                        "name": "changning-ai",
                        "urls": [mail_url],
                        "filters": {"districts": ["changning"], "topics": ["人工智能"]},
                    },
                    {"name": "low-altitude", "urls": [form.url("form")], "filters": {"topics": ["低空经济"]}},
                ],
            },
        )
        webhook.fail_with(503)

        # Runs 1 and 2 (new documents, then noise only): the webhook is down; mail and form work.
        workspace.run()
        site.set_step("2-noise")
        workspace.run()
        assert webhook.delivered == [] and len(webhook.requests) == 2  # one try per run, the rest wait

        (welcome,) = smtp.messages
        assert welcome.login == "policywatch"
        assert welcome.subject.startswith("【新发布 new】关于印发《长宁区加快构建现代化产业体系")
        (text,) = welcome.parts("text/plain")
        (html,) = welcome.parts("text/html")
        assert "文号：长发改规〔2024〕4号" in text and "发文机关：上海市长宁区发展和改革委员会" in text
        assert "文号：长发改规〔2024〕4号" in html and "<p>" in html
        (low_altitude,) = form.delivered
        assert "长宁区加快构建现代化产业体系" in low_altitude.form["title"]

        # Run 3: the webhook is back and one clause is amended.
        webhook.recover()
        site.set_step("3-amended")
        summary = json.loads(workspace.run("--json").stdout)

    assert [request.json["title"] for request in webhook.delivered] == expected_titles(
        workspace, "everything"
    )
    assert len(webhook.delivered) == len(documents()) + 1
    assert summary["delivery"]["sent"] == len(documents()) + 2
    amended = smtp.messages[-1]
    assert len(smtp.messages) == 2
    assert "【1000】→【500】" in amended.parts("text/plain")[0]
    assert (
        '>1000</del>】→【<ins style="color:#22863a;background:#e6ffed">500</ins>】'
        in amended.parts("text/html")[0]
    )


@pytest.mark.postgres
def test_two_runs_at_once_on_postgres_deliver_each_alert_once(
    tmp_path: Path, prefect_api: str, site: TestSite, postgres_url: str
) -> None:
    workspace = make_workspace(tmp_path, postgres_url, prefect_api, site)
    with HTTPReceiver(delay=0.5) as slow:
        write_subscriptions(
            workspace, {"subscriptions": [{"name": "everything", "urls": [slow.url("json")]}]}
        )
        slow.fail_with(503)
        workspace.run()  # every document archived and routed; the alerts wait for their retry
        slow.recover()

        args = [*POLICYWATCH, "run", "--sources", str(workspace.sources), "--json"]
        args += ["--subscriptions", str(workspace.subscriptions)]
        runs = [
            subprocess.Popen(
                args,
                env=workspace.env(),
                cwd=tmp_path,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        outputs = [run.communicate(timeout=600) for run in runs]

    assert [run.returncode for run in runs] == [0, 0], [stderr[-3000:] for _, stderr in outputs]
    bodies = [request.body for request in slow.delivered]
    assert len(bodies) == len(set(bodies)) == len(documents())
    sent = [json.loads(stdout)["delivery"]["sent"] for stdout, _ in outputs]
    assert sum(sent) == len(documents())
