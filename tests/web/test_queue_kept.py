"""The review queue keeps what it read and rendered while nothing it shows changed
(etl/web/fragments.py): a reload after a decision shows the decision and renders only that row,
and a change the pipeline makes behind the app's back (a record updated, labels rewritten, a
new event) reaches the next load, on both databases."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import Engine, select, update

from etl.clock import now
from etl.db.models import Classification, SourceRecord, Work
from etl.recent import Recent
from etl.web.fragments import Fragments
from tests.web.test_editor_pages import Site
from tests.web.test_editor_review import act, desk  # noqa: F401 (the fixture)

ADDRESS = "/editor/queue?since=2000-01-01"
ROW = re.compile(r'<tr id="work-(\d+)"[^>]*class="st-(\w+)"')


def rows(site: Site) -> dict[int, str]:
    page = site.client.get(ADDRESS)
    assert page.status_code == 200
    return {int(work): state for work, state in ROW.findall(page.text)}


def fragments(site: Site) -> Fragments:
    kept: Fragments = site.app.extensions["mscwatch.queue-rows"]
    return kept


def test_a_reload_renders_no_row_and_a_decision_renders_one(desk: Site) -> None:  # noqa: F811
    first = rows(desk)
    assert len(first) >= 10
    rendered = fragments(desk).rendered
    assert rendered >= len(first)
    assert rows(desk) == first
    assert fragments(desk).rendered == rendered  # every row came back as it was
    work = next(iter(first))
    assert act(desk, [work], "exclude").status_code == 303
    after = rows(desk)
    assert after[work] == "exclude"
    assert {w: s for w, s in after.items() if w != work} == {
        w: s for w, s in first.items() if w != work
    }
    assert fragments(desk).rendered == rendered + 1  # the decided row, nothing else


def test_each_form_on_a_kept_row_carries_this_requests_token(desk: Site) -> None:  # noqa: F811
    rows(desk)
    page = desk.client.get(ADDRESS).text
    tokens = set(re.findall(r'name="csrf_token" value="([^"]+)"', page))
    assert len(tokens) == 1 and "hole-" not in page
    # and the kept row's form still works: the token it carries is accepted
    work = int(ROW.search(page).group(1))  # type: ignore[union-attr]
    form = {"csrf_token": tokens.pop(), "action": "pick", "work": str(work)}
    assert desk.client.post("/editor/queue/act", data=form).status_code == 303


def test_changes_made_outside_the_app_reach_the_next_load(
    desk: Site,  # noqa: F811
    engine: Engine,
) -> None:
    work = next(iter(rows(desk)))
    records = SourceRecord.__table__
    later = now() + timedelta(seconds=5)
    with engine.begin() as conn:  # a crawl updated the work's record, as the store does
        for record_id, data in conn.execute(
            select(records.c.id, records.c.data).where(records.c.work_id == work)
        ).all():
            renamed = {**data, "title": "A renamed title from the source"}
            conn.execute(update(records).where(records.c.id == record_id).values(data=renamed))
        conn.execute(
            update(Work.__table__).where(Work.__table__.c.id == work).values(updated_at=later)
        )
    assert "A renamed title from the source" in desk.client.get(ADDRESS).text
    # labels rewritten by a rerun: the work leaves the relevant queue
    with engine.begin() as conn:
        conn.execute(
            update(Classification.__table__)
            .where(Classification.__table__.c.work_id == work)
            .values(relevant=False, classified_at=later)
        )
    assert work not in rows(desk)


def test_recent_drops_the_oldest_and_the_stale() -> None:
    kept = Recent(size=2, fresh=60.0)
    kept.put("a", 1)
    kept.put("b", 2)
    assert kept.get("a") == 1  # now the newest
    kept.put("c", 3)
    assert kept.get("b") is None and kept.get("a") == 1 and kept.get("c") == 3
    stale = Recent(size=2, fresh=0.0)
    stale.put("a", 1)
    assert stale.get("a") is None
