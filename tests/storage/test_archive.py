"""The archive on SQLite and on PostgreSQL: versions only on a new hash, idempotent writes, queries."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from crawlers.registry import load_registry
from normalise.document import NormalisedDocument
from storage.archive import count_versions, open_crawl_run, record_change, record_version, sync_sources
from storage.db import session_scope
from storage.models import Change, Document, Version
from storage.queries import DocumentNotFound, find_document, list_changes, version_at, versions_of

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def doc(text: str = "第一条 给予不超过1000万元支持。", **changes: object) -> NormalisedDocument:
    base = NormalisedDocument(
        source="sh-platform",
        native_id="0074::007477151",
        url="https://example/doc",
        title="实施意见（试行）",
        text=text,
        doc_number="长发改规〔2024〕4号",
        agency="长宁区发展和改革委员会",
        status="有效",
        district="changning",
        level="district",
        snapshot_ids=["a" * 64, "b" * 64],
    )
    return dataclasses.replace(base, **changes)


def no_renormalise(*_: object) -> None:
    return None


@pytest.fixture
def archive(engine: Engine) -> Engine:
    with session_scope(engine) as session:
        sync_sources(session, load_registry().sources)
    return engine


def record(engine: Engine, document: NormalisedDocument, seen_at: datetime = T0, renormalise=no_renormalise):  # type: ignore[no-untyped-def]
    with session_scope(engine) as session:
        return record_version(session, document, crawl_run_id=None, seen_at=seen_at, renormalise=renormalise)


def test_first_sighting_creates_document_and_version_one(archive: Engine) -> None:
    outcome = record(archive, doc())
    assert outcome.created and outcome.previous is None and outcome.version.seq == 1
    assert outcome.document.doc_number == "长发改规〔2024〕4号"


def test_same_content_again_only_moves_last_seen(archive: Engine) -> None:
    record(archive, doc())
    outcome = record(archive, doc(), seen_at=T0 + timedelta(hours=1))
    assert not outcome.created
    with session_scope(archive) as session:
        assert count_versions(session) == 1
        assert session.exec(select(Version)).one().last_seen == T0 + timedelta(hours=1)


def test_whitespace_and_line_breaks_alone_make_no_version(archive: Engine) -> None:
    record(archive, doc("第一条 给予不超过1000万元支持。"))
    assert not record(archive, doc("第一条\n给予不超过 1000 万元支持。")).created


def test_changed_text_makes_version_two_with_the_old_text_as_baseline(archive: Engine) -> None:
    record(archive, doc())
    outcome = record(archive, doc("第一条 给予不超过500万元支持。"), seen_at=T0 + timedelta(days=1))
    assert outcome.created and outcome.version.seq == 2
    assert outcome.baseline_text == "第一条 给予不超过1000万元支持。"


def test_changed_status_alone_makes_a_version(archive: Engine) -> None:
    record(archive, doc())
    assert record(archive, doc(status="废止")).created


def test_reverted_content_is_a_new_version_not_a_lookup(archive: Engine) -> None:
    record(archive, doc())
    record(archive, doc("第一条 给予不超过500万元支持。"))
    outcome = record(archive, doc())
    assert outcome.created and outcome.version.seq == 3


def test_newer_normaliser_output_equal_to_renormalised_old_is_a_technical_upgrade(archive: Engine) -> None:
    record(
        archive, doc("第一条 给予不超过1000万元支持。\n阅读次数：12")
    )  # an older normaliser kept a counter
    upgraded = doc(normaliser_version=99)
    outcome = record(archive, upgraded, renormalise=lambda version, document: upgraded)
    assert outcome.created and outcome.technical_upgrade
    assert outcome.version.normaliser_version == 99


def test_newer_normaliser_with_a_real_edit_diffs_against_the_renormalised_old(archive: Engine) -> None:
    record(archive, doc("第一条 给予不超过1000万元支持。\n阅读次数：12"))
    renormalised_old = doc(normaliser_version=99)
    outcome = record(
        archive,
        doc("第一条 给予不超过500万元支持。", normaliser_version=99),
        renormalise=lambda version, document: renormalised_old,
    )
    assert not outcome.technical_upgrade
    assert outcome.baseline_text == "第一条 给予不超过1000万元支持。"


def test_a_change_is_recorded_once_per_document_version_and_kind(archive: Engine) -> None:
    outcome = record(archive, doc())
    for _ in range(2):
        with session_scope(archive) as session:
            record_change(
                session,
                Change(
                    document_id=outcome.document.id,
                    kind="new",
                    to_version_id=outcome.version.id,
                    summary="新文件",
                    detected_at=T0,
                ),
            )
    with session_scope(archive) as session:
        assert len(session.exec(select(Change)).all()) == 1


def test_unique_constraint_refuses_a_duplicate_change_even_without_the_helper(archive: Engine) -> None:
    outcome = record(archive, doc())
    row = {
        "document_id": outcome.document.id,
        "kind": "new",
        "to_version_id": outcome.version.id,
        "summary": "x",
        "detected_at": T0,
    }
    with session_scope(archive) as session:
        session.add(Change(**row))
    with pytest.raises(IntegrityError), session_scope(archive) as session:
        session.add(Change(**row))


def test_crawl_run_is_opened_once_per_run_and_source(archive: Engine) -> None:
    with session_scope(archive) as session:
        first = open_crawl_run(session, "run-1", "sh-platform")
        again = open_crawl_run(session, "run-1", "sh-platform")
        assert first.id == again.id


def test_naive_datetimes_are_refused(archive: Engine) -> None:
    with pytest.raises(Exception, match="naive datetime"):
        record(archive, doc(), seen_at=datetime(2026, 3, 1, 8, 0))


def test_version_at_a_date_is_the_one_current_then(archive: Engine) -> None:
    record(archive, doc(), seen_at=T0)
    record(archive, doc("第一条 给予不超过500万元支持。"), seen_at=T0 + timedelta(days=10))
    with session_scope(archive) as session:
        document = find_document(session, "长发改规〔2024〕4号")
        assert version_at(session, document.id, T0 + timedelta(days=5)).seq == 1
        assert version_at(session, document.id, T0 + timedelta(days=11)).seq == 2
        assert version_at(session, document.id, T0 - timedelta(days=1)) is None
        assert [v.seq for v in versions_of(session, document.id)] == [1, 2]


def test_documents_are_found_by_id_native_id_or_doc_number(archive: Engine) -> None:
    outcome = record(archive, doc())
    with session_scope(archive) as session:
        for ref in (str(outcome.document.id), "0074::007477151", "长发改规〔2024〕4号"):
            assert find_document(session, ref).id == outcome.document.id
        with pytest.raises(DocumentNotFound, match="policywatch changes"):
            find_document(session, "沪府规〔1999〕1号")


def test_chinese_metadata_is_stored_readably_and_round_trips(archive: Engine) -> None:
    record(archive, doc())
    with session_scope(archive) as session:
        version = session.exec(select(Version)).one()
        assert version.doc_metadata["status"] == "有效"
        assert session.exec(select(Document)).one().district == "changning"


def test_changes_are_listed_oldest_first_and_filtered(archive: Engine) -> None:
    first = record(archive, doc())
    second = record(archive, doc("第一条 给予不超过500万元支持。"), seen_at=T0 + timedelta(days=1))
    with session_scope(archive) as session:
        for outcome, kind, when in ((first, "new", T0), (second, "amended", T0 + timedelta(days=1))):
            record_change(
                session,
                Change(
                    document_id=outcome.document.id,
                    kind=kind,
                    to_version_id=outcome.version.id,
                    summary=kind,
                    detected_at=when,
                ),
            )
    with session_scope(archive) as session:
        assert [c.kind for c, _ in list_changes(session)] == ["new", "amended"]
        assert [c.kind for c, _ in list_changes(session, since=T0 + timedelta(hours=1))] == ["amended"]
        assert [c.kind for c, _ in list_changes(session, kinds=["new"])] == ["new"]
