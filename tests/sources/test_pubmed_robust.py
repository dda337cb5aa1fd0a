"""PubMed files as they arrive broken, wrong or hostile: every PMID in the bytes is in the output
or named in an error, wrong files are refused by name, recovery runs in flat memory."""

from __future__ import annotations

import gzip
import threading
import tracemalloc
from pathlib import Path

from etl.records import Quarantined, SourceRecord
from etl.sources.pubmed.fields import untranslated
from etl.sources.pubmed.parse import parse_efetch


def article(pmid: int, title: str = "MSCs in AML", close: bool = True) -> bytes:
    end = b"</PubmedArticle>\n" if close else b"\n"
    return (
        b'<PubmedArticle><MedlineCitation Status="MEDLINE"><PMID Version="1">%d</PMID>'
        b"<Article><ArticleTitle>%s</ArticleTitle></Article></MedlineCitation>"
        b'<PubmedData><ArticleIdList><ArticleId IdType="pubmed">%d</ArticleId>'
        b"</ArticleIdList></PubmedData>" % (pmid, title.encode(), pmid)
    ) + end


def file_of(*articles: bytes) -> bytes:
    return (
        b'<?xml version="1.0"?>\n<PubmedArticleSet>\n'
        + b"".join(articles)
        + b"</PubmedArticleSet>\n"
    )


def outcome(items: list) -> tuple[list[str], dict[str, str]]:
    records = [i.source_id for i in items if isinstance(i, SourceRecord)]
    errors = {i.record_key: i.reason for i in items if isinstance(i, Quarantined)}
    return records, errors


def test_a_missing_end_tag_costs_that_record_alone_and_names_its_pmid() -> None:
    body = file_of(article(1), article(2, close=False), article(3), article(4))
    records, errors = outcome(list(parse_efetch(body, location="f.xml")))
    assert records == ["1", "3", "4"]
    assert list(errors) == ["2"]
    assert errors["2"].startswith("unterminated <PubmedArticle> starting at line 4 ")


def test_several_broken_records_are_each_named() -> None:
    body = file_of(
        article(1),
        article(2, close=False),
        article(3),
        article(4, title="a &bogus; b"),
        article(5, close=False),
        article(6),
        article(7, title="x < y"),
        article(8),
    )
    records, errors = outcome(list(parse_efetch(body, location="f.xml")))
    assert records == ["1", "3", "6", "8"]
    assert sorted(errors) == ["2", "4", "5", "7"]
    assert "bogus" in errors["4"]
    every_pmid = {str(n) for n in range(1, 9)}
    assert set(records) | set(errors) == every_pmid


def test_a_missing_end_tag_in_the_first_record_is_not_hidden_by_the_nested_one() -> None:
    # The streaming pass sees record 2 nested inside the unclosed record 1 and yields it;
    # recovery must still name record 1, and must not yield record 2 twice.
    body = file_of(article(1, close=False), article(2), article(3))
    records, errors = outcome(list(parse_efetch(body)))
    assert records == ["2", "3"] and list(errors) == ["1"]


WRONG_FILES = {
    "html": (
        b"<!DOCTYPE html><html><head><title>503 Service Unavailable</title></head>"
        b"<body>busy</body></html>",
        'this is an HTML page (title "503 Service Unavailable"), not PubMed XML',
    ),
    "eutils-error": (
        b'<?xml version="1.0" ?>\n<eFetchResult>\n\t<ERROR>Cannot retrieve history data.'
        b"</ERROR>\n</eFetchResult>",
        "this is an E-utilities error answer (<ERROR>Cannot retrieve history data.</ERROR>), "
        "not PubMed XML",
    ),
    "esummary": (
        b'<?xml version="1.0" ?><!DOCTYPE eSummaryResult PUBLIC "-//NLM//DTD esummary v1 '
        b'20041029//EN" "https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20041029/esummary-v1.dtd">'
        b"<eSummaryResult><DocSum><Id>1</Id></DocSum></eSummaryResult>",
        "this is E-utilities esummary output (<eSummaryResult>), not PubMed XML",
    ),
    "rss": (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title></channel></rss>',
        "this is an RSS feed (<rss>), not PubMed XML",
    ),
    "json": (b'{"esearchresult": {}}', "this is JSON, not PubMed XML"),
    "empty": (b"", "this is an empty file, not PubMed XML"),
}


