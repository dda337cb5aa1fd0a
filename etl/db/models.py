"""The schema (see db/README.md for the map). Loading code works on these tables with Core."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from etl.db.types import JSONType, UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
Id = BigInteger().with_variant(Integer(), "sqlite")  # SQLite autoincrements INTEGER keys only


# What each database indexes search text with (migration 0019), which these models cannot
# declare: SQLite's FTS5 table (and the tables FTS5 keeps for it), PostgreSQL's generated
# tsvector column and its GIN index. Comparing the models with a database leaves them out
# (`declared_here`).
SEARCH_INDEX_TABLE = "search_fts"
SEARCH_INDEX_COLUMN = "tsv"
SEARCH_INDEX_GIN = "ix_search_texts_tsv"


def declared_here(name: str | None, type_: str, parent_names: Any = None) -> bool:
    """Alembic's `include_name`: False for the search index's own database objects."""
    if type_ == "table" and name and name.startswith(SEARCH_INDEX_TABLE):
        return False
    if type_ == "column" and name == SEARCH_INDEX_COLUMN:
        return (parent_names or {}).get("table_name") != "search_texts"
    return not (type_ == "index" and name == SEARCH_INDEX_GIN)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    # Every model here maps one plain table, and the loading code works on it with Core
    # (`Work.__table__.insert()`): say so, where SQLAlchemy's stubs allow any FromClause.
    __table__: ClassVar[Table]


class Work(Base):
    """One paper or trial, whatever number of sources reported it."""

    __tablename__ = "works"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(Text, default="")
    published: Mapped[str | None] = mapped_column(String(10))
    retracted: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Moves with every change to the work or its records: the queue's change stamp reads it.
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Title matching: works are compared only within a block (kind, year, first author).
    block_key: Mapped[str | None] = mapped_column(String(160), index=True)
    title_key: Mapped[str | None] = mapped_column(Text)
    # Set when a merge folded this work into another; the merge row says how to undo it.
    merged_into: Mapped[int | None] = mapped_column(ForeignKey("works.id", ondelete="SET NULL"))


class WorkMerge(Base):
    """Two works found to be one (a shared identifier, or a near-identical title): reversible."""

    __tablename__ = "work_merges"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    kept_work_id: Mapped[int] = mapped_column(
        ForeignKey("works.id", ondelete="CASCADE"), index=True
    )
    merged_work_id: Mapped[int] = mapped_column(
        ForeignKey("works.id", ondelete="CASCADE"), index=True
    )
    reason: Mapped[str] = mapped_column(String(32))  # identifier | title
    evidence: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    probable: Mapped[bool] = mapped_column(Boolean, default=False)  # an editor should confirm
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Identifier(Base):
    """(scheme, value) pairs; each names exactly one work."""

    __tablename__ = "identifiers"
    __table_args__ = (UniqueConstraint("scheme", "value", name="uq_identifiers_scheme_value"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    work_id: Mapped[int] = mapped_column(ForeignKey("works.id", ondelete="CASCADE"), index=True)
    scheme: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(255))


class SourceRecord(Base):
    """What one source said about one item: normalised data, raw bytes (zlib) and content hash."""

    __tablename__ = "source_records"
    __table_args__ = (
        UniqueConstraint("source", "source_id", name="uq_source_records_source_source_id"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    source: Mapped[str] = mapped_column(String(32))
    source_id: Mapped[str] = mapped_column(String(128))
    work_id: Mapped[int] = mapped_column(ForeignKey("works.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    content_hash: Mapped[str] = mapped_column(String(64))
    # The upstream's own modification date: an older version never replaces a newer one.
    revised: Mapped[str | None] = mapped_column(String(10))
    data: Mapped[dict[str, Any]] = mapped_column(JSONType)
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    location: Mapped[str] = mapped_column(Text, default="")
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Link(Base):
    """A typed pointer from a work to an identifier (resolved to a work when that id is known).

    Pointing at an identifier rather than a work id lets a paper name a trial before the trial
    has been crawled; the link resolves by joining `identifiers` once it arrives.
    """

    __tablename__ = "links"
    __table_args__ = (
        UniqueConstraint(
            "source_record_id", "type", "target_scheme", "target_value", name="uq_links_record"
        ),
        Index("ix_links_target", "target_scheme", "target_value"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    work_id: Mapped[int] = mapped_column(ForeignKey("works.id", ondelete="CASCADE"), index=True)
    source_record_id: Mapped[int] = mapped_column(
        ForeignKey("source_records.id", ondelete="CASCADE")
    )
    type: Mapped[str] = mapped_column(String(48))
    target_scheme: Mapped[str] = mapped_column(String(16))
    target_value: Mapped[str] = mapped_column(String(255))
    evidence: Mapped[str] = mapped_column(Text, default="")


class Event(Base):
    """Something newsworthy that happened to a work, dated when it happened upstream."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_detected_at", "detected_at"),
        Index("ix_events_work_id_detected_at", "work_id", "detected_at"),  # a work's newest
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    work_id: Mapped[int] = mapped_column(ForeignKey("works.id", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(32))
    occurred_on: Mapped[str | None] = mapped_column(String(10))
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime)
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class CrawlRun(Base):
    """One crawl or ingest of one source: when, how it ended, and what it counted."""

    __tablename__ = "crawl_runs"
    __table_args__ = (Index("ix_crawl_runs_source_started", "source", "started_at"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    source: Mapped[str] = mapped_column(String(32))
    mode: Mapped[str] = mapped_column(String(16))  # crawl | ingest
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(String(16))  # running | ok | partial | failed
    fetched: Mapped[int] = mapped_column(Integer, default=0)
    new: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    deleted: Mapped[int] = mapped_column(Integer, default=0)
    quarantined: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class SourceCursor(Base):
    """The watermark of a source: saved only after the records it covers are committed."""

    __tablename__ = "source_cursors"
    source: Mapped[str] = mapped_column(String(32), primary_key=True)
    cursor: Mapped[dict[str, Any]] = mapped_column(JSONType)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class QuarantineEntry(Base):
    """A record that could not be parsed, with its reason and raw bytes, for a person to look at."""

    __tablename__ = "quarantine"
    __table_args__ = (
        UniqueConstraint("source", "record_key", "raw_hash", name="uq_quarantine_record"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    source: Mapped[str] = mapped_column(String(32))
    location: Mapped[str] = mapped_column(Text)
    record_key: Mapped[str] = mapped_column(String(128))
    reason: Mapped[str] = mapped_column(Text)
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    raw_hash: Mapped[str] = mapped_column(String(64))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Classification(Base):
    """A work's current labels, with the taxonomy (and model) that produced them."""

    __tablename__ = "classifications"
    __table_args__ = (
        Index("ix_classifications_relevant_section", "relevant", "section"),
        Index("ix_classifications_taxonomy", "taxonomy_digest"),
    )
    work_id: Mapped[int] = mapped_column(
        ForeignKey("works.id", ondelete="CASCADE"), primary_key=True
    )
    relevant: Mapped[bool] = mapped_column(Boolean)
    relevance: Mapped[float] = mapped_column(Float)
    section: Mapped[str | None] = mapped_column(String(32))
    stage: Mapped[str | None] = mapped_column(String(32))
    safety: Mapped[bool] = mapped_column(Boolean, default=False)
    labels: Mapped[dict[str, Any]] = mapped_column(JSONType)
    taxonomy_version: Mapped[str] = mapped_column(String(64))
    taxonomy_digest: Mapped[str] = mapped_column(String(32))
    model: Mapped[str | None] = mapped_column(String(128))
    classified_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class EditorLabel(Base):
    """An editor's decision about a work (include/exclude, a corrected label): training data."""

    __tablename__ = "editor_labels"
    __table_args__ = (Index("ix_editor_labels_work_label", "work_id", "label"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    work_id: Mapped[int] = mapped_column(ForeignKey("works.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(String(32))  # relevant, cancer_types, stage, …
    value: Mapped[Any] = mapped_column(JSONType)
    editor: Mapped[str] = mapped_column(String(128), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class EditorDecision(Base):
    """An editor's current say about a work: include or exclude it, feature it with a highlight,
    pick it for a full article, a note. Decisions win over the classifier's rules."""

    __tablename__ = "editor_decisions"
    work_id: Mapped[int] = mapped_column(
        ForeignKey("works.id", ondelete="CASCADE"), primary_key=True
    )
    decision: Mapped[str | None] = mapped_column(String(16))  # include | exclude | None (rules)
    featured: Mapped[bool] = mapped_column(Boolean, default=False)
    # The 研究亮点 text per edition: `highlight` Chinese, `highlight_en` English; an edition
    # never shows the other language's text.
    highlight: Mapped[str] = mapped_column(Text, default="")
    highlight_en: Mapped[str] = mapped_column(Text, default="", server_default="")
    picked: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str] = mapped_column(Text, default="")
    editor: Mapped[str] = mapped_column(String(128), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DigestIssue(Base):
    """One issue of the newsletter: a period, a number and a slug fixed when first built."""

    __tablename__ = "digest_issues"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    slug: Mapped[str] = mapped_column(String(32), unique=True)
    period_start: Mapped[str] = mapped_column(String(10))  # first day, local date
    period_end: Mapped[str] = mapped_column(String(10))  # day after the last, local date
    state: Mapped[str] = mapped_column(String(16))  # draft | approved | sending | sent
    # The editor's texts, per language ({"zh": …, "en": …}); a missing language is generated.
    headline: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict)
    intro: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict)
    closing: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict)
    nothing_new: Mapped[bool] = mapped_column(Boolean, default=False)
    # Work ids in the editor's order; within each group of the issue they come first, in this
    # order, and a rebuild keeps it. None: rank order.
    item_order: Mapped[list[int] | None] = mapped_column(JSONType)
    # The headline generated at the last build, per language: a later issue avoids repeating
    # one (an editor's headline in `headline` still wins over it).
    generated: Mapped[dict[str, str] | None] = mapped_column(JSONType)
    counts: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # The evidence chart's data at the last build (etl/digest/chart.py `kept_charts`): the
    # issue's image is drawn from it, so it shows what the issue was sent with. None: built
    # before it was kept, or without a chart; the map's current chart is shown.
    charts: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    built_at: Mapped[datetime] = mapped_column(UTCDateTime)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_by: Mapped[str] = mapped_column(String(128), default="")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DigestItem(Base):
    """A work in an issue: where it goes (section, group), why (kind), and in which order."""

    __tablename__ = "digest_items"
    __table_args__ = (UniqueConstraint("issue_id", "work_id", name="uq_digest_items_issue_work"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("digest_issues.id", ondelete="CASCADE"))
    work_id: Mapped[int] = mapped_column(ForeignKey("works.id", ondelete="CASCADE"), index=True)
    section: Mapped[str] = mapped_column(String(32))
    group_key: Mapped[str] = mapped_column(String(48))
    kind: Mapped[str] = mapped_column(String(32))  # new | update | retraction | correction | …
    position: Mapped[int] = mapped_column(Integer)  # editor's order wins; else rank order
    rank: Mapped[float] = mapped_column(Float)
    featured: Mapped[bool] = mapped_column(Boolean, default=False)
    highlight: Mapped[str] = mapped_column(Text, default="")  # Chinese
    highlight_en: Mapped[str] = mapped_column(Text, default="", server_default="")
    event_ids: Mapped[list[int]] = mapped_column(JSONType, default=list)
    occurred_on: Mapped[str | None] = mapped_column(String(10))


class WriterDraft(Base):
    """A lead or 研究亮点 text a writer model drafted for one work and edition: kept with the
    source sentences it came from and its state (draft, accepted, edited, rejected, failed with
    the reason), so an editor decides before readers see it."""

    __tablename__ = "writer_drafts"
    __table_args__ = (
        UniqueConstraint("work_id", "lang", "field", name="uq_writer_drafts_work_id"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    work_id: Mapped[int] = mapped_column(ForeignKey("works.id", ondelete="CASCADE"))
    lang: Mapped[str] = mapped_column(String(8))
    field: Mapped[str] = mapped_column(String(16))  # lead | highlight
    text: Mapped[str] = mapped_column(Text)
    sources: Mapped[list[str]] = mapped_column(JSONType, default=list)
    state: Mapped[str] = mapped_column(String(16))  # draft | accepted | edited | rejected | failed
    reason: Mapped[str] = mapped_column(Text, default="")
    model: Mapped[str] = mapped_column(String(128), default="")
    prompt_tokens: Mapped[int | None] = mapped_column(Integer)
    completion_tokens: Mapped[int | None] = mapped_column(Integer)
    seconds: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_by: Mapped[str] = mapped_column(String(128), default="", server_default="")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Article(Base):
    """A full article an editor writes from picked works, in the seed article's genre: its
    text lives in `article_versions` (every save kept), the rest of its life here."""

    __tablename__ = "articles"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    slug: Mapped[str] = mapped_column(String(96), unique=True)  # its address: /articles/SLUG/
    title: Mapped[str] = mapped_column(String(300))
    lang: Mapped[str] = mapped_column(String(2))  # zh | en
    state: Mapped[str] = mapped_column(String(16))  # draft | approved | published | withdrawn
    work_ids: Mapped[list[int]] = mapped_column(JSONType, default=list)  # the picked works
    # The last citation and claim check of the current text, and whether it blocks approval.
    check_report: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    check_blocking: Mapped[bool] = mapped_column(Boolean, default=False)
    checked_version: Mapped[int | None] = mapped_column(Integer)
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Approved despite a blocking check: the editor's reason, kept and shown.
    override_note: Mapped[str] = mapped_column(Text, default="")
    override_by: Mapped[str] = mapped_column(String(128), default="")
    override_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_by: Mapped[str] = mapped_column(String(128), default="")
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    mailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Taken back after publishing: its address answers 410 with this note. Kept when the
    # article is edited and published again, as the record that it once was withdrawn.
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_by: Mapped[str] = mapped_column(String(128), default="", server_default="")
    withdrawal_note: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_by: Mapped[str] = mapped_column(String(128), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ArticleVersion(Base):
    """One save of an article's Markdown: never changed, so any earlier text can come back."""

    __tablename__ = "article_versions"
    __table_args__ = (
        UniqueConstraint("article_id", "number", name="uq_article_versions_article_id"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)  # 1, 2, … per article
    body: Mapped[str] = mapped_column(Text)
    editor: Mapped[str] = mapped_column(String(128), default="")
    note: Mapped[str] = mapped_column(Text, default="")  # e.g. "restored from version 2"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ArticleWork(Base):
    """A work an article cites, as its last check resolved it: the study pages ask which
    published articles cite a work, which the check report's JSON cannot answer by index on
    both databases."""

    __tablename__ = "article_works"
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    work_id: Mapped[int] = mapped_column(
        ForeignKey("works.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    position: Mapped[int] = mapped_column(Integer)  # 1, 2, … the order the text first cites it


class DigestEvent(Base):
    """Which issue reported an event: each event is reported once, so no reader gets it twice."""

    __tablename__ = "digest_events"
    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), primary_key=True
    )
    issue_id: Mapped[int] = mapped_column(
        ForeignKey("digest_issues.id", ondelete="CASCADE"), index=True
    )


class Subscriber(Base):
    """A reader. Only `active` readers get issues; the other states are kept, not deleted, so
    an address that left or bounced is never mailed again by an import."""

    __tablename__ = "subscribers"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # lower-cased
    state: Mapped[str] = mapped_column(String(16))  # pending|active|unsubscribed|bounced|complained
    language: Mapped[str] = mapped_column(String(2))  # zh | en
    topics: Mapped[list[str]] = mapped_column(JSONType, default=list)  # empty = everything
    source: Mapped[str] = mapped_column(String(16))  # form | import | cli
    # Evidence of consent (GDPR): when, from where, which form text.
    consent: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    bounces: Mapped[int] = mapped_column(Integer, default=0)  # permanent failures so far
    last_error: Mapped[str] = mapped_column(Text, default="")
    confirmations_sent: Mapped[int] = mapped_column(Integer, default=0)
    confirmation_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)  # last change of state


class Delivery(Base):
    """One issue to one subscriber. The unique pair and the state machine below are what make
    sending exactly-once: queued → claimed (by one sender) → sent | retry | failed; skipped when
    the reader left meanwhile (see mail/sender.py)."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("issue_id", "subscriber_id", name="uq_deliveries_issue_subscriber"),
        UniqueConstraint("article_id", "subscriber_id", name="uq_deliveries_article_subscriber"),
        Index("ix_deliveries_issue_state", "issue_id", "state"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    # An issue, or (with `article_id` and no issue) a full article mailed as a feature: the
    # same rows and states, so the same sender delivers both exactly once.
    issue_id: Mapped[int | None] = mapped_column(
        ForeignKey("digest_issues.id", ondelete="CASCADE")
    )
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    subscriber_id: Mapped[int] = mapped_column(
        ForeignKey("subscribers.id", ondelete="CASCADE"), index=True
    )
    state: Mapped[str] = mapped_column(String(16))
    message_id: Mapped[str] = mapped_column(String(255))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str] = mapped_column(Text, default="")
    # Sent again after a sender died with this message possibly on the wire (mail/sender.py).
    in_doubt: Mapped[bool] = mapped_column(Boolean, default=False)
    claimed_by: Mapped[str | None] = mapped_column(String(96))
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The works the reader's edition held, set when it is sent: a later retraction or
    # correction of one of them reaches this reader whatever topics they chose. None for
    # messages sent before it was kept (the whole issue counts then).
    work_ids: Mapped[list[int] | None] = mapped_column(JSONType)


class MailEvent(Base):
    """What a returned message said (bounce, complaint, unsubscribe by mail), once per report:
    processing the same mailbox twice changes nothing. Reports that cannot be tied to a message
    we sent are kept too, with `outcome` "unmatched", so an operator sees them."""

    __tablename__ = "mail_events"
    __table_args__ = (
        UniqueConstraint("report", "address", "kind", name="uq_mail_events_report_address_kind"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    report: Mapped[str] = mapped_column(String(64))  # sha256 of the report's bytes
    kind: Mapped[str] = mapped_column(String(16))  # bounce|soft_bounce|complaint|unsubscribe
    address: Mapped[str] = mapped_column(String(254))
    status: Mapped[str] = mapped_column(String(16), default="")
    detail: Mapped[str] = mapped_column(Text, default="")
    message_id: Mapped[str] = mapped_column(String(255), default="")
    subscriber_id: Mapped[int | None] = mapped_column(
        ForeignKey("subscribers.id", ondelete="SET NULL"), index=True
    )
    processed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # "applied", or "unmatched": not tied to a message we sent (or an unsubscribe request
    # without a valid token), so recorded and shown but never acted on; `reason` says why.
    outcome: Mapped[str] = mapped_column(String(16), default="applied", server_default="applied")
    reason: Mapped[str] = mapped_column(Text, default="", server_default="")


class RateEvent(Base):
    """One use of a rate-limited action (the subscribe form), so the limit holds across the
    web app's worker processes without another server."""

    __tablename__ = "rate_events"
    __table_args__ = (Index("ix_rate_events_key_at", "key", "at"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    key: Mapped[str] = mapped_column(String(128))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class JobRun(Base):
    """One run of a scheduled job, or of the same job started by hand: the history that the
    health verdicts, `status` and the alerts read."""

    __tablename__ = "job_runs"
    __table_args__ = (Index("ix_job_runs_job_started", "job", "started_at"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    job: Mapped[str] = mapped_column(String(64))
    trigger: Mapped[str] = mapped_column(String(16))  # schedule | catch-up | manual
    holder: Mapped[str] = mapped_column(String(160), default="")  # pid and host
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # running | ok | partial | failed | stopped | interrupted (its process died)
    outcome: Mapped[str] = mapped_column(String(16))
    counts: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    error: Mapped[str | None] = mapped_column(Text)


class Alert(Base):
    """One incident told to the operators: opened (and mailed) once when a job turns broken,
    closed (and a recovery note mailed) when it works again."""

    __tablename__ = "alerts"
    __table_args__ = (Index("ix_alerts_subject_closed", "subject", "closed_at"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    subject: Mapped[str] = mapped_column(String(64))  # the job id
    reason: Mapped[str] = mapped_column(Text)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recovery_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Editor(Base):
    """A person who may use the editor pages. Created by an operator (`mscwatch editors add`),
    never by sign-up; disabled rather than deleted, so what they decided keeps a name."""

    __tablename__ = "editors"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(254), unique=True)  # login: user name or email
    display_name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str] = mapped_column(String(255))  # werkzeug's method$salt$hash
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # the language of the editor pages for this person (zh | en): Chinese unless they chose
    language: Mapped[str] = mapped_column(String(2), default="zh", server_default="zh")


class EditorSession(Base):
    """One login of an editor. The browser's cookie holds a random token; only its SHA-256 is
    kept, so a copy of this table opens nothing. Logout deletes the row, and disabling an
    account or resetting its password deletes all of the editor's rows: a copied cookie stops
    working at once."""

    __tablename__ = "editor_sessions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 hex of the token
    editor_id: Mapped[int] = mapped_column(
        Id, ForeignKey("editors.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SearchDocument(Base):
    """A relevant work as the search lists it, rewritten with its labels (search/index.py).
    Its indexed text is in `search_texts`, so these rows stay narrow: a query walks many of
    them (the date order, the count) and reads none of the text."""

    __tablename__ = "search_documents"
    __table_args__ = (Index("ix_search_documents_day", "day"),)
    work_id: Mapped[int] = mapped_column(
        ForeignKey("works.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    kind: Mapped[str] = mapped_column(String(16))
    day: Mapped[str] = mapped_column(String(10), default="")
    title: Mapped[str] = mapped_column(Text, default="")
    vernacular_title: Mapped[str] = mapped_column(Text, default="")
    labels: Mapped[dict[str, Any]] = mapped_column(JSONType)
    identifiers: Mapped[list[str]] = mapped_column(JSONType)
    indexed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SearchText(Base):
    """A searchable work's indexed text (search/tokens.py): SQLite's FTS5 table `search_fts`
    and PostgreSQL's generated column `tsv` (GIN-indexed) index it (migration 0019; neither
    can be said in these models)."""

    __tablename__ = "search_texts"
    work_id: Mapped[int] = mapped_column(
        ForeignKey("search_documents.work_id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    )
    body: Mapped[str] = mapped_column(Text, default="")


class SearchTag(Base):
    """A filter value of a searchable work (`cancer:lung`, `kind:trial`, `year:2025`): the
    search's filters are one indexed lookup each, whatever the text index."""

    __tablename__ = "search_tags"
    tag: Mapped[str] = mapped_column(String(64), primary_key=True)
    work_id: Mapped[int] = mapped_column(
        ForeignKey("search_documents.work_id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
        index=True,
    )
