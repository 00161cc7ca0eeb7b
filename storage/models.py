"""The archive's tables.

Identity and idempotency live in unique constraints, so re-running any stage can never duplicate a
document, a version, a change or an outbox row: a second insert of the same thing fails or is skipped.
All datetimes are timezone-aware UTC (sqlmodel rejects naive ones).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, Text, TypeDecorator, UniqueConstraint, true
from sqlalchemy import text as sql_text
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite drops the zone; this puts it back on read)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to the archive; use an aware UTC datetime")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _ts(nullable: bool = False, index: bool = False) -> Any:
    if nullable:
        return Field(default=None, sa_column=Column(UTCDateTime(), nullable=True, index=index))
    return Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False, index=index))


class Source(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=64)
    name: str
    level: str = Field(max_length=16)
    district: str | None = Field(default=None, max_length=32)
    spider: str | None = Field(default=None, max_length=64)
    base_url: str | None = None
    enabled: bool = True
    updated_at: datetime = _ts()


class Document(SQLModel, table=True):
    """One policy document, however many sources and columns list it (see Listing)."""

    __table_args__ = (UniqueConstraint("source_id", "native_id", name="uq_document_source_native"),)

    id: int | None = Field(default=None, primary_key=True)
    source_id: str = Field(foreign_key="source.id", index=True, max_length=64)
    """With ``native_id``: the listing the document was first archived from."""
    native_id: str = Field(max_length=255)
    doc_number: str | None = Field(default=None, index=True, max_length=128)
    title: str
    url: str
    agency: str | None = None
    district: str | None = Field(default=None, index=True, max_length=32)
    level: str | None = Field(default=None, max_length=16)
    published: str | None = Field(default=None, max_length=32)
    status: str | None = Field(default=None, max_length=16)
    first_seen: datetime = _ts()
    last_seen: datetime = _ts()
    current_version_id: int | None = None
    subject: str | None = Field(default=None, index=True, max_length=255)
    """What the document is about, as references name it (normalise.references.subject_key)."""
    valid_from: date | None = None
    valid_until: date | None = Field(default=None, index=True)
    trial: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})
    validity_status: str | None = Field(default=None, max_length=16)
    """有效, 失效, 废止 or 已修改: the platform's flag, overruled by a later notice or by expiry."""
    validity_evidence: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    """Per fact (valid_from, valid_until, trial, status): its value, source (platform, title, text, notice,
    check) and the quote that proves it; a notice adds its document_id, title, doc_number and url."""
    lifecycle_version_id: int | None = None
    """The version whose text the validity and the references were last derived from."""
    pending_review: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})
    """A document it cites or implements changed (an upstream_changed change); cleared by its own next
    version."""
    missed_runs: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    """The fewest consecutive misses among its listings: how long it has been absent from every source
    that listed it (0 while any listing is still seen)."""


class Listing(SQLModel, table=True):
    """One place a document is listed: a source (and its column or site) and that source's id for it.

    The same document on the platform and on a district site, or in two columns of one site, is one
    document with several listings. Each listing keeps the hash of the text its source last served, so a
    revision is told apart from two sources serving slightly different texts of one document.
    """

    __table_args__ = (UniqueConstraint("source_id", "native_id", name="uq_listing_source_native"),)

    id: int | None = Field(default=None, primary_key=True)
    document_id: int = Field(foreign_key="document.id", index=True)
    source_id: str = Field(foreign_key="source.id", index=True, max_length=64)
    native_id: str = Field(max_length=255)
    url: str
    title: str
    doc_number: str | None = Field(default=None, index=True, max_length=128)
    """The 文号 as listings are matched on (normalise.identity.doc_number_key)."""
    published: str | None = Field(default=None, index=True, max_length=32)
    """The publication day it gives (ISO), as listings without 文号 are matched on."""
    first_seen: datetime = _ts()
    last_seen: datetime = _ts()
    content_hash: str | None = Field(default=None, max_length=64)
    """The hash of the text this listing's source served when last seen."""
    version_id: int | None = None
    """The document version that was current when it last served a text: a listing behind the current
    version is catching up with a revision another source brought, not bringing a new one."""
    matched_by: str | None = Field(default=None, max_length=16)
    """How it joined an already archived document (doc_number, title_date, url); NULL for the listing that
    created the document."""
    missed_runs: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    """Consecutive successful crawls of its source that did not list it."""
    miss_checked_run_id: int | None = None
    """The crawl run that last counted it seen or missed, so archiving a crawl twice counts it once."""
    gone_at: datetime | None = _ts(nullable=True)
    """When its source was found to no longer list it (it stays as history; a sighting clears it)."""


