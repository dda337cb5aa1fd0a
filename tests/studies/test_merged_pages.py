"""The study page of a kept work tells what readers were sent about the works merged into it,
on SQLite and PostgreSQL: the issues that carried any of them (however many merges deep),
each once and for the kept work's own reason when it was carried too, in the list and the
timeline, with the merged work's identifiers and events; the static archive writes the same,
a kept page's ETag follows a merge and a split, and after a split each page lists only its
own issues again."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, insert

from etl.classify.service import Classifier, classify_works
from etl.db.models import EditorDecision
from etl.studies import store
from etl.studies.service import Studies
from etl.web import create_app
from etl.web.app import STUDY_CACHE
from etl.works.merge import merge_works, split
from tests.studies.conftest import LATER, Thread, moved_to, publish_issue
from tests.studies.test_kept_pages import _later

CHINESE = "pmid-39000004"
WHEN = LATER + timedelta(days=40)


def _apart(thread: Thread) -> tuple[int, int]:
    """The join undone, as an editor's split leaves it: (kept, other)."""
    kept = thread.work_of("pmid", "39000005")
    assert _split(thread, kept) == [thread.merged_away]
    return kept, thread.merged_away


def _split(thread: Thread, work_id: int, when: datetime = WHEN) -> list[int]:
    """Undo the merges into the work, and classify both sides again (as the duplicates page
    does)."""
    with thread.engine.begin() as conn:
        restored = split(conn, work_id, when)
        classify_works(conn, [work_id, *restored], Classifier.from_settings(thread.settings), when)
    return restored


def _merge(thread: Thread, kept: int, merged: int) -> None:
    with thread.engine.begin() as conn:
        merge_works(conn, kept, merged, "editor", {"editor": "ana"}, WHEN)
        classify_works(conn, [kept], Classifier.from_settings(thread.settings), WHEN)


def _slug(engine: Engine, work_id: int) -> str:
    with engine.connect() as conn:
        return store.slugs_of(conn, [work_id])[work_id]


def _issues(engine: Engine, work_id: int) -> list[tuple[int, str]]:
    with engine.connect() as conn:
        return [(i["number"], i["kind"]) for i in store.carrying_issues(conn, work_id)]


def _page(thread: Thread, slug: str, lang: str = "zh") -> str:
    answer = Studies(thread.digest).page(slug, lang, "/")
    assert answer.status == 200, slug
    return answer.body


def _listed(html: str) -> list[str]:
    """The issue numbers in the page's list of issues, in order."""
    return re.findall(r'href="[^"]*issues/[0-9-]+/">第 (\d+) 期</a>', html)


def _steps(html: str) -> list[str]:
    return re.findall(r"本刊第 (\d+) 期报道", html)


def test_the_kept_page_lists_the_issues_that_carried_a_work_merged_into_it(
    thread: Thread, tmp_path: Path
) -> None:
    kept, other = _apart(thread)
    chinese = thread.work_of("pmid", "39000004")
    publish_issue(thread.engine, 2, "2025-09-29", [other], ["new"])
    publish_issue(thread.engine, 3, "2025-10-06", [other, kept], ["new", "update"])
    publish_issue(thread.engine, 4, "2025-10-13", [chinese], ["results"])
    assert _issues(thread.engine, kept) == [(3, "update")]
    assert _issues(thread.engine, other) == [(2, "new"), (3, "new")]
    own, theirs = _slug(thread.engine, kept), _slug(thread.engine, other)
    assert _listed(_page(thread, own)) == ["3"]
    other_events = len(_content(thread, other).events)
    assert other_events > 0

    _merge(thread, other, chinese)  # two levels: the Chinese paper into the feed item,
    _merge(thread, kept, other)  # and that into the kept work
    # each issue once, for the kept work's own reason where it was carried itself
    assert _issues(thread.engine, kept) == [(2, "new"), (3, "update"), (4, "results")]
    now = _slug(thread.engine, kept)
    page = _page(thread, now)
    assert _listed(page) == ["2", "3", "4"]
    for number, why in (("2", "新研究"), ("3", "状态更新"), ("4", "结果公布")):  # and why
        assert f"第 {number} 期</a>（{why}）：" in page, number
    assert _steps(page) == ["2", "3", "4"]  # the timeline, once each
    assert "10.5555/mds.1" in page  # the merged work's identifier is the kept work's now
    content = _content(thread, kept)
    assert {("doi", "10.5555/mds.1"), ("pmid", "39000004")} <= set(content.identifiers)
    assert len(content.events) >= other_events  # and so are its events
    english = _page(thread, now, "en")
    assert re.findall(r'href="/issues/[0-9-]+/en/">Issue (\d+)</a>', english) == ["2", "3", "4"]
    assert "Issue 3</a> (Update): " in english
    # the addresses readers were sent lead to the kept work's page
    for old in {own, theirs, CHINESE} - {now}:
        moved = Studies(thread.digest).page(old, "zh", "/")
        assert moved.status == 301 and moved.location == f"studies/{now}/", old

    Studies(thread.digest).build(tmp_path)
    written = (tmp_path / "studies" / now / "index.html").read_text()
    assert _listed(written) == ["2", "3", "4"]
    for old in {own, theirs, CHINESE} - {now}:  # a static host has a page that refreshes
        moved = tmp_path / "studies" / old / "index.html"
        assert moved_to(moved) == f"https://mscwatch.example.org/studies/{now}/", old

    assert _split(thread, kept) == [other]
    assert _listed(_page(thread, own)) == ["3"]
    assert _listed(_page(thread, _slug(thread.engine, other))) == ["2", "3", "4"]  # its own
    # merge stands
    assert _split(thread, other) == [chinese]
    assert _listed(_page(thread, theirs)) == ["2", "3"]
    assert _listed(_page(thread, CHINESE)) == ["4"]


