"""``policywatch serve``: it says what to do when it cannot start, and serves the archive when it can."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from typer.testing import CliRunner

from policywatch.cli import app
from tests.explorer.conftest import Archive

runner = CliRunner()


@pytest.fixture(autouse=True)
def no_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("POLICYWATCH_DATA_DIR", str(tmp_path / "empty"))
    monkeypatch.delenv("POLICYWATCH_DATABASE_URL", raising=False)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_serve_has_help() -> None:
    result = runner.invoke(app, ["serve", "--help"])
    assert result.exit_code == 0 and "--port" in result.output and "--data-dir" in result.output


def test_serve_without_an_archive_says_to_run_policywatch_run(tmp_path: Path) -> None:
    result = runner.invoke(app, ["serve", "--data-dir", str(tmp_path / "nothing")])
    assert result.exit_code == 2 and "run `policywatch run` first" in result.output
    assert not (tmp_path / "nothing").exists()  # nothing created


def test_serve_on_a_port_in_use_says_so(tmp_path: Path) -> None:
    database = tmp_path / "data" / "policywatch.sqlite3"
    database.parent.mkdir()
    database.touch()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = runner.invoke(app, ["serve", "--data-dir", str(tmp_path / "data"), "--port", str(port)])
    assert result.exit_code == 2 and f"port {port} on 127.0.0.1 is in use" in result.output


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_serve_prints_its_url_and_answers_searches(archive: Archive, tmp_path: Path) -> None:
    port = free_port()
    environment = {**os.environ, "POLICYWATCH_DATABASE_URL": archive.database_url}
    process = subprocess.Popen(
        [sys.executable, "-m", "policywatch", "serve", "--port", str(port), "--data-dir", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=environment,
    )
    try:
        assert process.stdout is not None
        first_line = process.stdout.readline()
        assert f"http://127.0.0.1:{port}/" in first_line
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/search?q=%E7%A7%9F%E9%87%91") as answer:
                    page = answer.read().decode()
                break
            except OSError:
                assert time.monotonic() < deadline, "the explorer did not answer within 30 s"
                time.sleep(0.2)
        assert 'class="hit-title"' in page and "浦东新区人才公寓租金补贴办法" in page
    finally:
        process.terminate()
        process.wait(timeout=10)
