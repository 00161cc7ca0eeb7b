from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from storage.db import make_engine


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    """A file SQLite archive (WAL, as in production), so separate connections really contend."""
    engine = make_engine(f"sqlite:///{tmp_path / 'archive.db'}")
    SQLModel.metadata.create_all(engine)
    yield engine
    engine.dispose()
