"""End to end: a document life cycle on the local platform site, each step a real `policywatch` process.

Step 4 of the site's timeline (a 试行 实施意见 and two district documents citing 沪环规〔2024〕12号, on top of
the first three steps) is the starting archive. Step 5 brings the trial's 2025版, an extension notice, a
repeal notice and a 关于修改 notice of the cited document, and no longer lists one document; it is crawled
three times. Then the validity check runs as of 2026-12-11, 20 days before the 长宁 trial ends. Every step
must make exactly the expected changes and send exactly their alerts. SQLite only: tests/flows plays the
same life cycle on PostgreSQL without HTTP and Prefect.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlmodel import Session, select

from storage.db import make_engine
from storage.models import Change, Document, Outbox
from tests.e2e.conftest import Workspace, make_workspace
from tests.receivers import HTTPReceiver
from tests.site.platform import ALL_SITE_IDS, AMENDMENT
from tests.site.server import TestSite
from tests.site.timeline import (
    CITING_FENGXIAN,
    CITING_HONGKOU,
    EXTENSION,
    PAIR_B_SUCCESSOR,
    PAIR_B_TRIAL,
    REPEAL,
    SOIL_AMENDMENT,
    VANISHED,
)

pytestmark = pytest.mark.e2e

CHANGNING = f"{AMENDMENT.site_id}::{AMENDMENT.business_id}"
SOIL = "0024::bf83c20301d64e4790a91509a1606023"
"""沪环规〔2024〕12号, amended by SOIL_AMENDMENT and cited by the two district documents."""
EXTENDED = "0070::0070324449"
REPEALED = "0070::0070342687"
JIADING = "0080::5_181851"

Event = tuple[str, str]
"""(native id, change kind)."""


@pytest.fixture
def webhook() -> Iterator[HTTPReceiver]:
    with HTTPReceiver() as receiver:
        yield receiver


@pytest.fixture
def workspace(tmp_path: Path, prefect_api: str, site: TestSite, webhook: HTTPReceiver) -> Workspace:
    site.set_step("4-citing")
    workspace = make_workspace(tmp_path, None, prefect_api, site)
    sources = yaml.safe_load(workspace.sources.read_text(encoding="utf-8"))
    sources["sources"][0]["site_ids"] = list(ALL_SITE_IDS)  # the later documents' sites too
    workspace.sources.write_text(yaml.safe_dump(sources, allow_unicode=True), encoding="utf-8")
    workspace.subscriptions = tmp_path / "subscriptions.yaml"
    subscriptions = {"subscriptions": [{"name": "everything", "urls": [webhook.url("json")]}]}
    workspace.subscriptions.write_text(yaml.safe_dump(subscriptions), encoding="utf-8")
    return workspace


class Ledger:
    """The changes and sent alerts of a workspace, read after each step: what the step added."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.changes: list[Event] = []
        self.alerts: list[Event] = []

    def step(self) -> tuple[list[Event], list[Event]]:
        engine = make_engine(self.workspace.database_url)
        with Session(engine) as session:
            native = {d.id: d.native_id for d in session.exec(select(Document)).all()}
            changes = session.exec(select(Change).order_by(Change.id)).all()
            kind = {c.id: (native[c.document_id], c.kind) for c in changes}
            sent = session.exec(select(Outbox).where(Outbox.status == "sent").order_by(Outbox.id)).all()
            all_changes, all_alerts = [kind[c.id] for c in changes], [kind[row.change_id] for row in sent]
        engine.dispose()
        added = sorted(all_changes[len(self.changes) :]), sorted(all_alerts[len(self.alerts) :])
        self.changes, self.alerts = all_changes, all_alerts
        return added


def changes_json(workspace: Workspace) -> list[dict[str, Any]]:
    return json.loads(workspace.policywatch("changes", "--json").stdout)  # type: ignore[no-any-return]


