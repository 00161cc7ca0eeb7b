"""``policywatch serve``: the analysts' read-only web explorer (explorer/), served by uvicorn.

``register(app)`` adds it to the main command (policywatch/cli.py). Exit codes: 0 stopped, 2 it cannot
start (no archive yet, the port is taken, the database is unusable).
"""

from __future__ import annotations

import errno
import os
import socket
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from sqlalchemy.exc import OperationalError

from explorer.app import create_app
from policywatch.cli_common import console, database_error, errors, fail
from policywatch.config import Settings, load_settings
from storage.db import make_engine, session_scope
from storage.migrate import upgrade
from storage.search import refresh_search_index


def register(app: typer.Typer) -> None:
    """Adds ``serve`` to the main command."""
    app.command()(serve)


def serve(
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on (keep 127.0.0.1 unless behind a proxy).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.", min=1, max=65535)] = 8000,
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url", help="Archive database (default: POLICYWATCH_DATABASE_URL or the data dir's)."
        ),
    ] = None,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir", help="Data directory with the raw snapshots (default: POLICYWATCH_DATA_DIR)."
        ),
    ] = None,
) -> None:
    """Browse, search and export the archive in a web browser (read-only)."""
    settings = _settings(database_url, data_dir)
    _check_archive(settings)
    _check_port(host, port)
    _refresh_index(settings.database_url)
    application = create_app(settings.database_url, settings.snapshots_dir)
    shown = f"[{host}]" if ":" in host else host
    console.print(
        f"policywatch explorer: http://{shown}:{port}/  (read-only; Ctrl+C stops it)", highlight=False
    )
    uvicorn.run(application, host=host, port=port, log_level="warning")


def _settings(database_url: str | None, data_dir: Path | None) -> Settings:
    """The options over the environment; a --data-dir holds the SQLite archive unless a URL is given."""
    settings = load_settings()
    if data_dir is not None:
        data_dir = data_dir.resolve()
        url = os.environ.get("POLICYWATCH_DATABASE_URL") or f"sqlite:///{data_dir / 'policywatch.sqlite3'}"
        settings = Settings(data_dir=data_dir, database_url=url)
    if database_url:
        settings = Settings(data_dir=settings.data_dir, database_url=database_url)
    return settings


def _check_archive(settings: Settings) -> None:
    url = settings.database_url
    if url.startswith("sqlite"):
        path = Path(url.split("///", 1)[-1])
        if not path.is_file():
            raise fail(
                f"no archive at {path} yet: run `policywatch run` first (or pass --data-dir/--database-url)",
                2,
            )


def _refresh_index(url: str) -> None:
    """Brings the schema and the search index up to date before serving read-only."""
    engine = make_engine(url)
    try:
        upgrade(engine)
        with session_scope(engine) as session:
            indexed = refresh_search_index(session)
    except OperationalError as exc:
        reason = str(exc.orig).lower()
        if "readonly" not in reason.replace(" ", "") and "locked" not in reason:
            raise database_error(exc) from None
        # Still worth serving: searches miss at most what was archived since the index was last refreshed.
        errors.print(f"warning: search index not refreshed ({exc.orig}); serving the archive as indexed")
        return
    finally:
        engine.dispose()
    if indexed:
        console.print(f"search index: {indexed} document(s) indexed", highlight=False)


def _check_port(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise fail(
                    f"port {port} on {host} is in use: stop what uses it or choose another with --port", 2
                ) from None
            raise fail(f"cannot listen on {host}:{port} ({exc.strerror}): check --host", 2) from None
