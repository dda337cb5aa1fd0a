"""The charts as PNG for mail: served with their type and an ETag, twice the size a mail shows
them, few colours and few bytes, the bars in their colours, a versioned address that caches may
keep, and the English drawing where no Chinese font is installed."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image

from etl.evidence import raster
from etl.evidence.charts import chart, legend_rows, version
from etl.evidence.raster import IN_MAIL, PALETTE, SCALE, draw_png, shown_size
from etl.evidence.words import CHARTS
from etl.web import create_app
from etl.web.evidence import VERSIONED_MAX_AGE
from tests.evidence.conftest import Ground


@pytest.fixture(scope="module")
def client(sqlite_ground: Ground) -> Any:
    return create_app(sqlite_ground.settings).test_client()


def rgb(hex_colour: str) -> tuple[int, int, int]:
    value = int(hex_colour.lstrip("#"), 16)
    return value >> 16, (value >> 8) & 0xFF, value & 0xFF


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("name", list(CHARTS))
def test_each_chart_is_a_small_png_at_twice_its_shown_size(
    client: Any, sqlite_ground: Ground, name: str, lang: str
) -> None:
    answer = client.get(f"/evidence/charts/{name}.{lang}.png")
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "image/png"
    body = answer.get_data()
    assert body[:8] == b"\x89PNG\r\n\x1a\n"
    drawn = chart(name, sqlite_ground.evidence.rows(), sqlite_ground.evidence.names, lang)
    width, height = shown_size(drawn)
    assert width <= 600
    with Image.open(io.BytesIO(body)) as image:
        image.load()
        assert image.size == (width * SCALE, height * SCALE)
        assert image.mode == "P"
        palette = [colour for _, colour in image.convert("RGB").getcolors(PALETTE) or []]
    assert 0 < len(palette) <= PALETTE
    for colour in drawn.colours or ("#2f5d3a",):  # each series' bars, in its colour
        want = rgb(colour)
        assert min(sum(abs(a - b) for a, b in zip(want, c, strict=True)) for c in palette) < 16
    assert len(body) < 40_000, len(body)  # a mail's image: tens of KB at most


def test_the_same_chart_gives_the_same_bytes(sqlite_ground: Ground) -> None:
    drawn = chart("per-year-by-phase", sqlite_ground.evidence.rows(),
                  sqlite_ground.evidence.names, "zh")  # fmt: skip
    assert draw_png(drawn) == draw_png(drawn)


def test_a_png_answers_conditional_gets_and_its_version_may_be_kept(
    client: Any, sqlite_ground: Ground
) -> None:
    url = "/evidence/charts/per-year-by-phase.en.png"
    first = client.get(url)
    assert first.headers["ETag"] and first.headers["Cache-Control"] == "public, max-age=300"
    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""
    current = version(sqlite_ground.evidence.chart("per-year-by-phase", "en"))
    kept = client.get(f"{url}?v={current}")
    assert kept.get_data() == first.get_data()
    assert kept.headers["Cache-Control"] == f"public, max-age={VERSIONED_MAX_AGE}, immutable"
    older = client.get(f"{url}?v=0123456789ab")  # counts since changed: today's, not kept long
    assert older.get_data() == first.get_data()
    assert older.headers["Cache-Control"] == "public, max-age=300"
    for wrong in ("secrets.en.png", "by-source.fr.png", "by-source.png"):
        assert client.get(f"/evidence/charts/{wrong}").status_code == 404, wrong


def test_a_png_follows_the_filters(client: Any) -> None:
    whole = client.get("/evidence/charts/by-cancer.en.png").get_data()
    only = client.get("/evidence/charts/by-cancer.en.png?cancer=liver").get_data()
    with Image.open(io.BytesIO(whole)) as a, Image.open(io.BytesIO(only)) as b:
        assert b.size[1] < a.size[1]  # fewer bars, a shorter image


def test_without_a_chinese_font_the_chinese_address_serves_the_english_chart(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert raster.cjk_font() is not None  # the machine that runs the tests has one
    chinese = client.get("/evidence/charts/by-source.zh.png?cancer=aml").get_data()
    english = client.get("/evidence/charts/by-source.en.png?cancer=aml").get_data()
    assert chinese != english
    monkeypatch.setattr(raster, "cjk_font", lambda: None)
    assert raster.drawn_lang("zh") == "en" and raster.drawn_lang("en") == "en"
    assert client.get("/evidence/charts/by-source.zh.png?cancer=aml").get_data() == english


def ink_rows(image: Any, left: int, right: int) -> list[int]:
    """Heights of the bands of rows holding text (dark grey to black, not a coloured bar)
    between columns `left` and `right`, top to bottom."""
    pixels = image.convert("RGB").load()
    width, height = image.size
    inked = [
        any(
            max(pixels[x, y]) < 110 and max(pixels[x, y]) - min(pixels[x, y]) < 30
            for x in range(left, min(right, width))
        )
        for y in range(height)
    ]
    bands, run = [], 0
    for row in [*inked, False]:
        if row:
            run += 1
        elif run:
            bands.append(run)
            run = 0
    return bands


def axis(image: Any) -> int:
    """The column of the bars' axis: the first one dark for a third of the image's height."""
    pixels = image.convert("L").load()
    width, height = image.size
    return next(
        x for x in range(width) if sum(pixels[x, y] < 110 for y in range(height)) > height / 3
    )


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_text_is_readable_where_a_phone_shows_the_image_at_335_px(
    sqlite_ground: Ground, lang: str
) -> None:
    """A 375 px screen shows the mail's column, and the image, some 335 px wide: there, a
    bar's label and a legend entry are 11 px type, whose digits and capitals are some 8 px
    tall (the page's SVG sizes gave 7 px and, in the legend, 6)."""
    drawn = chart("per-year-by-phase", sqlite_ground.evidence.rows(),
                  sqlite_ground.evidence.names, lang)  # fmt: skip
    assert len(drawn.categories) >= 3 and len(drawn.series) >= 2
    with Image.open(io.BytesIO(draw_png(drawn))) as image:
        image.load()
        scale = image.size[0] / 335  # image pixels a phone shows as one
        years = ink_rows(image, 0, axis(image) - 15)  # the bars' labels, left of the ticks
        every = ink_rows(image, 0, image.size[0])
    assert len(years) == len(drawn.categories)
    legend = every[-legend_rows(drawn, IN_MAIL) :]  # the legend's lines, at the bottom
    assert legend_rows(drawn, IN_MAIL) < len(drawn.series)  # more than one entry a line
    for band in years + legend:
        assert band / scale >= 0.72 * 11, (years, legend, scale)
