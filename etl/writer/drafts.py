"""Writer drafts in the database: made for an issue's items, shown to editors, accepted, edited
or rejected. A draft reaches readers only once an editor accepted or edited it; a failed one
keeps its reason so the editor sees why the template's text stands."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from etl.db.models import WriterDraft
from etl.errors import DigestError
from etl.facts.fidelity import unsupported
from etl.facts.leads import is_retraction_notice
from etl.writer.client import Outcome, Writer, source_text

drafts = WriterDraft.__table__
STATES = ("draft", "accepted", "edited", "rejected", "failed")
# Kinds of item whose text is a notice, not a study: no lead to draft.
NOTICE_KINDS = frozenset({"retraction", "correction"})


@dataclass
class DraftReport:
    drafted: int = 0
    failed: int = 0
    kept: int = 0  # a draft (or an editor's decision about one) was already there

    def line(self) -> str:
        return f"writer: {self.drafted} drafted, {self.failed} failed, {self.kept} kept"


def wanted(items: Iterable[Mapping[str, Any]], langs: Iterable[str]) -> list[tuple[int, str, str]]:
    """(work, language, field) for an issue's items: a lead for each study, a 研究亮点 for
    each featured one."""
    out = []
    for row in items:
        if row["kind"] in NOTICE_KINDS:
            continue
        for lang in langs:
            out.append((row["work_id"], lang, "lead"))
            if row.get("featured"):
                out.append((row["work_id"], lang, "highlight"))
    return out


def draft_items(
    engine: Engine,
    writer: Writer,
    items: Iterable[Mapping[str, Any]],
    data: Mapping[int, Mapping[str, Any]],
    langs: Iterable[str],
    now: datetime,
) -> DraftReport:
    """Ask the writer for every draft the items lack (or whose last attempt failed), one
    request at a time, each outcome committed as it comes: a failure stops nothing."""
    report = DraftReport()
    jobs = wanted(items, langs)
    with engine.connect() as conn:
        existing = {
            (r.work_id, r.lang, r.field): r.state for r in _rows(conn, {w for w, _, _ in jobs})
        }
    for work_id, lang, field in jobs:
        record = data.get(work_id)
        if existing.get((work_id, lang, field), "failed") != "failed" or record is None:
            report.kept += 1
            continue
        if is_retraction_notice(dict(record)):  # a notice is told as a retraction, not drafted
            continue
        outcome = writer.draft(data[work_id], lang, field)
        with engine.begin() as conn:
            save(conn, work_id, lang, field, outcome, now)
        if outcome.ok:
            report.drafted += 1
        else:
            report.failed += 1
    return report


def save(
    conn: Connection, work_id: int, lang: str, field: str, outcome: Outcome, now: datetime
) -> None:
    values = {
        "text": outcome.text,
        "sources": outcome.sources,
        "state": outcome.state,
        "reason": outcome.reason,
        "model": outcome.model,
        "prompt_tokens": outcome.prompt_tokens,
        "completion_tokens": outcome.completion_tokens,
        "seconds": outcome.seconds,
        "created_at": now,
        "decided_by": "",
        "decided_at": None,
    }
    key = (drafts.c.work_id == work_id) & (drafts.c.lang == lang) & (drafts.c.field == field)
    if conn.execute(select(drafts.c.id).where(key)).first() is None:
        conn.execute(insert(drafts).values(work_id=work_id, lang=lang, field=field, **values))
    else:
        conn.execute(update(drafts).where(key).values(**values))


def _rows(conn: Connection, work_ids: set[int]) -> list[Any]:
    if not work_ids:
        return []
    query = select(drafts).where(drafts.c.work_id.in_(sorted(work_ids))).order_by(drafts.c.id)
    return list(conn.execute(query))


def drafts_of(conn: Connection, work_ids: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
    """Every draft of these works, by work, as the editor pages show them."""
    found: dict[int, list[dict[str, Any]]] = {}
    for row in _rows(conn, set(work_ids)):
        found.setdefault(row.work_id, []).append(dict(row._mapping))
    return found


def decide(
    conn: Connection,
    draft_id: int,
    action: str,
    editor: str,
    now: datetime,
    text: str = "",
    record: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """An editor accepts, edits (with `text`) or rejects a draft. An edited text passes the
    same fidelity check as the model's: a figure the record lacks is refused, with the figure."""
    row = conn.execute(select(drafts).where(drafts.c.id == draft_id)).mappings().first()
    if row is None:
        raise DigestError(f"no writer draft {draft_id}")
    if action == "accept":
        if row["state"] == "failed" or not row["text"]:
            raise DigestError(
                f"draft {draft_id} failed ({row['reason']}); there is nothing to accept",
                "edit it with a text of your own, or leave the template's",
            )
        values = {"state": "accepted"}
    elif action == "reject":
        values = {"state": "rejected"}
    elif action == "edit":
        text = text.strip()
        if not text:
            raise DigestError("an edited draft needs a text", "write the text, or reject it")
        missing = unsupported(text, source_text(record or {})) if record is not None else []
        if missing:
            raise DigestError(
                f"the edited text states what the record does not: {', '.join(missing)}",
                "every figure, dose and id must occur in the record",
            )
        values = {"state": "edited", "text": text}
    else:
        raise DigestError(f"not a draft action: {action}", "accept, edit or reject")
    conn.execute(
        update(drafts)
        .where(drafts.c.id == draft_id)
        .values(**values, decided_by=editor, decided_at=now)
    )
    return dict(conn.execute(select(drafts).where(drafts.c.id == draft_id)).mappings().one())
