"""The editors' working pages through the test client, on both databases: the review queue and
its filters, one-click and bulk decisions, label corrections that survive reclassification,
probable duplicates confirmed, split and merged, issue drafts edited, reordered, previewed,
mailed as a test copy and approved, and the article brief of the picked works."""

from __future__ import annotations

import re
import shutil
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select

from etl.classify.service import Classifier, all_work_ids, classify_works
from etl.clock import now
from etl.db.models import Classification, EditorDecision, EditorLabel, Work, WorkMerge
from etl.digest import store
from etl.digest.service import Digest
from etl.editors import accounts
from etl.records import SourceRecord
from etl.works import store as work_store
from etl.works.merge import merge_works
from tests.conftest import make_settings
from tests.digest.conftest import FIRST_LOAD, UPDATES, WEEKS, load_demo, publish
from tests.web.test_editor_pages import CSRF, PASSWORD, Site, log_in, open_site, queue_rows


@pytest.fixture
def desk(db_url: str, engine: Engine, tmp_path: Path) -> Site:
    """The demo's works, classified, an editor account and a logged-in client."""
    load_demo(engine, make_settings(db_url, **{"paths.var": str(tmp_path / "var")}), tmp_path)
    added = accounts.add(engine, "li@example.org", PASSWORD, now(), "Li Wei")
    accounts.set_language(engine, added.id, "en")  # the Chinese pages: test_workbench_zh.py
    site = open_site(db_url, engine, tmp_path)
    assert log_in(site.client).status_code == 303
    return site


def token(site: Site, url: str = "/editor/queue?since=2000-01-01") -> str:
    page = site.client.get(url)
    assert page.status_code == 200, page.text[:500]
    return CSRF.search(page.text).group(1)


def shown(site: Site, query: str = "") -> list[int]:
    """The works the queue lists, page after page."""
    return queue_rows(site, f"/editor/queue?since=2000-01-01{query}")


def shown_news(site: Site, query: str = "") -> list[int]:
    """The works the default queue (the next issue's news) lists, page after page."""
    return queue_rows(site, f"/editor/queue?{query.removeprefix('&')}")


def labels(engine: Engine) -> dict[int, dict]:
    table = Classification.__table__
    with engine.connect() as conn:
        return {row.work_id: row.labels for row in conn.execute(select(table))}


def decision(engine: Engine, work_id: int) -> dict | None:
    table = EditorDecision.__table__
    with engine.connect() as conn:
        row = conn.execute(select(table).where(table.c.work_id == work_id)).mappings().first()
    return dict(row) if row else None


def act(site: Site, works: list[int], action: str, text: str = "", json: bool = False):  # type: ignore[no-untyped-def]
    form = {"csrf_token": token(site), "action": action, "work": [str(w) for w in works]}
    if text:
        form["text"] = text
    headers = {"X-Requested-With": "fetch"} if json else {}
    return site.client.post("/editor/queue/act", data=form, headers=headers)


# -- the queue -----------------------------------------------------------------------------------


def test_every_editor_page_refuses_anonymous_visitors(
    db_url: str, engine: Engine, tmp_path: Path
) -> None:
    site = open_site(db_url, engine, tmp_path)
    for url in ("/editor/queue", "/editor/duplicates", "/editor/issues", "/editor/issues/1",
                "/editor/issues/1/preview/zh", "/editor/issues/1/email/zh", "/editor/briefs",
                "/editor/briefs/brief.zh.md", "/editor/works/1/labels"):  # fmt: skip
        answer = site.client.get(url)
        assert answer.status_code == 302, url
        assert answer.headers["Location"].startswith("/editor/login?next="), url
    for url in ("/editor/queue/act", "/editor/works/1/labels", "/editor/issues/1/approve",
                "/editor/duplicates/1/split", "/editor/duplicates/merge"):  # fmt: skip
        answer = site.client.post(url, data={"work": "1", "action": "exclude"})
        assert answer.status_code in (302, 400), url  # the login, or the missing CSRF token
    with engine.connect() as conn:
        assert conn.execute(select(EditorDecision.__table__)).first() is None


