"""Build large PubMed efetch files for the benchmarks from the real samples in shared/samples.

Real PubMed baseline files are not available offline, so the benchmark input is made by
replicating the ~250 real `PubmedArticle` records of `shared/samples/pubmed-efetch/` until the
wanted count is reached. Each copy gets its own PMID (the `<PMID>` that is the first child of its
`MedlineCitation`, and the `<ArticleId IdType="pubmed">` of its own `PubmedData/ArticleIdList`);
every other byte of the record is copied unchanged, so the parsers see real-world markup, real
reference lists and real size variation rather than a synthetic record repeated.

Only `PubmedArticle` records are replicated (not `PubmedBookArticle`): the bare lxml floor the
benchmark compares against filters on that tag, and every contender must see the same articles.
The file keeps a real `<!DOCTYPE PubmedArticleSet ...>` line taken from the samples, because
Biopython's `Entrez.read` needs it to find its bundled DTD.

Usage (from the project root):

    python bench/make_big_file.py --articles 20000
    python bench/make_big_file.py --articles 20000 --files 4
    python bench/make_big_file.py --articles 20000 --gzip
    python bench/make_big_file.py --articles 5000 --modern
"""

from __future__ import annotations

import argparse
import gzip
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from lxml import etree

BENCH_DIR = Path(__file__).resolve().parent
DATA_DIR = BENCH_DIR / "data"
SAMPLES_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "samples" / "pubmed-efetch"
SKIP = frozenset({"reciter-special_characters-MALFORMED.xml"})
FIRST_PMID = 90_000_001  # above every real PMID so far, so a copy never poses as a real record

_ARTICLE = re.compile(rb"<PubmedArticle>.*?</PubmedArticle>", re.S)
_COMMENT = re.compile(rb"<!--.*?-->", re.S)
_DECL = re.compile(rb"<\?xml[^>]*\?>")
_DOCTYPE = re.compile(rb"<!DOCTYPE\s+PubmedArticleSet\s[^>]*>")
_DTD_NAME = re.compile(rb"pubmed_(\d{6})\.dtd")
_CITATION_PMID = re.compile(rb"<MedlineCitation\b[^>]*>\s*<PMID\b[^>]*>(\s*\d+\s*)</PMID>")
_PUBMED_DATA = re.compile(rb"<PubmedData\b")
_OWN_ID_LIST = re.compile(rb"<ArticleIdList>(.*?)</ArticleIdList>", re.S)
_PUBMED_ID = re.compile(rb'<ArticleId IdType="pubmed">(\s*\d+\s*)</ArticleId>')


@dataclass(frozen=True)
class Template:
    """One real article cut around its PMID slots, so a renumbered copy is a cheap join."""

    pieces: tuple[bytes, ...]

    def render(self, pmid: int) -> bytes:
        """The article's bytes with `pmid` in every PMID slot, all other bytes unchanged."""
        number = str(pmid).encode()
        out = [self.pieces[0]]
        for piece in self.pieces[1:]:
            out += [number, piece]
        return b"".join(out)


def sample_files(samples_dir: Path = SAMPLES_DIR) -> list[Path]:
    """The efetch samples to replicate, in a fixed order so every build is identical."""
    files = sorted(p for p in samples_dir.glob("*.xml") if p.name not in SKIP)
    if not files:
        raise SystemExit(f"no PubMed samples found in {samples_dir}")
    return files


def articles_in(data: bytes) -> list[bytes]:
    """The raw bytes of each `PubmedArticle` of a file, skipping any inside comments."""
    comments = [m.span() for m in _COMMENT.finditer(data)]
    return [
        m.group(0)
        for m in _ARTICLE.finditer(data)
        if not any(start <= m.start() < end for start, end in comments)
    ]


def make_template(article: bytes) -> Template:
    """Cut an article at its own PMID and its own PubmedData pubmed ArticleId."""
    cuts: list[tuple[int, int]] = []
    pmid = _CITATION_PMID.match(article, article.index(b"<MedlineCitation"))
    if pmid is None:
        raise ValueError("article whose MedlineCitation does not start with a PMID")
    cuts.append(pmid.span(1))
    data = _PUBMED_DATA.search(article)
    if data is not None:
        # ArticleIdList comes before ReferenceList in PubmedData, so the first list after
        # <PubmedData> is the article's own, never a cited reference's.
        id_list = _OWN_ID_LIST.search(article, data.start())
        own = _PUBMED_ID.search(id_list.group(1)) if id_list else None
        if id_list is not None and own is not None:
            offset = id_list.start(1)
            cuts.append((offset + own.start(1), offset + own.end(1)))
    pieces, last = [], 0
    for start, end in cuts:
        pieces.append(article[last:start])
        last = end
    pieces.append(article[last:])
    return Template(tuple(pieces))


def check_template(template: Template) -> etree._Element:
    """Make sure the slots are exactly the two ids the brief names, by parsing a renumbered copy."""
    elem = etree.fromstring(template.render(123), etree.XMLParser(resolve_entities=False))
    if elem.findtext("MedlineCitation/PMID") != "123":
        raise ValueError("PMID slot is not MedlineCitation/PMID")
    own = elem.findall("PubmedData/ArticleIdList/ArticleId[@IdType='pubmed']")
    if len(template.pieces) == 3 and [e.text for e in own] != ["123"]:
        raise ValueError("ArticleId slot is not the article's own pubmed id")
    return elem


