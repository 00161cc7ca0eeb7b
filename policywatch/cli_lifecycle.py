"""Life-cycle commands: the validity check, and what the archive knows of one document's validity.

policywatch/cli.py registers them; errors and exit codes as in policywatch/cli_common.py.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from detect.lifecycle import DEFAULT_EXPIRING_DAYS
from notifiers.subscriptions import load_subscriptions
from policywatch.cli_common import (
    archive_session,
    console,
    document_json,
    fail,
    prefect_defaults,
    user_errors,
)
from storage.models import Document, Relation
from storage.queries import find_document, relations_from, relations_to


def lifecycle(
    today: Annotated[
        str | None,
        typer.Option("--today", help="Check as of this date (YYYY-MM-DD); default: today in Shanghai."),
    ] = None,
    days: Annotated[
        int, typer.Option("--days", min=0, help="Report documents whose validity ends within N days.")
    ] = DEFAULT_EXPIRING_DAYS,
    subscriptions: Annotated[
        Path | None, typer.Option("--subscriptions", help="YAML file of subscriptions to alert.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the check's summary as JSON.")] = False,
) -> None:
    """Report expiring and expired documents and alert subscribers, as the Prefect flow policywatch-lifecycle.

    Each document is reported once per end of validity (and threshold): running it again changes nothing.
    """
    if today is not None:
        try:
            date.fromisoformat(today)
        except ValueError:
            raise fail(f"--today {today!r} is not a date: give YYYY-MM-DD, e.g. 2026-12-11", 2) from None
    with user_errors():
        if subscriptions:
            load_subscriptions(subscriptions)  # refuse a bad file before anything is written
    prefect_defaults()
    from flows.run import policywatch_lifecycle  # imports Prefect: only when a check is asked for

    with console.status("Checking validity …", spinner="dots"):
        summary = policywatch_lifecycle(
            subscriptions_file=str(subscriptions) if subscriptions else None, today=today, days=days
        )
    if as_json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
        return
    table = Table(title=f"validity as of {summary['today']} ({summary['days']} days ahead)")
    for column in ("change", "kind", "doc", "summary"):
        table.add_column(column)
    for change in summary["changes"]:
        table.add_row(str(change["id"]), change["kind"], str(change["document_id"]), change["summary"])
    console.print(table)
    delivery = summary["delivery"]
    console.print(
        f"alerts: {summary['routed']} routed, {delivery.get('sent', 0)} sent, "
        f"{delivery.get('retrying', 0)} to retry, {delivery.get('failed', 0)} failed"
    )


def validity(
    doc: Annotated[str, typer.Argument(help="Archive id, siteId::businessId, or 文号.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """A document's validity and its evidence, its relations to other documents, and any pending review.

    Validity: effective from and until, trial, status (有效/失效/废止/已修改), each with the platform flag,
    sentence or notice that proves it. Pending review: a document it cites or implements has changed.
    """
    with user_errors(), archive_session() as session:
        document = find_document(session, doc)
        assert document.id is not None
        outgoing = [_relation_json(r, target) for r, target in relations_from(session, document.id)]
        incoming = [_relation_json(r, source) for r, source in relations_to(session, document.id)]
        report = _validity_json(document, outgoing, incoming)
    if as_json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return
    console.print(f"[bold]{document.title}[/]  {document.doc_number or ''}", highlight=False)
    facts = Table(show_header=True)
    for column in ("fact", "value", "evidence"):
        facts.add_column(column)
    for name in ("valid_from", "valid_until", "trial", "status"):
        proof = report["evidence"].get(name) or {}
        source = proof.get("doc_number") or proof.get("source") or ""
        facts.add_row(name, str(report[name]), f"{source}: {proof.get('quote', '')}" if proof else "")
    console.print(facts)
    if report["pending_review"]:
        console.print("[yellow]pending review[/]: a document it cites or implements has changed")
    for title, rows in (("says about others", outgoing), ("others say about it", incoming)):
        relations = Table(title=title)
        for column in ("kind", "document", "quote"):
            relations.add_column(column)
        for row in rows:
            other = row["document"]
            name = f"{other['id']} {other['doc_number'] or other['title']}" if other else row["target"]
            relations.add_row(row["kind"], name, row["quote"])
        console.print(relations)


def _validity_json(
    document: Document, outgoing: list[dict[str, Any]], incoming: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "document": document_json(document),
        "valid_from": document.valid_from.isoformat() if document.valid_from else None,
        "valid_until": document.valid_until.isoformat() if document.valid_until else None,
        "trial": document.trial,
        "status": document.validity_status,
        "evidence": document.validity_evidence or {},
        "pending_review": document.pending_review,
        "missed_runs": document.missed_runs,
        "relations": outgoing,
        "referenced_by": incoming,
    }


def _relation_json(relation: Relation, other: Document | None) -> dict[str, Any]:
    return {
        "kind": relation.kind,
        "target": relation.target_key,
        "document": document_json(other) if other else None,
        "quote": relation.quote,
        "valid_until": relation.valid_until.isoformat() if relation.valid_until else None,
    }
