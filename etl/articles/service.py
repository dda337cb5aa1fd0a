"""Full articles' operations, as the CLI and the editor pages call them: each opens what it
needs, does one thing in one transaction, and returns what happened. The digest's service
(`Digest`) lends what an article shares with an issue: the taxonomy, the renderer and the
archive's frame, the guards and the mail composer; an article mailed as a feature goes through
the same deliveries and sender as an issue (`deliveries.Feature`), so a reader gets it once."""

from __future__ import annotations

import builtins
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Connection, Engine

from etl.articles import publish, store
from etl.articles.check import check_article
from etl.articles.draft import draft_markdown
from etl.articles.resolve import DatabaseResolver
from etl.articles.studies import CitedStudy, cited_studies
from etl.db.states import ArticleState, DeliveryState
from etl.digest import i18n
from etl.digest import store as digest_store
from etl.digest.archive import Archive, Extra
from etl.digest.brief import text as escaped
from etl.digest.guards import check_message, check_rendered
from etl.digest.render import Rendered
from etl.digest.service import Digest
from etl.digest.view import citation
from etl.editors import review
from etl.errors import ArticleError, DigestError, SourceError
from etl.mail import deliveries
from etl.mail.addresses import normalize_address
from etl.mail.message import Prepared
from etl.mail.sender import IssueSender, SendReport
from etl.mail.transport import Transport
from etl.pipeline.lookup import lookup
from etl.problems import Problem
from etl.settings import Settings
from etl.studies.service import build_archive

OK, GONE = 200, 410


