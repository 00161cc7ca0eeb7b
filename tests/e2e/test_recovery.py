"""End to end: a run SIGKILLed after crawling, after versioning or halfway through notifying, then run
again, ends with the same archive and the same delivered alerts as a run that was never interrupted.

The kill comes from the process itself at a named failpoint (policywatch/failpoints.py), so it lands at
exactly the same place every time.
"""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.e2e.conftest import Workspace, make_workspace
from tests.e2e.state import ArchiveState, archive_state
from tests.receivers import HTTPReceiver
from tests.site.server import TestSite

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def recovery_site() -> Iterator[TestSite]:
    with TestSite() as site:
        yield site


def without_detection_time(body: bytes) -> str:
    """An alert's title and text, less the line saying when it was detected (it differs between runs)."""
    alert = json.loads(body)
    lines = [line for line in alert["message"].splitlines() if "检测时间" not in line]
    return alert["title"] + "\n" + "\n".join(lines)


def alerted(
    prefect_api: str, site: TestSite, root: Path, failpoint: str | None
) -> tuple[ArchiveState, list[str]]:
    """Archive state and delivered alerts after step 1, killed at ``failpoint`` and re-run."""
    with HTTPReceiver() as webhook:
        workspace = make_workspace(root, None, prefect_api, site)
        workspace.subscriptions = root / "subscriptions.yaml"
        workspace.subscriptions.write_text(
            yaml.safe_dump({"subscriptions": [{"name": "everything", "urls": [webhook.url("json")]}]}),
            encoding="utf-8",
        )
        if failpoint:
            killed = workspace.run(failpoints=failpoint, check=False)
            assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
        workspace.run()
        return archive_state(workspace.database_url), [
            without_detection_time(r.body) for r in webhook.delivered
        ]


@pytest.fixture(scope="module")
def uninterrupted(
    tmp_path_factory: pytest.TempPathFactory, prefect_api: str, recovery_site: TestSite
) -> tuple[ArchiveState, list[str]]:
    return alerted(prefect_api, recovery_site, tmp_path_factory.mktemp("uninterrupted"), None)


@pytest.mark.parametrize("failpoint", ["after-crawl", "after-version", "during-notify:3"])
def test_killed_run_then_rerun_equals_uninterrupted_run(
    uninterrupted: tuple[ArchiveState, list[str]],
    prefect_api: str,
    recovery_site: TestSite,
    tmp_path: Path,
    failpoint: str,
) -> None:
    state, bodies = alerted(prefect_api, recovery_site, tmp_path, failpoint)
    expected_state, expected_bodies = uninterrupted
    assert state == expected_state
    assert len(bodies) == len(set(bodies)), "an alert was delivered twice"
    assert sorted(bodies) == sorted(expected_bodies)


def test_during_notify_kill_really_interrupts_delivery(
    prefect_api: str, recovery_site: TestSite, tmp_path: Path
) -> None:
    with HTTPReceiver() as webhook:
        workspace: Workspace = make_workspace(tmp_path, None, prefect_api, recovery_site)
        workspace.subscriptions = tmp_path / "subscriptions.yaml"
        workspace.subscriptions.write_text(
            yaml.safe_dump({"subscriptions": [{"name": "everything", "urls": [webhook.url("json")]}]}),
            encoding="utf-8",
        )
        workspace.run(failpoints="during-notify:3", check=False)
        assert len(webhook.delivered) == 3