def is_modern(elem: etree._Element) -> bool:
    """False for a record that keeps the pre-2014 `Article/Affiliation`.

    Biopython builds its record shapes from the file's one DTD; the 2014 and later DTDs moved
    `Affiliation` into `Author/AffiliationInfo`, and `Entrez.read` then fails on an older record
    ("Unexpected item 'Affiliation' in dictionary") even with `validate=False`, while an older DTD
    would make it skip every newer element (reference lists, ORCIDs). So Biopython gets a file
    without those records; the other contenders read it too for a like-for-like ratio.
    """
    return elem.find("MedlineCitation/Article/Affiliation") is None


def load_templates(samples_dir: Path = SAMPLES_DIR, modern: bool = False) -> list[Template]:
    """Every real PubmedArticle of the samples as a checked template (`modern`: see is_modern)."""
    templates = []
    for path in sample_files(samples_dir):
        for article in articles_in(path.read_bytes()):
            template = make_template(article)
            elem = check_template(template)
            if not modern or is_modern(elem):
                templates.append(template)
    return templates


def header(samples_dir: Path = SAMPLES_DIR) -> bytes:
    """XML declaration and DOCTYPE of the sample with the newest HTTPS DTD reference.

    Biopython refuses a non-HTTPS DTD URL before it even looks for its bundled copy, and the newest
    DTD is the one every older record still validates against.
    """
    best: tuple[bytes, bytes, bytes] | None = None
    for path in sample_files(samples_dir):
        head = path.read_bytes()[:1024]
        decl, doctype = _DECL.search(head), _DOCTYPE.search(head)
        if not (decl and doctype and b'"https://' in doctype.group(0)):
            continue
        name = _DTD_NAME.search(doctype.group(0))
        version = name.group(1) if name else b""
        # pubmed_YYMMDD.dtd: the HTTPS ones are all from 2018 on, so YYMMDD sorts by date.
        if best is None or version > best[0]:
            best = (version, decl.group(0), doctype.group(0))
    if best is None:
        raise SystemExit("no sample has an HTTPS PubmedArticleSet DOCTYPE")
    return best[1] + b"\n" + best[2] + b"\n<PubmedArticleSet>\n"


def renumbered(templates: list[Template], count: int, first: int = FIRST_PMID) -> Iterator[bytes]:
    """`count` articles cycling through the templates, PMIDs first, first+1, ..."""
    for n in range(count):
        yield templates[n % len(templates)].render(first + n)


def file_names(articles: int, files: int = 1, gz: bool = False, modern: bool = False) -> list[Path]:
    """Where a build with these options puts its files (the other scripts look here too)."""
    stem = f"pubmed-{articles}" + ("-modern" if modern else "")
    suffix = ".xml.gz" if gz else ".xml"
    if files == 1:
        return [DATA_DIR / f"{stem}{suffix}"]
    return [DATA_DIR / f"{stem}-part{i}of{files}{suffix}" for i in range(1, files + 1)]


def _open(path: Path, gz: bool) -> BinaryIO:
    # Level 1: the gzip copy is only an input format for pubmed_parser, not a size contest.
    return gzip.open(path, "wb", compresslevel=1) if gz else path.open("wb")


def build(articles: int, files: int = 1, gz: bool = False, modern: bool = False) -> list[Path]:
    """Write `articles` renumbered articles split evenly over `files` files; return their paths."""
    if articles < 1 or not 1 <= files <= articles:
        raise SystemExit("need at least one article and at most one file per article")
    templates, head = load_templates(modern=modern), header()
    paths = file_names(articles, files, gz, modern)
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    stream = renumbered(templates, articles)
    for i, path in enumerate(paths):
        share = articles // files + (1 if i < articles % files else 0)
        tmp = path.with_name(path.name + ".tmp")
        with _open(tmp, gz) as out:
            out.write(head)
            for _ in range(share):
                out.write(next(stream))
                out.write(b"\n")
            out.write(b"</PubmedArticleSet>\n")
        tmp.replace(path)  # a build that is interrupted never leaves a short file behind
    return paths


def ensure(articles: int, files: int = 1, gz: bool = False, modern: bool = False) -> list[Path]:
    """The files for these options, built only if they are missing (for the other benchmarks)."""
    paths = file_names(articles, files, gz, modern)
    if all(p.exists() for p in paths):
        return paths
    return build(articles, files, gz, modern)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=20_000, help="articles in all (20000)")
    parser.add_argument("--files", type=int, default=1, help="split into this many files (1)")
    parser.add_argument("--gzip", action="store_true", help="write .xml.gz instead of .xml")
    parser.add_argument(
        "--modern", action="store_true", help="leave out pre-2014 records (for Biopython)"
    )
    args = parser.parse_args(argv)
    templates = load_templates(modern=args.modern)
    print(f"{len(templates)} real articles from {len(sample_files())} sample files")
    for path in build(args.articles, args.files, args.gzip, args.modern):
        size = path.stat().st_size / 1e6
        print(f"wrote {path.relative_to(BENCH_DIR.parent)} ({size:.1f} MB)")


if __name__ == "__main__":
    main()