class Version(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("document_id", "seq", name="uq_version_document_seq"),)

    id: int | None = Field(default=None, primary_key=True)
    document_id: int = Field(foreign_key="document.id", index=True)
    seq: int
    """1 for the first version of a document, then 2, 3, ... in the order they were seen."""
    content_hash: str = Field(index=True, max_length=64)
    text: str = Field(sa_column=Column(Text, nullable=False))
    doc_metadata: dict[str, Any] = Field(default_factory=dict, sa_column=Column("metadata", JSON))
    snapshot_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    normaliser_version: int
    technical_upgrade: bool = False
    """True when this version differs from the previous one only because a newer normaliser ran."""
    crawl_run_id: int | None = Field(default=None, foreign_key="crawlrun.id")
    listing_id: int | None = Field(default=None, foreign_key="listing.id", index=True)
    """The listing whose snapshots this text came from (renormalising replays them with its spider)."""
    first_seen: datetime = _ts()
    last_seen: datetime = _ts()


class Change(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint(
            "document_id", "to_version_id", "kind", "event_key", name="uq_change_document_version_kind_event"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    document_id: int = Field(foreign_key="document.id", index=True)
    kind: str = Field(max_length=32, index=True)
    from_version_id: int | None = Field(default=None, foreign_key="version.id")
    to_version_id: int = Field(foreign_key="version.id")
    detected_at: datetime = _ts(index=True)
    summary: str
    diff: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    """The computed diff (see detect.diff.TextDiff.to_dict): clause changes, status, timings."""
    priority: int = Field(default=1, index=True)
    """How much the change matters (detect.priority: 0 low … 3 critical), for ranking and filters."""
    routed_at: datetime | None = _ts(nullable=True)
    """When the notify stage turned this change into outbox rows (NULL: not routed yet)."""
    event_key: str = Field(default="", max_length=128, sa_column_kwargs={"server_default": ""})
    """Tells apart life-cycle events of one kind on one version: the notice (extended twice), the end
    date and threshold (expiring again after an extension), the upstream change, the absence. Empty for
    changes of the text."""
    evidence: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    """For life-cycle changes: {document_id, title, doc_number, url, quote}, the notice (or the document
    itself) and the sentence that proves the event."""


class Relation(SQLModel, table=True):
    """What one document states about another: cites, implements, amends, supersedes, repeals, extends or
    interprets it. The target is named by ``target_key`` (its 文号, else its title) and resolved to an
    archived document when one answers to it, now or when it arrives later."""

    __table_args__ = (
        UniqueConstraint("from_document_id", "kind", "target_key", name="uq_relation_from_kind_target"),
    )

    id: int | None = Field(default=None, primary_key=True)
    from_document_id: int = Field(foreign_key="document.id", index=True)
    kind: str = Field(max_length=16, index=True)
    target_key: str = Field(max_length=255, index=True)
    target_title: str | None = Field(default=None, sa_column=Column(Text))
    target_doc_number: str | None = Field(default=None, index=True, max_length=128)
    target_subject: str | None = Field(default=None, index=True, max_length=255)
    """The title as documents' subjects are keyed, so a 文号 nobody archived still finds its document."""
    to_document_id: int | None = Field(default=None, foreign_key="document.id", index=True)
    resolved_by: str | None = Field(default=None, max_length=16)
    """doc_number, title or subject (a new edition found by what it is about)."""
    quote: str = Field(sa_column=Column(Text, nullable=False))
    valid_until: date | None = None
    """For extends: the new end of validity."""
    effective: date | None = None
    """For repeals: when the repeal takes effect."""
    version_id: int | None = Field(default=None, foreign_key="version.id")
    """The version of the citing document that last stated it: relations of older texts are history."""
    applied_at: datetime | None = _ts(nullable=True)
    """When its effect on the target (extended, repealed, ...) was recorded."""
    created_at: datetime = _ts()


class CrawlRun(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("run_id", "source_id", name="uq_crawlrun_run_source"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: str = Field(index=True, max_length=64)
    """One id per `policywatch run`; shared by the crawl runs of every source in it."""
    source_id: str = Field(foreign_key="source.id", index=True, max_length=64)
    status: str = Field(default="running", max_length=16)
    """running, ok, failed (nothing usable fetched), partial (some requests failed)."""
    started_at: datetime = _ts()
    finished_at: datetime | None = _ts(nullable=True)
    requests: int = 0
    responses: int = 0
    items: int = 0
    errors: int = 0
    new: int = 0
    amended: int = 0
    error_log: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    timings: dict[str, float] = Field(default_factory=dict, sa_column=Column(JSON))
    full_walk: bool = Field(default=True, sa_column_kwargs={"server_default": true()})
    """False when the crawl stopped early (at already known documents): what it did not list is not
    missing."""


class Fetch(SQLModel, table=True):
    """One HTTP exchange of a crawl; its body is the raw snapshot ``sha256`` in the snapshot store."""

    __table_args__ = (UniqueConstraint("crawl_run_id", "seq", name="uq_fetch_run_seq"),)

    id: int | None = Field(default=None, primary_key=True)
    crawl_run_id: int = Field(foreign_key="crawlrun.id", index=True)
    seq: int
    method: str = Field(max_length=8)
    url: str
    request_body: str | None = Field(default=None, sa_column=Column(Text))
    status: int
    headers: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON))
    sha256: str = Field(index=True, max_length=64)
    size: int
    fetched_at: datetime = _ts()


class Outbox(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("subscription", "change_id", name="uq_outbox_subscription_change"),)

    id: int | None = Field(default=None, primary_key=True)
    subscription: str = Field(max_length=128, index=True)
    change_id: int = Field(foreign_key="change.id", index=True)
    status: str = Field(default="pending", max_length=16, index=True)
    """pending, sending (claimed), sent, failed (attempts exhausted), uncertain (crashed mid-send),
    cancelled (by an operator)."""
    digest_key: str | None = Field(default=None, max_length=64, index=True)
    """For digest subscriptions: the period this row is sent with (e.g. ``daily:2026-03-02``); rows
    with the same key go out together as one message at ``next_attempt_at``."""
    attempts: int = 0
    next_attempt_at: datetime = _ts()
    claimed_at: datetime | None = _ts(nullable=True)
    sent_at: datetime | None = _ts(nullable=True)
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = _ts()


class HealthAlert(SQLModel, table=True):
    """A health condition of a source (or of alert delivery) while it lasts: opened when a check first
    finds it, cleared when a later check no longer does. Operators hear of both ends, not of every run."""

    __table_args__ = (
        # At most one open alert per subject and condition, even when two runs check at once.
        Index(
            "uq_healthalert_open",
            "subject",
            "condition",
            unique=True,
            sqlite_where=sql_text("cleared_at IS NULL"),
            postgresql_where=sql_text("cleared_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    subject: str = Field(max_length=64, index=True)
    """The source id, or ``outbox`` for alert delivery."""
    condition: str = Field(max_length=16)
    """failing, blocked, layout, stale or delivery (see storage.health.CONDITIONS)."""
    opened_at: datetime = _ts()
    cleared_at: datetime | None = _ts(nullable=True, index=True)
    evidence: str = Field(sa_column=Column(Text, nullable=False))
    """What proved the condition when it was opened (the fault, the dates, the outbox rows)."""
    clear_evidence: str | None = Field(default=None, sa_column=Column(Text))


class HealthNotice(SQLModel, table=True):
    """One message to one operators subscription about an alert opening or clearing; delivered like the
    outbox (claimed before sending, retried by the subscription's policy, never sent twice)."""

    __table_args__ = (
        UniqueConstraint(
            "subscription", "alert_id", "event", name="uq_healthnotice_subscription_alert_event"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    subscription: str = Field(max_length=128, index=True)
    alert_id: int = Field(foreign_key="healthalert.id", index=True)
    event: str = Field(max_length=8)
    """opened or cleared."""
    status: str = Field(default="pending", max_length=16, index=True)
    """pending, sending (claimed), sent, failed (attempts exhausted), uncertain (crashed mid-send)."""
    attempts: int = 0
    next_attempt_at: datetime = _ts()
    claimed_at: datetime | None = _ts(nullable=True)
    sent_at: datetime | None = _ts(nullable=True)
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = _ts()
