"""The digest's operations, as the CLI, the scheduler and the web app call them: each opens the
database, does one thing in one transaction, and returns what happened."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from etl.classify.taxonomy import Taxonomy, load_taxonomy
from etl.db.engine import make_engine, require_current
from etl.digest import store
from etl.digest.archive import Archive
from etl.digest.brief import brief_markdown
from etl.digest.content import IssueContent
from etl.digest.guards import check_dates, check_rendered
from etl.digest.i18n import LANGS
from etl.digest.periods import Period, last_complete_period, parse_period
from etl.digest.render import Rendered, Renderer
from etl.digest.store import BuildOutcome
from etl.digest.view import MAIL_TOKEN, PREFERENCES, UNSUBSCRIBE
from etl.errors import DigestError
from etl.mail import deliveries
from etl.mail.message import Prepared, Sender, prepare
from etl.mail.sender import IssueSender, SendReport
from etl.mail.tokens import make_token, subscriber_links
from etl.mail.transport import Transport
from etl.settings import Settings
from etl.subscribers.addresses import normalize_address


@dataclass
class Digest:
    """The digest's moving parts for one configuration, built once per command or job."""

    settings: Settings
    engine: Engine
    taxonomy: Taxonomy
    renderer: Renderer

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
        with self.engine.begin() as conn:
            return store.build_issue(
                conn, period, self.taxonomy, config.late_days, config.empty, now
            )

    def issue(self, ref: str) -> dict[str, Any]:
        with self.engine.connect() as conn:
            return store.find_issue(conn, ref)

    def content(self, issue: dict[str, Any]) -> IssueContent:
        with self.engine.connect() as conn:
            return store.load_content(conn, issue)

    def editions(self, content: IssueContent) -> dict[str, Rendered]:
        """Every language's full edition, as the guards check it and previews show it."""
        return {lang: self.renderer.email(content, lang) for lang in LANGS}

    def problems(self, content: IssueContent, editions: dict[str, Rendered]) -> list[str]:
        """Everything that stops approval, for every edition."""
        limit = self.settings.digest.max_html_kb * 1024
        found = check_dates(content, self.settings.digest.late_days)
        for rendered in editions.values():
            found += check_rendered(rendered, limit)
        return found

    def preview(
        self, ref: str, langs: tuple[str, ...], folder: Path
    ) -> tuple[list[Path], list[str]]:
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
        if issue["state"] != "draft":
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
            )
        with self.engine.begin() as conn:
            store.set_state(conn, issue["id"], "approved", now, by)
            return store.find_issue(conn, str(issue["number"]))

    def unapprove(self, ref: str) -> dict[str, Any]:
        issue = self.issue(ref)
        if issue["state"] != "approved":
            raise DigestError(f"issue {issue['number']} is {issue['state']}, not approved")
        with self.engine.begin() as conn:
            store.set_state(conn, issue["id"], "draft")
            return store.find_issue(conn, str(issue["number"]))

    def list(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return store.list_issues(conn)

    def build_archive(self, folder: Path) -> int:
        archive = Archive(self.renderer)
        with self.engine.connect() as conn:
            issues = store.list_issues(conn)
            pages = archive.pages(issues, lambda issue: store.load_content(conn, issue))
            return archive.write(folder, pages)

    def brief(self, refs: list[str], lang: str) -> str:
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
        if state == "sending":
            return issue
        if state != "approved":
            hint = (
                f"approve it first: mscwatch digest approve {issue['number']}"
                if state == "draft"
                else "an issue is sent once; `digest send --to ADDRESS` mails a copy"
            )
            raise DigestError(f"issue {issue['number']} is {state}", hint)
        with self.engine.begin() as conn:
            if store.set_state(conn, issue["id"], "sending", now, expected="approved"):
                domain = self.settings.mail.domain
                deliveries.create(conn, issue["id"], issue["slug"], domain, now)
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
        Returns the issue, what this run did, and where all its deliveries stand."""
        issue = self.start_sending(ref, clock())
        content = self.content(issue)
        sender = IssueSender(
            self.engine,
            transport,
            issue,
            self.prepared(content, clock()),
            self.reader_links,
            self.settings.mail.envelope_from,
            self.settings.delivery,
            clock,
            progress,
        )
        if started:
            started(sender)
        report = sender.run()
        with self.engine.begin() as conn:
            if deliveries.unfinished(conn, issue["id"]) == 0:
                store.set_state(conn, issue["id"], "sent", clock())
            standing = deliveries.summary(conn, issue["id"])
            return store.find_issue(conn, str(issue["number"])), report, standing

    def prepared(
        self, content: IssueContent, now: datetime
    ) -> Callable[[str, frozenset[str]], Prepared]:
        """Each language and topic set rendered and composed once, on first use."""
        editions: dict[tuple[str, frozenset[str]], Prepared] = {}
        mail = self.settings.mail
        sender = Sender.from_settings(mail)
        mailto = mail.unsubscribe_mailto_url(MAIL_TOKEN)

        def edition(lang: str, topics: frozenset[str]) -> Prepared:
            key = (lang, topics)
            if key not in editions:
                rendered = self.renderer.email(content, lang, topics)
                editions[key] = prepare(
                    sender,
                    rendered.subject,
                    rendered.text,
                    rendered.html,
                    now,
                    UNSUBSCRIBE,
                    (UNSUBSCRIBE, PREFERENCES, MAIL_TOKEN),
                    mailto,
                )
            return editions[key]

        return edition

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

    def plan_sending(self, ref: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
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
