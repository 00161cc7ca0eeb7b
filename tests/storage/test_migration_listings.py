"""Migration 0004 on an archive that already holds documents: every document gets its one listing, its
versions point at it, its miss count moves to it; the models agree with the migrated schema; and the
migration goes back down without losing documents, versions, changes or alerts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, text
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from storage.db import make_engine
from storage.migrate import alembic_config

BEFORE = "eaacc450e9b5"  # 0003, the schema the listings arrive on
LISTINGS = "b7d4e1f20a04"  # 0004
T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def migrate(engine: Engine, revision: str, *, down: bool = False) -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)


@pytest.fixture
def old_archive(database_url: str) -> Iterator[Engine]:
    """An archive at 0003 with what a few crawls left: two documents of two sources, versions, changes,
    an alert, a crawl run with fetches, and a document already reported withdrawn."""
    engine = make_engine(database_url)
    migrate(engine, BEFORE)
    with engine.begin() as connection:
        seed_0003(connection)
    yield engine
    engine.dispose()


def insert(connection: Connection, table: str, *rows: dict[str, object]) -> None:
    names = list(rows[0])
    statement = f'INSERT INTO "{table}" ({", ".join(names)}) VALUES ({", ".join(":" + n for n in names)})'
    connection.execute(text(statement), list(rows))


def seed_0003(connection: Connection) -> None:
    ts, later = T0.isoformat(" "), datetime(2026, 3, 9, 8, 0, tzinfo=UTC).isoformat(" ")
    stamps = {"first_seen": ts, "last_seen": ts}
    insert(
        connection,
        "source",
        {
            "id": "sh-platform",
            "name": "上海市政策文件平台",
            "level": "city",
            "enabled": True,
            "updated_at": ts,
        },
        {"id": "minhang", "name": "闵行区", "level": "district", "enabled": True, "updated_at": ts},
    )
    counts = {"requests": 2, "responses": 2, "items": 2, "errors": 0, "new": 2, "amended": 0}
    run = {"id": 1, "run_id": "r1", "source_id": "sh-platform", "status": "ok", "started_at": ts, **counts}
    insert(connection, "crawlrun", run)
    fetch = {"crawl_run_id": 1, "seq": 1, "method": "GET", "url": "https://example/list", "status": 200}
    insert(connection, "fetch", {**fetch, "sha256": "c" * 64, "size": 10, "fetched_at": ts})
    flags = {"trial": False, "pending_review": False, "miss_checked_run_id": 1}
    insert(
        connection,
        "document",
        {
            "id": 1,
            "source_id": "sh-platform",
            "native_id": "0070::007001",
            "doc_number": "中（沪）自贸管〔2025〕3号",  # brackets around a body, not a year
            "title": "上海市促进人工智能产业发展条例实施办法",
            "url": "https://example/1",
            "published": "2025-03-01 09:30:00",
            "missed_runs": 1,
            **stamps,
            **flags,
        },
        {
            "id": 2,
            "source_id": "minhang",
            "native_id": "mh-77",
            "doc_number": None,
            "title": "闵行区关于做好2025年度就业工作的通知",
            "url": "https://example/2",
            "published": "2025-03",
            "missed_runs": 3,
            **stamps,
            **flags,
        },
    )
    text_of = {1: "第一条", 2: "第一条 修改", 3: "通知"}
    insert(
        connection,
        "version",
        *(
            {
                "id": vid,
                "document_id": did,
                "seq": seq,
                "content_hash": str(vid) * 64,
                "text": text_of[vid],
                "normaliser_version": 1,
                "technical_upgrade": False,
                "crawl_run_id": 1,
                **stamps,
            }
            for vid, did, seq in ((1, 1, 1), (2, 1, 2), (3, 2, 1))
        ),
    )
    connection.execute(text("UPDATE document SET current_version_id = 2 WHERE id = 1"))
    connection.execute(text("UPDATE document SET current_version_id = 3 WHERE id = 2"))
    change = {"detected_at": ts, "event_key": "", "priority": 1}
    insert(
        connection,
        "change",
        {"id": 1, "document_id": 1, "kind": "new", "to_version_id": 1, "summary": "新文件", **change},
        {"id": 2, "document_id": 1, "kind": "amended", "to_version_id": 2, "summary": "修改", **change},
        {
            "id": 3,
            "document_id": 2,
            "kind": "withdrawn",
            "to_version_id": 3,
            "summary": "视为撤回",
            **change,
            "detected_at": later,
            "event_key": f"absent-since:{ts}",
        },
    )
    insert(
        connection,
        "outbox",
        {
            "subscription": "all",
            "change_id": 2,
            "status": "sent",
            "attempts": 1,
            "next_attempt_at": ts,
            "created_at": ts,
        },
    )
    insert(
        connection,
        "relation",
        {
            "from_document_id": 2,
            "kind": "cites",
            "target_key": "沪府规〔2025〕3号",
            "quote": "根据",
            "version_id": 3,
            "created_at": ts,
        },
    )


def rows(engine: Engine, query: str) -> list[tuple[object, ...]]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(query))]


def test_every_existing_document_gets_its_own_listing(old_archive: Engine) -> None:
    migrate(old_archive, LISTINGS)
    listings = rows(
        old_archive,
        "SELECT document_id, source_id, native_id, url, title, doc_number, published, content_hash, "
        "version_id, missed_runs, miss_checked_run_id, matched_by, gone_at IS NOT NULL "
        "FROM listing ORDER BY document_id",
    )
    assert listings == [
        (
            1,
            "sh-platform",
            "0070::007001",
            "https://example/1",
            "上海市促进人工智能产业发展条例实施办法",
            "中(沪)自贸管〔2025〕3号",  # the key listings are matched on
            "2025-03-01",
            "2" * 64,
            2,
            1,
            1,
            None,
            False,
        ),
        (
            2,
            "minhang",
            "mh-77",
            "https://example/2",
            "闵行区关于做好2025年度就业工作的通知",
            None,
            "2025-03",  # no day to match on; kept as given
            "3" * 64,
            3,
            3,
            1,
            None,
            True,
        ),  # reported withdrawn after it was last seen: gone
    ]
    listing_of = dict(rows(old_archive, "SELECT document_id, id FROM listing"))
    versions = rows(old_archive, "SELECT document_id, listing_id FROM version ORDER BY id")
    assert versions == [(1, listing_of[1]), (1, listing_of[1]), (2, listing_of[2])]
    assert rows(old_archive, "SELECT DISTINCT full_walk FROM crawlrun") in ([(True,)], [(1,)])
    assert rows(old_archive, 'SELECT count(*) FROM "fetch"') == [(1,)]
    assert rows(old_archive, "SELECT status FROM outbox") == [("sent",)]


def test_new_crawl_runs_are_full_walks_unless_told_otherwise(old_archive: Engine) -> None:
    migrate(old_archive, LISTINGS)
    counts = dict.fromkeys(("requests", "responses", "items", "errors", "new", "amended"), 0)
    with old_archive.begin() as connection:
        run = {
            "id": 2,
            "run_id": "r2",
            "source_id": "minhang",
            "status": "ok",
            "started_at": T0.isoformat(" "),
        }
        insert(connection, "crawlrun", {**run, **counts})
    assert rows(old_archive, "SELECT full_walk FROM crawlrun WHERE run_id = 'r2'") in ([(True,)], [(1,)])


def test_models_agree_with_the_migrated_schema(old_archive: Engine) -> None:
    migrate(old_archive, LISTINGS)
    mine = {"listing", "version", "document", "crawlrun"}
    with old_archive.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = [d for d in compare_metadata(context, SQLModel.metadata) if _table_of(d) in mine]
    assert differences == []


def test_downgrade_keeps_documents_versions_changes_and_alerts(old_archive: Engine) -> None:
    migrate(old_archive, LISTINGS)
    migrate(old_archive, BEFORE, down=True)
    assert rows(old_archive, "SELECT id, missed_runs, miss_checked_run_id FROM document ORDER BY id") == [
        (1, 1, 1),
        (2, 3, 1),
    ]
    assert rows(old_archive, "SELECT count(*) FROM version") == [(3,)]
    changes = rows(old_archive, "SELECT id, kind FROM change ORDER BY id")
    assert changes == [(1, "new"), (2, "amended"), (3, "withdrawn")]
    assert rows(old_archive, "SELECT change_id, status FROM outbox") == [(2, "sent")]
    assert rows(old_archive, "SELECT version_id FROM relation") == [(3,)]
    migrate(old_archive, LISTINGS)  # and up again
    assert rows(old_archive, "SELECT count(*) FROM listing") == [(2,)]


def _table_of(difference: object) -> str | None:
    """The table an autogenerate difference is about (they come as tuples, or lists of column changes)."""
    item = difference[0] if isinstance(difference, list) else difference
    assert isinstance(item, tuple)
    for part in item[1:]:
        name = getattr(part, "name", None) if not isinstance(part, str) else None
        table = getattr(part, "table", None)
        if table is not None and getattr(table, "name", None):
            return table.name
        if name and item[0].endswith("table"):
            return name
    return item[2] if len(item) > 2 and isinstance(item[2], str) else None