def _content(thread: Thread, work_id: int) -> store.StudyContent:
    with thread.engine.connect() as conn:
        content = store.load_study(conn, work_id)
    assert content is not None
    return content


def test_a_kept_work_with_no_page_of_its_own_has_one_for_the_merged_work_readers_were_sent(
    thread: Thread, tmp_path: Path
) -> None:
    """An editor excluded the kept work; the work merged into it went out in an issue."""
    kept, other = _apart(thread)
    publish_issue(thread.engine, 2, "2025-09-29", [other], ["new"])
    with thread.engine.begin() as conn:
        table = EditorDecision.__table__
        conn.execute(insert(table).values(work_id=kept, decision="exclude", updated_at=WHEN))
    assert Studies(thread.digest).page(_slug(thread.engine, kept), "zh", "/").status == 404
    _merge(thread, kept, other)
    now = _slug(thread.engine, kept)
    assert _listed(_page(thread, now)) == ["2"]
    assert Studies(thread.digest).build(tmp_path) > 0
    assert _listed((tmp_path / "studies" / now / "index.html").read_text()) == ["2"]
    cited = Studies(thread.digest).issue_cite("2025-09-29", "ris", "/")
    assert f"Study page: /studies/{now}/" in cited.body  # the issue cites it still


def test_the_kept_page_changes_its_etag_at_a_merge_and_gets_it_back_at_the_split(
    sqlite_thread: Thread,
) -> None:
    _apart(sqlite_thread)
    # the work keeping the PMID keeps its address: the page is the same one before and after
    kept = sqlite_thread.work_of("pmid", "39000005")
    other = sqlite_thread.work_of("doi", "10.5555/mds.1")
    publish_issue(sqlite_thread.engine, 2, "2025-09-29", [other], ["new"])
    app = create_app(sqlite_thread.settings, sqlite_thread.digest)
    client = app.test_client()
    path = "/studies/pmid-39000005/"
    first = client.get(path)
    assert first.status_code == 200 and _listed(first.text) == []
    etag = first.headers["ETag"]

    _merge(sqlite_thread, kept, other)
    _later(app, STUDY_CACHE)
    merged = client.get(path, headers={"If-None-Match": etag})
    assert merged.status_code == 200 and merged.headers["ETag"] != etag
    assert _listed(merged.text) == ["2"]
    again = client.get(path, headers={"If-None-Match": merged.headers["ETag"]})
    assert again.status_code == 304

    # the split comes after the merge (the pages watch the newest time of each change)
    assert _split(sqlite_thread, kept, WHEN + timedelta(minutes=5)) == [other]
    _later(app, STUDY_CACHE)
    apart = client.get(path, headers={"If-None-Match": merged.headers["ETag"]})
    assert apart.status_code == 200 and _listed(apart.text) == []
    assert apart.headers["ETag"] == etag
