"""End to end: the local platform site through steps 1 -> 2 (noise) -> 3 (one amended clause) -> 3 again.

Each step is a real `policywatch run` process (Scrapy over HTTP, Prefect flow on a real Prefect server)
on SQLite and on PostgreSQL; alerts go through apprise to a real SMTP server and an HTTP receiver.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.e2e.conftest import Workspace, make_workspace
from tests.e2e.state import archive_state
from tests.receivers import HTTPReceiver, SMTPReceiver
from tests.site.platform import AMENDMENT, documents
from tests.site.server import TestSite

pytestmark = pytest.mark.e2e


@pytest.fixture
def smtp() -> Iterator[SMTPReceiver]:
    with SMTPReceiver() as receiver:
        yield receiver


@pytest.fixture
def webhook() -> Iterator[HTTPReceiver]:
    with HTTPReceiver() as receiver:
        yield receiver


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def workspace(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    prefect_api: str,
    site: TestSite,
    smtp: SMTPReceiver,
    webhook: HTTPReceiver,
) -> Workspace:
    database_url = request.getfixturevalue("postgres_url") if request.param == "postgres" else None
    workspace = make_workspace(tmp_path, database_url, prefect_api, site)
    workspace.subscriptions = tmp_path / "subscriptions.yaml"
    subscriptions = {
        "subscriptions": [
            {"name": "everything", "urls": [webhook.url("json")]},
            # format=text: the text part of the mail is exactly the rendered message.
            {
                "name": "changning-team",
                "urls": [smtp.url(to="invest@changning.example") + "&format=text"],
                "filters": {"districts": ["changning"]},
            },
        ]
    }
    workspace.subscriptions.write_text(yaml.safe_dump(subscriptions, allow_unicode=True), encoding="utf-8")
    return workspace


def changes_json(workspace: Workspace) -> list[dict]:  # type: ignore[type-arg]
    return json.loads(workspace.policywatch("changes", "--json").stdout)


def test_new_then_noise_then_amendment_then_nothing(
    workspace: Workspace, site: TestSite, smtp: SMTPReceiver, webhook: HTTPReceiver
) -> None:
    all_documents = documents()

    # Step 1: every document archived, one `new` alert each to the webhook, 长宁's by e-mail too.
    workspace.run()
    state = archive_state(workspace.database_url)
    assert len(state.documents) == len(all_documents)
    assert [kind for _, kind, _ in state.changes] == ["new"] * len(all_documents)
    assert len(webhook.delivered) == len(all_documents)
    assert len({request.body for request in webhook.delivered}) == len(all_documents)
    (welcome,) = smtp.messages
    assert "长宁区加快构建现代化产业体系" in welcome.subject + welcome.text
    assert "长发改规〔2024〕4号" in welcome.text

    # Step 2: whitespace, reflow, full-width digits, record order and summaries changed: nothing happens.
    site.set_step("2-noise")
    workspace.run()
    assert archive_state(workspace.database_url) == state
    assert len(webhook.delivered) == len(all_documents) and len(smtp.messages) == 1

    # Step 3: one clause's amount changed: one `amended` change, alerts show the old and the new amount.
    site.set_step("3-amended")
    workspace.run()
    after = archive_state(workspace.database_url)
    new_changes = [c for c in after.changes if c not in state.changes]
    assert [(native_id, kind) for native_id, kind, _ in new_changes] == [
        (f"0074::{AMENDMENT.business_id}", "amended")
    ]
    alert = webhook.delivered[-1].json
    assert len(webhook.delivered) == len(all_documents) + 1
    assert "1000" in alert["message"] and "500" in alert["message"]
    mail = smtp.messages[-1]
    assert len(smtp.messages) == 2
    assert "【1000】→【500】" in mail.text

    amended = changes_json(workspace)[-1]
    assert amended["kind"] == "amended"
    assert amended["document"]["doc_number"] == "长发改规〔2024〕4号"
    (clause,) = amended["clauses"]
    assert clause["op"] == "modified"
    assert "不超过1000万元" in clause["before"] and "不超过500万元" in clause["after"]

    # Step 3 again: nothing new anywhere.
    workspace.run()
    assert archive_state(workspace.database_url) == after
    assert len(webhook.delivered) == len(all_documents) + 1 and len(smtp.messages) == 2


def test_history_show_and_diff_answer_for_the_amended_document(workspace: Workspace, site: TestSite) -> None:
    workspace.run()
    site.set_step("3-amended")
    workspace.run()
    ref = f"0074::{AMENDMENT.business_id}"

    history = json.loads(workspace.policywatch("history", ref, "--json").stdout)
    assert [v["version"] for v in history["versions"]] == [1, 2]
    assert [[c["kind"] for c in v["changes"]] for v in history["versions"]] == [["new"], ["amended"]]

    assert "不超过1000万元" in workspace.policywatch("show", ref, "--version", "1").stdout
    latest = workspace.policywatch("show", "长发改规〔2024〕4号").stdout
    assert "不超过500万元支持。（责任部门：区科委、区数据局、区投促办）" in latest
    before_any = workspace.policywatch("show", ref, "--at", "2000-01-01", check=False)
    assert before_any.returncode == 1 and "has no version" in before_any.stderr

    diff = json.loads(workspace.policywatch("diff", ref, "--json").stdout)
    assert [c["op"] for c in diff["changes"]] == ["modified"]
