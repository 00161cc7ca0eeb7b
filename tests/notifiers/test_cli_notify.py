"""``policywatch subscriptions`` and ``policywatch outbox`` through Typer, as registered on the main app."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import col, select
from typer.testing import CliRunner

from notifiers.outbox import route_changes
from notifiers.subscriptions import Subscription
from policywatch.cli_notify import register
from storage.db import make_engine, session_scope
from storage.migrate import upgrade
from storage.models import Outbox
from tests.notifiers.factories import store_change
from tests.receivers import HTTPReceiver

runner = CliRunner()
app = typer.Typer()
register(app)


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rich wraps tables to the terminal; wide enough that every cell stays on one line."""
    monkeypatch.setenv("COLUMNS", "250")


@pytest.fixture
def http() -> Iterator[HTTPReceiver]:
    with HTTPReceiver() as receiver:
        yield receiver


@pytest.fixture
def archive(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path / 'archive.sqlite3'}"
    monkeypatch.setenv("POLICYWATCH_DATABASE_URL", url)
    engine = make_engine(url)
    upgrade(engine)
    yield engine
    engine.dispose()


def subscriptions_file(tmp_path: Path, url: str, extra: str = "") -> Path:
    path = tmp_path / "subscriptions.yaml"
    path.write_text(f"subscriptions:\n  - name: legal\n    urls: ['{url}']\n{extra}", encoding="utf-8")
    return path


def test_check_lists_a_valid_file_with_secrets_masked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PW_TEST_HOOK_TOKEN", "t0ps3cr3tt0ken")
    path = subscriptions_file(
        tmp_path,
        "json://127.0.0.1:9/hook/${PW_TEST_HOOK_TOKEN}",
        "    filters: {levels: [municipal], topics: [集成电路]}\n    mode: daily 09:00\n",
    )

    result = runner.invoke(app, ["subscriptions", "check", str(path)])

    assert result.exit_code == 0, result.output
    assert "json://127.0.0.1:9/hook/****" in result.output and "t0ps3cr3tt0ken" not in result.output
    assert "topics: 集成电路" in result.output and "每日 09:00 digest" in result.output


def test_check_refuses_a_bad_file_with_line_and_reason(tmp_path: Path) -> None:
    path = subscriptions_file(tmp_path, "json://127.0.0.1:9/hook", "    filters:\n      keywords: []\n")

    result = runner.invoke(app, ["subscriptions", "check", str(path)])

    assert result.exit_code == 2
    assert (
        f"{path}:5: `filters.keywords` is not a non-empty list; write it as `keywords: [a, b]`"
        in result.stderr
    )


def test_test_sends_a_chinese_test_message(tmp_path: Path, http: HTTPReceiver) -> None:
    path = subscriptions_file(tmp_path, http.url("json"))

    result = runner.invoke(app, ["subscriptions", "test", "legal", "--subscriptions", str(path)])

    assert result.exit_code == 0, result.output
    (request,) = http.delivered
    assert request.json["title"] == "【policywatch 测试】订阅 legal"
    assert "发送方式：即时" in request.json["message"]


def test_test_that_is_not_delivered_exits_1_with_the_reason(tmp_path: Path, http: HTTPReceiver) -> None:
    http.fail_with(503)
    path = subscriptions_file(tmp_path, http.url("json"))

    result = runner.invoke(app, ["subscriptions", "test", "legal", "--subscriptions", str(path)])

    assert result.exit_code == 1
    assert "the test message to 'legal' was not delivered" in result.stderr and "503" in result.stderr


def test_test_of_an_unknown_subscription_is_a_usage_error(tmp_path: Path) -> None:
    path = subscriptions_file(tmp_path, "json://127.0.0.1:9/hook")

    result = runner.invoke(app, ["subscriptions", "test", "press", "--subscriptions", str(path)])

    assert (
        result.exit_code == 2
        and "no subscription named 'press'" in result.stderr
        and "it has: legal" in result.stderr
    )


def failed_row(engine: Engine) -> int:
    store_change(engine)
    with session_scope(engine) as session:
        route_changes(session, [Subscription(name="legal", urls=("json://127.0.0.1/hook",))])
        session.execute(update(Outbox).values(status="failed", attempts=12, last_error="HTTP 503"))
        row_id = session.exec(select(Outbox.id)).one()
    assert row_id is not None
    return row_id


def test_outbox_lists_failed_rows_as_json(archive: Engine) -> None:
    failed_row(archive)

    result = runner.invoke(app, ["outbox", "--status", "failed", "--json"])

    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.stdout)
    assert (row["subscription"], row["status"], row["last_error"], row["kind"]) == (
        "legal",
        "failed",
        "HTTP 503",
        "amended",
    )


def test_outbox_table_names_the_document(archive: Engine) -> None:
    failed_row(archive)

    result = runner.invoke(app, ["outbox"])

    assert result.exit_code == 0 and "长宁区关于促进人工智能产业发展的若干政策" in result.output


def test_outbox_retry_makes_the_row_pending(archive: Engine) -> None:
    row_id = failed_row(archive)

    result = runner.invoke(app, ["outbox", "--retry", str(row_id), "--json"])

    assert result.exit_code == 0, result.output
    assert [(row["id"], row["status"], row["attempts"]) for row in json.loads(result.stdout)] == [
        (row_id, "pending", 0)
    ]


def test_outbox_cancel(archive: Engine) -> None:
    row_id = failed_row(archive)

    result = runner.invoke(app, ["outbox", "--cancel", str(row_id), "--status", "cancelled", "--json"])

    assert [row["status"] for row in json.loads(result.stdout)] == ["cancelled"]


def test_outbox_retry_of_a_sent_row_is_refused(archive: Engine) -> None:
    row_id = failed_row(archive)
    with session_scope(archive) as session:
        session.execute(update(Outbox).where(col(Outbox.id) == row_id).values(status="sent"))

    result = runner.invoke(app, ["outbox", "--retry", str(row_id)])

    assert result.exit_code == 2 and f"outbox row {row_id} is sent" in result.stderr


def test_outbox_unknown_status_is_a_usage_error(archive: Engine) -> None:
    result = runner.invoke(app, ["outbox", "--status", "lost"])

    assert result.exit_code == 2 and "unknown status lost" in result.stderr
