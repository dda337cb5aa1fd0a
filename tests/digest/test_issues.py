"""Issues built from a real database (SQLite and PostgreSQL): which events each issue reports,
numbering, states, refreshes, empty periods, and retractions of what readers already got."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from etl.db.models import DigestEvent, EditorDecision, Event, Work
from etl.digest import store
from etl.digest.service import Digest
from etl.errors import DigestError
from tests.digest.conftest import UPDATES, WEEKS, publish, week

pytestmark = pytest.mark.usefixtures("digest")


def build_all(digest: Digest) -> list[dict]:
    return [digest.build(week(digest, start), UPDATES).issue for start in WEEKS]


def test_consecutive_issues_are_numbered_and_each_event_is_reported_once(digest: Digest) -> None:
    issues = build_all(digest)
    assert [i["number"] for i in issues] == [1, 2, 3]
    assert [i["slug"] for i in issues] == list(WEEKS)
    with digest.engine.connect() as conn:
        claimed = conn.execute(select(DigestEvent.event_id)).scalars().all()
        assert len(claimed) == len(set(claimed))
        per_issue = [store.issue_items(conn, i["id"]) for i in issues]
    work_ids = [row["work_id"] for rows in per_issue for row in rows]
    assert len(work_ids) == len(set(work_ids)), "a work appeared in two issues for one event"
    third = {row["kind"] for row in per_issue[2]}
    assert {"retraction", "correction", "results", "update"} <= third
    for rows, issue in zip(per_issue, issues, strict=True):
        assert [r["position"] for r in rows] == list(range(1, len(rows) + 1))
        for row in rows:
            assert row["occurred_on"] < issue["period_end"]


def test_old_records_from_a_backfill_are_not_news(digest: Digest) -> None:
    issue = digest.build(week(digest, "2026-11-09"), UPDATES).issue
    with digest.engine.connect() as conn:
        rows = store.issue_items(conn, issue["id"])
        news = conn.execute(select(func.count()).select_from(Event).where(Event.type == "new"))
        assert news.scalar() > 40
    earliest = "2026-11-02"  # a week of grace before the period for late indexing
    assert rows and all(r["occurred_on"] >= earliest for r in rows)


def test_rebuilding_a_draft_keeps_its_number_and_sees_new_decisions(digest: Digest) -> None:
    first = digest.build(week(digest, "2026-11-16"), UPDATES)
    with digest.engine.begin() as conn:
        rows = store.issue_items(conn, first.issue["id"])
        dropped, featured = rows[0]["work_id"], rows[-1]["work_id"]
        decisions = EditorDecision.__table__
        conn.execute(
            decisions.insert().values(work_id=dropped, decision="exclude", updated_at=UPDATES)
        )
        conn.execute(
            decisions.insert().values(
                work_id=featured, featured=True, highlight="编辑撰写的亮点", updated_at=UPDATES
            )
        )
    again = digest.build(week(digest, "2026-11-16"), UPDATES)
    assert not again.created and again.issue["number"] == first.issue["number"]
    with digest.engine.connect() as conn:
        rows = store.issue_items(conn, again.issue["id"])
    assert dropped not in {r["work_id"] for r in rows}
    top = rows[0]
    assert top["work_id"] == featured or top["section"] != rows[-1]["section"]
    assert next(r for r in rows if r["work_id"] == featured)["highlight"] == "编辑撰写的亮点"


def test_sent_issues_cannot_be_rebuilt_and_periods_only_go_forward(digest: Digest) -> None:
    build_all(digest)
    publish(digest, 2)
    with pytest.raises(DigestError, match="only a draft"):
        digest.build(week(digest, "2026-11-16"), UPDATES)
    with pytest.raises(DigestError, match="already covers"):
        digest.build(week(digest, "2026-10-26"), UPDATES)


def test_an_empty_period_is_skipped_or_a_short_notice_as_configured(
    digest: Digest, digest_settings
) -> None:  # type: ignore[no-untyped-def]
    quiet = week(digest, "2027-02-01")
    assert digest.build(quiet, UPDATES).issue is None
    noticing = Digest.open(
        digest_settings.model_copy(
            update={"digest": digest_settings.digest.model_copy(update={"empty": "notice"})}
        ),
        digest.engine,
    )
    notice = noticing.build(quiet, UPDATES).issue
    assert notice["nothing_new"] and notice["counts"]["items"] == 0
    text = noticing.editions(noticing.content(notice))["zh"].text
    assert "本期没有发现新的相关文献" in text
    assert "一、" not in text


def test_a_retraction_of_a_work_readers_got_reaches_them_however_late(digest: Digest) -> None:
    first = digest.build(week(digest, "2026-11-09"), UPDATES).issue
    publish(digest, 1)
    with digest.engine.begin() as conn:
        sent = store.issue_items(conn, first["id"])[0]["work_id"]
        late = conn.execute(
            Event.__table__.insert().values(
                work_id=sent,
                type="retracted",
                source="pubmed",
                occurred_on="2026-10-01",
                detected_at=UPDATES,
                data={"notices": ["41000999"]},
            )
        ).inserted_primary_key[0]
    issue = digest.build(week(digest, "2026-11-23"), UPDATES).issue
    with digest.engine.connect() as conn:
        content = store.load_content(conn, issue)
    row = next(r for r in content.items if r["work_id"] == sent)
    assert row["kind"] == "retraction" and row["section"] == "safety"
    assert late in row["event_ids"]
    # A reader who chose only lung cancer and was sent the work gets its retraction; a reader of
    # the same topics who was never sent it does not (their edition holds only their topics).
    zh = digest.renderer.email(content, "zh", frozenset({"lung"}), frozenset({sent})).text
    assert "本刊曾在第 1 期报道" in zh and "41000999" in zh
    stranger = digest.renderer.email(content, "zh", frozenset({"lung"})).text
    assert "41000999" not in stranger


def test_events_of_a_merged_work_count_for_the_work_it_joined(digest: Digest) -> None:
    with digest.engine.begin() as conn:
        a, b = (
            conn.execute(
                select(Event.work_id)
                .where(
                    Event.type == "new",
                    Event.occurred_on >= "2026-11-16",
                    Event.occurred_on < "2026-11-23",
                )
                .limit(2)
            )
            .scalars()
            .all()
        )
        conn.execute(update(Work).where(Work.id == b).values(merged_into=a))
    issue = digest.build(week(digest, "2026-11-16"), UPDATES).issue
    with digest.engine.connect() as conn:
        rows = store.issue_items(conn, issue["id"])
    ids = [r["work_id"] for r in rows]
    assert b not in ids and ids.count(a) <= 1


def test_approve_runs_the_guards_and_moves_the_state(digest: Digest) -> None:
    issue = digest.build(week(digest, "2026-11-23"), UPDATES).issue
    approved = digest.approve(str(issue["number"]), "editor@example.org", UPDATES)
    assert approved["state"] == "approved" and approved["approved_by"] == "editor@example.org"
    with pytest.raises(DigestError, match="not a draft"):
        digest.approve(issue["slug"], "x", UPDATES)
    assert digest.unapprove(issue["slug"])["state"] == "draft"
    with digest.engine.begin() as conn:  # an item presented as new from long before the period
        conn.execute(
            update(store.items)
            .where(store.items.c.issue_id == issue["id"])
            .values(kind="new", occurred_on="2025-01-01")
        )
    with pytest.raises(DigestError, match="cannot be approved") as failed:
        digest.approve(issue["slug"], "x", UPDATES)
    assert "shown as new but dates from 2025-01-01" in failed.value.hint


def test_find_issue_names_what_exists(digest: Digest) -> None:
    build_all(digest)
    with pytest.raises(DigestError) as missing:
        digest.issue("99")
    assert "known issues: 1, 2, 3" in missing.value.hint
    assert digest.issue("2026-11-16")["number"] == 2
    assert UPDATES - digest.issue("1")["built_at"] < timedelta(seconds=1)
