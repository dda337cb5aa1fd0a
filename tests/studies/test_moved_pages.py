"""The static archive keeps the addresses readers were sent: at every other address the web app
answers with a 301 to a study page written in the build (a merged work's slug, an identifier
that is no longer the best, `work-<id>`), `archive build` writes a small page that refreshes to
the study's page, names it canonical, links to it in the page's language and keeps search
engines away; an address that is a study's own page is never overwritten by one, and works the
archive has no page for get none."""

from __future__ import annotations

from pathlib import Path

from etl.studies.service import Studies
from tests.studies.conftest import Thread, moved_to, publish_issue
from tests.studies.test_merged_pages import _apart, _slug

BASE = "https://mscwatch.example.org/"


def _file(folder: Path, slug: str, lang: str) -> Path:
    return folder / "studies" / slug / ("index.html" if lang == "zh" else "en/index.html")


def test_a_merged_works_old_addresses_refresh_to_the_kept_page_in_both_languages(
    thread: Thread, tmp_path: Path
) -> None:
    kept = thread.work_of("pmid", "39000005")
    publish_issue(thread.engine, 2, "2025-09-29", [thread.merged_away], ["new"])
    now = _slug(thread.engine, kept)
    assert now == "pmid-39000005"
    olds = {"doi-10.5555_mds.1", f"work-{thread.merged_away}", f"work-{kept}"}
    for old in olds:  # what the web app answers
        answer = Studies(thread.digest).page(old, "en", "/")
        assert answer.status == 301 and answer.location == f"studies/{now}/en/", old

    Studies(thread.digest).build(tmp_path)
    assert moved_to(_file(tmp_path, now, "zh")) is None  # the page itself
    assert moved_to(_file(tmp_path, now, "en")) is None
    for old in olds:
        assert moved_to(_file(tmp_path, old, "zh")) == f"{BASE}studies/{now}/", old
        assert moved_to(_file(tmp_path, old, "en")) == f"{BASE}studies/{now}/en/", old
    zh = _file(tmp_path, "doi-10.5555_mds.1", "zh").read_text()
    en = _file(tmp_path, "doi-10.5555_mds.1", "en").read_text()
    assert '<html lang="zh-CN">' in zh and f'请访问：<a href="{BASE}studies/{now}/">' in zh
    assert (
        '<html lang="en">' in en and f'has a new address: <a href="{BASE}studies/{now}/en/">' in en
    )
    # every redirect the build wrote leads to a study page it wrote, never to another redirect
    for page in (tmp_path / "studies").glob("**/index.html"):
        target = moved_to(page)
        if target is not None:
            written = tmp_path / target.removeprefix(BASE) / "index.html"
            assert written.exists() and moved_to(written) is None, page


def test_an_address_that_is_a_page_of_its_own_gets_no_redirect(
    thread: Thread, tmp_path: Path
) -> None:
    kept, other = _apart(thread)  # the merge undone: two pages, each at its own address
    chinese = thread.work_of("pmid", "39000004")  # relevant, but no issue carried it
    publish_issue(thread.engine, 2, "2025-09-29", [kept, other], ["new", "new"])
    own, theirs = _slug(thread.engine, kept), _slug(thread.engine, other)
    assert {own, theirs} == {"pmid-39000005", "doi-10.5555_mds.1"}

    Studies(thread.digest).build(tmp_path)
    for slug in (own, theirs):
        for lang in ("zh", "en"):
            assert moved_to(_file(tmp_path, slug, lang)) is None, (slug, lang)
    assert moved_to(_file(tmp_path, f"work-{kept}", "zh")) == f"{BASE}studies/{own}/"
    assert moved_to(_file(tmp_path, f"work-{other}", "en")) == f"{BASE}studies/{theirs}/en/"
    # bounded by the pages the archive links to: nothing for a work it has no page for
    assert Studies(thread.digest).page("pmid-39000004", "zh", "/").status == 200
    assert not (tmp_path / "studies" / "pmid-39000004").exists()
    assert not (tmp_path / "studies" / f"work-{chinese}").exists()
