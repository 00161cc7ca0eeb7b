"""No secret of a subscription file appears anywhere policywatch writes: outputs, logs, Prefect's records,
the archive or the data directory.

One real `policywatch run` delivers to local receivers through token-bearing URLs (a password from the
secrets file, values from the environment, a password written in the file in clear) and fails against
one receiver, so error paths log and store too. Prefect, apprise and urllib3 log at DEBUG, to the console
and into Prefect (an ephemeral server whose database lives in the workspace). Then every byte written is
searched for every secret.
"""

from __future__ import annotations

import logging
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import prefect.logging
import pytest
import typer
import yaml
from sqlalchemy import select
from sqlmodel import SQLModel
from typer.testing import CliRunner

from policywatch.cli_notify import register
from storage.db import make_engine
from tests.e2e.conftest import POLICYWATCH, platform_sources_file
from tests.receivers import HTTPReceiver, SMTPReceiver
from tests.site.server import TestSite

pytestmark = pytest.mark.e2e

FROM_FILE = {"PW_SECRET_SMTP": "smtp-S3cret-from-file"}
FROM_ENVIRONMENT = {"PW_SECRET_JSON": "json-S3cret-from-env", "PW_SECRET_PATH": "pathT0ken0123456789abcdef"}
FAILING = {"PW_SECRET_FAIL": "fail-S3cret-from-env"}
IN_CLEAR = "Clear-S3cret-in-file"
SECRETS = [*FROM_FILE.values(), *FROM_ENVIRONMENT.values(), *FAILING.values(), IN_CLEAR]


@pytest.fixture
def receivers() -> Iterator[tuple[SMTPReceiver, HTTPReceiver, HTTPReceiver]]:
    with (
        SMTPReceiver(user="policywatch", password=FROM_FILE["PW_SECRET_SMTP"]) as smtp,
        HTTPReceiver() as working,
        HTTPReceiver() as failing,
    ):
        failing.fail_with(500)
        yield smtp, working, failing


def write_configuration(root: Path, smtp: SMTPReceiver, working: HTTPReceiver, failing: HTTPReceiver) -> Path:
    (root / "secrets.env").write_text(
        "".join(f"{name}={value}\n" for name, value in FROM_FILE.items()), encoding="utf-8"
    )
    port, bad_port = working.port, failing.port
    urls = [
        smtp.url(password="${PW_SECRET_SMTP}"),
        f"json://bot:${{PW_SECRET_JSON}}@127.0.0.1:{port}/hook",
        f"form://127.0.0.1:{port}/hook/${{PW_SECRET_PATH}}",
        f"json://bot:{IN_CLEAR}@127.0.0.1:{port}/clear",
    ]
    subscriptions = {
        "secrets_file": "secrets.env",
        "subscriptions": [
            {"name": "everything", "urls": urls},
            {"name": "broken", "urls": [f"json://bot:${{PW_SECRET_FAIL}}@127.0.0.1:{bad_port}/hook"]},
        ],
    }
    path = root / "subscriptions.yaml"
    path.write_text(yaml.safe_dump(subscriptions), encoding="utf-8")
    return path


def prefect_home(root: Path) -> Path:
    """A Prefect home whose logging config sends apprise's and urllib3's DEBUG records to the console and
    to Prefect's API (``PREFECT_LOGGING_EXTRA_LOGGERS`` adds handlers but leaves them at WARNING)."""
    config = yaml.safe_load(
        (Path(prefect.logging.__file__).parent / "logging.yml").read_text(encoding="utf-8")
    )
    for name in ("apprise", "urllib3"):
        config["loggers"][name] = {"level": "DEBUG", "handlers": ["console", "api"], "propagate": False}
    home = root / "prefect"
    home.mkdir()
    (home / "logging.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    return home


def archive_text(database_url: str) -> str:
    """Every row of every table of the archive, as text."""
    engine = make_engine(database_url)
    with engine.connect() as connection:
        rows = [
            str(row) for table in SQLModel.metadata.sorted_tables for row in connection.execute(select(table))
        ]
    engine.dispose()
    return "\n".join(rows)


def written_bytes(root: Path, configuration: set[Path]) -> dict[Path, bytes]:
    """Every file under ``root`` (data, archive, Prefect's home and database) except the configuration."""
    return {
        path: path.read_bytes() for path in root.rglob("*") if path.is_file() and path not in configuration
    }


def test_no_secret_is_written_anywhere(
    tmp_path: Path,
    receivers: tuple[SMTPReceiver, HTTPReceiver, HTTPReceiver],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    smtp, working, failing = receivers
    database_url = f"sqlite:///{tmp_path / 'data' / 'policywatch.sqlite3'}"
    subscriptions = write_configuration(tmp_path, smtp, working, failing)
    environment = {**FROM_ENVIRONMENT, **FAILING, "POLICYWATCH_DATABASE_URL": database_url}
    with TestSite() as site:
        env = {
            **{name: value for name, value in os.environ.items() if not name.startswith("PREFECT_API")},
            **environment,
            "POLICYWATCH_DATA_DIR": str(tmp_path / "data"),
            "PREFECT_HOME": str(prefect_home(tmp_path)),
            "PREFECT_LOGGING_LEVEL": "DEBUG",
        }
        sources = platform_sources_file(tmp_path / "sources.yaml", site)
        run = subprocess.run(
            [*POLICYWATCH, "run", "--sources", str(sources), "--subscriptions", str(subscriptions), "--json"],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=600,
        )
    assert run.returncode == 0, run.stderr[-3000:]
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    app = CliRunner()
    cli = typer.Typer()
    register(cli)
    with caplog.at_level(logging.DEBUG):
        commands = [
            app.invoke(cli, ["subscriptions", "check", str(subscriptions)]),
            app.invoke(cli, ["subscriptions", "test", "everything", "--subscriptions", str(subscriptions)]),
            app.invoke(cli, ["subscriptions", "test", "broken", "--subscriptions", str(subscriptions)]),
            app.invoke(cli, ["outbox", "--json"]),
        ]

    # The secrets were used: every receiver was reached through the URLs that carry them.
    assert [mail.login for mail in smtp.messages][:1] == ["policywatch"]
    assert any(request.path == f"/hook/{FROM_ENVIRONMENT['PW_SECRET_PATH']}" for request in working.delivered)
    assert failing.requests and "broken" in commands[3].stdout
    # What was written: run output, command outputs, logs, the archive, every file under the workspace.
    files = written_bytes(
        tmp_path, {subscriptions, tmp_path / "secrets.env", tmp_path / "prefect" / "logging.yml"}
    )
    prefect_database = b"".join(data for path, data in files.items() if path.name.startswith("prefect.db"))
    assert b"Sent JSON POST notification" in prefect_database, "apprise's log did not reach Prefect"
    texts = {
        "run output": run.stdout + run.stderr,
        "commands": "".join(result.stdout + result.stderr for result in commands),
        "logs": caplog.text,
        "archive": archive_text(database_url),
    }
    leaks = [
        where
        for secret in SECRETS
        for form in {secret, quote(secret, safe="")}
        for where in [
            *(name for name, text in texts.items() if form in text),
            *(str(path) for path, data in files.items() if form.encode() in data),
        ]
    ]
    assert leaks == []
