"""The digest's operations, as the CLI, the scheduler and the web app call them: each opens the
database, does one thing in one transaction, and returns what happened."""

from __future__ import annotations

import builtins  # `list` is also a method of Digest, which its annotations would name
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine

from etl.classify.taxonomy import Taxonomy, load_taxonomy
from etl.db.engine import make_engine, require_current
from etl.db.locks import is_held, sender_lock
from etl.db.states import PUBLISHED_STATES, SENDABLE_STATES, IssueState
from etl.digest import store
from etl.digest.archive import Archive, Extra
from etl.digest.brief import brief_markdown
from etl.digest.chart import issue_charts, issue_png, issue_png_path, kept_charts
from etl.digest.content import IssueContent
from etl.digest.guards import check_dates, check_message, check_rendered
from etl.digest.i18n import LANGS
from etl.digest.periods import Period, last_complete_period, parse_period
from etl.digest.render import Rendered, Renderer
from etl.digest.store import BuildOutcome
from etl.digest.view import (
    MAIL_TOKEN,
    PREFERENCES,
    UNSUBSCRIBE,
    headline_for,
    notice_work_ids,
)
from etl.errors import DigestError
from etl.evidence.service import EvidenceMap
from etl.facts.fidelity import unsupported
from etl.files import write_atomically
from etl.mail import deliveries, verp
from etl.mail.addresses import normalize_address
from etl.mail.message import Prepared, Sender, prepare
from etl.mail.sender import IssueSender, SendReport
from etl.mail.tokens import LONGEST_ADDRESS, make_token, sample_links, subscriber_links
from etl.mail.transport import Transport
from etl.problems import Problem
from etl.settings import Settings
from etl.works.store import work_data
from etl.writer.client import Writer
from etl.writer.drafts import DraftReport, draft_items

logger = logging.getLogger(__name__)
EVIDENCE_FRESH = 60.0  # seconds the evidence map's rows are reused (EvidenceMap)


