"""The feed parser against every real journal and PubMed feed: ids, dates, authors, bozo feeds."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

import pytest

from etl.normalize.html import html_blocks, html_text
from etl.records import Quarantined, SourceRecord
from etl.sources.feed.names import display_names, split_list
from etl.sources.feed.parse import feed_info, parse_feed
from tests.conftest import SAMPLES, sample_files

FEEDS = SAMPLES / "feeds"
PUBMED_RSS = SAMPLES / "pubmed-rss"
ALL_FILES = sample_files("feeds", "*") + sample_files("pubmed-rss", "*")
PAPER_KEYS = {
    "source",
    "source_id",
    "kind",
    "deleted",
    "identifiers",
    "title",
    "vernacular_title",
    "abstract",
    "journal",
    "journal_abbrev",
    "published",
    "epublished",
    "created",
    "revised",
    "status",
    "language",
    "languages",
    "publication_types",
    "mesh_terms",
    "keywords",
    "authors",
    "affiliations",
    "retracted",
    "corrections",
    "url",
}
IDENTIFIER_KEYS = {"pmid", "doi", "pmcid", "pii", "registry_ids"}
ISO = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")

# Per file: (entries, first source_id, format as feedparser names it, journal of the first entry).
EXPECTED = {
    "biorss-cambridge-core.rdf.xml": (
        15,
        "10.4039/tce.2021.38",
        "atom10",  # RSS 1.0 on one line; feedparser calls it Atom because of an xmlns:atom
        "The Canadian Entomologist",
    ),
    "biorss-cnki-yzlq.xml": (
        20,
        "https://T.cnki.net/kcms/detail?v=BgWSXGoqXVsWVG8Raobmrt--c7vdq2WU_LaId9LiJxh3V0Hp1h-"
        "jekcN5CNdN6XMigCTvi10snimNnyjkWa9sJ1QBTcHzg8wsOkARXaWfnsPIKA0yT62dBGkK-IZat7Q",
        "rss20",
        "Asian Herpetological Research-CNKI",
    ),
    "biorss-jstage-empty.atom.xml": (0, None, "atom10", None),
    "biorss-microbiologyresearch-ijsem.xml": (
        25,
        "10.1099/ijsem.0.005019",
        "rss20",
        "International Journal of Systematic and Evolutionary Microbiology: Most Recent Articles",
    ),
    "biorss-ojs-atom.xml": (
        10,
        "http://et-online.nu/index.php/contents/article/view/94",
        "atom10",
        "Entomologisk Tidskrift",
    ),
    "biorss-oup-zoolinnean.xml": (
        14,
        "10.1093/zoolinnean/zlab078",
        "rss20",
        "Zoological Journal of the Linnean Society Current Issue",
    ),
    "biorss-sciencedirect-mpe.xml": (
        51,
        "https://www.sciencedirect.com/science/article/pii/S1055790321002906",
        "rss20",
        "Molecular Phylogenetics and Evolution",
    ),
    "biorss-tandf-tzme20.rdf.xml": (
        13,
        "10.1080/09397140.2021.1992835",
        "rss10",
        "Zoology in the Middle East",
    ),
    "biorss-wiley-taxon-toc.xml": (66, "10.1002/tax.12650", "rss20", "TAXON"),
    "feed-rs-rss_1.0_biorxiv.xml": (1, "10.1101/2023.12.16.571984", "rss10", "bioRxiv"),
    "ncbiutils-no_pubmedarticleset-rss.xml": (
        10,
        "https://blogs.sciencemag.org/pipeline/?p=17266",
        "rss20",
        "In the Pipeline",
    ),
    "biorss-native-pubmed.xml": (
        15,
        "10.1007/s11033-021-06887-9",
        "rss20",
        "Molecular biology reports",
    ),
    "biorss-pubmed-rss-2021-12-14.xml": (
        15,
        "10.1016/j.jviromet.2021.114425",
        "rss20",
        "Journal of virological methods",
    ),
    "biorss-pubmed-rss-2021-12-21.xml": (
        15,
        "10.1016/j.parint.2021.102531",
        "rss20",
        "Parasitology international",
    ),
}


def records(source: Path | bytes, feed_name: str = "", location: str | None = None) -> list[Any]:
    items = list(parse_feed(source, location, feed_name))
    assert not [i for i in items if isinstance(i, Quarantined)], items
    return items


def by_id(path: Path) -> dict[str, dict[str, Any]]:
    return {r.source_id: r.data for r in records(path)}


def rss(*items: str, channel: str = "<title>T</title>") -> bytes:
    body = "".join(f"<item>{item}</item>" for item in items)
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel>{channel}{body}</channel></rss>'.encode()
    )


@pytest.mark.usefixtures("samples")  # the recorded corpus
def test_the_sample_folders_are_the_ones_these_tests_know() -> None:
    assert sorted(p.name for p in ALL_FILES) == sorted(EXPECTED)


@pytest.mark.usefixtures("samples")  # the recorded corpus
@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: p.name)
def test_every_sample_yields_one_complete_record_per_entry(path: Path) -> None:
    count, first, version, journal = EXPECTED[path.name]
    items = records(path, feed_name="watch")
    assert len(items) == count
    assert feed_info(path)["entries"] == count and feed_info(path)["version"] == version
    if count:
        assert items[0].source_id == f"watch:{first}" and items[0].data["journal"] == journal
    assert len({r.source_id for r in items}) == count
    for item in items:
        data = item.data
        assert set(data) == PAPER_KEYS, set(data) ^ PAPER_KEYS
        assert set(data["identifiers"]) == IDENTIFIER_KEYS
        assert (data["source"], data["kind"], data["deleted"]) == ("feed", "paper", False)
        assert data["source_id"].startswith("watch:")
        assert data["title"] and data["journal"] and data["url"].startswith("http")
        assert ISO.match(data["published"]), data["published"]
        assert "<p>" not in data["abstract"] and "\n" not in data["abstract"]
        assert not data["retracted"] and data["corrections"] == []
        assert json.loads(item.raw)["title"]  # raw: the entry as feedparser read it
        assert item.location == path.name


def test_source_ids_without_a_feed_name_are_the_bare_ids() -> None:
    (item,) = records(FEEDS / "feed-rs-rss_1.0_biorxiv.xml")
    assert item.source_id == "10.1101/2023.12.16.571984"


def test_pubmed_rss_guids_give_pmids_and_dc_identifiers_dois() -> None:
    items = by_id(PUBMED_RSS / "biorss-pubmed-rss-2021-12-21.xml")
    data = items["10.1016/j.parint.2021.102531"]
    assert data["identifiers"] == {
        "pmid": "34929406",  # guid "pubmed:34929406"
        "doi": "10.1016/j.parint.2021.102531",  # dc:identifier "doi:10.1016/…"
        "pmcid": None,
        "pii": None,
        "registry_ids": [],
    }
    assert data["title"].startswith("Description of Gyrodactylus banmae n. sp.")
    assert data["journal"] == "Parasitology international"  # dc:source, not the search as title
    assert data["published"] == "2021-12-20" and data["language"] == "eng"
    assert data["authors"] == [
        "Xiao Jin",
        "Wenxiang Li",
        "Yingyin Cheng",
        "Ming Li",
        "Shangong Wu",
        "Hong Zou",
        "Guitang Wang",
    ]
    assert data["url"].startswith("https://pubmed.ncbi.nlm.nih.gov/34929406/?utm_source=")
    # the whole abstract from content:encoded, without PubMed's citation line and id footer
    assert data["abstract"].startswith("A new species of Gyrodactylus was described on the body")
    assert data["abstract"].endswith("which we named Gyrodactylus banmae.")
    assert "PMID" not in data["abstract"] and "Parasitol Int." not in data["abstract"]
    pmids = sorted(d["identifiers"]["pmid"] for d in items.values())
    assert pmids[0] == "34920232" and pmids[-1] == "34929406" and len(set(pmids)) == 15


def test_pubmed_rss_structured_abstract_keeps_its_labels() -> None:
    data = by_id(PUBMED_RSS / "biorss-native-pubmed.xml")["10.1007/s11033-021-06887-9"]
    assert data["identifiers"]["pmid"] == "34739692"
    assert data["abstract"].startswith("BACKGROUND: A new species within the genus Alternaria")
    assert " METHODS AND RESULTS: Phylogenetic analysis was conducted" in data["abstract"]
    assert data["published"] == "2021-11-05"


def test_two_pubmed_captures_a_week_apart_share_no_item() -> None:
    earlier = by_id(PUBMED_RSS / "biorss-pubmed-rss-2021-12-14.xml")
    later = by_id(PUBMED_RSS / "biorss-pubmed-rss-2021-12-21.xml")
    assert len(earlier) == len(later) == 15 and not set(earlier) & set(later)
    assert earlier["10.1016/j.jviromet.2021.114425"]["identifiers"]["pmid"] == "34902460"


def test_feed_with_a_byte_order_mark() -> None:
    path = FEEDS / "biorss-microbiologyresearch-ijsem.xml"
    assert path.read_bytes().startswith(b"\xef\xbb\xbf<?xml")
    data = by_id(path)["10.1099/ijsem.0.005019"]
    # the DOI comes from the link's path, without its "?TRACK=RSS"
    assert data["url"].endswith("/ijsem/10.1099/ijsem.0.005019?TRACK=RSS")
    assert data["title"].startswith("Mycolicibacterium baixiangningiae sp. nov. and")
    assert data["published"] == "2021-12-08"
    assert data["abstract"].startswith("Four bacterial strains (LJ126T/S18 and Z-34T/S20)")
    assert data["authors"][:2] == ["Yanpeng Cheng", "Wenjing Lei"]  # one packed field, split
    assert data["authors"][-2:] == ["Suping Wang", "Jianguo Xu"]  # "… Suping Wang and Jianguo Xu"
    assert len(data["authors"]) == 17


def test_empty_jstage_feed_yields_nothing() -> None:
    path = FEEDS / "biorss-jstage-empty.atom.xml"
    assert list(parse_feed(path)) == []
    assert feed_info(path) == {
        "title": "J-STAGE",
        "link": "http://www.jstage.jst.go.jp/browse/",
        "entries": 0,
        "version": "atom10",
    }


def test_cnki_feed_authors_come_out_of_the_description() -> None:
    items = list(by_id(FEEDS / "biorss-cnki-yzlq.xml").values())
    data = items[0]
    assert (data["language"], data["languages"]) == ("chi", ["chi"])  # PubMed's codes
    assert data["title"].endswith("Local Extinction of the Chinese Giant Salamander")
    assert data["authors"][:3] == ["Guocheng SHU", "Ping LIU", "Tian ZHAO"]
    assert data["authors"][-1] == "Feng XIE" and len(data["authors"]) == 11
    assert data["abstract"].startswith("Biodiversity is declining globally by an unprecedented")
    assert data["identifiers"]["doi"] is None and data["published"] == "2021-09-24"
    assert all(d["authors"] and ";" not in d["abstract"][:40] for d in items)
    assert (
        feed_info(FEEDS / "biorss-cnki-yzlq.xml")["title"] == "Asian Herpetological Research-CNKI"
    )


def test_rss1_rdf_feeds_with_prism_doi_and_dc_source() -> None:
    tandf = by_id(FEEDS / "biorss-tandf-tzme20.rdf.xml")["10.1080/09397140.2021.1992835"]
    assert tandf["identifiers"]["doi"] == "10.1080/09397140.2021.1992835"
    # its entry-level prism:publicationName repeats the article title: dc:source names the journal
    assert tandf["journal"] == "Zoology in the Middle East"
    assert tandf["authors"] == ["Şafak Bulut", "Gül Olgun Karacan"]
    assert tandf["published"] == "2021-10-20"  # dc:date
    biorxiv = by_id(FEEDS / "feed-rs-rss_1.0_biorxiv.xml")["10.1101/2023.12.16.571984"]
    assert biorxiv["title"].startswith("Complete genome of the Medicago anthracnose fungus")
    assert biorxiv["journal"] == "bioRxiv" and biorxiv["published"] == "2023-12-16"
    assert biorxiv["authors"][:3] == ["N. LAPALU", "A. SIMON", "A. Lu"]
    assert biorxiv["authors"][-2:] == ["J.-F. Dallery", "R. J. O'Connell"]
    assert biorxiv["url"] == "http://biorxiv.org/cgi/content/short/2023.12.16.571984v1?rss=1"
    cambridge = by_id(FEEDS / "biorss-cambridge-core.rdf.xml")["10.4039/tce.2021.39"]
    assert cambridge["authors"] == [
        "Josué Sant’Ana",  # dc:creator "Sant’Ana, Josué"
        "Roberta Tognon",
        "Patrícia D.S. Pires",
        "Patrícia L.F. Gregório",
    ]
    assert cambridge["published"] == "2021-08-18"
    first = by_id(FEEDS / "biorss-cambridge-core.rdf.xml")["10.4039/tce.2021.38"]
    assert first["authors"] == ["Toshio Inoda"]
    assert first["abstract"].startswith("The water scavenger beetle, Hydrophilus acuminatus")


def test_wiley_abstract_from_content_and_packed_author_list() -> None:
    items = by_id(FEEDS / "biorss-wiley-taxon-toc.xml")
    data = items["10.1002/tax.12650"]
    # the description is a teaser ("TAXON, EarlyView."): the abstract is in content:encoded
    assert data["abstract"].startswith("Leptospermum is an ecologically and economically")
    assert data["authors"] == [
        "Rachel M. Binks",
        "Margaret Heslewood",
        "Peter G. Wilson",
        "Margaret Byrne",
    ]
    assert data["published"] == "2021-12-20"  # "Mon, 20 Dec 2021 00:09:28 -0800": local day
    assert data["journal"] == "TAXON" and data["keywords"] == ["RESEARCH ARTICLE"]
    flora = items["10.1002/tax.12640"]["authors"]
    assert flora[0] == "The Brazil Flora Group" and len(flora) == 982


def test_oup_surname_initials_and_abstract_box_title() -> None:
    data = by_id(FEEDS / "biorss-oup-zoolinnean.xml")["10.1093/zoolinnean/zlab081"]
    assert data["authors"] == ["C Chen", "Y Zhou", "H Watanabe"]  # "Chen C, Zhou Y, …, et al."
    assert data["abstract"].startswith("Neolepetopsidae is a family of true limpets")
    assert data["published"] == "2021-10-22" and data["language"] == "eng"


def test_sciencedirect_labelled_lines_give_date_journal_and_authors() -> None:
    items = by_id(FEEDS / "biorss-sciencedirect-mpe.xml")
    data = items["https://www.sciencedirect.com/science/article/pii/S1055790321002906"]
    assert data["published"] == "2022-02"  # "Publication date: February 2022"
    assert data["journal"] == "Molecular Phylogenetics and Evolution"  # "Source: …, Volume 167"
    assert data["authors"] == ["David R. Bickel"]
    assert data["abstract"] == "" and data["identifiers"]["doi"] is None
    board = items["https://www.sciencedirect.com/science/article/pii/S1055790321003018"]
    assert (board["title"], board["authors"], board["published"]) == (
        "Editorial Board",
        [],
        "2022-01",
    )


def test_ojs_atom_and_a_blog_that_cites_papers() -> None:
    ojs = by_id(FEEDS / "biorss-ojs-atom.xml")[
        "http://et-online.nu/index.php/contents/article/view/94"
    ]
    assert ojs["authors"] == ["Julia Stigenberg", "Cornelis Van Achterberg"]
    assert ojs["published"] == "2021-12-09" and ojs["identifiers"]["doi"] is None
    blog = by_id(FEEDS / "ncbiutils-no_pubmedarticleset-rss.xml")
    post = blog["https://blogs.sciencemag.org/pipeline/?p=17264"]
    assert post["title"] == "Drug Repurposing for Coronaviruses: Be Careful"
    assert post["authors"] == ["Derek Lowe"] and post["published"] == "2021-06-25"
    assert post["keywords"] == ["Covid-19", "Drug Assays", "Toxicology"]
    # a post's links to the papers it discusses never become its identity
    assert all(d["identifiers"]["doi"] is None for d in blog.values())


def test_ids_and_registry_numbers_in_a_made_up_feed() -> None:
    body = rss(
        "<title>RETRACTED: MSCs and glioma</title><guid>pmid:0012345</guid>"
        "<link>https://www.ncbi.nlm.nih.gov/pmc/articles/PMC7654321/</link>"
        "<description>Trial NCT01234567 showed &lt;i&gt;nothing&lt;/i&gt;.</description>",
        "<title>No ids</title><link>https://journal.example/a/1?x=10.1000/zzz</link>"
        "<description>doi: 10.1000/abc.1. See https://doi.org/10.9999/other</description>",
    )
    first, second = (r.data for r in records(body, feed_name="ex"))
    assert first["identifiers"] == {
        "pmid": "12345",
        "doi": None,
        "pmcid": "PMC7654321",
        "pii": None,
        "registry_ids": ["NCT01234567"],
    }
    assert first["source_id"] == "ex:pmid:0012345" and first["retracted"] is True
    assert first["abstract"] == "Trial NCT01234567 showed nothing."
    # only a labelled "doi:" in the text counts; a query string never does
    assert second["identifiers"]["doi"] == "10.1000/abc.1"
    assert second["source_id"] == "ex:10.1000/abc.1"


def test_a_sax_broken_feed_without_entries_is_one_quarantined_entry() -> None:
    body = b'<?xml version="1.0"?><rss version="2.0"><channel><title>T &bogus; </title></channel'
    (item,) = parse_feed(body, location="journal-x.rss")
    assert isinstance(item, Quarantined)
    assert (item.source, item.location, item.raw) == ("feed", "journal-x.rss", body)
    assert item.reason.startswith("not a well-formed feed, no entries read: SAXParseException at")
    assert "undefined entity" in item.reason


def test_a_sax_broken_feed_keeps_the_entries_read(caplog: pytest.LogCaptureFixture) -> None:
    body = rss("<title>A</title><link>http://x.example/1</link>")[:-20] + b"<item><title>B</ti"
    with caplog.at_level(logging.WARNING, logger="etl.sources.feed.parse"):
        items = list(parse_feed(body, location="cut.rss"))
    assert isinstance(items[0], SourceRecord) and items[0].source_id == "http://x.example/1"
    assert isinstance(items[1], Quarantined)
    assert items[1].reason == "entry 2 of 2: no DOI, guid or link to identify the entry"
    assert "cut.rss: SAXParseException" in caplog.text and "keeping the 2 entries" in caplog.text


def test_a_wrongly_declared_encoding_is_tolerated_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    body = rss("<title>\xe9t\xe9</title><guid>g1</guid>").decode().encode("latin-1")
    with caplog.at_level(logging.INFO, logger="etl.sources.feed.parse"):
        (item,) = records(body)
    assert item.data["title"] == "été"
    assert "CharacterEncodingOverride" in caplog.text


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b'{"feed": "json"}',
        b"<html><head><title>Validate User</title></head><body><p>captcha</body></html>",
    ],
)
def test_a_body_that_is_no_feed_is_quarantined(body: bytes) -> None:
    (item,) = parse_feed(body)
    assert isinstance(item, Quarantined) and item.location == "<response>"
    assert item.reason.startswith(("not a well-formed feed", "not an RSS or Atom feed", "this is"))


def test_bytes_that_look_like_a_path_or_url_are_read_as_content(tmp_path: Path) -> None:
    secret = tmp_path / "feed.xml"
    secret.write_bytes(rss("<title>A</title><guid>g</guid>"))
    for body in (str(secret).encode(), b"https://example.org/feed.rss"):
        (item,) = parse_feed(body)  # never opened, never fetched
        assert isinstance(item, Quarantined) and item.raw == body
        assert b"<item>" not in item.raw


def test_html_blocks_keep_inline_markup_together_and_blocks_apart() -> None:
    assert html_text("m<sup>6</sup>A in <i>vivo</i>") == "m⁶A in vivo"
    assert html_blocks("<h2>Abstract</h2><p>One<br/>two</p>") == [
        ("heading", "Abstract"),
        ("text", "One"),
        ("text", "two"),
    ]
    assert html_text("Names;</br>Text") == "Names; Text"
    assert html_text("<p>a</p><script>var x = 1;</script><!-- note -->b") == "a b"
    assert html_text("survival of <1 year, p<0.05") == "survival of <1 year, p<0.05"
    assert html_text("https://doi.org/10.1000/x") == "https://doi.org/10.1000/x"  # no warning
    assert html_text("<a href='x'>https://doi.org/10.1/x</a>") == "https://doi.org/10.1/x"


def test_author_fields_in_the_shapes_feeds_use() -> None:
    assert display_names(["Inoda, Toshio"]) == ["Toshio Inoda"]
    assert display_names(["Sant’Ana, Josué", "Tognon, Roberta"]) == [
        "Josué Sant’Ana",
        "Roberta Tognon",
    ]
    assert split_list("Brandão S, Saeedi H, Brandt A.") == ["S Brandão", "H Saeedi", "A Brandt"]
    assert split_list("LAPALU, N., Dallery, J.-F.") == ["N. LAPALU", "J.-F. Dallery"]
    assert split_list("Ann Lee, Bo Chen and Cy Wu") == ["Ann Lee", "Bo Chen", "Cy Wu"]
    assert split_list("Ann Lee;Bo CHEN;") == ["Ann Lee", "Bo CHEN"]
    assert display_names([]) == [] and display_names(["  "]) == []
