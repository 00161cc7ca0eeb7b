"""Writing to the archive: sources, crawl runs, fetches, listings, document versions, changes and life
cycles.

Every writer is idempotent (git-history style): a version row is written only when a listing's text
differs from both its own last sighting and the document's latest version, a listing once per (source,
native id), a change only once per (document, version, kind, event), a fetch once per (crawl run, seq),
a relation once per (document, kind, target), its effect on the target once. Callers decide the
transaction; the flows use one per source and crawl.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, and_, col, func, or_, select

from crawlers.registry import SourceConfig
from detect.diff import ClauseChange
from detect.lifecycle import (
    ACTS,
    EFFECTS,
    STATUS_AFTER,
    WITHDRAW_AFTER_MISSES,
    Edition,
    RelationDraft,
    amendment_edits,
    is_new_edition,
    relations_of,
    summary_of,
    title_act,
    upstream_summary,
    withdrawn_due,
)
from detect.priority import priority_of
from normalise.document import NormalisedDocument
from normalise.identity import (
    Sighting,
    conflicts_with,
    date_key,
    doc_number_key,
    match_reason,
    matchable_title,
)
from normalise.references import quoted_titles, subject_key, title_key
from normalise.validity import Validity, extract_validity
from storage.models import Change, CrawlRun, Document, Fetch, Listing, Relation, Source, Version, utcnow
from storage.queries import listings_of


def sync_sources(session: Session, sources: Iterable[SourceConfig]) -> None:
    for config in sources:
        row = session.get(Source, config.id) or Source(id=config.id, name=config.name, level=config.level)
        row.name, row.level, row.district = config.name, config.level, config.district
        row.spider, row.base_url, row.enabled = config.spider, config.base_url, config.enabled
        row.updated_at = utcnow()
        session.add(row)


def open_crawl_run(session: Session, run_id: str, source_id: str) -> CrawlRun:
    existing = session.exec(
        select(CrawlRun).where(CrawlRun.run_id == run_id, CrawlRun.source_id == source_id)
    ).first()
    if existing:
        return existing
    crawl_run = CrawlRun(run_id=run_id, source_id=source_id)
    session.add(crawl_run)
    session.flush()
    return crawl_run


def record_fetches(session: Session, crawl_run: CrawlRun, fetches: Iterable[dict[str, Any]]) -> int:
    assert crawl_run.id is not None
    known = set(session.exec(select(Fetch.seq).where(Fetch.crawl_run_id == crawl_run.id)).all())
    added = 0
    for fetch in fetches:
        if fetch["seq"] in known:
            continue
        session.add(
            Fetch(
                crawl_run_id=crawl_run.id,
                seq=fetch["seq"],
                method=fetch["method"],
                url=fetch["url"],
                request_body=fetch.get("request_body"),
                status=fetch["status"],
                headers=fetch.get("headers") or {},
                sha256=fetch.get("sha256") or "",
                size=fetch.get("size", 0),
                fetched_at=datetime.fromisoformat(fetch["fetched_at"]),
            )
        )
        added += 1
    return added


@dataclass
class VersionOutcome:
    document: Document
    listing: Listing
    """The listing the document was seen through."""
    version: Version
    previous: Version | None
    baseline_text: str | None
    """What the new version is compared with: the previous text, re-normalised when the normaliser changed."""
    created: bool
    technical_upgrade: bool = False


def latest_version(session: Session, document_id: int) -> Version | None:
    return session.exec(
        select(Version).where(Version.document_id == document_id).order_by(col(Version.seq).desc())
    ).first()


def listing_of(session: Session, version: Version) -> Listing:
    """The listing whose snapshots ``version`` came from (versions of 0003 archives: the document's own)."""
    listing = session.get(Listing, version.listing_id) if version.listing_id is not None else None
    if listing is None:
        document = session.get(Document, version.document_id)
        assert document is not None
        listing = _listing(session, document.source_id, document.native_id)
        assert listing is not None
    return listing


def _listing(session: Session, source_id: str, native_id: str) -> Listing | None:
    return session.exec(
        select(Listing).where(Listing.source_id == source_id, Listing.native_id == native_id)
    ).first()


def record_version(
    session: Session,
    doc: NormalisedDocument,
    *,
    crawl_run_id: int | None,
    seen_at: datetime,
    renormalise: Callable[[Version, Listing], NormalisedDocument | None],
) -> VersionOutcome:
    """Archive ``doc`` (one listing's sighting of a document) as its document's newest version when it
    is a revision.

    The document is found through the listing, else through another source's listing of it (see
    ``normalise.identity``), else created. Sources serve slightly different texts of one document (their
    own title, chrome), so texts are compared per listing: a listing whose text changed since it last
    served one creates a version, unless another listing recorded a version since (then it is catching
    up with a revision already archived, and stays silent). A new listing of a known document creates no
    version. So a revision is archived and alerted once, whichever source sees it first.

    When the latest version was made by an older normaliser, ``renormalise`` re-derives it from its
    listing's raw snapshots with the current one: if that equals ``doc``, the new version is a technical
    upgrade.
    """
    listing = _listing(session, doc.source, doc.native_id)
    matched_by = None
    if listing is not None:
        document = session.get(Document, listing.document_id)
    else:
        document, matched_by = _matching_document(session, doc)
    if document is None:
        document = Document(
            source_id=doc.source,
            native_id=doc.native_id,
            title=doc.title,
            url=doc.url,
            first_seen=seen_at,
            last_seen=seen_at,
        )
        _describe(document, doc)
        session.add(document)
        session.flush()
    joined = matched_by is not None
    assert document.id is not None
    if listing is None:
        listing = Listing(
            document_id=document.id,
            source_id=doc.source,
            native_id=doc.native_id,
            url=doc.url,
            title=doc.title,
            first_seen=seen_at,
            last_seen=seen_at,
            matched_by=matched_by,
        )
    last_served = listing.content_hash
    listing.url, listing.title = doc.url, doc.title
    listing.doc_number, listing.published = doc_number_key(doc.doc_number), date_key(doc.published)
    listing.content_hash, listing.gone_at = doc.content_hash, None
    listing.last_seen = max(listing.last_seen, seen_at)
    document.last_seen = max(document.last_seen, seen_at)
    session.add(listing)
    session.flush()
    assert listing.id is not None

    previous = latest_version(session, document.id)
    in_step = previous is None or listing.version_id in (None, previous.id)
    unchanged = last_served == doc.content_hash and not joined
    if previous is not None and (
        previous.content_hash == doc.content_hash or joined or unchanged or not in_step
    ):
        # The same text; or this source's own text of a version: its first sighting, unchanged since its
        # last one (still behind if another source brought a revision meanwhile), or a change that
        # catches up with the revision another source brought.
        if _is_origin(document, listing):
            _describe(document, doc)
        else:
            _fill_gaps(document, doc)
        if not unchanged or previous.content_hash == doc.content_hash:
            listing.version_id = previous.id
        previous.last_seen = max(previous.last_seen, seen_at)
        session.add_all([previous, listing, document])
        return VersionOutcome(document, listing, previous, previous, previous.text, created=False)

    baseline_text = previous.text if previous else None
    upgrade = False
    if previous is not None and previous.normaliser_version != doc.normaliser_version:
        redone = renormalise(previous, listing_of(session, previous))
        if redone is not None:
            upgrade = redone.content_hash == doc.content_hash
            baseline_text = redone.text

    version = Version(
        document_id=document.id,
        seq=(previous.seq + 1) if previous else 1,
        content_hash=doc.content_hash,
        text=doc.text,
        doc_metadata={**doc.metadata, **doc.identity(), "published": doc.published},
        snapshot_ids=doc.snapshot_ids,
        normaliser_version=doc.normaliser_version,
        technical_upgrade=upgrade,
        crawl_run_id=crawl_run_id,
        listing_id=listing.id,
        first_seen=seen_at,
        last_seen=seen_at,
    )
    session.add(version)
    session.flush()
    if previous is not None and upgrade:
        # The other listings served the same document before the normaliser changed: still in step.
        for other in listings_of(session, document.id):
            if other.version_id == previous.id:
                other.version_id = version.id
                session.add(other)
    _describe(document, doc)
    document.current_version_id = listing.version_id = version.id
    session.add_all([document, listing])
    return VersionOutcome(
        document, listing, version, previous, baseline_text, created=True, technical_upgrade=upgrade
    )


def _describe(document: Document, doc: NormalisedDocument) -> None:
    document.title, document.url, document.doc_number = doc.title, doc.url, doc.doc_number
    document.agency, document.district, document.level = doc.agency, doc.district, doc.level
    document.published, document.status = doc.published, doc.status


def _fill_gaps(document: Document, doc: NormalisedDocument) -> None:
    """What another source adds to a document its own source describes: only what is missing."""
    for name in ("doc_number", "agency", "district", "level", "published", "status"):
        if getattr(document, name) is None and getattr(doc, name) is not None:
            setattr(document, name, getattr(doc, name))


def _is_origin(document: Document, listing: Listing) -> bool:
    """Whether ``listing`` is the one the document was first archived from (it describes the document)."""
    return (document.source_id, document.native_id) == (listing.source_id, listing.native_id)


def _sighting(doc: NormalisedDocument) -> Sighting:
    return Sighting(doc.source, doc.native_id, doc.url, doc.title, doc.doc_number, doc.published)


def _listed(listing: Listing) -> Sighting:
    return Sighting(
        listing.source_id,
        listing.native_id,
        listing.url,
        listing.title,
        listing.doc_number,
        listing.published,
    )


def _matching_document(session: Session, doc: NormalisedDocument) -> tuple[Document | None, str | None]:
    """The archived document another listing of which is ``doc``'s document (see normalise.identity),
    and why (``doc_number`` or ``title_date``); (None, None) when there is none.

    When listings of several documents match, an equal title decides; if it does not, the sighting is
    a document of its own rather than a guess.
    """
    sighting = _sighting(doc)
    number, day = doc_number_key(doc.doc_number), date_key(doc.published)
    clues = [Listing.doc_number == number] if number else []
    if day:
        # Title + day only decides between listings of which at most one has a 文号: a numbered sighting
        # need not read every numbered listing of its day (dozens on the platform's busy days).
        same_day = Listing.published == day
        clues.append(and_(same_day, col(Listing.doc_number).is_(None)) if number else same_day)
    if not clues:
        return None, None
    candidates: dict[int, list[tuple[Listing, str]]] = {}
    for listing in session.exec(select(Listing).where(or_(*clues)).order_by(col(Listing.id))):
        reason = match_reason(sighting, _listed(listing))
        if reason is not None:
            candidates.setdefault(listing.document_id, []).append((listing, reason))
    admissible = [
        document_id
        for document_id in candidates
        if not conflicts_with(
            sighting, [_listed(lst) for lst in listings_of(session, document_id) if lst.gone_at is None]
        )
    ]
    if len(admissible) > 1:
        title = matchable_title(doc.title)
        exact = [
            document_id
            for document_id in admissible
            if any(matchable_title(lst.title) == title for lst, _ in candidates[document_id])
        ]
        admissible = exact if len(exact) == 1 else []
    if not admissible:
        return None, None
    return session.get(Document, admissible[0]), candidates[admissible[0]][0][1]


def record_change(session: Session, change: Change) -> Change:
    """Insert ``change`` unless the same (document, version, kind, event) is already recorded.

    Returns the stored change: ``change`` itself when it was inserted, else the one recorded before.
    """
    existing = session.exec(
        select(Change).where(
            Change.document_id == change.document_id,
            Change.to_version_id == change.to_version_id,
            Change.kind == change.kind,
            Change.event_key == change.event_key,
        )
    ).first()
    if existing:
        return existing
    session.add(change)
    session.flush()
    return change


def count_versions(session: Session) -> int:
    return session.exec(select(func.count()).select_from(Version)).one()


# --- life cycle: validity, relations and the changes they make ------------------------------------------


def evidence_of(document: Document, quote: str) -> dict[str, Any]:
    """The proof of a life-cycle fact: the document that states it and the sentence that does."""
    return {
        "document_id": document.id,
        "title": document.title,
        "doc_number": document.doc_number,
        "url": document.url,
        "quote": quote,
    }


def label_of(document: Document) -> str:
    """How an alert names a document: what it is about (《…》 of its title) and its 文号."""
    quoted = quoted_titles(document.title)
    name = f"《{quoted[0]}》" if quoted else document.title
    return name + (f"（{document.doc_number}）" if document.doc_number else "")


def derive_lifecycle(session: Session, document: Document) -> list[Relation]:
    """Validity and relations of ``document`` from its current version; returns its relations."""
    version = session.get(Version, document.current_version_id)
    assert version is not None and document.id is not None
    document.subject = subject_key(document.title)[:255]
    validity = extract_validity(
        document.title, version.text, published=document.published, platform_status=document.status
    )
    if title_act(document.title) not in ("issues", "revises"):
        # 试行 in a notice's title is the trial it acts on, not the notice.
        validity = replace(validity, trial=None)
    _set_own_validity(document, validity)
    drafts = relations_of(document.title, version.text, own_doc_number=document.doc_number)
    known = {
        (r.kind, r.target_key): r
        for r in session.exec(select(Relation).where(Relation.from_document_id == document.id)).all()
    }
    relations = [_upsert_relation(session, known, document.id, version.id, draft) for draft in drafts]
    document.lifecycle_version_id = version.id
    session.add(document)
    return relations


def relations_naming(session: Session, documents: Iterable[Document]) -> list[Relation]:
    """Unresolved relations that may name one of ``documents``: by 文号 or by subject."""
    documents = list(documents)
    numbers = {d.doc_number for d in documents if d.doc_number}
    subjects = {d.subject for d in documents if d.subject}
    return list(
        session.exec(
            select(Relation).where(
                col(Relation.to_document_id).is_(None),
                or_(col(Relation.target_doc_number).in_(numbers), col(Relation.target_subject).in_(subjects)),
            )
        ).all()
    )


def new_editions(session: Session, documents: Iterable[Document]) -> list[Relation]:
    """``supersedes`` relations between each of ``documents`` and the other editions of its subject."""
    documents = [d for d in documents if d.subject]
    same_subject = _by(session, Document.subject, {d.subject for d in documents})
    found = []
    for document in documents:
        for other in same_subject.get(document.subject or "", []):
            for newer, older in ((document, other), (other, document)):
                if other.id != document.id and is_new_edition(_edition(newer), _edition(older)):
                    found.append(_upsert_edition(session, newer, older))
    return found


def resolve(session: Session, relations: Iterable[Relation]) -> list[Relation]:
    """Point each relation at the archived document it names, if one answers; returns the resolved ones."""
    relations = list(relations)
    pending = [r for r in relations if r.to_document_id is None]
    numbered = _by(session, Document.doc_number, {r.target_doc_number for r in pending})
    titled = _by(session, Document.subject, {r.target_subject for r in pending})
    for relation in pending:
        source = session.get(Document, relation.from_document_id)
        assert source is not None
        target, how = _find_target(relation, source, numbered, titled)
        if target is not None:
            relation.to_document_id, relation.resolved_by = target.id, how
            session.add(relation)
    return [r for r in relations if r.to_document_id is not None]


def apply_relations(
    session: Session, relations: Iterable[Relation], *, arrived: set[int], seen_at: datetime
) -> list[Change]:
    """Record what each resolved, not yet applied relation does to its target (extended, repealed, ...).

    The target's validity changes whatever happens; a change is recorded only when the notice or the
    target arrived in this crawl (``arrived``), so facts first derived from long-archived documents do
    not alert. A notice that supersedes a document and also repeals it by name makes one change.
    """
    pending = {id(r): r for r in relations if r.to_document_id and r.applied_at is None and r.kind in EFFECTS}
    ordered = sorted(pending.values(), key=lambda r: (ACTS.index(r.kind), r.resolved_by == "subject"))
    changes = []
    for relation in ordered:
        relation.applied_at = utcnow()
        session.add(relation)
        if relation.kind == "repeals" and _superseded_by(session, relation):
            continue
        announce = bool({relation.from_document_id, relation.to_document_id} & arrived)
        change = _apply(session, relation, announce=announce, seen_at=seen_at)
        if change is not None:
            changes.append(change)
    return changes


def propagate_upstream(session: Session, upstream: Change, seen_at: datetime) -> list[Change]:
    """An ``upstream_changed`` change, and "pending review", for every document whose current text cites
    or implements the document ``upstream`` changed (the notice that made the change aside)."""
    target = session.get(Document, upstream.document_id)
    assert target is not None and upstream.id is not None
    notice_id = (upstream.evidence or {}).get("document_id")
    notice = (upstream.evidence or {}).get("doc_number") or (upstream.evidence or {}).get("title")
    rows = session.exec(
        select(Relation, Document)
        .join(Document, col(Relation.from_document_id) == Document.id)
        .where(
            Relation.to_document_id == target.id,
            col(Relation.kind).in_(("cites", "implements")),
            Relation.version_id == Document.current_version_id,
        )
        .order_by(col(Relation.id))
    ).all()
    changes = []
    for relation, citing in rows:
        if citing.id in (notice_id, target.id) or citing.current_version_id is None:
            continue
        assert citing.id is not None
        diff = {"changes": [], "upstream": {"change_id": upstream.id, "kind": upstream.kind}}
        change = Change(
            document_id=citing.id,
            kind="upstream_changed",
            to_version_id=citing.current_version_id,
            detected_at=seen_at,
            summary=upstream_summary(
                relation.kind, label_of(target), upstream.kind, notice=notice, edits=upstream.summary
            ),
            diff=diff,
            priority=priority_of("upstream_changed", diff),
            event_key=f"upstream:{upstream.id}",
            evidence=evidence_of(target, relation.quote),
        )
        if record_change(session, change) is change:  # cites and implements: one change
            changes.append(change)
        citing.pending_review = True
        session.add(citing)
    return changes


def lifecycle_event_recorded(session: Session, document_id: int, kind: str) -> bool:
    """Whether a notice or the validity check has already reported ``kind`` for the document."""
    return (
        session.exec(
            select(Change.id).where(
                Change.document_id == document_id, Change.kind == kind, Change.event_key != ""
            )
        ).first()
        is not None
    )


def count_misses(
    session: Session,
    crawl_run: CrawlRun,
    seen: set[int],
    *,
    takedowns: Collection[str],
    seen_at: datetime,
    withdraw_after: int = WITHDRAW_AFTER_MISSES,
) -> list[Change]:
    """After a successful crawl: reset the listings it saw (``seen``: listing ids), count a miss for the
    others of the same source and site, and mark a listing gone once it has been missed ``withdraw_after``
    times. A document is reported ``withdrawn`` once every listing of it is gone: one that vanished from
    one source but is still listed by another is not withdrawn.

    A listing counts once per crawl run, however often that crawl is archived.
    """
    assert crawl_run.id is not None
    listings = session.exec(select(Listing).where(Listing.source_id == crawl_run.source_id)).all()
    sites = {_site_of(listing.native_id) for listing in listings if listing.id in seen}
    missed: dict[int, bool] = {}
    for listing in listings:
        if listing.id in seen:
            listing.missed_runs, listing.miss_checked_run_id, listing.gone_at = 0, crawl_run.id, None
        elif _site_of(listing.native_id) in sites and listing.miss_checked_run_id != crawl_run.id:
            listing.missed_runs += 1
            listing.miss_checked_run_id = crawl_run.id
            if withdrawn_due(listing.missed_runs, withdraw_after) and listing.gone_at is None:
                listing.gone_at = seen_at
            taken_down = listing.native_id in takedowns
            missed[listing.document_id] = missed.get(listing.document_id, False) or taken_down
        session.add(listing)
    changes = []
    for document_id, takedown in missed.items():
        document = session.get(Document, document_id)
        assert document is not None
        all_listings = listings_of(session, document_id)
        document.missed_runs = min(listing.missed_runs for listing in all_listings)
        session.add(document)
        if all(listing.gone_at is not None for listing in all_listings) and document.current_version_id:
            names = {source.id: source.name for source in session.exec(select(Source)).all()}
            change = _withdrawn(document, all_listings, names, takedown, seen_at)
            if record_change(session, change) is change:  # once per absence
                changes.append(change)
    for document_id in {listing.document_id for listing in listings if listing.id in seen}:
        document = session.get(Document, document_id)
        assert document is not None
        document.missed_runs = 0
        session.add(document)
    return changes


def _withdrawn(
    document: Document, listings: list[Listing], sources: dict[str, str], takedown: bool, seen_at: datetime
) -> Change:
    """The ``withdrawn`` change of a document no source lists any more (``sources``: id -> name)."""
    assert document.id is not None and document.current_version_id is not None
    last = document.last_seen.date().isoformat()
    observed = "其详情均答复“数据不存在”" if takedown else "其列表中均已没有本文件"
    if len({listing.source_id for listing in listings}) > 1:
        names = dict.fromkeys(sources[listing.source_id] for listing in listings)
        observed = f"{'、'.join(names)}的列表中均已没有本文件"
    summary = f"连续{document.missed_runs}次成功抓取，{observed}（最后一次见到：{last}），视为撤回"
    return Change(
        document_id=document.id,
        kind="withdrawn",
        to_version_id=document.current_version_id,
        detected_at=seen_at,
        summary=summary,
        diff={"changes": []},
        priority=priority_of("withdrawn", {}),
        event_key=f"absent-since:{document.last_seen.isoformat()}",
        evidence=evidence_of(document, summary),
    )


def _site_of(native_id: str) -> str:
    """The platform site of a ``siteId::businessId`` native id; other sources are one site."""
    return native_id.split("::", 1)[0] if "::" in native_id else ""


def _set_own_validity(document: Document, validity: Validity) -> None:
    """The document's own statements; what a notice or the validity check established stays."""
    evidence = dict(document.validity_evidence or {})
    by_notice = (evidence.get("valid_until") or {}).get("source") == "notice"
    until = validity.valid_until
    if until is not None:
        stated = date.fromisoformat(until.value)
        if not (by_notice and document.valid_until and document.valid_until >= stated):
            document.valid_until = stated
            conflicts = [fact.to_dict() for fact in validity.conflicts]
            evidence["valid_until"] = {**until.to_dict(), **({"conflicts": conflicts} if conflicts else {})}
    elif not by_notice:
        document.valid_until = None
        evidence.pop("valid_until", None)
    start = validity.valid_from
    document.valid_from = date.fromisoformat(start.value) if start else None
    document.trial = validity.trial is not None
    for name, fact in (("valid_from", start), ("trial", validity.trial)):
        if fact is None:
            evidence.pop(name, None)
        else:
            evidence[name] = fact.to_dict()
    status = validity.status
    held = (evidence.get("status") or {}).get("source") in ("notice", "check")
    if status is not None and not (held and status.value == "有效"):
        document.validity_status = status.value
        evidence["status"] = status.to_dict()
    document.validity_evidence = evidence


def _upsert_relation(
    session: Session,
    known: dict[tuple[str, str], Relation],
    document_id: int,
    version_id: int,
    draft: RelationDraft,
) -> Relation:
    reference = draft.reference
    key = reference.key[:255]
    relation = known.get((draft.kind, key))
    if relation is None:
        relation = Relation(
            from_document_id=document_id,
            kind=draft.kind,
            target_key=key,
            target_title=reference.title,
            target_doc_number=reference.doc_number,
            target_subject=title_key(reference.title)[:255] if reference.title else None,
            quote=reference.sentence,
        )
    elif relation.valid_until != draft.valid_until:
        relation.applied_at = None  # the notice now gives another date: it extends again
    relation.quote, relation.version_id = reference.sentence, version_id
    relation.valid_until, relation.effective = draft.valid_until, draft.effective
    session.add(relation)
    known[(draft.kind, key)] = relation
    return relation


def _upsert_edition(session: Session, newer: Document, older: Document) -> Relation:
    key = f"文号:{older.doc_number}" if older.doc_number else f"文档:{older.id}"
    assert newer.id is not None
    relation = session.exec(
        select(Relation).where(
            Relation.from_document_id == newer.id, Relation.kind == "supersedes", Relation.target_key == key
        )
    ).first()
    if relation is None:
        relation = Relation(
            from_document_id=newer.id,
            kind="supersedes",
            target_key=key,
            target_title=older.title,
            target_doc_number=older.doc_number,
            target_subject=older.subject,
            to_document_id=older.id,
            resolved_by="subject",
            quote=f"新版本：{newer.title}",
            version_id=newer.current_version_id,
        )
        session.add(relation)
        session.flush()
    return relation


def _edition(document: Document) -> Edition:
    return Edition(document.title, document.doc_number, document.published)


def _by(session: Session, column: Any, values: set[str | None]) -> dict[str, list[Document]]:
    """The documents whose ``column`` is one of ``values``, grouped by it, in archive order."""
    grouped: dict[str, list[Document]] = {}
    wanted = values - {None}
    if wanted:
        query = select(Document).where(col(column).in_(wanted)).order_by(col(Document.id))
        for document in session.exec(query):
            grouped.setdefault(getattr(document, column.key), []).append(document)
    return grouped


def _find_target(
    relation: Relation,
    source: Document,
    numbered: dict[str, list[Document]],
    titled: dict[str, list[Document]],
) -> tuple[Document | None, str | None]:
    """By 文号 first; else by title among the documents that issue a text (not notices about one), and for
    an act on a document, only among those issued before the notice."""
    by_number = [d for d in numbered.get(relation.target_doc_number or "", []) if d.id != source.id]
    if by_number:
        return by_number[0], "doc_number"
    candidates = [
        document
        for document in titled.get(relation.target_subject or "", [])
        if document.id != source.id
        and title_act(document.title) in ("issues", "revises")
        and (
            relation.kind not in ACTS
            or (document.published and source.published and document.published < source.published)
        )
    ]
    if not candidates:
        return None, None
    return max(candidates, key=lambda d: (d.published or "", d.id or 0)), "title"


def _superseded_by(session: Session, relation: Relation) -> bool:
    return (
        session.exec(
            select(Relation.id).where(
                Relation.from_document_id == relation.from_document_id,
                Relation.to_document_id == relation.to_document_id,
                Relation.kind == "supersedes",
                col(Relation.applied_at).is_not(None),
            )
        ).first()
        is not None
    )


def _apply(session: Session, relation: Relation, *, announce: bool, seen_at: datetime) -> Change | None:
    target = session.get(Document, relation.to_document_id)
    notice = session.get(Document, relation.from_document_id)
    assert target is not None and notice is not None and target.id is not None
    kind = EFFECTS[relation.kind]
    proof = evidence_of(notice, relation.quote)
    evidence = dict(target.validity_evidence or {})
    before = (target.validity_status or "有效", target.valid_until)
    if kind == "extended":
        if relation.valid_until and (target.valid_until is None or relation.valid_until > target.valid_until):
            target.valid_until = relation.valid_until
            evidence["valid_until"] = {"value": relation.valid_until.isoformat(), "source": "notice", **proof}
        revived = relation.valid_until is None or relation.valid_until >= seen_at.date()
        status = "有效" if revived and target.validity_status != "废止" else target.validity_status
    elif kind == "superseded" and "废止" in relation.quote:
        status = "废止"
    elif kind == "amended" and target.validity_status not in (None, "有效"):
        status = target.validity_status
    else:
        status = STATUS_AFTER[kind]
    if status != target.validity_status:
        target.validity_status = status
        evidence["status"] = {"value": status, "source": "notice", **proof}
    target.validity_evidence = evidence
    session.add(target)
    if not announce or target.current_version_id is None:
        return None
    if _prove_text_change(session, target, kind, proof):
        return None
    diff = {"changes": [clause.to_dict() for clause in _clauses(session, kind, notice, before, target)]}
    event = f"notice:{notice.id}" + (f":{relation.valid_until or '继续有效'}" if kind == "extended" else "")
    notice_name = notice.doc_number or label_of(notice)
    return record_change(
        session,
        Change(
            document_id=target.id,
            kind=kind,
            to_version_id=target.current_version_id,
            detected_at=seen_at,
            summary=summary_of(kind, label_of(target), notice_name, valid_until=relation.valid_until),
            diff=diff,
            priority=priority_of(kind, diff),
            event_key=event,
            evidence=proof,
        ),
    )


def _prove_text_change(session: Session, target: Document, kind: str, proof: dict[str, Any]) -> bool:
    """When the target's own text or platform flag already made this change (the 废止 flag, a reissued
    text), the notice becomes its evidence instead of a second change; True if so."""
    made = session.exec(
        select(Change).where(
            Change.document_id == target.id,
            Change.to_version_id == target.current_version_id,
            Change.kind == kind,
            Change.event_key == "",
        )
    ).first()
    if made is None:
        return False
    if made.evidence is None:
        made.evidence = proof
        session.add(made)
    return True


def _clauses(
    session: Session,
    kind: str,
    notice: Document,
    before: tuple[str, date | None],
    target: Document,
) -> list[ClauseChange]:
    """What the event changed, as clause changes: the notice's edits for an amendment, else the validity."""
    if kind == "amended":
        text = session.get(Version, notice.current_version_id)
        return amendment_edits(text.text) if text else []
    if kind == "extended":
        old, new = before[1], target.valid_until
        if old == new:
            return []
        return [ClauseChange("有效期", "modified", f"至{old}" if old else None, f"至{new}" if new else None)]
    if before[0] == target.validity_status:
        return []
    return [ClauseChange("状态", "modified", before[0], target.validity_status)]