def test_the_queue_lists_relevant_works_with_labels_evidence_links_and_events(desk: Site) -> None:
    found = shown(desk)
    known = labels(desk.engine)
    assert found and all(known[w]["relevant"] for w in found)
    everything = shown(desk, "&relevance=all")
    assert set(found) < set(everything)
    page = desk.client.get("/editor/queue?since=2000-01-01").text
    assert 'class="tag label-cancer_types"' in page
    assert "(title)" in page or "(mesh)" in page  # the evidence: term and field
    assert "reports trial: NCT" in page or "reported by: PMID" in page  # paper-trial links
    # a trial's status change as a sentence, with its day; never the registry's raw values
    assert re.search(r"Status: [a-z ,]+ → [a-z ,]+ \(2026-11-\d\d\)", page)
    assert "None →" not in page and "['PHASE" not in page and "RECRUITING" not in page


def test_the_queue_starts_after_the_last_issue_that_went_out(desk: Site) -> None:
    digest = Digest.open(desk.settings, desk.engine)
    for start in WEEKS:
        digest.build(digest.period(start, FIRST_LOAD), UPDATES)
    publish(digest, 1)
    page = desk.client.get("/editor/queue").text
    assert (
        "with news for the next issue since 2026-11-16 (where the last issue that went out" in page
    )
    listed = set(shown_news(desk, "&relevance=all"))
    with desk.engine.connect() as conn:
        items = {
            n: {i["work_id"] for i in store.issue_items(conn, store.find_issue(conn, str(n))["id"])}
            for n in (1, 2, 3)
        }
    assert items[2] | items[3] <= listed  # what the drafts carry is still to be decided
    assert not (items[1] - items[2] - items[3]) & listed  # what went out in issue 1 is not news


def test_before_any_issue_the_queue_starts_two_periods_back(desk: Site) -> None:
    page = desk.client.get("/editor/queue").text
    zone = ZoneInfo(desk.settings.schedule.timezone)
    start = now().astimezone(zone).date() - timedelta(days=2 * desk.settings.digest.period_days)
    said = f"with news for the next issue since {start} (no issue has gone out yet: the last two"
    assert said in page


@pytest.mark.parametrize(
    ("query", "check"),
    [
        ("&section=hematologic", lambda lab: lab["section"] == "hematologic"),
        ("&cancer_type=breast", lambda lab: "breast" in lab["cancer_types"]),
        ("&strategy=exosome", lambda lab: "exosome" in lab["strategies"]),
        ("&stage=animal", lambda lab: lab["stage"] == "animal"),
        ("&relevance=not_relevant", lambda lab: not lab["relevant"]),
    ],
)
def test_each_filter_keeps_only_what_it_names(desk: Site, query: str, check) -> None:  # type: ignore[no-untyped-def]
    every = shown(desk, "&relevance=all")
    found = shown(desk, query)
    known = labels(desk.engine)
    assert found, query
    assert all(check(known[w]) for w in found), query
    assert len(found) < len(every)


def test_source_and_state_filters_and_order(desk: Site) -> None:
    trials = shown(desk, "&source=ctgov")
    with desk.engine.connect() as conn:
        kinds = dict(conn.execute(select(Work.__table__.c.id, Work.__table__.c.kind)).all())
    assert trials and all(kinds[w] == "trial" for w in trials)
    first = shown(desk)[:2]
    assert act(desk, first, "include").status_code == 303
    assert set(shown(desk, "&state=included")) == set(first)
    assert set(first).isdisjoint(shown(desk, "&state=undecided"))
    ranked = shown(desk, "&order=relevance")
    scores = [labels(desk.engine)[w]["relevance"] for w in ranked]
    assert scores == sorted(scores, reverse=True)
    assert len(set(scores)) >= len(scores) // 3  # a score that ranks: works differ
    unsure = shown(desk, "&order=uncertain&relevance=all")
    doubt = [abs(labels(desk.engine)[w]["relevance"] - 0.5) for w in unsure]
    assert doubt == sorted(doubt) and doubt[0] < doubt[-1]


def test_a_bad_filter_is_named_and_the_default_queue_shown(desk: Site) -> None:
    page = desk.client.get("/editor/queue?since=yesterday&order=sideways")
    assert page.status_code == 400
    assert "since=&#39;yesterday&#39; is not a date" in page.text
    assert "order=&#39;sideways&#39;: choose one of newest, relevance, uncertain" in page.text


# -- decisions -----------------------------------------------------------------------------------


