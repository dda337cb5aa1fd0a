"""The evidence map's chart in an issue: a PNG linked to the map with its numbers as alt text,
under the items, in both editions and on the issue page (the issue's own image, drawn from the
chart it was built with: tests/digest/test_issue_chart.py); a line with the map's address in
the text part; nothing when the site's address is not public https, when the setting is off or
the map is empty; the size guard as before; `archive build` writes the PNGs."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from lxml import html as lxml_html
from PIL import Image

from etl.db.engine import make_engine, upgrade
from etl.digest import store
from etl.digest.chart import fetchable, issue_charts
from etl.digest.content import IssueContent
from etl.digest.guards import check_rendered
from etl.digest.render import Renderer
from etl.digest.service import Digest
from etl.evidence import raster
from etl.evidence.charts import describe, version
from etl.evidence.query import Query
from etl.evidence.service import EvidenceMap
from etl.evidence.words import CHARTS
from etl.web import create_app
from tests.conftest import make_settings

SITE = "https://msc-watch.net/"  # a public https address (never fetched by the tests)
CHART = "per-year-by-phase"


def digest_at(built: Digest, **overrides: Any) -> Digest:
    """The built issues with other settings (the same database)."""
    values = {"paths.var": str(built.settings.paths.var), "archive.base_url": SITE, **overrides}
    return Digest.open(make_settings(built.settings.database_url, **values), built.engine)


def content(digest: Digest, number: int) -> IssueContent:
    with digest.engine.connect() as conn:
        return digest.content(store.find_issue(conn, str(number)))


def linked_images(html: str) -> list[tuple[str, Any]]:
    tree = lxml_html.document_fromstring(html)
    return [(a.get("href"), img) for a in tree.iter("a") for img in a.iter("img")]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_issue_shows_the_chart_linked_to_the_map(built: Digest, lang: str) -> None:
    public = digest_at(built)
    issue = content(public, 1)
    rendered = public.renderer.email(issue, lang)
    shown = public.evidence.chart(CHART, lang)
    page = SITE + ("evidence/" if lang == "zh" else "evidence/en/")
    ((href, img),) = [(h, i) for h, i in linked_images(rendered.html) if "/chart." in i.get("src")]
    assert href == page
    slug = issue.issue["slug"]  # the map has not changed since: the issue's chart is the map's
    assert img.get("src") == f"{SITE}issues/{slug}/chart.{lang}.png?v={version(shown)}"
    assert 0 < int(img.get("width")) <= 600
    assert img.get("alt") == describe(shown, lang)
    for i, year in enumerate(shown.categories):  # every bar's number is in the alt text
        assert f"{year}{'：' if lang == 'zh' else ': '}{shown.total(i)}" in img.get("alt")
    caption = (
        "图：各年份研究数（按研发阶段）；临床证据图共收录 16 项临床研究"
        if lang == "zh"
        else ("Figure: Studies per year, by stage; the evidence map holds 16 clinical studies")
    )
    assert caption in rendered.html
    # under the items, before the disclaimer and the footer
    html = rendered.html
    last_item = html.rfind(issue.data[issue.items[-1]["work_id"]]["title"][:30])
    assert (
        0
        < last_item
        < html.find(f"/chart.{lang}.png")
        < html.find(public.settings.digest.disclaimer(lang)[:20])
    )
    # the text part: the map's address on a line, no image
    line = next(line for line in rendered.text.splitlines() if line.endswith(page))
    assert line.startswith("图：各年份研究数" if lang == "zh" else "Figure: Studies per year")
    assert ".png" not in rendered.text
    assert check_rendered(rendered, public.renderer.limit) == []


def test_the_issue_page_shows_the_chart_and_the_site_serves_its_png(built: Digest) -> None:
    public = digest_at(built)
    slug = content(public, 1).issue["slug"]
    written = public.archive_page(f"issues/{slug}/index.html")
    assert written is not None
    ((href, img),) = [(h, i) for h, i in linked_images(written) if "/chart." in i.get("src", "")]
    assert href == SITE + "evidence/" and img.get("src").startswith(f"{SITE}issues/{slug}/chart.")
    assert img.get("alt") == describe(public.evidence.chart(CHART, "zh"), "zh")
    # served by the web app: the same site, root-relative, and the address answers with the PNG
    client = create_app(public.settings, public).test_client()
    served = client.get(f"/issues/{slug}/en/").get_data(as_text=True)
    ((href, img),) = [(h, i) for h, i in linked_images(served) if "/chart." in i.get("src", "")]
    assert href == "/evidence/en/" and img.get("src").startswith(f"/issues/{slug}/chart.en.png?v=")
    png = client.get(img.get("src"))
    assert png.status_code == 200 and png.headers["Content-Type"] == "image/png"
    assert "immutable" in png.headers["Cache-Control"]  # the version it names is the current one
    with Image.open(io.BytesIO(png.get_data())) as image:
        assert image.size[0] == 2 * int(img.get("width"))


@pytest.mark.parametrize(
    "overrides",
    [{"archive.base_url": "https://mscwatch.example.org/"},  # the shipped example address
     {"archive.base_url": "http://msc-watch.net/"},  # a mail's image needs https
     {"digest.evidence_chart": ""}],  # turned off
)  # fmt: skip
def test_no_chart_without_a_public_https_address_or_when_turned_off(
    built: Digest, overrides: dict[str, str]
) -> None:
    other = digest_at(built, **overrides)
    issue = content(other, 1)
    assert issue.charts == {}
    for lang in ("zh", "en"):
        rendered = other.renderer.email(issue, lang)
        assert "/chart" not in rendered.html and "证据图共收录" not in rendered.html
        assert "evidence map holds" not in rendered.html
        assert "临床证据图（" not in rendered.text and "on the evidence map" not in rendered.text


def test_public_addresses() -> None:
    for url in ("https://msc-watch.net/", "https://www.msc.example-news.cn/digest/",
                "https://8.8.8.8/"):  # fmt: skip
        assert fetchable(url), url
    for url in ("http://msc-watch.net/", "https://mscwatch.example.org/", "https://example.com/",
                "https://watch.test/", "https://localhost:8000/", "https://127.0.0.1/", "https://10.0.0.5/",
                "https://site.localhost/", "https://intranet/"):  # fmt: skip
        assert not fetchable(url), url


def test_no_chart_while_the_map_is_empty(built: Digest, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    engine = make_engine(url)
    upgrade(engine)
    settings = make_settings(url, **{"archive.base_url": SITE})
    empty = EvidenceMap.open(settings, engine)
    assert empty.rows() == []
    assert issue_charts(settings, lambda: empty) == {}
    assert set(issue_charts(digest_at(built).settings, lambda: digest_at(built).evidence)) == {
        "zh", "en"}  # fmt: skip
    engine.dispose()


def test_without_a_chinese_font_the_chinese_edition_links_the_english_drawing(
    built: Digest, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(raster, "cjk_font", lambda: None)
    public = digest_at(built)
    issue = content(public, 1)
    charts, slug = issue.charts, issue.issue["slug"]
    english = public.evidence.chart(CHART, "en")
    assert charts["zh"].image == f"issues/{slug}/chart.en.png?v={version(english)}"
    assert charts["zh"].alt == describe(public.evidence.chart(CHART, "zh"), "zh")  # still Chinese


def test_the_size_guard_passes_and_refuses_as_before(built: Digest) -> None:
    """The chart is a link of some 1.5 KB (its alt text most of it): an edition with it is
    trimmed to the limit the same way, and refused past it the same way."""
    public, plain = digest_at(built), digest_at(built, **{"digest.evidence_chart": ""})
    with_chart, without = content(public, 1), content(plain, 1)
    full = public.renderer.email(with_chart, "zh")
    bare = plain.renderer.email(without, "zh")
    assert full.more == bare.more == 0
    assert 0 < full.html_bytes - bare.html_bytes < 2000  # the alt text is most of it
    limit = full.html_bytes - 3000
    tight = Renderer(public.settings, public.taxonomy, limit).email(with_chart, "zh")
    assert tight.more > 0 and tight.sent_html_bytes <= limit
    assert "/chart.zh.png" in tight.html  # the items move to the web page, the chart stays
    assert check_rendered(tight, limit) == []
    assert any("over the" in p for p in check_rendered(full, limit))
    assert public.problems(with_chart, public.editions(with_chart)) == []


def test_archive_build_writes_the_charts_as_png(built: Digest, tmp_path: Path) -> None:
    public = digest_at(built)
    public.build_archive(tmp_path / "site")
    for name in CHARTS:
        for lang in ("zh", "en"):
            written = tmp_path / "site" / "evidence" / "charts" / f"{name}.{lang}.png"
            assert written.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", written
    served = public.evidence.chart_png(CHART, Query(), "zh")
    assert (tmp_path / "site" / "evidence" / "charts" / f"{CHART}.zh.png").read_bytes() == served
