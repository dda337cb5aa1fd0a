"""Leads and key results of a work, read from its normalised record by text rules.

An issue shows each paper through a short lead, a featured item through its key result. The
abstract's own conclusion is the English lead's second half and the key result the highlight's
fallback; the facts behind the Chinese lead are `etl.facts`. Pure functions of the record dict.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from etl.facts.abstract import (
    CONCLUDING,
    CONCLUSION_LABEL,
    FIGURE,
    RESULTS_LABEL,
    bodies,
    content,
    pool,
    sections,
    sentences,
)
from etl.facts.extract import content_hash, extract, record_text
from etl.facts.terms import load_terms
from etl.facts.write import Lead, en_lead, zh_lead

__all__ = ["Lead", "item_lead", "key_result", "paper_lead", "sentences"]

_LEADS: dict[tuple[str, str, int], Lead] = {}
_LEADS_SIZE = 8192
NO_FACTS_ZH = "该研究的摘要未给出可提取的要点，详见原文。"


def item_lead(data: Mapping[str, Any], lang: str, config_dir: Path | None = None) -> Lead:
    """The lead of a paper or trial in one edition's language, built from the record's facts.

    Chinese: the facts sentence alone, in Chinese prose. English: the facts sentence, then the
    abstract's own conclusion. Worked out once per record version and language, however many
    editions and subscribers show it.
    """
    terms = load_terms(config_dir)
    key = (content_hash(data), lang, id(terms))
    if key in _LEADS:
        return _LEADS[key]
    facts = extract(data, terms)
    source = record_text(data)
    if lang == "zh":
        lead = zh_lead(facts, terms, source)
        if not lead.text:
            lead = Lead(NO_FACTS_ZH, lead.rejected)
    else:
        found = en_lead(facts, terms, source)
        conclusion = paper_lead(data, max_chars=240) if data.get("kind") != "trial" else ""
        lead = Lead(" ".join(p for p in (found.text, conclusion) if p), found.rejected)
    if len(_LEADS) >= _LEADS_SIZE:
        _LEADS.clear()
    _LEADS[key] = lead
    return lead


def paper_lead(data: Mapping[str, Any], max_chars: int = 320) -> str:
    """The abstract's conclusion: at most two whole sentences within `max_chars` characters.

    A labelled conclusion is the authors' own summary, so it wins; otherwise the closing sentences
    carry the take-home message of most unstructured abstracts.
    """
    parts = sections(data.get("abstract") or "")
    for label, body in parts:
        if label and CONCLUSION_LABEL.search(label) and (chosen := content(body)):
            return _fit(chosen[:2], max_chars)
    body = content(bodies(parts))
    if len(body) > 1 and CONCLUDING.match(body[-2]):
        return _fit(body[-2:], max_chars)
    return _fit(body[-1:], max_chars)


def key_result(data: Mapping[str, Any], max_chars: int = 280) -> str:
    """The result sentence richest in figures, for the 研究亮点 (highlight) call-out.

    Figures (percentages, P values, hazard ratios, "7 of 10") are what an editor quotes; a sentence
    that fits is preferred to one that would have to be cut. Falls back to the lead.
    """
    chosen = pool(sections(data.get("abstract") or ""), RESULTS_LABEL)
    scored = [(len(FIGURE.findall(s)), s) for s in chosen]
    scored = [(score, s) for score, s in scored if score]
    if not scored:
        return paper_lead(data, max_chars)
    fitting = [item for item in scored if len(item[1]) <= max_chars] or scored
    return _fit([max(fitting, key=lambda item: (item[0], -len(item[1])))[1]], max_chars)


def _fit(chosen: list[str], max_chars: int) -> str:
    """Whole sentences up to `max_chars`; a first sentence too long is cut at a word, with "…"."""
    lead = ""
    for sentence in chosen:
        if len(joined := f"{lead} {sentence}".strip()) > max_chars:
            break
        lead = joined
    if lead or not chosen:
        return lead
    cut = chosen[0][: max_chars - 1]
    cut = cut.rsplit(" ", 1)[0] if " " in cut else cut
    return cut.rstrip(" ,;:-–(") + "…"