def test_include_exclude_feature_pick_and_note_and_the_digest_follows(desk: Site) -> None:
    found = shown(desk)
    a, b, c = found[:3]
    answer = act(desk, [a, b], "exclude", json=True)
    assert answer.status_code == 200
    assert answer.json["done"] == 2
    assert answer.json["states"][str(a)]["decision"] == "exclude"
    assert act(desk, [c], "feature", "首次证实 MSC 外泌体可递送药物").status_code == 303
    assert act(desk, [c], "pick").status_code == 303
    assert act(desk, [c], "note", "ask the authors for the dose").status_code == 303
    made = decision(desk.engine, c)
    assert made["featured"] and made["picked"] and made["decision"] == "include"
    assert made["highlight"] == "首次证实 MSC 外泌体可递送药物"
    assert made["note"] == "ask the authors for the dose"
    assert made["editor"] == "li@example.org"
    with desk.engine.connect() as conn:
        training = conn.execute(
            select(EditorLabel.__table__.c.work_id, EditorLabel.__table__.c.value).where(
                EditorLabel.__table__.c.label == "relevant"
            )
        ).all()
    assert {(w, v) for w, v in training} >= {(a, False), (b, False), (c, True)}
    digest = Digest.open(desk.settings, desk.engine)
    outcome = digest.build(digest.period("2026-11-16", FIRST_LOAD), UPDATES)
    with desk.engine.connect() as conn:
        items = {row["work_id"]: row for row in store.issue_items(conn, outcome.issue["id"])}
    assert a not in items and b not in items
    if c in items:  # its news may fall in another week; when it is here, it leads
        assert items[c]["featured"] and items[c]["highlight"].startswith("首次证实")


def test_a_decision_about_a_merged_away_work_goes_to_the_work_it_joined(desk: Site) -> None:
    kept, other, _ = title_join(desk.engine)
    assert act(desk, [other], "exclude").status_code == 303
    assert decision(desk.engine, kept)["decision"] == "exclude"
    assert decision(desk.engine, other) is None


def test_an_action_needs_works_and_a_known_action(desk: Site) -> None:
    answer = act(desk, [], "include")
    assert answer.status_code == 400
    answer = act(desk, [shown(desk)[0]], "delete", json=True)
    assert answer.status_code == 400
    assert "Choose at least one work and an action" in answer.json["error"]


def test_a_post_without_the_csrf_token_changes_nothing(desk: Site) -> None:
    work = shown(desk)[0]
    answer = desk.client.post("/editor/queue/act", data={"work": str(work), "action": "exclude"})
    assert answer.status_code == 400
    assert "This form has expired" in answer.text
    assert decision(desk.engine, work) is None


def test_a_label_correction_moves_the_work_and_survives_reclassification(desk: Site) -> None:
    known = labels(desk.engine)
    work = next(w for w in shown(desk) if known[w]["section"] == "solid_tumors")
    form = {
        "csrf_token": token(desk),
        "has_cancer_types": "1", "cancer_types": ["aml"],
        "has_stage": "1", "stage": "phase1",
        "has_strategies": "1", "strategies": known[work]["strategies"],
        "has_safety": "1",
    }  # fmt: skip
    if known[work]["safety"]:
        form["safety"] = "on"
    answer = desk.client.post(f"/editor/works/{work}/labels", data=form)
    assert answer.status_code == 303
    fixed = labels(desk.engine)[work]
    assert fixed["cancer_types"] == ["aml"]
    assert fixed["stage"] == "phase1"
    assert fixed["section"] in ("hematologic", "safety")
    assert sorted(fixed["corrected"]) == ["cancer_types", "stage"]  # unchanged ones not stored
    with desk.engine.begin() as conn:
        classify_works(conn, all_work_ids(conn), Classifier.from_settings(desk.settings), now())
    again = labels(desk.engine)[work]
    assert again["cancer_types"] == ["aml"] and again["stage"] == "phase1"
    page = desk.client.get(f"/editor/queue?since=2000-01-01&relevance=all#work-{work}").text
    assert "corrected by an editor: cancer types, stage" in page