@dataclass
class Articles:
    digest: Digest

    @classmethod
    def open(cls, settings: Settings, engine: Engine | None = None) -> Articles:
        return cls(Digest.open(settings, engine))

    @property
    def engine(self) -> Engine:
        return self.digest.engine

    @property
    def settings(self) -> Settings:
        return self.digest.settings

    # -- drafting and editing ------------------------------------------------------------------

    def new(
        self, refs: builtins.list[str] | None, lang: str, editor: str, now: datetime
    ) -> dict[str, Any]:
        """A draft in the seed's structure from these works (ids, pmid:N, DOIs, registry ids),
        or, without any, from the works editors picked in the review queue."""
        if lang not in i18n.LANGS:
            raise ArticleError(f"no language {lang!r}", f"use one of {', '.join(i18n.LANGS)}")
        with self.engine.begin() as conn:
            if refs:
                ids = builtins.list(dict.fromkeys(self._resolve(conn, r) for r in refs))
            else:
                ids = [row["work_id"] for row in review.picked(conn)]
            if not ids:
                raise ArticleError(
                    "no works to write about",
                    "pick works in the review queue first, or name them: "
                    "mscwatch article new WORK…",
                )
            data, labels = digest_store.work_data(conn, ids), digest_store.labels_of(conn, ids)
            pairs = [(data[i], labels.get(i, {})) for i in ids if i in data]
            disclaimer = self.settings.digest.disclaimer(lang)
            body = draft_markdown(pairs, self.digest.taxonomy, disclaimer, lang)
            return store.create(conn, body, lang, ids, editor, now)

    def find(self, ref: str) -> dict[str, Any]:
        with self.engine.connect() as conn:
            return store.find(conn, ref)

    def list(self) -> builtins.list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return store.list_articles(conn)

    def text(self, ref: str, number: int | None = None) -> dict[str, Any]:
        """A version of the article (the latest by default), with its body."""
        with self.engine.connect() as conn:
            return store.version(conn, store.find(conn, ref)["id"], number)

    def versions(self, ref: str) -> builtins.list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return store.versions(conn, store.find(conn, ref)["id"])

    def save(self, ref: str, body: str, editor: str, now: datetime, note: str = "") -> int:
        """A new version, unless the text is the latest one's (saving twice keeps one)."""
        with self.engine.begin() as conn:
            article = store.find(conn, ref)
            latest = store.version(conn, article["id"])
            if latest["body"] == body and not note:
                return int(latest["number"])
            return store.save(conn, article["id"], body, editor, now, note)

    def restore(self, ref: str, number: int, editor: str, now: datetime) -> int:
        """An earlier version's text saved again as the newest (nothing is overwritten)."""
        with self.engine.begin() as conn:
            article = store.find(conn, ref)
            old = store.version(conn, article["id"], number)
            return store.save(
                conn, article["id"], old["body"], editor, now, f"restored from version {number}"
            )

    def citation_line(
        self,
        ref: str,
        lang: str,
        now: datetime,
        *,
        online: bool = True,
        transport: httpx.BaseTransport | None = None,
    ) -> str:
        """The citation line of a work named by PMID (a bare number is one), DOI, PMCID or
        trial registry id, in the article's form: 论文：《…》（《…》，year，DOI：…）. A work the
        database lacks is fetched through its source (`pipeline/lookup.py`), stored and
        classified, as a crawl would."""
        if not ref.strip():
            raise ArticleError("no id to cite", "give a PMID, DOI, PMCID or trial id")
        try:
            looked = lookup(
                self.engine, self.settings, ref, now, online=online, transport=transport
            )
        except SourceError as exc:
            raise ArticleError(f"{ref}: {exc.message}", exc.hint) from None
        if looked.data is None:
            raise ArticleError(f"no work {ref.strip()!r}: {looked.note}")
        return escaped(i18n.plain(citation(looked.data, lang)))

    def check(
        self,
        ref: str,
        now: datetime,
        *,
        online: bool = True,
        transport: httpx.BaseTransport | None = None,
    ) -> dict[str, Any]:
        """Check the current version's citations and figures (`article check`) and keep the
        report with the article: approval reads it while that version stays current."""
        with self.engine.connect() as conn:
            article = store.find(conn, ref)
            latest = store.version(conn, article["id"])
        resolver = DatabaseResolver(
            self.engine, self.settings, now, online=online, transport=transport
        )
        report = check_article(
            latest["body"], resolver=resolver, format="markdown",
            config_dir=self.settings.config_dir,
        )  # fmt: skip
        with self.engine.begin() as conn:
            store.set_check(
                conn, article["id"], report.to_json(), report.blocking, latest["number"], now
            )
            return store.find(conn, str(article["id"]))

    @staticmethod
    def _resolve(conn: Connection, ref: str) -> int:
        try:
            return digest_store.resolve_work(conn, ref)
        except DigestError as exc:
            raise ArticleError(exc.message, exc.hint) from None

    # -- approval and publishing ---------------------------------------------------------------

    def approve(self, ref: str, by: str, now: datetime, override: str = "") -> dict[str, Any]:
        """A draft becomes approved once the check of its current text blocks nothing, or an
        editor approves it anyway with a note saying why (kept and shown with the article)."""
        with self.engine.begin() as conn:
            article = store.find(conn, ref)
            if article["state"] not in store.EDITABLE:
                raise ArticleError(f"article {article['id']} is {article['state']}, not a draft")
            latest = store.version(conn, article["id"])
            if article["checked_version"] != latest["number"]:
                raise ArticleError(
                    f"article {article['id']}: version {latest['number']} has not been checked",
                    f"run the check first: mscwatch article check {article['id']}",
                )
            if article["check_blocking"] and not override.strip():
                raise ArticleError(
                    f"article {article['id']} cannot be approved: its check reports a citation "
                    "not found or a contradicted figure",
                    "fix the text and check again, or approve with --override NOTE saying why",
                )
            store.approve(conn, article["id"], by, now, override.strip())
            return store.find(conn, str(article["id"]))

    def unapprove(self, ref: str, now: datetime) -> dict[str, Any]:
        with self.engine.begin() as conn:
            article = store.find(conn, ref)
            if not store.unapprove(conn, article["id"], now):
                raise ArticleError(f"article {article['id']} is {article['state']}, not approved")
            return store.find(conn, str(article["id"]))

    def publish(self, ref: str, now: datetime) -> dict[str, Any]:
        """An approved article goes into the archive (its page, the index, the feed).

        A withdrawn article approved again is published as any other: dated now, so it
        takes its place among its neighbours and at the top of the index and the feed as new.
        What readers now read is a text checked and approved anew, and its date says when that
        text came out; the withdrawal stays on record with the article."""
        with self.engine.begin() as conn:
            article = store.find(conn, ref)
            if article["state"] == ArticleState.PUBLISHED:
                return article
            if not store.publish(conn, article["id"], now):
                raise ArticleError(
                    f"article {article['id']} is {article['state']}, not approved",
                    f"approve it first: mscwatch article approve {article['id']}",
                )
            return store.find(conn, str(article["id"]))

    def withdraw(self, ref: str, by: str, note: str, now: datetime) -> dict[str, Any]:
        """A published article leaves the archive (its page, the index, the feed, its
        neighbours' links, the study pages); its address answers 410 Gone with `note`, the
        reason, which readers following an old link or mail then read. Mail already sent
        stays in the readers' inboxes: nothing recalls it."""
        note = note.strip()
        if not note:
            raise ArticleError(
                "a withdrawal needs a reason", 'say why with --note "…": readers see it'
            )
        with self.engine.begin() as conn:
            article = store.find(conn, ref)
            if not store.withdraw(conn, article["id"], by, note, now):
                raise ArticleError(
                    f"article {article['id']} is {article['state']}, not published",
                    "only a published article is withdrawn",
                )
            return store.find(conn, str(article["id"]))

    def mailed_to(self, article: dict[str, Any]) -> int:
        """How many readers the article was mailed to as a feature."""
        with self.engine.connect() as conn:
            states = deliveries.summary(conn, deliveries.Feature(article["id"]))["states"]
        return int(states.get(DeliveryState.SENT, 0))

    # -- the archive ---------------------------------------------------------------------------

    def archive_extra(self, archive: Archive, conn: Connection) -> Extra:
        """The published articles' pages and entries, and the withdrawn ones' notices, for the
        archive built or served."""
        articles = store.published(conn)
        bodies = {a["id"]: store.version(conn, a["id"])["body"] for a in articles}
        base = archive.settings.archive.base_url

        def cites(article: dict[str, Any]) -> builtins.list[CitedStudy]:
            return cited_studies(conn, article["id"], article["lang"], base)

        return publish.extra(archive, articles, bodies, cites, store.withdrawn(conn))

    def archive_page(self, path: str, base_url: str | None = None) -> str | None:
        """One page of the archive, issues and articles alike (the web app's)."""
        return self.digest.archive_page(path, base_url, self.archive_extra)

    def archive_answer(self, path: str, base_url: str | None = None) -> tuple[str, int] | None:
        """One page of the archive with its status: 410 Gone for a withdrawn article's
        notice, 200 for the rest; None for a page that does not exist."""
        gone: set[str] = set()

        def extra(archive: Archive, conn: Connection) -> Extra:
            found = self.archive_extra(archive, conn)
            gone.update(found.gone)
            return found

        body = self.digest.archive_page(path, base_url, extra)
        return None if body is None else (body, GONE if path in gone else OK)

    def build_archive(self, folder: Path) -> int:
        return build_archive(self.digest, folder, self.archive_extra)

    # -- the feature mail ----------------------------------------------------------------------

    def edition(self, article: dict[str, Any]) -> Rendered:
        with self.engine.connect() as conn:
            body = store.version(conn, article["id"])["body"]
        return publish.email(self.digest.renderer, article, body)

    def problems(self, rendered: Rendered) -> builtins.list[Problem]:
        """The issue's guards on the feature's mail: size, links, headings, line lengths."""
        limit = self.settings.digest.max_html_kb * 1024
        found = check_rendered(rendered, limit)
        return found + check_message(self.digest.sample_message(rendered), rendered.lang)

    def send(
        self,
        ref: str,
        transport: Transport,
        clock: Callable[[], datetime],
        progress: Callable[[int], None] | None = None,
    ) -> tuple[dict[str, Any], SendReport, dict[str, Any]]:
        """Mail a published article to the active readers of its language, each exactly once:
        a second run sends only what the first left (nothing, once all are sent)."""
        article = self.find(ref)
        if article["state"] != ArticleState.PUBLISHED:
            raise ArticleError(
                f"article {article['id']} is {article['state']}, not published",
                f"publish it first: mscwatch article publish {article['id']}",
            )
        rendered = self.edition(article)
        problems = self.problems(rendered)
        if problems:
            raise ArticleError(
                f"article {article['id']} cannot be mailed: {len(problems)} problem(s)",
                "\n".join(problems),
                reasons=problems,
            )
        prepared = self.digest.prepare_rendered(rendered, clock())
        feature = deliveries.Feature(article["id"])
        with self.engine.begin() as conn:
            # The readers are fixed by the first send, as an issue's are when it starts
            # sending: a rerun resumes and retries, and readers who join later are not mailed
            # an old feature.
            if not deliveries.summary(conn, feature)["states"]:
                deliveries.create(
                    conn,
                    feature,
                    f"article-{article['slug']}",
                    self.settings.mail.domain,
                    clock(),
                    self.settings.secrets.secret_key or "",
                    language=article["lang"],
                )

        def edition(lang: str, topics: frozenset[str]) -> Prepared:
            return prepared  # one language, every topic: a feature goes to all its readers

        sender = IssueSender(
            self.engine,
            transport,
            {"id": feature, "number": article["id"], "message_key": f"article-{article['slug']}"},
            edition,
            self.digest.reader_links,
            self.digest.return_path,
            self.settings.delivery,
            clock,
            progress,
        )
        report = sender.run()
        with self.engine.begin() as conn:
            if deliveries.unfinished(conn, feature) == 0 and article["mailed_at"] is None:
                store.set_mailed(conn, article["id"], clock())
            standing = deliveries.summary(conn, feature)
            return store.find(conn, str(article["id"])), report, standing

    def test_copy(self, ref: str, to: str, transport: Transport, now: datetime) -> None:
        """One copy of the article's mail, in any state, to one address; no delivery rows."""
        try:
            to = normalize_address(to)
        except ValueError as exc:
            raise ArticleError(f"the test copy's address {to!r} is not usable: {exc}") from None
        article = self.find(ref)
        prepared = self.digest.prepare_rendered(self.edition(article), now)
        mail = self.settings.mail
        stamp = now.strftime("%Y%m%d%H%M%S")
        raw = prepared.personal(
            to,
            f"<test.article-{article['slug']}.{stamp}@{mail.domain}>",
            self.digest.reader_links(to),
        )
        try:
            transport.send(mail.envelope_from, to, raw, f"test-article-{article['slug']}-{to}")
        finally:
            transport.close()
