"""What operators get without a Prefect server: the deployments as declared, the run's artifact rows and
Markdown, and which sources a scheduled run crawls or skips."""

from __future__ import annotations

import inspect
from datetime import UTC, datetime

import pytest
import yaml

import flows.run
from crawlers.registry import load_registry
from flows.report import artifact_key, health_rows, local_time, run_markdown, source_rows
from storage.health import SourceHealth
from tests.conftest import REPO

CONFIG = yaml.safe_load((REPO / "prefect.yaml").read_text(encoding="utf-8"))
DEPLOYMENTS = {deployment["name"]: deployment for deployment in CONFIG["deployments"]}


def crons(name: str) -> list[tuple[str, str]]:
    return [(schedule["cron"], schedule["timezone"]) for schedule in DEPLOYMENTS[name]["schedules"]]


def test_every_deployment_calls_an_existing_flow_with_parameters_it_takes() -> None:
    for name, deployment in DEPLOYMENTS.items():
        path, _, attribute = deployment["entrypoint"].partition(":")
        assert path == "flows/run.py", name
        flow = getattr(flows.run, attribute)
        assert set(deployment["parameters"]) <= set(inspect.signature(flow.fn).parameters), name
        assert deployment["work_pool"]["name"] == "policywatch"
        assert all(timezone == "Asia/Shanghai" for _, timezone in crons(name))


def test_schedules_of_the_issue_staggered_through_the_hour() -> None:
    assert crons("platform") == [("*/30 * * * *", "Asia/Shanghai")]
    assert crons("daily") == [("0 8 * * *", "Asia/Shanghai")]
    assert crons("digests") == [("0 9 * * *", "Asia/Shanghai")]  # the default digest time (schedule.py)
    hourly = [
        "municipal-columns",
        "district-pudong",
        "district-putuo",
        "district-minhang",
        "district-huangpu",
    ]
    minutes = [crons(name)[0][0].split()[0] for name in [*hourly, "health-check"]]
    assert all(crons(name)[0][0].endswith(" * * * *") for name in hourly)
    assert len(set(minutes)) == len(minutes) and "0" not in minutes and "30" not in minutes


def test_crawl_deployments_name_real_sources_and_skip_disabled_ones() -> None:
    registry = load_registry()
    crawled = [d for d in DEPLOYMENTS.values() if d["entrypoint"].endswith(":policywatch_run")]
    assert {source for d in crawled for source in d["parameters"]["only"]} == {
        "sh-platform", "sh-gov", "sh-fgw", "pudong", "putuo", "minhang", "huangpu",
    }  # fmt: skip
    for deployment in crawled:
        assert deployment["parameters"]["skip_disabled"] is True
        assert all(registry.get(source).spider for source in deployment["parameters"]["only"])


def test_a_scheduled_run_skips_disabled_sources_a_manual_one_does_not(tmp_path) -> None:  # type: ignore[no-untyped-def]
    registry = load_registry()
    chosen, skipped = flows.run.sources_to_crawl(registry, ["sh-gov", "sh-fgw"], skip_disabled=True)
    assert (chosen, skipped) == ([], ["sh-gov", "sh-fgw"])
    chosen, skipped = flows.run.sources_to_crawl(registry, ["sh-gov"], skip_disabled=False)
    assert ([s.id for s in chosen], skipped) == (["sh-gov"], [])

    user = tmp_path / "sources.yaml"
    user.write_text("sources:\n  - {id: putuo, enabled: true}\n", encoding="utf-8")
    chosen, skipped = flows.run.sources_to_crawl(load_registry(user), ["putuo"], skip_disabled=True)
    assert ([s.id for s in chosen], skipped) == (["putuo"], [])


def test_unfilled_deploy_time_variable_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="set POLICYWATCH_SOURCES"):
        flows.run._optional_file("{{ $POLICYWATCH_SOURCES }}", "POLICYWATCH_SOURCES")
    assert flows.run._optional_file("", "POLICYWATCH_SOURCES") is None


