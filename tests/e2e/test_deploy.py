"""`prefect deploy --all` registers the scheduled deployment of prefect.yaml on a real Prefect server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.e2e


def prefect(*args: str, api: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PREFECT_API_URL": api,
        "POLICYWATCH_HOME": str(REPO),
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


def test_deploy_all_registers_platform_every_30_minutes_in_shanghai_time(prefect_api: str) -> None:
    prefect("work-pool", "create", "policywatch", "--type", "process", "--overwrite", api=prefect_api)
    deployed = prefect("--no-prompt", "deploy", "--all", api=prefect_api)
    assert deployed.returncode == 0, deployed.stdout[-3000:] + deployed.stderr[-3000:]

    with urllib.request.urlopen(f"{prefect_api}/deployments/name/policywatch-run/platform") as response:
        deployment = json.load(response)
    (schedule,) = deployment["schedules"]
    assert schedule["schedule"]["cron"] == "*/30 * * * *"
    assert schedule["schedule"]["timezone"] == "Asia/Shanghai"
    assert deployment["work_pool_name"] == "policywatch"
    assert deployment["parameters"]["only"] == ["sh-platform"]
    assert deployment["parameters"]["subscriptions_file"] == str(REPO / "subscriptions.example.yaml")

    listed = prefect("deployment", "ls", api=prefect_api)
    assert listed.returncode == 0 and "policywatch-run/platform" in listed.stdout
