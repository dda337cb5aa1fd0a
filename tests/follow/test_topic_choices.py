"""Topics down to the cancer type and the strategy: the import CSV takes their ids, the
preferences page offers them in the digest's words under three headings and saves them."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from etl.subscribers.service import Subscribers
from tests.mail.conftest import NOW, settings_for
from tests.web.test_subscriber_pages import open_site, post_form


@pytest.fixture
def readers(engine: Engine, db_url: str, tmp_path: Path) -> Subscribers:
    return Subscribers.open(settings_for(db_url, tmp_path / "var"), engine)


def test_import_takes_cancer_types_and_strategies(readers: Subscribers, tmp_path: Path) -> None:
    people = tmp_path / "people.csv"
    people.write_text(
        "email,language,topics\n"
        "a@example.org,zh,lung; exosome\n"
        "b@example.org,en,trials aml gene_engineering\n"
        "c@example.org,zh,lung; gossip\n",
        encoding="utf-8",
    )
    report = readers.import_csv(people, confirmed=True, now=NOW)
    assert [line for line, _ in report.errors] == [4]
    assert "gossip" in report.errors[0][1]
    listed = {r["email"]: r["topics"] for r in readers.listing()}
    assert listed == {
        "a@example.org": ["lung", "exosome"],
        "b@example.org": ["trials", "aml", "gene_engineering"],
    }


def test_preferences_offer_and_save_cancer_types_and_strategies(
    sqlite_url: str, sqlite_engine: Engine, tmp_path: Path
) -> None:
    site = open_site(sqlite_url, sqlite_engine, tmp_path)
    site.readers.add("reader@example.org", "zh", None, confirmed=True, now=NOW)
    link = f"/preferences/{site.token('preferences', 'reader@example.org')}"
    page = site.client.get(link).text
    for words in ("<legend>栏目</legend>", "<legend>癌种</legend>", "<legend>治疗策略</legend>",
                  'value="lung"> 肺癌', 'value="exosome"> ', 'value="trials"> '):  # fmt: skip
        assert words in page, words
    assert 'href="/feeds/"' in page  # the topic feeds, for feed readers
    saved = post_form(site.client, link, {"language": "zh", "topics": ["lung", "exosome"]})
    assert saved.status_code == 200 and "设置已保存。" in saved.text
    assert site.reader("reader@example.org")["topics"] == ["lung", "exosome"]
    assert 'value="lung" checked' in saved.text