def test_wrong_files_are_refused_saying_what_they_are() -> None:
    for name, (body, reason) in WRONG_FILES.items():
        items = list(parse_efetch(body, location=f"{name}.xml"))
        assert len(items) == 1 and isinstance(items[0], Quarantined), name
        assert items[0].reason.startswith(reason), (name, items[0].reason)
        assert "(<PubmedArticleSet>: efetch output or a baseline/update file)" in items[0].reason


def test_utf8_declared_iso_8859_1_is_read_as_utf8() -> None:
    body = file_of(article(1, title="Müller: 间充质干细胞 ≥ 10⁶")).replace(
        b'<?xml version="1.0"?>', b'<?xml version="1.0" encoding="ISO-8859-1"?>'
    )
    (record,) = parse_efetch(body)
    assert record.data["title"] == "Müller: 间充质干细胞 ≥ 10⁶"
    latin = file_of(article(1, title="Müller")).replace(b"\xc3\xbc", b"\xfc")
    latin = latin.replace(b'<?xml version="1.0"?>', b'<?xml version="1.0" encoding="ISO-8859-1"?>')
    (record,) = parse_efetch(latin)  # a real ISO-8859-1 file is read as declared
    assert record.data["title"] == "Müller"


def test_undeclared_entity_references_never_reach_the_text() -> None:
    body = file_of(article(1, title="A &xxe; B")).replace(
        b"<PubmedArticleSet>",
        b'<!DOCTYPE PubmedArticleSet [<!ENTITY xxe "pwned">]><PubmedArticleSet>',
    )
    items = list(parse_efetch(body))
    texts = [i.data["title"] for i in items if isinstance(i, SourceRecord)]
    assert all("&xxe;" not in t and "pwned" not in t for t in texts)


def test_translation_brackets_go_only_when_they_enclose_the_whole_title() -> None:
    assert untranslated("[18F]FDG PET/CT in lymphoma.") == "[18F]FDG PET/CT in lymphoma."
    assert untranslated("[⁶⁸Ga]Ga-PSMA-11 PET/CT [corrected].") == (
        "[⁶⁸Ga]Ga-PSMA-11 PET/CT [corrected]."
    )
    assert (
        untranslated("[Effect of MSCs on [18F]FDG uptake].") == "Effect of MSCs on [18F]FDG uptake."
    )
    body = file_of(article(1, title="[Not Available].")).replace(
        b"</ArticleTitle>",
        "</ArticleTitle><VernacularTitle>间充质干细胞治疗</VernacularTitle>".encode(),
    )
    (record,) = parse_efetch(body)
    assert record.data["title"] == "间充质干细胞治疗"
    (record,) = parse_efetch(file_of(article(2, title="<sup>18</sup>F-FDG [corrected].")))
    assert record.data["title"] == "¹⁸F-FDG [corrected]."


def gzip_bomb(path: Path, filler_mb: int) -> None:
    """A broken record, `filler_mb` MB of blanks, then a good record, as gzip members (a file of
    several members is still one gzip file): about 1000:1."""
    blank = gzip.compress(b" " * (1 << 20), compresslevel=9)
    with path.open("wb") as out:
        out.write(
            gzip.compress(b'<?xml version="1.0"?>\n<PubmedArticleSet>\n' + article(1, "a & b"))
        )
        for _ in range(filler_mb):
            out.write(blank)
        out.write(gzip.compress(article(2) + b"</PubmedArticleSet>\n"))


def test_recovering_a_gzip_bomb_runs_in_flat_memory(tmp_path: Path) -> None:
    path = tmp_path / "bomb.xml.gz"
    gzip_bomb(path, 120)
    assert path.stat().st_size < 150_000  # 120 MB inflated
    tracemalloc.start()
    try:
        items = list(parse_efetch(path))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    records, errors = outcome(items)
    assert records == ["2"] and list(errors) == ["1"]
    assert peak < 40 << 20, f"peak {peak / 2**20:.0f} MB"
    assert threading.active_count() < 5  # the inflating threads ended
