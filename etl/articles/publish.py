"""A published article as the archive shows it and the mail carries it: its page (with
« 上一篇 / 下一篇 » between articles, titles and dates as on the seed's site), its entries for
the index and the Atom feed, and its email edition in the digest's style; a withdrawn
article's notice at its address. Pure functions of the article rows and their texts; the
archive's frame and the renderer come from the digest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from markupsafe import Markup
from mjml import mjml2html

from etl.articles.render import body_html, email_html, split, to_text
from etl.articles.studies import CitedStudy
from etl.digest import i18n
from etl.digest.archive import Archive, Entry, Extra, lang_prefix
from etl.digest.render import Rendered, Renderer, wrap_lines
from etl.digest.view import PREFERENCES, UNSUBSCRIBE

KIND = {"zh": "专题文章", "en": "Feature article"}


@dataclass(frozen=True)
class Neighbour:
    title: str
    date: str
    url: str


def article_path(slug: str) -> str:
    return f"articles/{slug}/index.html"


def article_url(base_url: str, slug: str) -> str:
    return f"{base_url}articles/{slug}/"


def published_day(article: dict[str, Any]) -> str:
    when = article.get("published_at")
    return when.date().isoformat() if when is not None else ""


def entry(article: dict[str, Any], base_url: str) -> Entry:
    lang = article["lang"]
    day = published_day(article)
    return Entry(
        number=article["id"],
        slug=article["slug"],
        title=article["title"],
        date=i18n.format_date(lang, day),
        iso_date=day,
        url=article_url(base_url, article["slug"]),
        summary=KIND[lang],
    )


Cites = Callable[[dict[str, Any]], list[CitedStudy]]


def extra(
    archive: Archive,
    articles: list[dict[str, Any]],
    bodies: dict[int, str],
    cites: Cites | None = None,
    withdrawn: list[dict[str, Any]] | None = None,
) -> Extra:
    """The archive's pages and entries for the published `articles` (oldest first), each
    with its current text in `bodies`. Neighbours are the articles in the same language;
    `cites` gives an article's cited studies, asked only when its page is rendered. Each of
    the `withdrawn` articles keeps its address, with the notice of its withdrawal (`gone`):
    in no list, no feed, nobody's neighbour."""
    pages: dict[str, Callable[[], str]] = {
        article_path(a["slug"]): partial(withdrawn_page, archive, a) for a in withdrawn or []
    }
    gone = frozenset(pages)
    base = archive.settings.archive.base_url
    entries: dict[str, list[Entry]] = {}
    for lang in i18n.LANGS:
        mine = [a for a in articles if a["lang"] == lang]
        entries[lang] = [entry(a, base) for a in reversed(mine)]
        for position, article in enumerate(mine):
            before = mine[position - 1] if position else None
            after = mine[position + 1] if position + 1 < len(mine) else None
            pages[article_path(article["slug"])] = partial(
                page, archive, article, bodies[article["id"]], before, after, cites
            )
    return Extra(pages=pages, entries=entries, gone=gone)


def neighbour(article: dict[str, Any] | None, base_url: str) -> Neighbour | None:
    if article is None:
        return None
    day = published_day(article)
    return Neighbour(
        article["title"],
        i18n.format_date(article["lang"], day),
        article_url(base_url, article["slug"]),
    )


def page(
    archive: Archive,
    article: dict[str, Any],
    markdown: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    cites: Cites | None = None,
) -> str:
    """The article's own page in the archive's frame, with the study pages of the works it
    cites after its text (the text's own citation lines stay as the editor wrote them)."""
    lang = article["lang"]
    base = archive.settings.archive.base_url
    disclaimer = archive.settings.digest.disclaimer(lang)
    return archive.render_page(
        "archive/article.html.j2",
        lang,
        title=article["title"] or split(markdown).title,
        kind=KIND[lang],
        date=i18n.format_date(lang, published_day(article)),
        body=Markup(body_html(markdown)),
        previous=neighbour(before, base),
        next=neighbour(after, base),
        studies=cites(article) if cites else [],
        # The draft ends with the disclaimer: the frame does not say it twice.
        disclaimer="" if disclaimer and disclaimer in markdown else disclaimer,
    )


def withdrawn_page(archive: Archive, article: dict[str, Any]) -> str:
    """What a withdrawn article's address shows instead of its text, as scholarly publishers
    do: that it was withdrawn, when, and the editor's reason, in the article's language."""
    lang = article["lang"]
    when = article["withdrawn_at"]
    return archive.render_page(
        "archive/withdrawn.html.j2",
        lang,
        title=article["title"],
        kind=KIND[lang],
        published=i18n.format_date(lang, published_day(article)),
        withdrawn=i18n.format_date(lang, when.date() if when else None),
        note=article["withdrawal_note"],
    )


def email(renderer: Renderer, article: dict[str, Any], markdown: str) -> Rendered:
    """The article as a feature mail in the digest's style: the same header, column and
    footer (unsubscribe and preference links filled per reader), the body in between."""
    lang = article["lang"]
    settings = renderer.settings
    header = settings.digest.header
    base = settings.archive.base_url
    values = {
        "lang": lang,
        "ui": i18n.UI[lang],
        "title": article["title"],
        "kind": KIND[lang],
        "date": i18n.format_date(lang, published_day(article)),
        "web_url": article_url(base, article["slug"]),
        "archive_url": base + lang_prefix(lang),
        "site": header.name(lang),
        "tagline": header.tagline(lang),
        "unsubscribe_url": UNSUBSCRIBE,
        "preferences_url": PREFERENCES,
        "disclaimer": settings.digest.disclaimer(lang),
    }
    html = renderer.env.get_template("articles/email.mjml.j2").render(
        body=Markup(email_html(markdown)), **values
    )
    html = wrap_lines(mjml2html(html, disable_comments=True))
    text = renderer.env.get_template("articles/email.txt.j2").render(
        body=to_text(markdown), **values
    )
    grows = sum(html.count(placeholder) * n for placeholder, n in renderer.growth.items())
    return Rendered(
        lang=lang,
        topics=frozenset(),
        subject=f"{KIND[lang]}{i18n.UI[lang]['colon']}{article['title']}",
        html=html,
        text=text,
        items=1,
        more=0,
        sent_html_bytes=len(html.encode("utf-8")) + grows,
    )
