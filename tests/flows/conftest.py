"""Fixtures of the stage tests: the built-in registry and an archive that knows its sources."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from crawlers.registry import Registry, load_registry
from storage.archive import sync_sources
from storage.db import session_scope


@pytest.fixture
def registry() -> Registry:
    return load_registry()


@pytest.fixture
def archive(engine: Engine, registry: Registry) -> Engine:
    with session_scope(engine) as session:
        sync_sources(session, registry.sources)
    return engine
