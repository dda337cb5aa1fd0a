"""The search page in both languages, served by the app: results with labels, date and a link to
the study, filters from the taxonomy, pages, Chinese punctuation, and no JavaScript."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine

from etl.classify.service import Classifier, classify_works
from etl.digest.service import Digest
from etl.replay import synthetic_article
from etl.web import create_app
from tests.conftest import make_settings
from tests.follow.test_search import CHINESE, MYELOMA, NOW, store_articles

KEY = "k" * 32


@pytest.fixture
def client(engine: Engine, db_url: str, tmp_path: Path) -> FlaskClient:
    settings = make_settings(db_url, SECRET_KEY=KEY, **{"paths.var": str(tmp_path / "var")})
    articles = [
        synthetic_article("41000001", NOW.date(), title=MYELOMA, abstract=MYELOMA + " " + MYELOMA),
        synthetic_article(
            "41000003",
            NOW.date(),
            title=f"[{CHINESE}]",
            abstract=f"{CHINESE}。间充质干细胞与肿瘤。",
        ),
    ]
    # 25 more about myeloma: two pages of results.
    articles += [
        synthetic_article(
            str(41000100 + n),
            NOW.date(),
            title=f"Bone marrow MSCs support myeloma growth: model {n}.",
            abstract="Mesenchymal stem cells and multiple myeloma. " * 2,
        )
        for n in range(25)
    ]
    touched = store_articles(engine, *articles)
    with engine.begin() as conn:
        classify_works(conn, touched, Classifier.from_settings(settings), NOW)
    app = create_app(settings, Digest.open(settings, engine))
    return app.test_client()


def test_search_page_lists_results_with_labels_and_links(client: FlaskClient) -> None:
    page = client.get("/search?q=骨髓瘤&cancer=myeloma")
    assert page.status_code == 200
    text = page.text
    assert "<script" not in text
    assert 'name="q" value="骨髓瘤"' in text
    assert '<option value="myeloma" selected>多发性骨髓瘤</option>' in text or (
        'value="myeloma" selected' in text
    )
    assert "共 27 项结果" in text
    assert re.search(r'<span class="meta">论文 · 2026年\d+月\d+日</span>', text)
    assert "<span>多发性骨髓瘤</span>" in text  # labels in the digest's words
    # Page two holds the rest, and links back with the same words and filters.
    links = re.findall(r'<a rel="next" href="([^"]+)"', text)
    assert len(links) == 1
    asked = parse_qs(urlsplit(links[0].replace("&amp;", "&")).query)
    assert asked == {"q": ["骨髓瘤"], "cancer": ["myeloma"], "page": ["2"]}
    second = client.get(links[0].replace("&amp;", "&"))
    assert second.text.count('<li><span class="meta">') == 7
    assert 'rel="prev"' in second.text and 'rel="next"' not in second.text
    assert CHINESE in second.text  # the Chinese title, in the Chinese page
    assert 'href="/studies/pmid-41000001/"' in second.text  # its study page, which opens
    study = client.get("/studies/pmid-41000001/")
    assert study.status_code == 200 and "NCT01234567" in study.text
    assert "PMID 41000001" in second.text


def test_english_page_and_identifiers(client: FlaskClient) -> None:
    page = client.get("/en/search?q=NCT01234567")
    assert page.status_code == 200
    assert "1 results" in page.text or "1 result" in page.text
    assert MYELOMA.split(":")[0] in page.text
    assert "Multiple myeloma" in page.text or "Myeloma" in page.text
    nothing = client.get("/en/search?q=zzzzqqq")
    assert "No study matches" in nothing.text
    empty = client.get("/en/search")
    assert "every word" in empty.text and '<ol class="results">' not in empty.text


def test_chinese_page_is_typeset(client: FlaskClient) -> None:
    from etl.digest.typography import stray_marks

    page = client.get("/search?q=zzzzqqq")
    visible = re.sub(r"<[^>]+>", " ", re.sub(r"<style.*?</style>", "", page.text, flags=re.S))
    assert "没有找到符合条件的研究。" in visible
    assert stray_marks(visible) == []


def test_odd_input_is_a_page_not_an_error(client: FlaskClient) -> None:
    for url in (
        "/search?page=abc",
        "/search?page=-5&q=myeloma",
        "/search?page=99999999999&q=myeloma",
        '/search?q="(NEAR*',
        "/search?q=" + "x" * 5000,
        "/search?cancer=<script>",
    ):
        answer = client.get(url)
        assert answer.status_code == 200, url
        assert "<script>" not in answer.text
