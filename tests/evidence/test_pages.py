"""The evidence map as the web app serves it: filters and order from the address, the CSV of the
filtered rows, the charts, conditional GET, both editions, no script needed."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest

from etl.evidence.query import Query
from etl.evidence.table import to_csv
from etl.web import create_app
from tests.evidence.conftest import Ground


@pytest.fixture(scope="module")
def client(sqlite_ground: Ground) -> Any:
    return create_app(sqlite_ground.settings).test_client()


def studies(page: str) -> list[str]:
    return re.findall(r'<tr data-study="([^"]+)">', page)


def test_the_map_lists_every_study_in_the_articles_columns(
    client: Any, sqlite_ground: Ground
) -> None:
    answer = client.get("/evidence/")
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    assert studies(page) == [row.key for row in sqlite_ground.evidence.view(Query(), "zh")]
    heads = re.findall(r'<th scope="col"[^>]*><a [^>]*>([^<▲▼]+)', page)
    assert [h.strip() for h in heads[:4]] == ["治疗策略", "代表研究", "癌种", "研发阶段"]
    assert "<script" not in page  # a plain form: filters work without JavaScript
    assert 'href="https://clinicaltrials.gov/study/NCT06218473"' in page
    assert "共 16 项研究" in page
    english = client.get("/evidence/en/").get_data(as_text=True)
    assert "Evidence map" in english and "16 studies" in english
    assert re.search(r'<th scope="col"[^>]*><a [^>]*>Strategy', english)


def test_filters_and_order_come_from_the_address(client: Any, sqlite_ground: Ground) -> None:
    page = client.get("/evidence/en/?cancer=aml&sort=patients&order=asc").get_data(as_text=True)
    expected = sqlite_ground.evidence.view(Query({"cancer": ("aml",)}, "patients", "asc"), "en")
    assert studies(page) == [row.key for row in expected]
    assert 0 < len(expected) < 16
    assert '<option value="aml" selected>' in page
    assert 'aria-sort="ascending"' in page
    # the CSV link and the language switch keep the filters
    assert (
        'href="/evidence/evidence.csv?cancer=aml&amp;sort=patients&amp;order=asc&amp;lang=en"'
        in page
    )
    assert 'href="/evidence/?cancer=aml&amp;sort=patients&amp;order=asc"' in page
    nothing = client.get("/evidence/?year=1900").get_data(as_text=True)
    assert studies(nothing) == [] and "没有符合条件的研究" in nothing


def test_the_csv_holds_the_filtered_rows(client: Any, sqlite_ground: Ground) -> None:
    answer = client.get("/evidence/evidence.csv?phase=phase2&lang=en")
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in answer.headers["Content-Disposition"]
    body = answer.get_data().decode("utf-8-sig")
    rows = sqlite_ground.evidence.view(Query({"phase": ("phase2",)}), "en")
    assert body == to_csv(rows, sqlite_ground.evidence.names, "en", "http://localhost/")
    read = list(csv.DictReader(io.StringIO(body)))
    assert len(read) == len(rows) > 0 and {line["Stage"] for line in read} == {"Phase II"}
    # each row links its study page at the address the file was asked from, and it answers
    for line, row in zip(read, rows, strict=True):
        assert line["Study page"] == f"http://localhost/studies/{row.slug}/en/"
    first = read[0]["Study page"].removeprefix("http://localhost")
    assert client.get(first).status_code == 200


def test_csv_and_charts_answer_conditional_gets(client: Any) -> None:
    for url in ("/evidence/evidence.csv", "/evidence/charts/by-source.svg?lang=en"):
        first = client.get(url)
        assert first.status_code == 200 and first.headers["ETag"]
        assert "max-age" in first.headers["Cache-Control"]
        again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304 and again.get_data() == b""
    svg = client.get("/evidence/charts/trials-by-status.svg")
    assert svg.headers["Content-Type"].startswith("image/svg+xml")
    assert "临床试验状态分布" in svg.get_data(as_text=True)
    assert client.get("/evidence/charts/secrets.svg").status_code == 404


def test_a_chart_follows_the_filters(client: Any) -> None:
    whole = client.get("/evidence/charts/by-cancer.svg?lang=en").get_data(as_text=True)
    only = client.get("/evidence/charts/by-cancer.svg?lang=en&cancer=liver").get_data(as_text=True)
    assert "Acute myeloid leukaemia" in whole and "Acute myeloid leukaemia" not in only
    assert "Liver cancer" in only


@pytest.mark.parametrize(
    "query",
    ["cancer=%3Cscript%3Ealert(1)%3C/script%3E", "year=" + "9" * 5000, "sort=__class__&order=up",
     "cancer=aml&cancer=aml&cancer=", "lang=fr", "patients=many"],
)  # fmt: skip
def test_odd_addresses_get_a_page_never_an_error(client: Any, query: str) -> None:
    for path in ("/evidence/", "/evidence/en/", "/evidence/evidence.csv",
                 "/evidence/charts/by-cancer.svg"):  # fmt: skip
        answer = client.get(f"{path}?{query}")
        assert answer.status_code == 200, (path, query)
        assert b"<script>alert" not in answer.get_data()


def test_every_row_links_to_its_study_page_and_its_source(client: Any) -> None:
    for home, suffix in (("/evidence/", ""), ("/evidence/en/", "en/")):
        page = client.get(home).get_data(as_text=True)
        links = re.findall(r'<a class="page" href="(/studies/[^"]+/)">([^<]+)</a>', page)
        assert len(links) == 16
        for href, _ in links:
            assert href.endswith(f"/{suffix}") if suffix else not href.endswith("/en/")
            assert client.get(href).status_code == 200, href
    assert '<a class="page" href="/studies/nct06218473/en/">NCT06218473</a>' in page
    assert 'class="source" href="https://clinicaltrials.gov/study/NCT06218473"' in page