def test_the_label_form_has_a_page_of_its_own_that_starts_from_the_labels_now(
    desk: Site, engine: Engine
) -> None:
    """The queue's rows link to it (and open it in place) instead of each carrying every label
    as a checkbox; it works without JavaScript and goes back to the queue as it was filtered."""
    queue = desk.client.get("/editor/queue?since=2000-01-01").text
    assert 'name="cancer_types"' not in queue
    work = next(w for w, lab in labels(engine).items() if lab.get("cancer_types") and
                f'id="work-{w}"' in queue)  # fmt: skip
    back = "/editor/queue?since=2000-01-01&section=solid_tumor"
    page = desk.client.get(f"/editor/works/{work}/labels", query_string={"next": back})
    assert page.status_code == 200
    checked = re.findall(r'name="cancer_types" value="([^"]+)" checked', page.text)
    assert checked == [k for k in re.findall(r'name="cancer_types" value="([^"]+)"', page.text)
                       if k in labels(engine)[work]["cancer_types"]] and checked  # fmt: skip
    assert f'name="next" value="{back.replace("&", "&amp;")}#work-{work}"' in page.text
    for elsewhere in ("https://evil.example/editor/queue", "//evil.example", "/editor/issues"):
        sent = desk.client.get(f"/editor/works/{work}/labels", query_string={"next": elsewhere})
        assert f'name="next" value="/editor/queue#work-{work}"' in sent.text, elsewhere
    assert desk.client.get("/editor/works/999999/labels").status_code == 404
    # the form posts as the queue's did: back to the filtered queue, the label corrected
    flipped = not labels(engine)[work].get("safety")
    form = {"csrf_token": token(desk), "next": f"{back}#work-{work}", "has_safety": "1"}
    if flipped:
        form["safety"] = "on"
    answer = desk.client.post(f"/editor/works/{work}/labels", data=form)
    assert answer.status_code == 303 and answer.headers["Location"] == f"{back}#work-{work}"
    assert bool(labels(engine)[work].get("safety")) == flipped


def test_a_correction_with_an_unknown_label_is_refused_by_name(desk: Site) -> None:
    work = shown(desk)[0]
    form = {"csrf_token": token(desk), "has_cancer_types": "1", "cancer_types": ["spleen"]}
    answer = desk.client.post(f"/editor/works/{work}/labels", data=form)
    assert answer.status_code == 400
    assert "cancer_types: unknown id(s) spleen" in answer.text


# -- duplicates ----------------------------------------------------------------------------------


def two_papers(engine: Engine) -> list[int]:
    works = Work.__table__
    with engine.connect() as conn:
        query = select(works.c.id).where(works.c.kind == "paper", works.c.merged_into.is_(None))
        return list(conn.execute(query.order_by(works.c.id).limit(2)).scalars())


def title_join(engine: Engine) -> tuple[int, int, int]:
    """Fold one demo work into another as the title matcher does: probable, awaiting an editor."""
    kept, other = two_papers(engine)
    with engine.begin() as conn:
        merge = merge_works(conn, kept, other, "title", {"score": 97.5}, now(), probable=True)
    return kept, other, merge


def test_a_probable_duplicate_is_shown_side_by_side_and_split(desk: Site) -> None:
    kept, other, merge = title_join(desk.engine)
    with desk.engine.connect() as conn:
        titles = dict(conn.execute(select(Work.__table__.c.id, Work.__table__.c.title)).all())
    page = desk.client.get("/editor/duplicates")
    assert page.status_code == 200
    section = page.text.split(f'id="merge-{merge}"', 1)[1].split("</section>", 1)[0]
    assert f"Kept: work {kept}" in section and f"Joined: work {other}" in section
    assert "97.5" in section
    for work in (kept, other):
        assert titles[work][:40].replace("'", "&#39;") in section
    form = {"csrf_token": CSRF.search(page.text).group(1)}
    assert desk.client.post(f"/editor/duplicates/{merge}/split", data=form).status_code == 303
    with desk.engine.connect() as conn:
        back = conn.execute(
            select(Work.__table__.c.merged_into).where(Work.__table__.c.id == other)
        ).scalar()
        undone = conn.execute(
            select(WorkMerge.__table__.c.undone_at).where(WorkMerge.__table__.c.id == merge)
        ).scalar()
    assert back is None and undone is not None
    assert other in labels(desk.engine)  # classified again as its own work
    assert f'id="merge-{merge}"' not in desk.client.get("/editor/duplicates").text
    again = desk.client.post(f"/editor/duplicates/{merge}/split", data=form)
    assert again.status_code == 409


