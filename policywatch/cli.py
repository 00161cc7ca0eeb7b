"""The ``policywatch`` command: the CLI boundary where typed errors become clear messages.

Exit codes: 0 ran (even when a source failed: that is recorded and reported), 1 a query found nothing,
2 a usage or configuration error (bad sources or subscriptions file, unknown source).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from crawlers.registry import load_registry
from detect.diff import diff_texts
from flows.report import health_rows, local_time
from notifiers.subscriptions import load_subscriptions
from policywatch.cli_common import (
    archive_session,
    console,
    document_json,
    fail,
    prefect_defaults,
    user_errors,
)
from policywatch.cli_lifecycle import lifecycle, validity
from policywatch.cli_notify import register as register_notify_commands
from policywatch.cli_serve import register as register_serve_command
from policywatch.config import load_settings
from storage.db import make_engine
from storage.health import open_alerts, source_health
from storage.migrate import upgrade
from storage.models import Change, Document
from storage.queries import (
    changes_of,
    find_document,
    list_changes,
    listing_summaries,
    version_at,
    version_by_seq,
    versions_of,
)
from storage.snapshots import SnapshotStore

app = typer.Typer(
    help="policywatch: watch Shanghai government policy documents and alert teams when they change.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
SourcesOption = Annotated[
    Path | None, typer.Option("--sources", help="YAML file merged over the built-in source registry by id.")
]


@app.command()
def run(
    sources: SourcesOption = None,
    subscriptions: Annotated[
        Path | None, typer.Option("--subscriptions", help="YAML file of subscriptions to alert.")
    ] = None,
    only: Annotated[
        list[str] | None, typer.Option("--only", help="Crawl only this source id (repeatable).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the run summary as JSON.")] = False,
    full: Annotated[
        bool,
        typer.Option(
            "--full",
            help="Walk every list to its end now (default: only when the source's full_walk_every is due; "
            "in between, list walks stop at already archived documents).",
        ),
    ] = False,
) -> None:
    """Run one pass of crawl -> normalise -> version -> detect -> notify as a Prefect flow."""
    with user_errors():
        registry = load_registry(sources)
        chosen = registry.enabled(only)
        if subscriptions:
            load_subscriptions(subscriptions)  # refuse a bad file before anything is crawled
    if not chosen:
        raise fail("no enabled source with a spider; enable one in a --sources file or use --only", 2)
    prefect_defaults()
    from flows.run import policywatch_run  # imports Prefect: only when a run is asked for

    with console.status(f"Crawling {', '.join(s.id for s in chosen)} …", spinner="dots"):
        summary = policywatch_run(
            sources_file=str(sources) if sources else None,
            subscriptions_file=str(subscriptions) if subscriptions else None,
            only=only,
            only_label="-".join(only) if only else "all",
            full=full,
        )
    if as_json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
        return
    table = Table(title=f"policywatch run {summary['run_id']}")
    for column in ("source", "status", "requests", "items", "new", "amended", "faults", "seconds"):
        table.add_column(column, justify="left" if column in ("source", "status") else "right")
    for report in summary["sources"]:
        style = {"ok": "green", "partial": "yellow"}.get(report["status"], "red")
        table.add_row(
            report["source_id"],
            Text(report["status"], style=style),
            str(report["requests"]),
            str(report["items"]),
            str(report["new"]),
            str(report["amended"]),
            str(len(report["faults"])),
            f"{report['duration_s']:.1f}",
        )
    console.print(table)
    for report in summary["sources"]:
        for fault in report["faults"][:10]:
            console.print(
                f"  [yellow]{report['source_id']}[/] {fault['kind']}: {fault['detail']} ({fault['url']})",
                highlight=False,
                markup=True,
            )
    delivery = summary["delivery"]
    console.print(
        f"alerts: {summary['routed']} routed, {delivery.get('sent', 0)} sent, "
        f"{delivery.get('retrying', 0)} to retry, {delivery.get('failed', 0)} failed"
    )
    if summary.get("skipped"):
        console.print(f"skipped (disabled in the registry): {', '.join(summary['skipped'])}")
    health = summary.get("health") or {}
    for label, key, style in (("started", "opened", "red"), ("cleared", "cleared", "green")):
        for line in health.get(key, []):
            console.print(f"[{style}]health alert {label}[/] {escape(line)}", highlight=False)


def _parse_when(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise fail(
            f"{value!r} is not an ISO date or datetime (e.g. 2026-03-01 or 2026-03-01T09:00+08:00)", 2
        ) from None
    if isinstance(parsed, datetime) and len(value) <= 10:
        parsed = datetime.combine(date.fromisoformat(value), time.max)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _change_json(change: Change, document: Document) -> dict[str, Any]:
    return {
        "id": change.id,
        "kind": change.kind,
        "detected_at": change.detected_at.isoformat(),
        "summary": change.summary,
        "document": document_json(document),
        "evidence": change.evidence,
        "clauses": [
            {key: clause.get(key) for key in ("path", "op", "before", "after")}
            for clause in (change.diff or {}).get("changes", [])
        ],
    }


@app.command()
def changes(
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array.")] = False,
    since: Annotated[
        str | None, typer.Option("--since", help="Only changes detected at or after this ISO time.")
    ] = None,
    kind: Annotated[
        list[str] | None, typer.Option("--kind", help="Only this change kind (repeatable).")
    ] = None,
    limit: Annotated[int | None, typer.Option("--limit", help="At most this many changes.")] = None,
) -> None:
    """List detected changes, oldest first."""
    when = _parse_when(since) if since else None
    with user_errors(), archive_session() as session:
        rows = list_changes(session, since=when, kinds=kind, limit=limit)
        if as_json:
            print(json.dumps([_change_json(c, d) for c, d in rows], ensure_ascii=False, indent=2))
            return
        table = Table(title="changes")
        for column in ("id", "detected", "kind", "doc", "文号", "title / summary"):
            table.add_column(column)
        for change, document in rows:
            table.add_row(
                str(change.id),
                change.detected_at.strftime("%Y-%m-%d %H:%M"),
                change.kind,
                str(document.id),
                document.doc_number or "",
                f"{document.title}\n[dim]{change.summary}[/]",
            )
        console.print(table)


@app.command()
def history(
    doc: Annotated[str, typer.Argument(help="Archive id, siteId::businessId, or 文号.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The versions of one document and the changes between them."""
    with user_errors(), archive_session() as session:
        document = find_document(session, doc)
        assert document.id is not None
        versions = versions_of(session, document.id)
        listings = listing_summaries(session, document)
        by_version: dict[int | None, list[Change]] = {}
        for change in changes_of(session, document.id):
            by_version.setdefault(change.to_version_id, []).append(change)
        entries = [
            {
                "version": v.seq,
                "first_seen": v.first_seen.isoformat(),
                "last_seen": v.last_seen.isoformat(),
                "content_hash": v.content_hash,
                "normaliser_version": v.normaliser_version,
                "technical_upgrade": v.technical_upgrade,
                "snapshot_ids": v.snapshot_ids,
                "listing_id": v.listing_id,
                "changes": [
                    {"id": c.id, "kind": c.kind, "summary": c.summary, "evidence": c.evidence}
                    for c in by_version.get(v.id, [])
                ],
            }
            for v in versions
        ]
        if as_json:
            print(
                json.dumps(
                    {"document": document_json(document), "listings": listings, "versions": entries},
                    ensure_ascii=False,
                    indent=2,
                )
            )
            return
        console.print(
            f"[bold]{document.title}[/]  {document.doc_number or ''}\n{document.url}", highlight=False
        )
        _print_listings(listings)
        table = Table()
        for column in ("version", "first seen", "last seen", "changes"):
            table.add_column(column)
        for entry in entries:
            label = "\n".join(f"{c['kind']}: {c['summary']}" for c in entry["changes"]) or (
                "technical upgrade (newer normaliser)" if entry["technical_upgrade"] else ""
            )
            table.add_row(str(entry["version"]), entry["first_seen"][:19], entry["last_seen"][:19], label)
        console.print(table)


