"""What every policywatch command shares at the CLI boundary: consoles, one-line errors, the archive.

Exit codes: 0 ran (even when a source failed: that is recorded and reported), 1 a query found nothing,
2 a usage or configuration error (bad sources or subscriptions file, unknown source, unusable database).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from crawlers.registry import RegistryError
from notifiers.admin import OutboxError
from notifiers.subscriptions import SubscriptionError
from policywatch.config import load_settings
from storage.db import make_engine, session_scope
from storage.migrate import upgrade
from storage.models import Document
from storage.queries import DocumentNotFound

console = Console()
errors = Console(stderr=True, soft_wrap=True)  # one unbroken line per error, greppable in logs


def fail(message: str, code: int) -> typer.Exit:
    # Escaped: file problems quote YAML like `[a, b]`, which Rich would read as markup and drop.
    errors.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    return typer.Exit(code)


def database_error(exc: OperationalError) -> typer.Exit:
    url = load_settings().database_url
    return fail(
        f"cannot use the archive database ({exc.orig}); check POLICYWATCH_DATABASE_URL "
        f"(now {url.split('@')[-1]}) and that the server is running",
        2,
    )


@contextmanager
def user_errors() -> Iterator[None]:
    """Small typed exceptions from the library become one clear line and an exit code."""
    try:
        yield
    except (RegistryError, SubscriptionError, OutboxError) as exc:
        raise fail(str(exc), 2) from None
    except DocumentNotFound as exc:
        raise fail(str(exc), 1) from None
    except OperationalError as exc:
        raise database_error(exc) from None


@contextmanager
def archive_session() -> Iterator[Session]:
    """One transaction on the archive, migrated to the current schema first."""
    engine = make_engine(load_settings().database_url)
    upgrade(engine)
    with session_scope(engine) as session:
        yield session


def prefect_defaults() -> None:
    # Offline machines: Prefect's telemetry would only fail; its ephemeral API may need time to start.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")


def document_json(document: Document) -> dict[str, Any]:
    return {
        "id": document.id,
        "source": document.source_id,
        "title": document.title,
        "doc_number": document.doc_number,
        "url": document.url,
    }