def test_a_probable_duplicate_confirmed_leaves_the_list_and_stays_merged(desk: Site) -> None:
    kept, other, merge = title_join(desk.engine)
    form = {"csrf_token": token(desk, "/editor/duplicates")}
    assert desk.client.post(f"/editor/duplicates/{merge}/confirm", data=form).status_code == 303
    with desk.engine.connect() as conn:
        row = (
            conn.execute(select(WorkMerge.__table__).where(WorkMerge.__table__.c.id == merge))
            .mappings()
            .one()
        )
    assert row["probable"] is False and row["undone_at"] is None
    assert row["evidence"]["confirmed_by"] == "li@example.org"
    assert f'id="merge-{merge}"' not in desk.client.get("/editor/duplicates").text


def test_an_editor_merges_two_works_but_never_two_pmids(desk: Site) -> None:
    papers = two_papers(desk.engine)
    form = {"csrf_token": token(desk, "/editor/duplicates"), "keep": str(papers[0]),
            "other": str(papers[1])}  # fmt: skip
    answer = desk.client.post("/editor/duplicates/merge", data=form)
    assert answer.status_code == 409
    assert "cannot be one study: different pmid ids" in answer.text
    form["other"] = str(papers[0])
    assert "are already one work" in desk.client.post("/editor/duplicates/merge", data=form).text
    # A news item about the paper, from a feed, with neither its PMID nor its DOI.
    item = SourceRecord({"source": "feed", "source_id": "https://news.example.org/msc-1",
                         "kind": "paper", "deleted": False, "title": "Stem cells carry a drug",
                         "identifiers": {"registry_ids": []}, "published": "2026"})  # fmt: skip
    with desk.engine.begin() as conn:
        work_store.store_records(conn, [item], now())
        [news] = conn.execute(
            select(Work.__table__.c.id).where(Work.__table__.c.title == "Stem cells carry a drug")
        ).scalars()
    form["other"] = str(news)
    assert desk.client.post("/editor/duplicates/merge", data=form).status_code == 303
    with desk.engine.connect() as conn:
        into = conn.execute(
            select(Work.__table__.c.merged_into).where(Work.__table__.c.id == news)
        ).scalar()
        merge = (
            conn.execute(
                select(WorkMerge.__table__).where(WorkMerge.__table__.c.merged_work_id == news)
            )
            .mappings()
            .one()
        )
    assert into == papers[0]
    assert merge["reason"] == "editor" and not merge["probable"]
    assert merge["evidence"]["editor"] == "li@example.org"


# -- issue drafts --------------------------------------------------------------------------------


@pytest.fixture
def drafts(desk: Site) -> Site:
    digest = Digest.open(desk.settings, desk.engine)
    for start in WEEKS:
        digest.build(digest.period(start, FIRST_LOAD), UPDATES)
    return desk


def test_issue_texts_are_saved_and_rendered(drafts: Site) -> None:
    form = {"csrf_token": token(drafts, "/editor/issues/3"),
            "headline_zh": "间充质干细胞能否成为抗癌药物的快递员?",
            "headline_en": "Can MSCs deliver cancer drugs?", "intro_zh": "", "intro_en": "",
            "closing_zh": "", "closing_en": "See you next week."}  # fmt: skip
    assert drafts.client.post("/editor/issues/3/texts", data=form).status_code == 303
    zh = drafts.client.get("/editor/issues/3/email/zh")
    assert zh.status_code == 200
    assert "间充质干细胞能否成为抗癌药物的快递员？" in zh.text  # the edition's own "？"
    assert zh.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert "sandbox" in zh.headers["Content-Security-Policy"]
    en = drafts.client.get("/editor/issues/3/email/en?text=1")
    assert "Can MSCs deliver cancer drugs?" in en.text and "See you next week." in en.text
    page = drafts.client.get("/editor/issues/3").text
    assert 'value="Can MSCs deliver cancer drugs?"' in page