def _print_listings(listings: list[dict[str, Any]]) -> None:
    """Where a document is listed, one line per source (or column); URLs unbroken, to be copied."""
    texts = {"same": "", "variant": "its own text of the current version", "behind": "serves an older text"}
    console.print(f"[bold]listed by {len(listings)}[/]", highlight=False)
    for listing in listings:
        state = "listed" if listing["listed"] else f"gone since {listing['gone_at'][:10]}"
        state += f", {texts[listing['text']]}" if texts[listing["text"]] else ""
        seen = f"first seen {listing['first_seen'][:19]}, last seen {listing['last_seen'][:19]}"
        line = f"  {listing['source']}  {escape(listing['url'])}  {seen}  ({state})"
        console.print(line, highlight=False, soft_wrap=True)


@app.command()
def show(
    doc: Annotated[str, typer.Argument(help="Archive id, siteId::businessId, or 文号.")],
    at: Annotated[
        str | None, typer.Option("--at", help="Show the text as it was on this date (ISO).")
    ] = None,
    version: Annotated[int | None, typer.Option("--version", help="Show this version number.")] = None,
    listings: Annotated[
        bool, typer.Option("--listings", help="Show where it is listed (sources, URLs) instead of the text.")
    ] = False,
) -> None:
    """Print a document's canonical text (the latest, as of a date, or a given version)."""
    with user_errors(), archive_session() as session:
        document = find_document(session, doc)
        assert document.id is not None
        if listings:
            _print_listings(listing_summaries(session, document))
            return
        if version is not None:
            chosen = version_by_seq(session, document.id, version)
        else:
            chosen = version_at(session, document.id, _parse_when(at) if at else datetime.now(UTC))
        if chosen is None:
            raise fail(
                f"document {document.id} has no version {'at ' + at if at else version}; "
                f"`policywatch history {document.id}` lists its versions",
                1,
            )
        print(chosen.text)


