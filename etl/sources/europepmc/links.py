"""Europe PMC's comment/correction links: errata and retractions, preprint <-> journal article.

`commentCorrectionList` is MEDLINE's CommentsCorrections in words ("Erratum for", "Retraction
in"), plus the links Europe PMC makes itself between a preprint ("Preprint of" a MED record) and
its journal article ("Preprint in" a PPR record). Corrections keep the shape and spelling of a
PubMed record's, so that identity links and change events treat both sources alike.
"""

from __future__ import annotations

from typing import Any

from etl.normalize.identifiers import find_dois, normalize_pmcid, normalize_pmid
from etl.normalize.text import squash
from etl.records import Correction
from etl.sources.europepmc.values import listed, text

PREPRINT_OF = "preprint of"  # on the preprint, pointing at the journal article
PREPRINT_IN = "preprint in"  # on the journal article, pointing at the preprint
RETRACTED_LINKS = frozenset({"RetractionIn", "RetractedandRepublishedIn"})

Link = dict[str, Any]


def links_of(result: dict[str, Any]) -> list[Link]:
    return [c for c in listed(result, "commentCorrection") if _kind(c)]


def corrections(links: list[Link]) -> list[Correction]:
    """{type, pmid, ref} per link that is no preprint link, as in PubMed records."""
    return [_correction(link) for link in links if _kind(link) not in (PREPRINT_OF, PREPRINT_IN)]


def ref_type(words: str) -> str:
    """Europe PMC's "Retracted and republished in" -> PubMed's "RetractedandRepublishedIn"."""
    return "".join(w if w == "and" else w[:1].upper() + w[1:] for w in words.lower().split())


def published_version(links: list[Link]) -> dict[str, Any] | None:
    """The journal version a preprint's "Preprint of" link names. Europe PMC identifies it by its
    own key (a PMID for source MED), never by DOI, though the citation text may hold one; `note`
    says how the link was made ("Link created based on a title-first author match" is a
    heuristic a reviewer should confirm)."""
    for link in links:
        if _kind(link) == PREPRINT_OF:
            source = text(link.get("source")).strip().upper()
            ident = text(link.get("id")).strip()
            dois = find_dois(text(link.get("reference")))
            return {
                "source_id": f"{source}:{ident}" if source and ident else None,
                "pmid": normalize_pmid(ident) if source == "MED" else None,
                "pmcid": normalize_pmcid(ident) if source == "PMC" else None,
                "doi": dois[0] if dois else None,
                "note": squash(text(link.get("note"))) or None,
            }
    return None


def preprints(links: list[Link]) -> list[dict[str, Any]]:
    """The preprints a journal article's "Preprint in" links name."""
    found = []
    for link in links:
        ident = text(link.get("id")).strip()
        if _kind(link) == PREPRINT_IN and ident:
            note = squash(text(link.get("note"))) or None
            found.append({"source_id": f"PPR:{ident}", "ppr": ident, "note": note})
    return found


def _correction(link: Link) -> Correction:
    source = text(link.get("source")).strip().upper()
    return {
        "type": ref_type(text(link.get("type"))),
        "pmid": normalize_pmid(link.get("id")) if source == "MED" else None,
        "ref": squash(text(link.get("reference"))) or None,
    }


def _kind(link: Link) -> str:
    return text(link.get("type")).strip().lower()
