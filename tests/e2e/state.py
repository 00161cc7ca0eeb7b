"""A comparable picture of an archive: what must be equal after a re-run, without ids or timestamps."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from storage.db import make_engine
from storage.models import Change, Document, Outbox, Version


@dataclass(frozen=True)
class ArchiveState:
    documents: tuple[tuple[str, str, str, str | None, str | None], ...]
    versions: tuple[tuple[str, int, str], ...]
    changes: tuple[tuple[str, str, int], ...]
    """(native id, kind, version seq), sorted: documents of one crawl are archived in arrival order,
    which Scrapy does not fix, so only the order within a document (its version seq) is meaningful."""
    outbox: tuple[tuple[str, str, str, str], ...]


def archive_state(database_url: str) -> ArchiveState:
    engine = make_engine(database_url)
    with Session(engine) as session:
        documents = session.exec(select(Document)).all()
        native = {d.id: d.native_id for d in documents}
        versions = session.exec(select(Version)).all()
        seq = {v.id: v.seq for v in versions}
        changes = session.exec(select(Change).order_by(Change.id)).all()
        kind = {c.id: (native[c.document_id], c.kind) for c in changes}
        rows = session.exec(select(Outbox)).all()
        state = ArchiveState(
            documents=tuple(
                sorted((d.source_id, d.native_id, d.title, d.doc_number, d.status) for d in documents)
            ),
            versions=tuple(sorted((native[v.document_id], v.seq, v.content_hash) for v in versions)),
            changes=tuple(sorted((native[c.document_id], c.kind, seq[c.to_version_id]) for c in changes)),
            outbox=tuple(sorted((r.subscription, *kind[r.change_id], r.status) for r in rows)),
        )
    engine.dispose()
    return state
