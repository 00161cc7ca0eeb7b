"""The CLI boundary: usage and configuration errors are one clear line and exit code 2, nothing is run."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from policywatch.cli import app

runner = CliRunner()


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("POLICYWATCH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("POLICYWATCH_DATABASE_URL", raising=False)
    return tmp_path / "data"


def test_every_command_has_help() -> None:
    for command in ("run", "changes", "history", "show", "diff", "sources", "renormalise", "status"):
        result = runner.invoke(app, [command, "--help"])
        assert result.exit_code == 0 and "Usage" in result.output


def test_bad_sources_file_is_a_configuration_error(tmp_path: Path, data_dir: Path) -> None:
    sources = tmp_path / "sources.yaml"
    sources.write_text("sources:\n  - id: sh-platform\n    base_url: ftp://nowhere\n", encoding="utf-8")
    result = runner.invoke(app, ["run", "--sources", str(sources)])
    assert result.exit_code == 2
    assert "base_url must be scheme + host" in result.output
    assert not (data_dir / "runs").exists()


def test_bad_subscriptions_file_is_refused_before_crawling(tmp_path: Path, data_dir: Path) -> None:
    subscriptions = tmp_path / "subs.yaml"
    subscriptions.write_text(
        "subscriptions:\n  - name: x\n    urls: ['json://127.0.0.1/h']\n    colour: red\n"
    )
    result = runner.invoke(app, ["run", "--subscriptions", str(subscriptions)])
    assert result.exit_code == 2
    assert "subs.yaml:4" in result.output
    assert not (data_dir / "runs").exists()


def test_only_an_unknown_source_is_a_usage_error() -> None:
    result = runner.invoke(app, ["run", "--only", "atlantis"])
    assert result.exit_code == 2 and "known sources: sh-platform" in result.output


def test_only_a_source_without_spider_says_where_its_documents_come_from() -> None:
    result = runner.invoke(app, ["run", "--only", "jingan"])
    assert result.exit_code == 2 and "through sh-platform" in result.output


def test_unknown_document_exits_1_and_says_how_to_find_one() -> None:
    result = runner.invoke(app, ["history", "沪府规〔1999〕1号"])
    assert result.exit_code == 1 and "policywatch changes" in result.output


def test_unreachable_database_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLICYWATCH_DATABASE_URL", "postgresql://nobody@127.0.0.1:9/none")
    result = runner.invoke(app, ["changes"])
    assert result.exit_code == 2 and "POLICYWATCH_DATABASE_URL" in result.output


def test_bad_since_is_a_usage_error() -> None:
    result = runner.invoke(app, ["changes", "--since", "last tuesday"])
    assert result.exit_code == 2 and "ISO date" in result.output


def test_changes_json_on_an_empty_archive_is_an_empty_array() -> None:
    result = runner.invoke(app, ["changes", "--json"])
    assert result.exit_code == 0 and result.output.strip() == "[]"


def test_sources_lists_the_registry() -> None:
    result = runner.invoke(app, ["sources"], env={"COLUMNS": "200"})
    assert result.exit_code == 0 and "sh-platform" in result.output and "chongming" in result.output
