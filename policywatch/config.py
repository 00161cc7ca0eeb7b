"""Where policywatch keeps its data: one data directory and one database URL, from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str

    @property
    def snapshots_dir(self) -> Path:
        return self.data_dir / "snapshots"

    @property
    def runs_dir(self) -> Path:
        return self.data_dir / "runs"


def load_settings() -> Settings:
    data_dir = Path(os.environ.get("POLICYWATCH_DATA_DIR") or "data").resolve()
    default_db = f"sqlite:///{data_dir / 'policywatch.sqlite3'}"
    return Settings(data_dir=data_dir, database_url=os.environ.get("POLICYWATCH_DATABASE_URL") or default_db)
