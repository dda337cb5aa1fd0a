"""The words the service stores and reports for the state of things, each defined once.

They are StrEnums: a member is the string it stands for, so rows, JSON answers (`status --json`,
`digest list --json`) and templates read exactly as before, while code names a state it means
(`IssueState.SENT`) instead of spelling it, and a misspelt state is an AttributeError, not a
comparison that is silently never true.
"""

from __future__ import annotations

from enum import StrEnum


class EventKind(StrEnum):
    """News about a work (`events.type`): what `works/events.py` decides from old and new data."""

    NEW = "new"
    RETRACTED = "retracted"
    CORRECTED = "corrected"
    DELETED = "deleted"
    PREPRINT_PUBLISHED = "preprint_published"
    STATUS_CHANGED = "status_changed"
    PHASE_CHANGED = "phase_changed"
    ENROLLMENT_CHANGED = "enrollment_changed"
    COMPLETION_DATE_CHANGED = "completion_date_changed"
    RESULTS_POSTED = "results_posted"
    STOPPED = "stopped"
    ARMS_CHANGED = "arms_changed"


class IssueState(StrEnum):
    """An issue's way out (`digest_issues.state`): draft → approved → sending → sent."""

    DRAFT = "draft"
    APPROVED = "approved"
    SENDING = "sending"
    SENT = "sent"


PUBLISHED_STATES = (IssueState.SENDING, IssueState.SENT)
"""An issue is public (archive, feeds, "sent before") once sending has begun."""
SENDABLE_STATES = (IssueState.APPROVED, IssueState.SENDING)
"""An issue `digest send` takes: approved, or sending and to be resumed."""


class DeliveryState(StrEnum):
    """One issue to one reader (`deliveries.state`): queued → claimed → sent | retry | failed;
    skipped when the reader left meanwhile."""

    SENT = "sent"
    QUEUED = "queued"
    CLAIMED = "claimed"
    RETRY = "retry"
    FAILED = "failed"
    SKIPPED = "skipped"


class Outcome(StrEnum):
    """How a crawl, an ingest or a job ended (`crawl_runs.outcome`, `job_runs.outcome`)."""

    RUNNING = "running"
    OK = "ok"
    QUIET = "quiet"
    PARTIAL = "partial"
    FAILED = "failed"
    SKIPPED = "skipped"
    STOPPED = "stopped"


class Verdict(StrEnum):
    """A job's health, as `status` and the alerts judge it from its runs (`ops/health.py`)."""

    OK = "ok"
    QUIET = "quiet"
    PARTIAL = "partial"
    FAILING = "failing"
    BROKEN = "broken"
    LATE = "late"
    STALE = "stale"
    DISABLED = "disabled"
    NEVER_RUN = "never run"


class ArticleState(StrEnum):
    """A full article's way out (`articles.state`): draft → approved → published, and
    published → withdrawn when an editor takes it back (its address then answers 410 Gone).
    Approval waits for a check without blocking findings, or an editor's override with a note;
    a withdrawn article is approved again as it stands, or edited (a draft again) first."""

    DRAFT = "draft"
    APPROVED = "approved"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"
