"""The archive stage's side of attachments: reading downloaded files (cached, beside the snapshot store),
the crawl's own downloads by URL, and the rule that an attachment failing after it was read never
becomes a version."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, replace
from typing import Any

from sqlmodel import Session, select

from crawlers.output import Fault
from crawlers.runner import CrawlResult
from normalise.attachments import AttachmentCache, AttachmentError, AttachmentResult, read_attachment
from normalise.attachments.document import lost_attachments
from normalise.document import IDENTITY_FIELDS, NormalisedDocument
from storage.archive import latest_version
from storage.models import Listing, Version
from storage.snapshots import SnapshotMissing, SnapshotStore


def attachment_reader(store: SnapshotStore) -> Callable[[str], AttachmentResult]:
    """Extraction results of raw snapshots by sha256, cached in ``<snapshots>/../attachments``."""
    cache = AttachmentCache(store.root.parent / "attachments")

    def read(sha256: str) -> AttachmentResult:
        try:
            data = store.get(sha256)
        except SnapshotMissing as exc:
            return AttachmentError("download", str(exc))
        return read_attachment(data, cache)

    return read


def downloaded_files(result: CrawlResult) -> dict[str, str]:
    """URL -> sha256 of every body a crawl fetched with HTTP 200: the files of its documents."""
    return {
        fetch["url"]: fetch["sha256"]
        for fetch in result.output.fetches()
        if fetch.get("status") == 200 and fetch.get("sha256")
    }


def keep_previous_when_attachments_lost(
    session: Session, documents: Iterable[NormalisedDocument], faults: list[dict[str, str]]
) -> Iterator[NormalisedDocument]:
    """Each document, unless an attachment its current version has the text of could not be read now:
    then the current version is passed on again (nothing new is archived) and a fault says why.

    Files downloaded but unreadable are faults too (failed downloads were recorded by the crawl).
    """
    for document in documents:
        files = [file for file in document.metadata.get("attachments") or [] if isinstance(file, dict)]
        for file in files:
            error = file.get("error") or {}
            if error and file.get("sha256"):  # downloaded, not readable (failed downloads are crawl faults)
                detail = f"attachment unreadable ({error['kind']}): {error['detail']}"
                faults.append(_fault(file["url"], detail))
        previous = _current_version(session, document) if any(file.get("error") for file in files) else None
        lost = lost_attachments(document, previous.doc_metadata) if previous else []
        if previous is None or not lost:
            yield document
            continue
        names = "、".join(file["name"] for file in lost)
        detail = f"{document.native_id}: kept version {previous.seq}, attachment(s) {names} could not be read"
        faults.append(_fault(document.url, detail))
        yield as_version(document, previous)


def _fault(url: str, detail: str) -> dict[str, str]:
    return asdict(Fault("attachment", url, detail))


def _current_version(session: Session, document: NormalisedDocument) -> Version | None:
    """The version this listing's source last served (a document listed by several sources is compared
    with what this one showed, not with another source's page)."""
    listing = session.exec(
        select(Listing).where(Listing.source_id == document.source, Listing.native_id == document.native_id)
    ).first()
    if listing is None:
        return None
    if listing.version_id is not None:
        return session.get(Version, listing.version_id)
    return latest_version(session, listing.document_id)


def as_version(document: NormalisedDocument, version: Version) -> NormalisedDocument:
    """``document`` carrying the text and identity of an archived version, so archiving it changes
    nothing but when it was last seen."""
    stored: dict[str, Any] = version.doc_metadata
    return replace(
        document,
        text=version.text,
        published=stored.get("published"),
        metadata={key: value for key, value in stored.items() if key not in (*IDENTITY_FIELDS, "published")},
        snapshot_ids=list(version.snapshot_ids),
        normaliser_version=version.normaliser_version,
        **{name: stored.get(name) for name in IDENTITY_FIELDS},
    )
