"""The validity check as a deployment and as a command: scheduled daily, refusing bad input up front."""

from __future__ import annotations

import inspect

import typer
import yaml
from typer.testing import CliRunner

import flows.run
from policywatch.cli_lifecycle import lifecycle
from tests.conftest import REPO


def test_prefect_yaml_runs_the_validity_check_daily_at_8_in_shanghai_on_the_policywatch_pool() -> None:
    config = yaml.safe_load((REPO / "prefect.yaml").read_text(encoding="utf-8"))
    (deployment,) = (
        d for d in config["deployments"] if d["entrypoint"] == "flows/run.py:policywatch_lifecycle"
    )
    (schedule,) = deployment["schedules"]
    assert (schedule["cron"], schedule["timezone"]) == ("0 8 * * *", "Asia/Shanghai")
    assert deployment["work_pool"]["name"] == "policywatch"
    flow = flows.run.policywatch_lifecycle
    assert flow.name == "policywatch-lifecycle"
    assert set(deployment["parameters"]) <= set(inspect.signature(flow.fn).parameters)


def test_lifecycle_refuses_a_date_that_is_not_one_before_anything_runs() -> None:
    app = typer.Typer()
    app.command()(lifecycle)

    result = CliRunner().invoke(app, ["--today", "2026-13-01"])

    assert result.exit_code == 2
    assert "is not a date" in result.output
