"""The study pages and citation files as the web app and `archive build` ask for them: each
call opens one connection, resolves the address and renders, and says what the answer is (a
page, a permanent redirect to the study's current address, or nothing)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection

from etl.digest.archive import Archive, Extra
from etl.digest.render import Renderer
from etl.digest.service import Digest
from etl.digest.view import study_url
from etl.digest.zh_names import load_zh_names
from etl.files import write_atomically
from etl.studies import store
from etl.studies.cite import FORMATS, Cited, export
from etl.studies.store import StudyContent
from etl.studies.view import build_view

PAGE_TYPE = "text/html; charset=utf-8"


@dataclass(frozen=True)
class Answer:
    """200 with a body and its content type, 301 to `location` (a path under the site's
    base), or 404."""

    status: int
    body: str = ""
    content_type: str = PAGE_TYPE
    location: str = ""


NOT_FOUND = Answer(404)


def page_path(slug: str, lang: str) -> str:
    return f"studies/{slug}/{'' if lang == 'zh' else 'en/'}index.html"


def cite_path(slug: str, fmt: str) -> str:
    return f"studies/{slug}/cite.{fmt}"


def issue_cite_path(slug: str, fmt: str) -> str:
    return f"issues/{slug}/cite.{fmt}"


class Studies:
    """Study pages over the digest's database, templates and taxonomy."""

    def __init__(self, digest: Digest) -> None:
        self.digest = digest
        self.engine = digest.engine
        self.settings = digest.settings
        self.zh = load_zh_names(self.settings.config_dir)

    def _renderer(self, base_url: str | None) -> Renderer:
        renderer = self.digest.renderer
        return renderer if base_url is None else renderer.with_base_url(base_url)

    def _resolve(self, conn: Connection, slug: str) -> tuple[int, str] | None:
        """The work a slug names and the study's current slug."""
        work_id = store.find_work(conn, slug)
        if work_id is None:
            return None
        current = store.slugs_of(conn, [work_id]).get(work_id)
        return (work_id, current) if current else None

    def page(self, slug: str, lang: str, base_url: str | None = None) -> Answer:
        """The study page in `lang`; an old or differently spelt slug of a study is
        redirected to its current address."""
        with self.engine.connect() as conn:
            found = self._resolve(conn, slug)
            if found is None:
                return NOT_FOUND
            work_id, current = found
            if current != slug:
                return Answer(301, location=page_path(current, lang).removesuffix("index.html"))
            content = store.load_study(conn, work_id)
        if content is None:
            return NOT_FOUND
        return Answer(200, self.render(content, lang, base_url))

    def render(self, content: StudyContent, lang: str, base_url: str | None = None) -> str:
        renderer = self._renderer(base_url)
        base = renderer.settings.archive.base_url
        view = build_view(
            content, self.digest.taxonomy, lang, base, self.zh, self.settings.config_dir
        )
        return Archive(renderer).render_page(
            "archive/study.html.j2", lang, v=view, title=view.title
        )

    def cite(self, slug: str, fmt: str, base_url: str | None = None) -> Answer:
        """One study's citation in `fmt` (ris, bib, json)."""
        if fmt not in FORMATS:
            return NOT_FOUND
        with self.engine.connect() as conn:
            found = self._resolve(conn, slug)
            if found is None:
                return NOT_FOUND
            work_id, current = found
            if current != slug:
                return Answer(301, location=cite_path(current, fmt))
            cited = self._cited(conn, [work_id], base_url)
        if not cited:
            return NOT_FOUND
        return Answer(200, export(fmt, cited), FORMATS[fmt])

    def issue_cite(self, slug: str, fmt: str, base_url: str | None = None) -> Answer:
        """Every study a published issue carried, in reading order, in `fmt`."""
        if fmt not in FORMATS:
            return NOT_FOUND
        with self.engine.connect() as conn:
            ids = store.issue_work_ids(conn, slug)
            if ids is None:
                return NOT_FOUND
            cited = self._cited(conn, ids, base_url)
        return Answer(200, export(fmt, cited), FORMATS[fmt])

    def _cited(self, conn: Connection, work_ids: list[int], base_url: str | None) -> list[Cited]:
        """The works (through merges) as citations, each once, in the order given; a work
        without a public page is not cited."""
        home = store.resolve_merged(conn, work_ids)
        ordered = list(dict.fromkeys(home[i] for i in work_ids))
        shown = store.public_ids(conn, ordered)
        ordered = [i for i in ordered if i in shown]
        data = store.work_data(conn, ordered)
        slugs = store.slugs_of(conn, ordered)
        base = self._renderer(base_url).settings.archive.base_url
        return [
            Cited(data[i], slugs[i], study_url(base, slugs[i], "zh"))
            for i in ordered
            if i in data and i in slugs
        ]

    def build(self, folder: Path) -> int:
        """Write the study page (both languages) and the citation files of every work a
        published issue carried or a published article cites, a redirect page at each other
        address the web app would lead to that page (`moved`), and each published issue's
        citation files; returns how many files. Those are the studies the static archive links
        to; the web app serves a page for every relevant work."""
        count = 0
        pages: dict[int, str] = {}  # work id -> its current slug
        with self.engine.connect() as conn:
            for work_id in sorted({*store.carried_ids(conn), *store.cited_ids(conn)}):
                content = store.load_study(conn, work_id)
                if content is None:
                    continue
                pages[work_id] = content.slug
                for lang in ("zh", "en"):
                    text = self.render(content, lang)
                    write_atomically(folder / page_path(content.slug, lang), text.encode())
                    count += 1
                cited = self._cited(conn, [work_id], None)
                for fmt in FORMATS:
                    body = export(fmt, cited).encode()
                    write_atomically(folder / cite_path(content.slug, fmt), body)
                    count += 1
            taken = set(pages.values())
            for work_id, olds in store.old_slugs(conn, pages).items():
                for old in sorted(olds - taken):
                    for lang in ("zh", "en"):
                        text = self.moved(pages[work_id], lang)
                        write_atomically(folder / page_path(old, lang), text.encode())
                        count += 1
            for issue in store.published_issue_slugs(conn):
                cited = self._cited(conn, store.issue_work_ids(conn, issue) or [], None)
                for fmt in FORMATS:
                    body = export(fmt, cited).encode()
                    write_atomically(folder / issue_cite_path(issue, fmt), body)
                    count += 1
        return count

    def moved(self, slug: str, lang: str) -> str:
        """What a static host shows at an old address of the study now at `slug`: the web app
        answers it with a 301, a folder of files can only refresh to the page (and keep search
        engines to the page itself)."""
        url = study_url(self.settings.archive.base_url, slug, lang)
        return Archive(self.digest.renderer).render_page("archive/moved.html.j2", lang, url=url)


def build_archive(
    digest: Digest, folder: Path, extra: Callable[[Archive, Connection], Extra] | None = None
) -> int:
    """The whole static site: the archive's pages (with `extra`'s, the articles) and the study
    pages and citation files it links to (`Articles.build_archive`, which `mscwatch archive
    build`, the `archive:build` job and the demo call, goes through this)."""
    return digest.build_archive(folder, extra) + Studies(digest).build(folder)
