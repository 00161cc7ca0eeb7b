"""End-to-end harness: a real Prefect server for the session, `policywatch` runs as real processes."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from tests.site.platform import documents
from tests.site.server import TestSite

POLICYWATCH = [sys.executable, "-m", "policywatch"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def prefect_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One `prefect server start` for the whole session: runs connect to it instead of each starting one."""
    home = tmp_path_factory.mktemp("prefect-home")
    port = free_port()
    env = {
        **os.environ,
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_UI_ENABLED": "false",
    }
    log = (home / "server.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    api = f"http://127.0.0.1:{port}/api"
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(f"{api}/health", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            pytest.fail(f"Prefect server did not start: {(home / 'server.log').read_text()[-2000:]}")
        time.sleep(0.5)
    yield api
    server.terminate()
    server.wait(timeout=30)
    log.close()


@pytest.fixture
def site() -> Iterator[TestSite]:
    with TestSite() as running:
        yield running


@dataclass
class Workspace:
    """One user's policywatch set-up: data dir, database, sources pointing at the test site, subscriptions."""

    root: Path
    database_url: str
    prefect_api: str
    sources: Path
    subscriptions: Path | None = None
    env_extra: dict[str, str] = field(default_factory=dict)

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    def env(self, failpoints: str | None = None) -> dict[str, str]:
        env = {
            **os.environ,
            "POLICYWATCH_DATA_DIR": str(self.data_dir),
            "POLICYWATCH_DATABASE_URL": self.database_url,
            "PREFECT_API_URL": self.prefect_api,
            **self.env_extra,
        }
        env.pop("POLICYWATCH_FAILPOINTS", None)
        if failpoints:
            env["POLICYWATCH_FAILPOINTS"] = failpoints
        return env

    def policywatch(
        self, *args: str, failpoints: str | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        completed = subprocess.run(
            [*POLICYWATCH, *args],
            env=self.env(failpoints),
            capture_output=True,
            text=True,
            timeout=600,
            cwd=self.root,
        )
        if check and completed.returncode != 0:
            raise AssertionError(
                f"policywatch {' '.join(args)} exited {completed.returncode}\n"
                f"stdout:\n{completed.stdout[-3000:]}\nstderr:\n{completed.stderr[-5000:]}"
            )
        return completed

    def run(
        self, *extra: str, failpoints: str | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        args = ["run", "--sources", str(self.sources), *extra]
        if self.subscriptions:
            args += ["--subscriptions", str(self.subscriptions)]
        return self.policywatch(*args, failpoints=failpoints, check=check)

    def clone(self, root: Path) -> Workspace:
        """A copy of this workspace's data (SQLite only), to branch several scenarios from one state."""
        shutil.copytree(self.root, root, dirs_exist_ok=True)
        assert self.database_url.startswith("sqlite:///")
        url = self.database_url.replace(str(self.root), str(root))
        sources = root / self.sources.relative_to(self.root)
        subscriptions = root / self.subscriptions.relative_to(self.root) if self.subscriptions else None
        return Workspace(root, url, self.prefect_api, sources, subscriptions, dict(self.env_extra))


def platform_sources_file(path: Path, site: TestSite) -> Path:
    """The built-in sh-platform entry pointed at the test site, fast and with small pages."""
    site_ids = sorted({doc["siteId"] for doc in documents()})
    entry = {
        "id": "sh-platform",
        "base_url": site.base_url,
        "site_ids": site_ids,
        "page_size": 2,
        "download_delay": 0,
        "download_timeout": 3,
        "retries": 1,
        "retry_backoff": 0.2,
        # The timeline's steps are seconds apart: every run walks fully, so in-place edits are read.
        "full_walk_every": 0,
    }
    path.write_text(yaml.safe_dump({"sources": [entry]}, allow_unicode=True), encoding="utf-8")
    return path


def make_workspace(root: Path, database_url: str | None, prefect_api: str, site: TestSite) -> Workspace:
    root.mkdir(parents=True, exist_ok=True)
    url = database_url or f"sqlite:///{root / 'data' / 'policywatch.sqlite3'}"
    return Workspace(root, url, prefect_api, platform_sources_file(root / "sources.yaml", site))
