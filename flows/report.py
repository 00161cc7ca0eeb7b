"""What a run publishes for operators (Prefect table and Markdown artifacts), built as plain data so it is
testable without Prefect: a row per source and a readable summary with the faults and their evidence."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from notifiers.schedule import SHANGHAI
from storage.health import SourceHealth

MAX_FAULTS_SHOWN = 10
"""Per source in the Markdown summary; the table counts them all."""

_KEY_UNSAFE = re.compile(r"[^a-z0-9-]+")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|])")


def artifact_key(*parts: str) -> str:
    """Prefect accepts only lowercase letters, digits and dashes in artifact keys: anything else (a 文号,
    a space, an underscore) becomes a dash."""
    key = _KEY_UNSAFE.sub("-", "-".join(parts).lower()).strip("-")
    return re.sub("-{2,}", "-", key) or "policywatch"


def local_time(moment: datetime) -> str:
    """How operators in Shanghai read a time: ``2026-11-23 18:30 +08:00``."""
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M +08:00")


def source_rows(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per source crawled (or archived from an interrupted run) and per source skipped."""
    rows = [
        {
            "source": report["source_id"],
            "status": report["status"],
            "requests": report["requests"],
            "items": report["items"],
            "new": report["new"],
            "amended": report["amended"],
            "life-cycle changes": report["other_changes"],
            "errors": len(report["faults"]),
            "duration s": round(report["duration_s"], 1),
        }
        for report in summary["sources"]
    ]
    rows += [
        {
            "source": source_id,
            "status": "skipped (disabled)",
            "requests": 0,
            "items": 0,
            "new": 0,
            "amended": 0,
            "life-cycle changes": 0,
            "errors": 0,
            "duration s": 0.0,
        }
        for source_id in summary.get("skipped", [])
    ]
    return rows


def run_markdown(summary: dict[str, Any], title: str) -> str:
    """The run in a few lines: per-source figures, faults with their evidence, skipped sources, alerts
    routed and delivered, and health alerts opened, cleared and still open."""
    lines = [f"# {_escape(title)}", "", f"Run id `{summary['run_id']}`.", ""]
    rows = source_rows(summary)
    if rows:
        header = list(rows[0])
        lines += ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
        lines += ["| " + " | ".join(_escape(str(row[column])) for column in header) + " |" for row in rows]
    else:
        lines.append("No source was crawled.")
    faulty = [report for report in summary["sources"] if report["faults"]]
    if faulty:
        lines += ["", "## Faults", ""]
        for report in faulty:
            for fault in report["faults"][:MAX_FAULTS_SHOWN]:
                lines.append(
                    f"- **{_escape(report['source_id'])}** {_escape(fault['kind'])}: "
                    f"{_escape(fault['detail'])} ({_escape(fault['url'])})"
                )
            hidden = len(report["faults"]) - MAX_FAULTS_SHOWN
            if hidden > 0:
                lines.append(f"- **{_escape(report['source_id'])}** … and {hidden} more fault(s)")
    if summary.get("skipped"):
        lines += [
            "",
            "## Skipped",
            "",
            "Disabled in the source registry (selectors unconfirmed); set `enabled: true` for them in the "
            "sources file to crawl them on this schedule: " + ", ".join(summary["skipped"]) + ".",
        ]
    lines += ["", "## Alerts", "", delivery_line(summary.get("routed", 0), summary.get("delivery", {}))]
    for error in summary.get("delivery", {}).get("errors", [])[:MAX_FAULTS_SHOWN]:
        lines.append(
            f"- outbox #{error['outbox_id']} → {_escape(error['subscription'])}: {_escape(error['error'])}"
        )
    lines += ["", *health_markdown(summary.get("health") or {})]
    return "\n".join(lines) + "\n"


def delivery_line(routed: int, delivery: dict[str, Any]) -> str:
    return (
        f"{routed} alert(s) routed; {delivery.get('sent', 0)} sent, {delivery.get('retrying', 0)} to retry, "
        f"{delivery.get('failed', 0)} failed, {delivery.get('uncertain', 0)} uncertain."
    )


def health_markdown(health: dict[str, Any]) -> list[str]:
    """The ``Health`` section: alerts that started or cleared in this check, and those still open."""
    lines = ["## Health", ""]
    if not health:
        return [*lines, "Not checked."]
    for label, key in (("Started", "opened"), ("Cleared", "cleared")):
        lines += [f"- {label}: {_escape(entry)}" for entry in health.get(key, [])]
    still = [entry for entry in health.get("open", []) if entry not in health.get("opened", [])]
    lines += [f"- Still open: {_escape(entry)}" for entry in still]
    if len(lines) == 2:
        lines.append("No health condition.")
    lines.append(
        f"\nOperators notices: {health.get('routed', 0)} routed, {health.get('sent', 0)} sent, "
        f"{health.get('retrying', 0)} to retry, {health.get('failed', 0)} failed."
    )
    lines += [f"- {_escape(error)}" for error in health.get("errors", [])[:MAX_FAULTS_SHOWN]]
    return lines


def health_rows(report: Sequence[SourceHealth]) -> list[dict[str, Any]]:
    """Per source, what ``policywatch status`` shows (enabled or ever crawled sources only)."""
    return [
        {
            "source": health.source_id,
            "state": health.health + (" + stale" if health.stale else ""),
            "since": local_time(health.since) if health.since else "",
            "last ok run": local_time(health.last_ok_at) if health.last_ok_at else "",
            "failing in a row": health.failing_runs,
            "last new document": local_time(health.last_new_at) if health.last_new_at else "",
            "evidence": health.evidence,
        }
        for health in report
        if health.enabled or health.health != "never-run"
    ]


def _escape(text: str) -> str:
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text.replace("\n", " "))