def test_writer_drafts_are_shown_beside_their_sentences_and_decided(drafts: Site) -> None:
    from etl.demo import WRITER_ANSWERS, with_writer
    from etl.replay.chat import ChatServer
    from etl.writer import drafts as writer_drafts
    from etl.writer.client import Writer

    digest = Digest.open(drafts.settings, drafts.engine)
    content = digest.content(digest.issue("1"))
    with ChatServer(WRITER_ANSWERS) as chat:
        writer = Writer(with_writer(drafts.settings, chat.url).writer, "key")
        try:
            report = writer_drafts.draft_items(
                drafts.engine, writer, content.items, content.data, ["zh"], UPDATES
            )
        finally:
            writer.close()
    assert (report.drafted, report.failed) == (4, 3)
    page = drafts.client.get("/editor/issues/1").text
    assert page.count('class="draft-state">machine draft<') == 4
    assert "Not used: fidelity check: not in the record: 90%" in page
    assert "Not used: rate limited (429)" in page and "Not used: no answer within 1 s" in page
    # The draft sits beside the record's own sentences it was written from.
    assert "The sensory score decreased by 14.8 ± 9.6 points with UC-MSCs" in page
    with drafts.engine.connect() as conn:
        found = writer_drafts.drafts_of(conn, [r["work_id"] for r in content.items])
    draft = next(d for rows in found.values() for d in rows if "14.8 分" in d["text"])
    url = f"/editor/issues/1/drafts/{draft['id']}"
    assert draft["text"] not in drafts.client.get("/editor/issues/1/email/zh?text=1").text
    form = {"csrf_token": token(drafts, "/editor/issues/1"), "action": "accept"}
    assert drafts.client.post(url, data=form).status_code == 303
    assert draft["text"] in drafts.client.get("/editor/issues/1/email/zh?text=1").text
    assert "accepted</span> by li@example.org" in drafts.client.get("/editor/issues/1").text
    form = {"csrf_token": token(drafts, "/editor/issues/1"), "action": "edit",
            "text": "该试验纳入 95 例患者。"}  # fmt: skip
    assert drafts.client.post(url, data=form).status_code == 303
    refused = drafts.client.get("/editor/issues/1").text
    assert "the edited text states what the record does not: 95 例" in refused
    assert draft["text"] in drafts.client.get("/editor/issues/1/email/zh?text=1").text


def test_items_move_within_their_group_and_a_rebuild_keeps_the_order(drafts: Site) -> None:
    with drafts.engine.connect() as conn:
        issue = store.find_issue(conn, "3")
        rows = store.issue_items(conn, issue["id"])
    pairs = [(a, b) for a, b in zip(rows, rows[1:], strict=False)
             if (a["section"], a["group_key"]) == (b["section"], b["group_key"])]  # fmt: skip
    assert pairs, "the demo's third week has a group with two items"
    first, second = pairs[0]
    form = {"csrf_token": token(drafts, "/editor/issues/3"), "work": str(first["work_id"]),
            "direction": "down"}  # fmt: skip
    assert drafts.client.post("/editor/issues/3/move", data=form).status_code == 303

    def order() -> list[int]:
        with drafts.engine.connect() as conn:
            return [row["work_id"] for row in store.issue_items(conn, issue["id"])]

    moved = order()
    assert moved.index(second["work_id"]) < moved.index(first["work_id"])
    form["csrf_token"] = token(drafts, "/editor/issues/3")
    assert drafts.client.post("/editor/issues/3/build", data=form).status_code == 303
    assert order() == moved
    form |= {"work": str(order()[-1]), "direction": "down"}
    answer = drafts.client.post("/editor/issues/3/move", data=form)
    assert answer.status_code == 303, answer.text[:300]
    assert "already first or last in its group" in drafts.client.get("/editor/issues/3").text


def test_preview_shows_both_widths_and_a_test_copy_goes_to_the_outbox(drafts: Site) -> None:
    page = drafts.client.get("/editor/issues/3/preview/en")
    assert page.status_code == 200
    assert 'width="375"' in page.text and 'width="600"' in page.text
    assert 'src="/editor/issues/3/email/en"' in page.text
    form = {"csrf_token": CSRF.search(page.text).group(1), "address": "li@example.org",
            "lang": "en"}  # fmt: skip
    answer = drafts.client.post("/editor/issues/3/test", data=form)
    assert answer.status_code == 303
    sent = list(drafts.settings.outbox_dir.glob("*.eml"))
    assert len(sent) == 1
    raw = sent[0].read_text(encoding="utf-8", errors="replace")
    assert "To: li@example.org" in raw
    assert "test copy (en) sent to li@example.org" in drafts.client.get("/editor/issues/3").text
    with drafts.engine.connect() as conn:
        assert store.find_issue(conn, "3")["state"] == "draft"  # a test copy changes nothing