def test_successor_extension_repeal_amendment_withdrawal_and_expiry(
    workspace: Workspace, site: TestSite, webhook: HTTPReceiver
) -> None:
    ledger = Ledger(workspace)
    subscriptions = ["--subscriptions", str(workspace.subscriptions)]

    # Step 4: eleven documents, each new and alerted once; nothing about any life cycle yet.
    workspace.run()
    changes, alerts = ledger.step()
    assert changes == alerts == sorted((native_id, "new") for native_id, _ in changes)
    assert len(changes) == 11 and len(webhook.delivered) == 11

    # Step 5: four notices arrive; each acts on its target, and the amendment reaches the citing documents.
    site.set_step("5-lifecycle")
    workspace.run()
    expected = sorted(
        [
            (EXTENSION, "new"),
            (REPEAL, "new"),
            (SOIL_AMENDMENT, "new"),
            (PAIR_B_SUCCESSOR, "new"),
            (EXTENDED, "extended"),
            (REPEALED, "repealed"),
            (PAIR_B_TRIAL, "superseded"),
            (SOIL, "amended"),
            (CITING_FENGXIAN, "upstream_changed"),
            (CITING_HONGKOU, "upstream_changed"),
        ]
    )
    assert ledger.step() == (expected, expected)

    # The vanished document: a second miss is still nothing, the third withdraws it.
    workspace.run()
    assert ledger.step() == ([], [])
    workspace.run()
    assert ledger.step() == ([(VANISHED, "withdrawn")], [(VANISHED, "withdrawn")])

    # The validity check 20 days before the 长宁 trial ends; the extended trial and the 嘉定 规定 have ended.
    workspace.policywatch("lifecycle", "--today", "2026-12-11", *subscriptions)
    expiry = sorted([(CHANGNING, "expiring"), (EXTENDED, "expired"), (JIADING, "expired")])
    assert ledger.step() == (expiry, expiry)
    workspace.policywatch("lifecycle", "--today", "2026-12-11", *subscriptions)
    assert ledger.step() == ([], [])
    assert len(webhook.delivered) == 11 + len(expected) + 1 + len(expiry)

    listed = {(c["document"]["id"], c["kind"]): c for c in changes_json(workspace)}
    by_kind = {kind: change for (_, kind), change in listed.items()}
    extended = by_kind["extended"]
    assert extended["evidence"]["doc_number"] == "浦科经委规〔2024〕11号"
    assert "有效期延长至2026年12月3日" in extended["evidence"]["quote"]
    amended = by_kind["amended"]
    assert amended["evidence"]["doc_number"] == "沪环规〔2026〕19号"
    assert [(c["path"], c["op"], c["before"], c["after"]) for c in amended["clauses"]] == [
        ("第一条", "modified", "《中华人民共和国土壤污染防治法》", "《中华人民共和国生态环境法典》")
    ]
    assert by_kind["repealed"]["evidence"]["doc_number"] == "浦南规〔2026〕3号"
    assert by_kind["superseded"]["evidence"]["doc_number"] == "沪规划资源更〔2025〕281号"
    upstream = [c for c in listed.values() if c["kind"] == "upstream_changed"]
    assert {c["evidence"]["doc_number"] for c in upstream} == {"沪环规〔2024〕12号"}
    assert all("沪环规〔2024〕12号" in c["evidence"]["quote"] for c in upstream)
    assert by_kind["new"]["evidence"] is None

    citing = json.loads(workspace.policywatch("validity", CITING_FENGXIAN, "--json").stdout)
    assert citing["pending_review"] is True
    assert [(r["kind"], r["document"]["doc_number"]) for r in citing["relations"] if r["document"]] == [
        ("implements", "沪环规〔2024〕12号")
    ]
    trial = json.loads(workspace.policywatch("validity", EXTENDED, "--json").stdout)
    assert (trial["valid_until"], trial["status"], trial["trial"]) == ("2026-12-03", "失效", True)
    assert trial["evidence"]["valid_until"]["doc_number"] == "浦科经委规〔2024〕11号"
