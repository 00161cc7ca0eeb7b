"""Shared test fixtures: an archive on SQLite and on the real PostgreSQL server, and offline Prefect."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from storage.db import make_engine
from storage.migrate import upgrade

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
POSTGRES_ADMIN_URL = os.environ.get("POLICYWATCH_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")

# Nothing in a test may reach a real host (a government site above all): every HTTP client of this
# process and of the processes it starts (scrapy crawl, policywatch run, prefect) honours these, so a
# request that is not for the loopback goes to a dead proxy and fails at once.
for _name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
    os.environ[_name] = "http://127.0.0.1:9"
for _name in ("no_proxy", "NO_PROXY"):
    os.environ[_name] = "127.0.0.1,localhost,::1"

# Offline machines: Prefect telemetry only fails; the ephemeral API may be slow to start in CI.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh schema in the `test` database, dropped afterwards (tests never share tables)."""
    schema = f"pw_{uuid.uuid4().hex[:10]}"
    admin = make_engine(POSTGRES_ADMIN_URL)
    try:
        with admin.begin() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
    except Exception as exc:  # the message says what to do; CI starts the server (.ci/ensure-postgres)
        pytest.fail(f"PostgreSQL at {POSTGRES_ADMIN_URL} is not usable ({exc}); run .ci/ensure-postgres")
    yield f"{POSTGRES_ADMIN_URL}?options=-csearch_path%3D{schema}"
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'archive.sqlite3'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()
