"""``policywatch subscriptions`` and ``policywatch outbox``: the command line of the notify stage.

``register(app)`` adds them to the main command (policywatch/cli.py). Exit codes as there: 0 done,
1 the test message was not delivered, 2 a usage or configuration error.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from detect.priority import PRIORITY_NAMES, priority_name
from notifiers.admin import ATTENTION, OutboxError, cancel_rows, list_rows, retry_rows
from notifiers.channels import send, services
from notifiers.render import render_test
from notifiers.schedule import SHANGHAI
from notifiers.subscriptions import Filters, Subscription, SubscriptionError, load_subscriptions, redact_text
from policywatch.cli_common import console, database_error, errors, fail
from policywatch.config import load_settings
from storage.db import make_engine
from storage.migrate import upgrade

STATUSES = ("pending", "sending", "failed", "uncertain", "sent", "cancelled")

subscriptions_app = typer.Typer(
    name="subscriptions",
    help="Check a subscriptions file and send test messages through its channels.",
    no_args_is_help=True,
)

SubscriptionsFile = Annotated[Path, typer.Option("--subscriptions", help="The subscriptions YAML file.")]


def register(app: typer.Typer) -> None:
    """Adds ``subscriptions`` and ``outbox`` to the main command."""
    app.add_typer(subscriptions_app)
    app.command()(outbox)


def _load(path: Path) -> list[Subscription]:
    try:
        return load_subscriptions(path)
    except SubscriptionError as exc:
        raise fail(str(exc), 2) from None


@subscriptions_app.command()
def check(file: Annotated[Path, typer.Argument(help="The subscriptions YAML file.")]) -> None:
    """Validate a subscriptions file without sending anything; show what each subscription gets, where."""
    subscriptions = _load(file)
    table = Table(title=f"{len(subscriptions)} subscription(s) in {file}: valid")
    for column in ("name", "channels", "filters", "mode"):
        table.add_column(column)
    for subscription in subscriptions:
        table.add_row(
            subscription.name,
            escape("\n".join(_channels(subscription))),
            escape("\n".join(_filters(subscription.filters))),
            f"{subscription.digest.describe()} digest (Asia/Shanghai)"
            if subscription.digest
            else "immediate",
        )
    console.print(table)


def _channels(subscription: Subscription) -> list[str]:
    if subscription.apprise_config is not None:
        tags = f" (tags: {', '.join(subscription.tags)})" if subscription.tags else ""
        return [f"apprise config {subscription.apprise_config}{tags}"]
    return [redact_text(url, subscription.secrets) for url in subscription.urls]


def _filters(filters: Filters) -> list[str]:
    shown = [
        ("districts", sorted(filters.districts or ())),
        ("levels", sorted(filters.levels or ())),
        ("sources", sorted(filters.sources or ())),
        ("agencies", list(filters.agencies or ())),
        ("keywords (any)", list(filters.keywords or ())),
        ("keywords (all)", list(filters.keywords_all or ())),
        ("topics", [topic.name for topic in filters.topics or ()]),
        ("kinds", sorted(filters.kinds) if filters.kinds is not None else ["all but editorial"]),
    ]
    lines = [f"{label}: {', '.join(values)}" for label, values in shown if values]
    if filters.min_priority:
        lines.append(f"priority: {PRIORITY_NAMES[filters.min_priority]} or higher")
    return lines


@subscriptions_app.command("test")
def send_test(
    name: Annotated[str, typer.Argument(help="The subscription to test.")], subscriptions: SubscriptionsFile
) -> None:
    """Send a test message to every channel of subscription NAME (exit 1 if one did not get it)."""
    found = {subscription.name: subscription for subscription in _load(subscriptions)}
    subscription = found.get(name)
    if subscription is None:
        raise fail(
            f"no subscription named '{name}' in {subscriptions}; it has: {', '.join(found) or 'none'}", 2
        )
    mode = f"{subscription.digest.describe()}摘要（北京时间）" if subscription.digest else "即时"
    message = render_test(
        name, [f"发送方式：{mode}", *(f"筛选 {line}" for line in _filters(subscription.filters))]
    )
    error = send(subscription, message)
    if error is not None:
        raise fail(f"the test message to '{name}' was not delivered: {error}", 1)
    console.print(f"test message delivered to {len(services(subscription))} channel(s) of '{name}'")


@contextmanager
def _archive() -> Iterator[Engine]:
    database_url = load_settings().database_url
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        yield engine
    except OperationalError as exc:
        raise database_error(exc) from None
    except OutboxError as exc:
        raise fail(str(exc), 2) from None
    finally:
        engine.dispose()


def outbox(
    status: Annotated[
        list[str] | None,
        typer.Option("--status", help=f"Only rows in this status (repeatable): {', '.join(STATUSES)}."),
    ] = None,
    retry: Annotated[
        list[int] | None, typer.Option("--retry", help="Send this row again, now, with fresh attempts.")
    ] = None,
    cancel: Annotated[list[int] | None, typer.Option("--cancel", help="Never send this row.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the rows as a JSON array.")] = False,
) -> None:
    """Alerts not sent yet (pending, sending, failed, uncertain); retry or cancel them by id."""
    unknown = sorted(set(status or ()) - set(STATUSES))
    if unknown:
        raise fail(f"unknown status {', '.join(unknown)}; use {', '.join(STATUSES)}", 2)
    both = sorted(set(retry or ()) & set(cancel or ()))
    if both:
        raise fail(f"row {', '.join(map(str, both))} given to both --retry and --cancel; choose one", 2)
    with _archive() as engine:
        if retry:
            retry_rows(engine, retry)
            errors.print(f"retried row(s) {', '.join(map(str, retry))}: due now", highlight=False)
        if cancel:
            cancel_rows(engine, cancel)
            errors.print(f"cancelled row(s) {', '.join(map(str, cancel))}", highlight=False)
        rows = list_rows(engine, status or ATTENTION)
    if as_json:
        print(json.dumps([row.to_dict() for row in rows], ensure_ascii=False, indent=2))
        return
    table = Table(title=f"outbox: {len(rows)} row(s) {'/'.join(status or ATTENTION)}")
    for column in (
        "id",
        "subscription",
        "status",
        "tries",
        "next attempt (北京时间)",
        "change",
        "last error",
    ):
        table.add_column(column)
    for row in rows:
        number = f"（{row.doc_number}）" if row.doc_number else ""
        table.add_row(
            str(row.id),
            row.subscription + (f"\n{row.digest_key}" if row.digest_key else ""),
            row.status,
            str(row.attempts),
            row.next_attempt_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M"),
            escape(f"{row.change_id} {row.kind} [{priority_name(row.priority)}]\n{row.title}{number}"),
            escape(row.last_error or ""),
        )
    console.print(table)
