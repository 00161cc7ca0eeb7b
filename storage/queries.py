"""Reading the archive: what analysts and the query commands ask of it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, or_, select

from storage.models import Change, Document, Listing, Relation, Version


class DocumentNotFound(LookupError):
    """No document (or more than one) answers to the reference a user gave."""


def find_document(session: Session, ref: str) -> Document:
    """A document by archive id, by the native id any source lists it under (``siteId::businessId``, a
    page path), or by its 文号."""
    if ref.isdigit():
        document = session.get(Document, int(ref))
        if document:
            return document
    listed = select(Listing.document_id).where(Listing.native_id == ref)
    matches = session.exec(
        select(Document)
        .where(or_(col(Document.id).in_(listed), Document.doc_number == ref))
        .order_by(col(Document.id))
    ).all()
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise DocumentNotFound(
            f"no document matches {ref!r}: give an archive id, a native id (siteId::businessId) or a 文号; "
            "`policywatch changes` lists recent documents with their ids"
        )
    ids = ", ".join(str(d.id) for d in matches)
    raise DocumentNotFound(f"{ref!r} matches several documents (ids {ids}); give one of those ids")


def list_changes(
    session: Session,
    *,
    since: datetime | None = None,
    kinds: list[str] | None = None,
    limit: int | None = None,
) -> list[tuple[Change, Document]]:
    query = select(Change, Document).join(Document, col(Change.document_id) == Document.id)
    if since is not None:
        query = query.where(Change.detected_at >= since)
    if kinds:
        query = query.where(col(Change.kind).in_(kinds))
    query = query.order_by(col(Change.detected_at), col(Change.id))
    if limit:
        query = query.limit(limit)
    return [(change, document) for change, document in session.exec(query).all()]


def listings_of(session: Session, document_id: int) -> list[Listing]:
    """Where a document is listed: one listing per source (or column) and id, first archived first."""
    query = select(Listing).where(Listing.document_id == document_id).order_by(col(Listing.id))
    return list(session.exec(query).all())


def listing_summaries(session: Session, document: Document) -> list[dict[str, Any]]:
    """Each listing of ``document`` as the query commands show it: where, since when, whether its source
    still lists it, and how its text relates to the current version (``same``; ``variant``: its source's
    own text of it; ``behind``: an older text, its source has not caught up with the latest revision)."""
    assert document.id is not None
    current = session.get(Version, document.current_version_id) if document.current_version_id else None
    summaries = []
    for listing in listings_of(session, document.id):
        if current is not None and listing.content_hash == current.content_hash:
            text = "same"
        else:
            text = "variant" if listing.version_id in (None, document.current_version_id) else "behind"
        summaries.append(
            {
                "id": listing.id,
                "source": listing.source_id,
                "native_id": listing.native_id,
                "url": listing.url,
                "title": listing.title,
                "first_seen": listing.first_seen.isoformat(),
                "last_seen": listing.last_seen.isoformat(),
                "matched_by": listing.matched_by,
                "listed": listing.gone_at is None,
                "gone_at": listing.gone_at.isoformat() if listing.gone_at else None,
                "text": text,
            }
        )
    return summaries


def versions_of(session: Session, document_id: int) -> list[Version]:
    return list(
        session.exec(
            select(Version).where(Version.document_id == document_id).order_by(col(Version.seq))
        ).all()
    )


def changes_of(session: Session, document_id: int) -> list[Change]:
    return list(
        session.exec(select(Change).where(Change.document_id == document_id).order_by(col(Change.id))).all()
    )


def version_at(session: Session, document_id: int, when: datetime) -> Version | None:
    """The version that was current at ``when``: the last one first seen at or before it."""
    return session.exec(
        select(Version)
        .where(Version.document_id == document_id, Version.first_seen <= when)
        .order_by(col(Version.seq).desc())
    ).first()


def version_by_seq(session: Session, document_id: int, seq: int) -> Version | None:
    return session.exec(select(Version).where(Version.document_id == document_id, Version.seq == seq)).first()


def relations_from(session: Session, document_id: int) -> list[tuple[Relation, Document | None]]:
    """What a document says about others, with the archived document each names (None if not archived)."""
    rows = session.exec(
        select(Relation, Document)
        .join(Document, col(Relation.to_document_id) == Document.id, isouter=True)
        .where(Relation.from_document_id == document_id)
        .order_by(col(Relation.id))
    ).all()
    return [(relation, target) for relation, target in rows]


def relations_to(session: Session, document_id: int) -> list[tuple[Relation, Document]]:
    """What other documents say about this one: who extends, repeals, amends, supersedes or cites it."""
    rows = session.exec(
        select(Relation, Document)
        .join(Document, col(Relation.from_document_id) == Document.id)
        .where(Relation.to_document_id == document_id)
        .order_by(col(Relation.id))
    ).all()
    return [(relation, source) for relation, source in rows]