def test_approve_then_unapprove_and_nothing_but_a_draft_is_edited(drafts: Site) -> None:
    form = {"csrf_token": token(drafts, "/editor/issues/2")}
    assert drafts.client.post("/editor/issues/2/approve", data=form).status_code == 303
    with drafts.engine.connect() as conn:
        issue = store.find_issue(conn, "2")
    assert issue["state"] == "approved" and issue["approved_by"] == "li@example.org"
    refused = drafts.client.post("/editor/issues/2/texts", data={**form, "headline_en": "x"})
    assert refused.status_code == 409
    assert "issue 2 is approved, not a draft" in refused.text
    again = drafts.client.post("/editor/issues/2/approve", data=form)
    assert again.status_code == 409
    assert drafts.client.post("/editor/issues/2/unapprove", data=form).status_code == 303
    with drafts.engine.connect() as conn:
        assert store.find_issue(conn, "2")["state"] == "draft"
    assert drafts.client.get("/editor/issues/99").status_code == 404


def test_the_operators_page_shows_where_an_issues_deliveries_stand(drafts: Site) -> None:
    digest = Digest.open(drafts.settings, drafts.engine)
    service = drafts.app.extensions["mscwatch"].subscribers
    for address in ("a@example.org", "b@example.org"):
        service.add(address, "en", confirmed=True, now=now())
    digest.approve("2", "li@example.org", now())
    digest.start_sending("2", now())
    page = drafts.client.get("/editor/operators").text
    row = re.search(r'<tr id="issue-2">(.*?)</tr>', page, re.S).group(1)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row)
    assert cells[:3] == ["2 (2026-11-16)", "sending", "li@example.org"]
    assert cells[3:5] == ["0", "2"]  # sent, queued
    assert '<tr id="issue-3">' in page and '<tr id="issue-1">' in page


# -- briefs --------------------------------------------------------------------------------------


def test_the_brief_of_the_picked_works_downloads_as_markdown(desk: Site) -> None:
    assert "Nothing picked yet" in desk.client.get("/editor/briefs").text
    works = shown(desk)[:2]
    for work in works:  # one after the other: the brief takes them in the order picked
        act(desk, [work], "pick")
    page = desk.client.get("/editor/briefs").text
    for work in works:
        assert f'id="picked-{work}"' in page
    answer = desk.client.get("/editor/briefs/brief.zh.md")
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/markdown")
    assert "attachment" in answer.headers["Content-Disposition"]
    digest = Digest.open(desk.settings, desk.engine)
    assert answer.text == digest.brief([str(w) for w in works], "zh")
    assert answer.text.count("论文：《") + answer.text.count("临床试验：《") >= 2
    act(desk, [works[0]], "unpick")
    assert f'id="picked-{works[0]}"' not in desk.client.get("/editor/briefs").text


def test_the_issue_page_shows_each_lead_and_why_a_fuller_draft_was_not_used(
    drafts: Site, tmp_path: Path
) -> None:
    page = drafts.client.get("/editor/issues/1").text
    assert "开展的 II 期随机对照试验纳入 90 例结直肠癌患者" in page  # the zh lead of 41000516
    assert "A phase II randomised controlled trial of 90 patients" in page
    assert "not used" not in page
    # An operator's term table writes a figure the records do not hold: the drafts that carry it
    # are turned down, and the page says which figure and why.
    config = tmp_path / "config"
    shutil.copytree(drafts.settings.config_dir, config)
    terms = config / "terms-zh.toml"
    text = terms.read_text(encoding="utf-8")
    terms.write_text(text.replace('zh = "未见严重不良事件"', 'zh = "未见 ≥3 级不良事件"'), "utf-8")
    digest = drafts.app.extensions["mscwatch"].digest
    digest.settings = digest.settings.model_copy(update={"config_dir": config})
    page = drafts.client.get("/editor/issues/2").text
    assert "not used (not in the source: ≥3)" in page
    leads = re.findall(r'<div class="lead" lang="zh">(.*?)</div>', page)
    assert leads and not any("≥3" in lead for lead in leads)
    assert any(
        "未见 ≥3 级不良事件" in draft for draft in re.findall(r"rejected\">(.*?)</div>", page)
    )
