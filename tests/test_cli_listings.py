"""`policywatch history` and `show --listings` name every source that lists a document, with its URL, when
it was first and last seen and whether its source still lists it (fixtures: tests/storage/test_listings)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from crawlers.registry import load_registry
from policywatch.cli import app
from storage.archive import sync_sources
from storage.db import session_scope
from tests.storage.test_listings import DISTRICT, PLATFORM, crawl, revised

runner = CliRunner()


@pytest.fixture
def archived(engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Engine:
    """The platform's and the district's listing of one document; the district serves its own text, and
    the platform a revision the district has not caught up with."""
    monkeypatch.setenv("POLICYWATCH_DATABASE_URL", database_url)
    with session_scope(engine) as session:
        sync_sources(session, load_registry().sources)
    crawl(engine, 1, "sh-platform", PLATFORM)
    crawl(engine, 2, "minhang", DISTRICT)
    crawl(engine, 3, "sh-platform", revised(PLATFORM))
    return engine


def test_history_json_lists_the_listings_and_the_listing_each_version_came_from(archived: Engine) -> None:
    result = runner.invoke(app, ["history", DISTRICT.native_id, "--json"])
    assert result.exit_code == 0, result.output
    history = json.loads(result.output)
    listings = history["listings"]
    assert [(x["source"], x["url"], x["matched_by"], x["listed"], x["text"]) for x in listings] == [
        ("sh-platform", PLATFORM.url, None, True, "same"),
        ("minhang", DISTRICT.url, "doc_number", True, "behind"),
    ]
    assert [x["first_seen"][:10] for x in listings] == ["2026-03-02", "2026-03-03"]
    assert [v["listing_id"] for v in history["versions"]] == [listings[0]["id"]] * 2


def test_history_and_show_listings_print_sources_and_urls(archived: Engine) -> None:
    for command in (["history", PLATFORM.doc_number or ""], ["show", "闵建管规〔2024〕1号", "--listings"]):
        result = runner.invoke(app, command)
        assert result.exit_code == 0, result.output
        assert "sh-platform" in result.output and "minhang" in result.output
        assert DISTRICT.url in result.output and "serves an older text" in result.output