@app.command()
def diff(
    doc: Annotated[str, typer.Argument(help="Archive id, siteId::businessId, or 文号.")],
    from_version: Annotated[
        int | None, typer.Option("--from", help="Older version number (default: previous).")
    ] = None,
    to_version: Annotated[
        int | None, typer.Option("--to", help="Newer version number (default: latest).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the clause changes as JSON.")] = False,
) -> None:
    """Clause-by-clause differences between two versions of a document."""
    with user_errors(), archive_session() as session:
        document = find_document(session, doc)
        assert document.id is not None
        versions = {v.seq: v for v in versions_of(session, document.id)}
        newest = max(versions, default=0)
        to_seq = to_version or newest
        from_seq = from_version or to_seq - 1
        if from_seq not in versions or to_seq not in versions:
            raise fail(
                f"document {document.id} has versions {sorted(versions)}; choose --from/--to among them", 1
            )
        result = diff_texts(versions[from_seq].text, versions[to_seq].text)
        if as_json:
            print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
            return
        console.print(f"[bold]{document.title}[/]  v{from_seq} → v{to_seq}", highlight=False)
        if result.is_empty:
            console.print("no differences in the text")
        for clause in result.changes:
            line = Text(f"{clause.path} ({clause.op}): ", style="bold")
            if clause.fragments:
                for op, fragment in clause.fragments:
                    line.append(fragment, style={-1: "red strike", 1: "green underline"}.get(op, ""))
            else:
                if clause.before:
                    line.append(clause.before, style="red strike")
                if clause.after:
                    line.append(clause.after, style="green underline")
            console.print(line)


@app.command()
def status(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Per-source health (ok, failing, blocked, layout-changed; stale) with the evidence, and the health
    alerts operators were sent that are still open."""
    with user_errors(), archive_session() as session:
        report = source_health(session)
        alerts = open_alerts(session)
    rows = health_rows(report)
    if as_json:
        shown = {row["source"] for row in rows}
        entries = [
            {
                **asdict(health),
                "stale_after": health.stale_after.total_seconds() / 86400 if health.stale_after else None,
            }
            for health in report
            if health.source_id in shown
        ]
        opened = [
            {"subject": a.subject, "condition": a.condition, "opened_at": a.opened_at, "evidence": a.evidence}
            for a in alerts
        ]
        print(
            json.dumps({"sources": entries, "open_alerts": opened}, ensure_ascii=False, indent=2, default=str)
        )
        return
    table = Table(title="source health (times in Shanghai)")
    for column in rows[0] if rows else ("source", "state"):
        table.add_column(column, justify="right" if column == "failing in a row" else "left")
    styles = {"ok": "green", "never-run": "dim", "blocked": "magenta", "layout-changed": "yellow"}
    for row in rows:
        state = row["state"].split(" ")[0]
        cells = [str(value) for value in row.values()]
        table.add_row(cells[0], Text(cells[1], style=styles.get(state, "red")), *cells[2:])
    console.print(table)
    for alert in alerts:
        console.print(
            f"[red]open alert[/] {alert.subject} {alert.condition} since {local_time(alert.opened_at)}: "
            f"{escape(alert.evidence)}",
            highlight=False,
            markup=True,
        )


@app.command()
def renormalise(sources_file: SourcesOption = None) -> None:
    """Re-derive documents made by an older normaliser from their raw snapshots (technical upgrades)."""
    from flows.stages import renormalise_archive

    settings = load_settings()
    with user_errors():
        registry = load_registry(sources_file)
        engine = make_engine(settings.database_url)
        upgrade(engine)
        with console.status("Re-normalising from raw snapshots …"):
            report = renormalise_archive(engine, registry, SnapshotStore(settings.snapshots_dir))
    console.print(
        f"{report.checked} document(s) made by an older normaliser; {report.upgraded} technical upgrade(s) "
        f"recorded (no alerts); {report.unavailable} without usable raw snapshots"
    )


@app.command()
def sources(source_file: SourcesOption = None) -> None:
    """List the source registry (built-in, merged with --sources)."""
    with user_errors():
        registry = load_registry(source_file)
    table = Table(title="sources")
    for column in ("id", "name", "level", "district", "spider", "enabled", "base_url"):
        table.add_column(column)
    for source in registry.sources:
        table.add_row(
            source.id,
            source.name,
            source.level,
            source.district or "",
            source.spider or "—",
            "yes" if source.enabled and source.spider else "no",
            source.base_url,
        )
    console.print(table)


# Commands that live in their own modules, listed after the ones above in `--help`.
app.command()(lifecycle)
app.command()(validity)
register_notify_commands(app)
register_serve_command(app)
