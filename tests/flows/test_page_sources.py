"""A district site's crawl (Putuo's list API and detail pages) goes through the same archive stage."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from crawlers.registry import load_registry
from flows.stages import archive_crawl, renormalise_version
from storage.archive import listing_of, sync_sources
from storage.db import session_scope
from storage.models import Change, Document, Version
from storage.snapshots import SnapshotStore
from tests.crawlers.sites import crawl_over_http
from tests.site.putuo import PutuoPlay


def test_putuo_crawl_is_archived_as_district_documents_and_replays(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = crawl_over_http(PutuoPlay(), "putuo", tmp_path, monkeypatch, channels=["3", "6"])
    registry = load_registry(tmp_path / "sources.yaml")
    store = SnapshotStore(tmp_path / "data" / "snapshots")
    with session_scope(engine) as session:
        sync_sources(session, registry.sources)
    report = archive_crawl(engine, registry, result, run_id="putuo-1", store=store)
    assert (report.status, report.new) == ("ok", 3)
    with session_scope(engine) as session:
        documents = session.exec(select(Document)).all()
        assert {(d.district, d.source_id) for d in documents} == {("putuo", "putuo")}
        assert "普府规范〔2025〕5号" in {d.doc_number for d in documents}
        assert {c.kind for c in session.exec(select(Change)).all()} == {"new"}
        for version in session.exec(select(Version)).all():
            redone = renormalise_version(version, listing_of(session, version), registry, store)
            assert redone is not None and redone.content_hash == version.content_hash
