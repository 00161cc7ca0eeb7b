"""The deployments of prefect.yaml on a real Prefect server, run by a real `prefect worker`.

`prefect deploy --all` registers every deployment with its schedule; a process worker on the `policywatch`
pool then runs the platform deployment, triggered through the API, against the local test site; the run's
table and Markdown artifacts are read back through the API; and a site that keeps failing reaches the
operators subscription (a real webhook) as a health alert.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import REPO
from tests.e2e.conftest import Workspace, make_workspace
from tests.receivers import HTTPReceiver
from tests.site.platform import documents
from tests.site.server import TestSite

pytestmark = pytest.mark.e2e

SCHEDULES = {
    # deployment: (flow, cron)
    "platform": ("policywatch-run", "*/30 * * * *"),
    "municipal-columns": ("policywatch-run", "5 * * * *"),
    "district-pudong": ("policywatch-run", "15 * * * *"),
    "district-putuo": ("policywatch-run", "25 * * * *"),
    "district-minhang": ("policywatch-run", "35 * * * *"),
    "district-huangpu": ("policywatch-run", "45 * * * *"),
    "daily": ("policywatch-lifecycle", "0 8 * * *"),
    "digests": ("policywatch-deliver", "0 9 * * *"),
    "health-check": ("policywatch-health", "55 * * * *"),
}
FINAL_STATES = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


def prefect(*args: str, api: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PREFECT_API_URL": api,
        "POLICYWATCH_HOME": str(REPO),
        "POLICYWATCH_SOURCES": "",
        "POLICYWATCH_SUBSCRIPTIONS": str(REPO / "subscriptions.example.yaml"),
    }
    return subprocess.run(
        [sys.executable, "-m", "prefect", *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )


def api_call(api: str, path: str, body: Any = None, attempts: int = 5) -> Any:
    """One Prefect API call; a 503 (the server's SQLite busy on a loaded machine) is tried again."""
    request = urllib.request.Request(
        f"{api}{path}",
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json"},
        method="POST" if body is not None else "GET",
    )
    for attempt in range(1, attempts + 1):
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.load(response)
        except urllib.error.HTTPError as exc:
            if exc.code != 503 or attempt == attempts:
                raise
            time.sleep(attempt)


@pytest.fixture(scope="module")
def deployed(prefect_api: str) -> str:
    created = prefect(
        "work-pool", "create", "policywatch", "--type", "process", "--overwrite", api=prefect_api
    )
    assert created.returncode == 0, created.stdout[-3000:] + created.stderr[-3000:]
    deployed = prefect("--no-prompt", "deploy", "--all", api=prefect_api)
    assert deployed.returncode == 0, deployed.stdout[-3000:] + deployed.stderr[-3000:]
    return prefect_api


def test_deploy_all_registers_every_deployment_with_its_schedule_in_shanghai_time(deployed: str) -> None:
    for name, (flow, cron) in SCHEDULES.items():
        deployment = api_call(deployed, f"/deployments/name/{flow}/{name}")
        (schedule,) = deployment["schedules"]
        assert (schedule["schedule"]["cron"], schedule["schedule"]["timezone"]) == (cron, "Asia/Shanghai")
        assert schedule["active"], name
        assert deployment["work_pool_name"] == "policywatch"
        assert deployment["parameters"]["subscriptions_file"] == str(REPO / "subscriptions.example.yaml")

    platform = api_call(deployed, "/deployments/name/policywatch-run/platform")["parameters"]
    assert (platform["only"], platform["skip_disabled"], platform["sources_file"]) == (
        ["sh-platform"],
        True,
        "",
    )
    putuo = api_call(deployed, "/deployments/name/policywatch-run/district-putuo")["parameters"]
    assert (putuo["only"], putuo["only_label"], putuo["skip_disabled"]) == (["putuo"], "putuo", True)

    listed = prefect("deployment", "ls", api=deployed)
    assert listed.returncode == 0 and "policywatch-run/platform" in listed.stdout


@pytest.fixture
def worker(deployed: str, workspace: Workspace, tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`prefect worker start --pool policywatch`, with this workspace's archive and data dir."""
    env = {
        **workspace.env(),
        "PREFECT_WORKER_QUERY_SECONDS": "1",
        "PREFECT_WORKER_PREFETCH_SECONDS": "1",
        "PREFECT_RUNNER_POLL_FREQUENCY": "1",
    }
    log_path = tmp_path / "worker.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "prefect",
                "worker",
                "start",
                "--pool",
                "policywatch",
                "--type",
                "process",
            ],
            env=env,
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


@pytest.fixture
def webhook() -> Iterator[HTTPReceiver]:
    with HTTPReceiver() as receiver:
        yield receiver


@pytest.fixture
def workspace(tmp_path: Path, prefect_api: str, site: TestSite, webhook: HTTPReceiver) -> Workspace:
    workspace = make_workspace(tmp_path / "ws", None, prefect_api, site)
    workspace.subscriptions = workspace.root / "subscriptions.yaml"
    subscriptions = {"subscriptions": [{"name": "ops", "urls": [webhook.url("json")], "operators": "true"}]}
    workspace.subscriptions.write_text(yaml.safe_dump(subscriptions), encoding="utf-8")
    return workspace


def run_deployment(
    api: str,
    worker: subprocess.Popen[bytes],
    parameters: dict[str, Any],
    name: str = "policywatch-run/platform",
    timeout: float = 180,
) -> dict[str, Any]:
    """Triggers a deployment through the API and waits for the worker to finish the flow run."""
    deployment = api_call(api, f"/deployments/name/{name}")
    flow_run = api_call(api, f"/deployments/{deployment['id']}/create_flow_run", {"parameters": parameters})
    deadline = time.monotonic() + timeout
    while True:
        flow_run = api_call(api, f"/flow_runs/{flow_run['id']}")
        if flow_run["state_type"] in FINAL_STATES:
            return flow_run
        assert worker.poll() is None, "the worker exited"
        assert time.monotonic() < deadline, f"flow run still {flow_run['state_type']} after {timeout} s"
        time.sleep(0.5)


def artifacts_of(api: str, flow_run_id: str) -> dict[str, dict[str, Any]]:
    found = api_call(api, "/artifacts/filter", {"artifacts": {"flow_run_id": {"any_": [flow_run_id]}}})
    return {artifact["type"]: artifact for artifact in found}


def test_worker_runs_the_platform_deployment_publishes_artifacts_and_alerts_operators(
    deployed: str,
    worker: subprocess.Popen[bytes],
    workspace: Workspace,
    site: TestSite,
    webhook: HTTPReceiver,
    tmp_path: Path,
) -> None:
    parameters = {
        "sources_file": str(workspace.sources),
        "subscriptions_file": str(workspace.subscriptions),
        "failing_after": 2,
    }
    first = run_deployment(deployed, worker, parameters)
    assert first["state_type"] == "COMPLETED", first["state"]
    assert first["name"].startswith("sh-platform 20") and first["name"].endswith("+08:00")

    artifacts = artifacts_of(deployed, first["id"])
    table, markdown = artifacts["table"], artifacts["markdown"]
    assert table["key"] == "policywatch-run-sh-platform"
    (row,) = json.loads(table["data"])
    assert (row["source"], row["status"]) == ("sh-platform", "ok"), markdown["data"]
    assert row["requests"] > 0 and row["errors"] == 0
    assert (row["items"], row["new"], row["amended"]) == (len(documents()), len(documents()), 0)
    assert markdown["key"] == "policywatch-run-sh-platform-summary"
    assert "| sh-platform | ok |" in markdown["data"] and "No health condition." in markdown["data"]
    assert webhook.requests == []

    # The site is gone: two failed runs in a row (failing_after 2) reach the operators subscription once.
    dead = tmp_path / "dead-sources.yaml"
    dead.write_text(
        workspace.sources.read_text(encoding="utf-8").replace(site.base_url, "http://127.0.0.1:9"),
        encoding="utf-8",
    )
    for attempt in (1, 2):
        failed = run_deployment(deployed, worker, {**parameters, "sources_file": str(dead)})
        assert failed["state_type"] == "COMPLETED", failed["state"]
        assert len(webhook.delivered) == attempt - 1
    (alert,) = webhook.delivered
    assert "sh-platform" in alert.json["title"] and "连续抓取失败" in alert.json["title"]
    assert "network" in alert.json["message"]
    summary = artifacts_of(deployed, failed["id"])["markdown"]["data"]
    assert "Started: sh-platform failing" in summary and "## Faults" in summary

    # The hourly health check sees the alert still open: the status table, and no second message.
    checked = run_deployment(deployed, worker, parameters, name="policywatch-health/health-check")
    assert checked["state_type"] == "COMPLETED", checked["state"]
    health = artifacts_of(deployed, checked["id"])
    (status,) = [row for row in json.loads(health["table"]["data"]) if row["source"] == "sh-platform"]
    assert (status["state"], status["failing in a row"]) == ("failing", 2)
    assert "network" in status["evidence"] and status["last new document"].endswith("+08:00")
    assert "Still open: sh-platform failing" in health["markdown"]["data"]
    assert len(webhook.delivered) == 1