def test_artifact_keys_are_what_prefect_accepts() -> None:
    assert artifact_key("policywatch-run", "sh-platform") == "policywatch-run-sh-platform"
    assert (
        artifact_key("policywatch-run", "沪府规〔2024〕3号 All_Sources")
        == "policywatch-run-2024-3-all-sources"
    )


SUMMARY = {
    "run_id": "20261123T103000Z-abc123",
    "sources": [
        {
            "source_id": "sh-platform",
            "status": "partial",
            "requests": 16,
            "items": 7,
            "new": 1,
            "amended": 1,
            "other_changes": 2,
            "technical_upgrades": 0,
            "faults": [{"kind": "challenge", "detail": "HTTP 412 | Ruishu", "url": "http://x/d?id=1"}],
            "duration_s": 4.25,
        }
    ],
    "skipped": ["sh-gov"],
    "routed": 3,
    "delivery": {
        "sent": 2,
        "retrying": 1,
        "failed": 0,
        "uncertain": 0,
        "errors": [
            {"outbox_id": 9, "subscription": "team", "change_id": 4, "error": "json://****: HTTP 500"}
        ],
    },
    "health": {
        "opened": ["sh-platform blocked: challenge: HTTP 412 | Ruishu (http://x/d?id=1)"],
        "cleared": [],
        "open": ["sh-platform blocked: challenge: HTTP 412 | Ruishu (http://x/d?id=1)"],
        "routed": 1,
        "sent": 1,
        "retrying": 0,
        "failed": 0,
        "errors": [],
    },
}


def test_table_rows_per_source_crawled_and_skipped() -> None:
    crawled, skipped = source_rows(SUMMARY)
    assert crawled == {
        "source": "sh-platform",
        "status": "partial",
        "requests": 16,
        "items": 7,
        "new": 1,
        "amended": 1,
        "life-cycle changes": 2,
        "errors": 1,
        "duration s": 4.2,
    }
    assert (skipped["source"], skipped["status"], skipped["requests"]) == ("sh-gov", "skipped (disabled)", 0)


def test_markdown_summary_shows_faults_alerts_and_health() -> None:
    text = run_markdown(SUMMARY, "policywatch run sh-platform 2026-11-23 18:30 +08:00")
    assert text.startswith("# policywatch run sh-platform 2026-11-23 18:30 +08:00\n")
    assert "| sh-platform | partial | 16 | 7 | 1 | 1 | 2 | 1 | 4.2 |" in text
    assert (
        "**sh-platform** challenge: HTTP 412 \\| Ruishu (http://x/d?id=1)" in text
    )  # a pipe cannot cut the table
    assert "sh-gov" in text.split("## Skipped")[1]
    assert "3 alert(s) routed; 2 sent, 1 to retry" in text and "outbox #9 → team" in text
    assert "- Started: sh-platform blocked" in text and "Still open" not in text
    assert "1 routed, 1 sent" in text


def test_health_rows_in_shanghai_time() -> None:
    moment = datetime(2026, 11, 23, 10, 30, tzinfo=UTC)
    assert local_time(moment) == "2026-11-23 18:30 +08:00"
    health = SourceHealth(
        "putuo", "普陀区人民政府", True, "layout-changed", 2, moment, None, "partial", "layout: x",
        since=moment, last_new_at=moment, stale=True,
    )  # fmt: skip
    never = SourceHealth("jingan", "静安区人民政府", False, "never-run", 0, None, None, None, "")
    (row,) = health_rows([health, never])
    assert row == {
        "source": "putuo",
        "state": "layout-changed + stale",
        "since": "2026-11-23 18:30 +08:00",
        "last ok run": "",
        "failing in a row": 2,
        "last new document": "2026-11-23 18:30 +08:00",
        "evidence": "layout: x",
    }