@dataclass
class Digest:
    """The digest's moving parts for one configuration, built once per command or job."""

    settings: Settings
    engine: Engine
    taxonomy: Taxonomy
    renderer: Renderer
    _evidence: EvidenceMap | None = field(default=None, init=False, repr=False)

    @classmethod
    def open(cls, settings: Settings, engine: Engine | None = None) -> Digest:
        engine = engine or make_engine(settings.database_url)
        require_current(engine)
        taxonomy = load_taxonomy(settings.taxonomy_path)
        return cls(settings, engine, taxonomy, Renderer(settings, taxonomy))

    def local_day(self, now: datetime) -> date:
        return now.astimezone(ZoneInfo(self.settings.schedule.timezone)).date()

    def period(self, text: str | None, now: datetime) -> Period:
        """`--period` as given, or the newest period that has ended."""
        config = self.settings.digest
        if text is None:
            return last_complete_period(self.local_day(now), config.anchor, config.period_days)
        try:
            return parse_period(text, config.anchor, config.period_days)
        except ValueError as exc:
            raise DigestError(str(exc), "give a date (YYYY-MM-DD) inside the period") from None

    def build(self, period: Period, now: datetime) -> BuildOutcome:
        config = self.settings.digest
        # read before the build's transaction, which the map's own connection would wait for
        charts = kept_charts(self.settings, lambda: self.evidence)
        with self.engine.begin() as conn:
            outcome = store.build_issue(
                conn, period, self.taxonomy, config.late_days, config.empty, now
            )
            if outcome.issue is not None:
                content = store.load_content(conn, outcome.issue)
                headlines = {
                    lang: headline_for(content, self.taxonomy, lang, unsupported) for lang in LANGS
                }
                store.set_generated(conn, outcome.issue["id"], headlines)
                outcome.issue["generated"] = headlines
                store.set_charts(conn, outcome.issue["id"], charts)
                outcome.issue["charts"] = charts
        if outcome.issue is not None and self.settings.writer.enabled:
            outcome.drafts = self.draft(outcome.issue, now)
        return outcome

    def draft(self, issue: dict[str, Any], now: datetime) -> DraftReport | None:
        """Writer drafts for the issue's items that lack one (or whose last try failed); None
        when the writer is not configured. Failures leave the template's texts in place."""
        config, key = self.settings.writer, self.settings.secrets.llm_api_key
        if not (config.enabled and config.base_url and config.model and key):
            logger.warning(
                "writer: not used (enabled=%s, base_url and model set=%s, LLM_API_KEY set=%s)",
                config.enabled,
                bool(config.base_url and config.model),
                bool(key),
            )
            return None
        content = self.content(issue)
        writer = Writer(config, key)
        try:
            return draft_items(self.engine, writer, content.items, content.data, config.langs, now)
        finally:
            writer.close()

    def issue(self, ref: str) -> dict[str, Any]:
        with self.engine.connect() as conn:
            return store.find_issue(conn, ref)

    def content(self, issue: dict[str, Any]) -> IssueContent:
        with self.engine.connect() as conn:
            return self._load(conn, issue)

    def _load(self, conn: Connection, issue: dict[str, Any]) -> IssueContent:
        """An issue's content as its editions and pages show it: with the evidence chart."""
        content = store.load_content(conn, issue)
        content.charts = issue_charts(self.settings, lambda: self.evidence, issue)
        return content

    def issue_chart_png(self, slug: str, lang: str) -> tuple[bytes, str] | None:
        """An issue's own chart as PNG and the version it shows; None for no such issue or one
        that kept no chart (built before charts were kept, or without one)."""
        try:
            issue = self.issue(slug)
        except DigestError:
            return None
        return issue_png(issue, lang) if issue["slug"] == slug else None

    @property
    def evidence(self) -> EvidenceMap:
        """The evidence map, opened on first use and shared (the web app serves it too): its
        rows are read again at most once every EVIDENCE_FRESH seconds."""
        if self._evidence is None:
            self._evidence = EvidenceMap.open(self.settings, self.engine, EVIDENCE_FRESH)
        return self._evidence

    def editions(self, content: IssueContent) -> dict[str, Rendered]:
        """Every language's full edition, as the guards check it and previews show it."""
        return {lang: self.renderer.email(content, lang) for lang in LANGS}

    def problems(self, content: IssueContent, editions: dict[str, Rendered]) -> list[Problem]:
        """Everything that stops approval, for every edition: checked on the rendered pages,
        and on the message itself as the reader with the longest address gets it."""
        limit = self.settings.digest.max_html_kb * 1024
        found = check_dates(content, self.settings.digest.late_days)
        for lang, rendered in editions.items():
            found += check_rendered(rendered, limit)
            found += check_message(self.sample_message(rendered), lang)
        return found

    def sample_message(self, rendered: Rendered) -> bytes:
        """The edition's message as sent to the longest address there can be."""
        unsubscribe, preferences, token = sample_links(self.settings)
        domain = self.settings.mail.domain
        prepared = self.prepare_rendered(rendered, datetime.now(UTC))
        return prepared.personal(
            LONGEST_ADDRESS, f"<sample@{domain}>", (unsubscribe, preferences, token)
        )

    def preview(
        self, ref: str, langs: tuple[str, ...], folder: Path
    ) -> tuple[list[Path], list[Problem]]:
        """Write each edition's HTML and text, exactly as sent, to files; returns their paths
        and what would stop approval (from the same renders)."""
        issue = self.issue(ref)
        content = self.content(issue)
        editions = self.editions(content)
        folder.mkdir(parents=True, exist_ok=True)
        paths = []
        for lang in langs:
            rendered = editions[lang]
            stem = folder / f"issue-{issue['number']:03d}-{issue['slug']}.{lang}"
            for suffix, body in ((".html", rendered.html), (".txt", rendered.text)):
                path = stem.with_suffix(stem.suffix + suffix)
                path.write_text(body, encoding="utf-8")
                paths.append(path)
        return paths, self.problems(content, editions)

    def approve(self, ref: str, by: str, now: datetime) -> dict[str, Any]:
        issue = self.issue(ref)
        if issue["state"] != IssueState.DRAFT:
            raise DigestError(
                f"issue {issue['number']} is {issue['state']}, not a draft",
                "only a draft can be approved",
            )
        content = self.content(issue)
        problems = self.problems(content, self.editions(content))
        if problems:
            raise DigestError(
                f"issue {issue['number']} cannot be approved: {len(problems)} problem(s)",
                "\n".join(problems),
                reasons=problems,
            )
        with self.engine.begin() as conn:
            store.set_state(conn, issue["id"], IssueState.APPROVED, now, by)
            return store.find_issue(conn, str(issue["number"]))

    def unapprove(self, ref: str, now: datetime | None = None) -> dict[str, Any]:
        """An approved issue back to draft; also the way out of a `sending` that cannot go on
        (see `halt`)."""
        issue = self.issue(ref)
        if issue["state"] == IssueState.SENDING:
            return self.halt(issue, now or datetime.now(UTC))
        if issue["state"] != IssueState.APPROVED:
            raise DigestError(f"issue {issue['number']} is {issue['state']}, not approved")
        with self.engine.begin() as conn:
            store.set_state(conn, issue["id"], IssueState.DRAFT)
            return store.find_issue(conn, str(issue["number"]))

    def halt(self, issue: dict[str, Any], now: datetime) -> dict[str, Any]:
        """Stop sending an issue and make it a draft again, so it can be edited, approved and
        sent anew. Its deliveries stay: whoever has it (sent, or in doubt) is never mailed it
        again, and the rest get it when it is sent. Refused while a sender is at work."""
        with self.engine.begin() as conn:
            alive = lambda w: is_held(self.engine, sender_lock(w))  # noqa: E731
            deliveries.recover(conn, issue["id"], alive, now)
            if deliveries.claimed(conn, issue["id"]):
                raise DigestError(
                    f"issue {issue['number']} is being sent right now",
                    "stop that `mscwatch digest send` (Ctrl-C) first, then try again",
                )
            if not store.set_state(
                conn, issue["id"], IssueState.DRAFT, expected=IssueState.SENDING
            ):
                raise DigestError(f"issue {issue['number']} changed state meanwhile; try again")
            return store.find_issue(conn, str(issue["number"]))

    def set_texts(self, issue: dict[str, Any], texts: dict[tuple[str, str], str]) -> None:
        """The editor's headline, intro and closing of a draft, per (field, language); an empty
        text hands that one back to the generated text. Only a draft is edited."""
        if issue["state"] != IssueState.DRAFT:
            state = f"issue {issue['number']} is {issue['state']}"
            raise DigestError(f"{state}; only a draft is edited")
        with self.engine.begin() as conn:
            for (field, lang), value in texts.items():
                store.set_text(conn, issue["id"], field, lang, value)

    def move_item(self, issue: dict[str, Any], work_id: int, step: int) -> bool:
        """An item of a draft one place up (-1) or down (+1) in its group; False at either end."""
        with self.engine.begin() as conn:
            return store.move_item(conn, issue["id"], work_id, step)

    def record_of(self, work_id: int) -> dict[str, Any]:
        """The record that speaks for a work (what its lead and facts are written from)."""
        with self.engine.connect() as conn:
            return work_data(conn, [work_id]).get(work_id, {})

    def archive_page(
        self,
        path: str,
        base_url: str | None = None,
        extra: Callable[[Archive, Connection], Extra] | None = None,
    ) -> str | None:
        """One page of the web archive (`issues/SLUG/index.html`, `feed.atom`, …) rendered from
        the database as `build_archive` writes it, its links at `base_url` (default: the
        configured one); None for a page that does not exist."""
        renderer = self.renderer if base_url is None else self.renderer.with_base_url(base_url)
        archive = Archive(renderer)
        with self.engine.connect() as conn:
            plan = archive.plan(
                store.list_issues(conn),
                lambda i: self._load(conn, i),
                extra(archive, conn) if extra else None,
            )
            render = plan.get(path)
            return render() if render is not None else None

    def list(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return store.list_issues(conn)

    def build_archive(
        self, folder: Path, extra: Callable[[Archive, Connection], Extra] | None = None
    ) -> int:
        """Write the archive; `extra(archive, conn)` adds pages beside the issues (articles).
        The charts as PNG go with it: the evidence map's, and beside each published issue's
        page the chart it was built with (the issues' mails show one of them)."""
        archive = Archive(self.renderer)
        with self.engine.connect() as conn:
            issues = store.list_issues(conn)
            pages = archive.pages(
                issues,
                lambda issue: self._load(conn, issue),
                extra(archive, conn) if extra else None,
            )
            count = archive.write(folder, pages)
        pngs = dict(self.evidence.png_charts())
        for issue in issues:
            for lang in LANGS:
                drawn = issue_png(issue, lang) if issue["state"] in PUBLISHED_STATES else None
                if drawn is not None:
                    pngs[issue_png_path(issue["slug"], lang)] = drawn[0]
        for path, png in pngs.items():
            write_atomically(folder / path, png)
            count += 1
        return count

    def brief(self, refs: builtins.list[str], lang: str) -> str:
        """The Markdown brief for these works (ids, pmid:N, DOIs, registry ids), in the order
        given; a work named twice counts once."""
        with self.engine.connect() as conn:
            ids = list(dict.fromkeys(store.resolve_work(conn, ref) for ref in refs))
            data, labels = store.work_data(conn, ids), store.labels_of(conn, ids)
        pairs = [(data[i], labels.get(i, {})) for i in ids if i in data]
        disclaimer = self.settings.digest.disclaimer(lang)
        return brief_markdown(pairs, self.taxonomy, disclaimer, lang)

    def start_sending(self, ref: str, now: datetime) -> dict[str, Any]:
        """An approved issue becomes `sending`, with one queued delivery per active reader, in
        one transaction: readers who join later get the next issue. A `sending` issue resumes
        where it stopped."""
        issue = self.issue(ref)
        state = issue["state"]
        if state == IssueState.SENDING:
            return issue
        if state != IssueState.APPROVED:
            hint = (
                f"approve it first: mscwatch digest approve {issue['number']}"
                if state == IssueState.DRAFT
                else "an issue is sent once; `digest send --to ADDRESS` mails a copy"
            )
            raise DigestError(f"issue {issue['number']} is {state}", hint)
        with self.engine.begin() as conn:
            if store.set_state(
                conn, issue["id"], IssueState.SENDING, now, expected=IssueState.APPROVED
            ):
                domain = self.settings.mail.domain
                key = self.settings.secrets.secret_key or ""
                deliveries.create(conn, issue["id"], issue["slug"], domain, now, key)
            return store.find_issue(conn, str(issue["number"]))  # another sender started it

    def send(
        self,
        ref: str,
        transport: Transport,
        clock: Callable[[], datetime],
        progress: Callable[[int], None] | None = None,
        started: Callable[[IssueSender], None] | None = None,
    ) -> tuple[dict[str, Any], SendReport, dict[str, Any]]:
        """Send the issue's due deliveries; the issue is `sent` once every delivery is done.
        Returns the issue, what this run did, and where all its deliveries stand.

        Every edition the readers need is composed before the issue moves to `sending`: a
        message that cannot be made stops the command with the issue still approved."""
        if self.issue(ref)["state"] not in SENDABLE_STATES:
            self.start_sending(ref, clock())  # says why it cannot be sent
        issue, groups = self.plan_sending(ref)
        content = self.content(issue)
        edition = self.prepared(content, clock())
        for group in groups:
            try:
                edition(group["language"], frozenset(group["topics"]))
            except ValueError as exc:
                raise DigestError(
                    f"issue {issue['number']}: the {group['language']} edition cannot be "
                    f"composed: {exc}",
                    f"fix it in the draft: mscwatch digest unapprove {issue['number']}",
                ) from None
        issue = self.start_sending(ref, clock())
        followed = self._followed(issue, content)
        sender = IssueSender(
            self.engine,
            transport,
            issue,
            edition,
            self.reader_links,
            self.return_path,
            self.settings.delivery,
            clock,
            progress,
            followed=lambda subscriber_id: followed.get(subscriber_id, frozenset()),
            held=edition.held,
        )
        if started:
            started(sender)
        report = sender.run()
        with self.engine.begin() as conn:
            if deliveries.unfinished(conn, issue["id"]) == 0:
                store.set_state(conn, issue["id"], IssueState.SENT, clock())
            standing = deliveries.summary(conn, issue["id"])
            return store.find_issue(conn, str(issue["number"])), report, standing

    def _followed(self, issue: dict[str, Any], content: IssueContent) -> dict[int, frozenset[int]]:
        """subscriber id → the works of this issue's retractions and corrections that an
        earlier message to them held: the work itself, or for a notice that came as a work of
        its own, the work it retracts or corrects."""
        notices = notice_work_ids(content)
        with self.engine.connect() as conn:
            targets = store.notice_targets(conn, notices)
            asked = set(notices).union(*targets.values())
            sent = deliveries.sent_before(conn, issue["id"], asked)
        return {
            reader: frozenset(n for n in notices if n in held or targets.get(n, set()) & held)
            for reader, held in sent.items()
        }

    def prepared(self, content: IssueContent, now: datetime) -> Editions:
        """Each language and topic set rendered and composed once, on first use."""
        return Editions(self, content, now)

    def prepare_rendered(self, rendered: Rendered, now: datetime) -> Prepared:
        mail = self.settings.mail
        return prepare(
            Sender.from_settings(mail, rendered.lang),
            rendered.subject,
            rendered.text,
            rendered.html,
            now,
            UNSUBSCRIBE,
            (UNSUBSCRIBE, PREFERENCES, MAIL_TOKEN),
            mail.unsubscribe_mailto_url(MAIL_TOKEN),
        )

    def return_path(self, delivery_id: int) -> str:
        """The delivery's own envelope sender, so what comes back names it (mail/verp.py)."""
        key = self.settings.secrets.secret_key
        envelope = self.settings.mail.envelope_from
        return verp.return_path(envelope, key, delivery_id) if key else envelope

    def reader_links(self, email: str) -> tuple[str, str, str]:
        """The values `prepared` editions take per reader: unsubscribe and preferences links,
        and the unsubscribe token the mailto: address carries in its subject."""
        token = make_token(self.settings, "unsubscribe", email)
        links = subscriber_links(self.settings, email, token)
        return links["unsubscribe_url"], links["preferences_url"], token

    def test_copy(
        self, ref: str, to: str, lang: str, transport: Transport, now: datetime
    ) -> dict[str, Any]:
        """One copy of the issue, in any state, to one address; deliveries are not touched."""
        try:
            to = normalize_address(to)
        except ValueError as exc:
            raise DigestError(f"the test copy's address {to!r} is not usable: {exc}") from None
        issue = self.issue(ref)
        content = self.content(issue)
        prepared = self.prepared(content, now)(lang, frozenset())
        mail = self.settings.mail
        stamp = now.strftime("%Y%m%d%H%M%S")
        raw = prepared.personal(
            to, f"<test.{issue['slug']}.{stamp}@{mail.domain}>", self.reader_links(to)
        )
        try:
            transport.send(mail.envelope_from, to, raw, f"test-{issue['slug']}-{to}")
        finally:
            transport.close()
        return issue

    def plan_sending(self, ref: str) -> tuple[dict[str, Any], builtins.list[dict[str, Any]]]:
        """Who would get what: readers grouped by edition (language and topics), for
        `digest send --dry-run`. For an issue already sending, only those still to be sent."""
        issue = self.issue(ref)
        with self.engine.connect() as conn:
            readers = deliveries.planned(conn, issue["id"], issue["state"])
        groups: dict[tuple[str, tuple[str, ...]], dict[str, Any]] = {}
        for email, lang, topics in readers:
            key = (lang, tuple(sorted(topics)))
            group = groups.setdefault(
                key, {"language": lang, "topics": list(key[1]), "readers": 0, "examples": []}
            )
            group["readers"] += 1
            if len(group["examples"]) < 3:
                group["examples"].append(email)
        return issue, sorted(groups.values(), key=lambda g: (-g["readers"], g["language"]))


class Editions:
    """An issue's editions, each (language, topics, works followed) rendered and composed once,
    on first use. Most readers share a few; a reader who was sent a work this issue retracts
    gets the edition of their topics with that notice added."""

    def __init__(self, digest: Digest, content: IssueContent, now: datetime) -> None:
        self.digest, self.content, self.now = digest, content, now
        self._editions: dict[tuple[str, frozenset[str], frozenset[int]], Prepared] = {}
        self._held: dict[tuple[str, frozenset[str], frozenset[int]], list[int]] = {}

    def __call__(
        self, lang: str, topics: frozenset[str], followed: frozenset[int] = frozenset()
    ) -> Prepared:
        key = (lang, topics, followed)
        if key not in self._editions:
            rendered = self.digest.renderer.email(self.content, lang, topics, followed)
            self._editions[key] = self.digest.prepare_rendered(rendered, self.now)
            self._held[key] = list(rendered.work_ids)
        return self._editions[key]

    def held(
        self, lang: str, topics: frozenset[str], followed: frozenset[int] = frozenset()
    ) -> list[int]:
        """The works the edition's email holds."""
        self(lang, topics, followed)
        return self._held[(lang, topics, followed)]
