"""The studies a published article cites, as its page links them: each work its last check
resolved a citation to (`article_works`), at the study page it has, if it has one."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection

from etl.articles import store
from etl.digest.view import clean_title, study_url
from etl.studies import store as studies


@dataclass(frozen=True)
class CitedStudy:
    title: str
    url: str


def cited_studies(conn: Connection, article_id: int, lang: str, base: str) -> list[CitedStudy]:
    """In the order the text cites them, each once (two cited works merged since are one
    study); a work without a public page is left out, as the study pages leave it out."""
    cited = store.cited(conn, [article_id])[article_id]
    home = studies.resolve_merged(conn, cited)
    ids = list(dict.fromkeys(home[work_id] for work_id in cited))
    shown = studies.public_ids(conn, ids)
    slugs = studies.slugs_of(conn, [i for i in ids if i in shown])
    data = studies.work_data(conn, list(slugs))
    found = []
    for work_id in ids:
        if work_id not in slugs:
            continue
        record = data.get(work_id, {})
        title = (record.get("vernacular_title") if lang == "zh" else None) or record.get("title")
        found.append(CitedStudy(clean_title(title or ""), study_url(base, slugs[work_id], lang)))
    return found
