"""Generated PubmedArticle records, valid against the PubMed DTD, for scale and edit tests.

Real samples hold a few hundred records; window splitting and the 9,999 cap need tens of
thousands with known create dates. Records are built from string templates, not lxml, so ten
thousand take a fraction of a second.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, timedelta
from xml.sax.saxutils import escape

_SUBJECTS = (
    "Mesenchymal stem cells",
    "Mesenchymal stromal cells",
    "MSC-derived exosomes",
    "Bone marrow-derived MSCs",
    "Umbilical cord MSCs",
    "Adipose-derived stromal cells",
)
_ACTIONS = (
    "promote",
    "suppress",
    "deliver oncolytic virus to",
    "remodel the microenvironment of",
    "modulate immune evasion in",
    "home to",
)
_CANCERS = (
    "glioblastoma",
    "breast cancer",
    "hepatocellular carcinoma",
    "colorectal cancer",
    "osteosarcoma",
    "pancreatic ductal adenocarcinoma",
    "non-small cell lung cancer",
)
_SURNAMES = ("Zhang", "Smith", "Garcia", "Müller", "Tanaka", "Rossi", "Kowalski", "Okafor")
_FORENAMES = ("Wei", "Anna", "Luis", "Jonas", "Yuki", "Giulia", "Piotr", "Chidi")
_PUB_TYPE_UI = {
    "Journal Article": "D016428",
    "Review": "D016454",
    "Randomized Controlled Trial": "D016449",
    "Retracted Publication": "D016441",
    "Retraction of Publication": "D016440",
    "Published Erratum": "D016425",
}

_TEMPLATE = (
    '<PubmedArticle><MedlineCitation Status="PubMed-not-MEDLINE" Owner="NLM">'
    '<PMID Version="1">{pmid}</PMID>'
    "<DateRevised>{mdat}</DateRevised>"
    '<Article PubModel="Electronic"><Journal><ISSN IssnType="Electronic">2999-0001</ISSN>'
    '<JournalIssue CitedMedium="Internet"><Volume>{volume}</Volume>'
    "<PubDate><Year>{year}</Year></PubDate></JournalIssue>"
    "<Title>Journal of Synthetic Stromal Oncology</Title>"
    "<ISOAbbreviation>J Synth Stromal Oncol</ISOAbbreviation></Journal>"
    "<ArticleTitle>{title}</ArticleTitle>"
    '<ELocationID EIdType="doi" ValidYN="Y">{doi}</ELocationID>'
    "<Abstract>{abstract}</Abstract>"
    '<AuthorList CompleteYN="Y"><Author ValidYN="Y"><LastName>{last}</LastName>'
    "<ForeName>{fore}</ForeName><Initials>{initial}</Initials></Author></AuthorList>"
    "<Language>eng</Language><PublicationTypeList>{pub_types}</PublicationTypeList>"
    '<ArticleDate DateType="Electronic">{crdt}</ArticleDate></Article>'
    "<MedlineJournalInfo><Country>United States</Country>"
    "<MedlineTA>J Synth Stromal Oncol</MedlineTA><NlmUniqueID>999999999</NlmUniqueID>"
    "<ISSNLinking>2999-0001</ISSNLinking></MedlineJournalInfo>{comments}"
    '<KeywordList Owner="NOTNLM"><Keyword MajorTopicYN="N">mesenchymal stromal cells</Keyword>'
    '<Keyword MajorTopicYN="N">{cancer}</Keyword></KeywordList></MedlineCitation>'
    '<PubmedData><History><PubMedPubDate PubStatus="pubmed">{crdt}</PubMedPubDate>'
    '<PubMedPubDate PubStatus="medline">{crdt}</PubMedPubDate>'
    '<PubMedPubDate PubStatus="entrez">{crdt}</PubMedPubDate></History>'
    "<PublicationStatus>epublish</PublicationStatus><ArticleIdList>"
    '<ArticleId IdType="pubmed">{pmid}</ArticleId><ArticleId IdType="doi">{doi}</ArticleId>'
    "</ArticleIdList></PubmedData></PubmedArticle>"
)


def synthetic_records(
    n: int, start: date, end: date, first_pmid: int = 40_000_000
) -> Iterator[tuple[str, bytes, date]]:
    """Yield ``(pmid, xml, crdt)`` for ``n`` records; PMIDs ascend as crdt goes start -> end."""
    if n < 0 or end < start:
        raise ValueError("need n >= 0 and start <= end")
    span = (end - start).days
    for i in range(n):
        crdt = start + timedelta(days=(i * span) // max(n - 1, 1))
        pmid = first_pmid + i
        yield str(pmid), synthetic_article(pmid, crdt), crdt


def synthetic_article(
    pmid: int | str,
    crdt: date,
    *,
    mdat: date | None = None,
    title: str | None = None,
    abstract: str | None = None,
    publication_types: Sequence[str] = ("Journal Article",),
    comments: Sequence[tuple[str, str]] = (),
) -> bytes:
    """One ``PubmedArticle``; ``comments`` are ``(RefType, PMID)`` pairs, e.g. ``RetractionIn``."""
    k = int(pmid)
    cancer = _CANCERS[k % len(_CANCERS)]
    title = title or (
        f"{_SUBJECTS[k % len(_SUBJECTS)]} {_ACTIONS[(k // 7) % len(_ACTIONS)]} {cancer}"
        f" in a preclinical model ({k})."
    )
    return _TEMPLATE.format(
        pmid=k,
        mdat=_ymd(mdat or crdt),
        crdt=_ymd(crdt),
        year=crdt.year,
        volume=crdt.year - 2000,
        title=escape(title),
        doi=f"10.99999/jsso.{k}",
        cancer=cancer,
        abstract=_abstract(abstract, cancer),
        last=_SURNAMES[k % 8],
        fore=_FORENAMES[(k // 8) % 8],
        initial=_FORENAMES[(k // 8) % 8][0],
        pub_types=_pub_types(publication_types),
        comments=_comments(comments),
    ).encode()


def _ymd(day: date) -> str:
    return f"<Year>{day.year}</Year><Month>{day.month:02d}</Month><Day>{day.day:02d}</Day>"


def _abstract(text: str | None, cancer: str) -> str:
    if text is not None:
        return f"<AbstractText>{escape(text)}</AbstractText>"
    return (
        '<AbstractText Label="BACKGROUND" NlmCategory="BACKGROUND">The role of mesenchymal '
        f"stromal cells (MSCs) in {cancer} remains debated.</AbstractText>"
        '<AbstractText Label="RESULTS" NlmCategory="RESULTS">Co-culture with MSCs changed tumour '
        "growth in vitro and in a xenograft model.</AbstractText>"
    )


def _pub_types(names: Sequence[str]) -> str:
    # D000000 marks a type outside the small table above; the name is what consumers read.
    return "".join(
        f'<PublicationType UI="{_PUB_TYPE_UI.get(name, "D000000")}">'
        f"{escape(name)}</PublicationType>"
        for name in names
    )


def _comments(pairs: Sequence[tuple[str, str]]) -> str:
    if not pairs:
        return ""
    items = "".join(
        f'<CommentsCorrections RefType="{ref_type}"><RefSource>J Synth Stromal Oncol</RefSource>'
        f'<PMID Version="1">{ref_pmid}</PMID></CommentsCorrections>'
        for ref_type, ref_pmid in pairs
    )
    return f"<CommentsCorrectionsList>{items}</CommentsCorrectionsList>"
