"""The replay server, plus PubMed searches answered from recorded esearch answers.

The replay server's esearch selects by date windows only (its corpus is the topic), so a search
for one DOI or one title, as `mscwatch article check` and adding a work by hand send, would find
every record. Tests that look works up give it the answers PubMed would give to those terms,
recorded as esearch JSON by term; any other term finds nothing, as PubMed would."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from etl.replay import Corpus, ReplayServer
from etl.replay.ctgov import StudyCorpus
from etl.replay.eutils import JSON_TYPE, Reply


def esearch_answer(term: str, ids: list[str]) -> dict[str, Any]:
    """An esearch JSON answer for `term` finding `ids`, shaped as NCBI writes it."""
    result: dict[str, Any] = {
        "count": str(len(ids)), "retmax": str(len(ids)), "retstart": "0", "idlist": ids,
        "translationset": [], "querytranslation": term,
    }  # fmt: skip
    if not ids:
        result["warninglist"] = {"outputmessages": ["No items found."]}
    return {"header": {"type": "esearch", "version": "0.3"}, "esearchresult": result}


class SearchReplay(ReplayServer):
    """`ReplayServer` whose esearch answers the recorded term (exactly as sent) or nothing."""

    def __init__(
        self,
        corpus: Corpus,
        studies: StudyCorpus | None = None,
        searches: Mapping[str, Any] | None = None,
    ) -> None:
        self.searches = dict(searches or {})
        super().__init__(corpus, studies=studies if studies is not None else StudyCorpus())

    @classmethod
    def from_files(
        cls, efetch: list[Path], studies: list[Path], searches: Path | None
    ) -> SearchReplay:
        """Records from efetch XML files and CT.gov JSON files; answers from a JSON file that
        maps each term to its esearch answer."""
        recorded = json.loads(searches.read_text(encoding="utf-8")) if searches else {}
        return cls(Corpus.from_paths(efetch), StudyCorpus.from_paths(studies), recorded)

    def answer(self, path: str, params: dict[str, str]) -> Reply:
        if path == "/esearch.fcgi":
            term = params.get("term", "")
            found = self.searches.get(term) or esearch_answer(term, [])
            return Reply(200, json.dumps(found).encode(), JSON_TYPE)
        return super().answer(path, params)
