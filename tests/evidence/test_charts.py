"""The charts as SVG: valid XML, one bar per count, labels kept as text, a title for screen
readers, and the same numbers as the table under the chart on the page."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter

import pytest

from etl.evidence.charts import chart, draw_svg
from etl.evidence.words import CHARTS
from tests.evidence.conftest import Ground

SVG = "{http://www.w3.org/2000/svg}"


def bars(root: ET.Element, series: int) -> int:
    """Bars of one series: each a group `bar-SERIES-CATEGORY` holding its rectangle."""
    found = [g for g in root.iter(f"{SVG}g") if g.get("id", "").startswith(f"bar-{series}-")]
    assert all(g.find(f"{SVG}path") is not None for g in found)
    return len(found)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("name", list(CHARTS))
def test_each_chart_is_valid_svg_with_its_labels_and_numbers(
    sqlite_ground: Ground, name: str, lang: str
) -> None:
    rows = sqlite_ground.evidence.rows()
    drawn = chart(name, rows, sqlite_ground.evidence.names, lang)
    svg = draw_svg(drawn, lang)
    root = ET.fromstring(svg)  # valid XML, or this raises
    assert root.get("role") == "img"
    assert root.find(f"{SVG}title").text == drawn.title  # type: ignore[union-attr]
    texts = "".join(root.itertext())
    for category in drawn.categories:
        assert category in texts, category  # labels are text, not outlines
    for totals in drawn.counts:
        assert str(sum(totals)) in texts
    for series in range(len(drawn.series)):
        assert bars(root, series) == len(drawn.categories)
    assert "<path" in svg and "font-family" in svg
    assert draw_svg(drawn, lang) == svg  # the same rows, the same bytes (an ETag holds)


def test_the_counts_are_the_rows(sqlite_ground: Ground) -> None:
    rows = sqlite_ground.evidence.rows()
    names = sqlite_ground.evidence.names
    by_status = chart("trials-by-status", rows, names, "en")
    expected = Counter(row.status for row in rows if row.kind == "trial")
    assert dict(zip(by_status.categories, (c[0] for c in by_status.counts), strict=True)) == {
        names.status("en", status): count for status, count in expected.items()
    }
    per_year = chart("per-year-by-phase", rows, names, "zh")
    assert sum(sum(c) for c in per_year.counts) == sum(1 for row in rows if row.year)
    assert per_year.categories == tuple(sorted(per_year.categories))
    assert "I 期" in per_year.series and "III 期" in per_year.series


def test_the_page_tables_agree_with_the_charts(sqlite_ground: Ground) -> None:
    from etl.web import create_app

    client = create_app(sqlite_ground.settings).test_client()
    page = client.get("/evidence/en/").get_data(as_text=True)
    rows = sqlite_ground.evidence.rows()
    for name in CHARTS:
        drawn = chart(name, rows, sqlite_ground.evidence.names, "en")
        figure = re.search(rf'<figure class="chart" id="chart-{name}">(.*?)</figure>', page, re.S)
        assert figure is not None, name
        lines = re.findall(r'<tr><th scope="row">(.*?)</th>(.*?)</tr>', figure.group(1), re.S)
        assert [label for label, _ in lines] == [c.replace("&", "&amp;") for c in drawn.categories]
        for (_, cells), counts in zip(lines, drawn.counts, strict=True):
            numbers = [int(n) for n in re.findall(r'<td class="num">(\d+)</td>', cells)]
            assert numbers[: len(counts)] == list(counts)
        assert f'src="/evidence/charts/{name}.svg?lang=en"' in figure.group(1)
