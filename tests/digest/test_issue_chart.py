"""An issue's chart is the chart it was built with: kept with the issue, served at the issue's
own address from that data after the map has changed (with an ETag, kept long at its version),
written by `archive build` beside the issue's page, refreshed by a draft's rebuild and never by
a sent issue's; an issue that kept none links the map's current chart as before."""

from __future__ import annotations

import copy
import io
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import Engine

from etl.classify.service import Classifier
from etl.demo import STUDIES
from etl.digest import store
from etl.digest.service import Digest
from etl.errors import DigestError
from etl.evidence.charts import Chart, describe, version
from etl.evidence.raster import draw_png
from etl.pipeline.ingest import ingest_files
from etl.web import create_app
from etl.web.evidence import VERSIONED_MAX_AGE
from tests.conftest import make_settings
from tests.digest.conftest import UPDATES, publish, week

SITE = "https://msc-watch.net/"  # a public https address (never fetched by the tests)
CHART = "per-year-by-phase"


def public(digest: Digest) -> Digest:
    """The same database at a public address, with a map of its own read afresh."""
    values = {"paths.var": str(digest.settings.paths.var), "archive.base_url": SITE}
    return Digest.open(make_settings(digest.settings.database_url, **values), digest.engine)


def add_studies(engine: Engine, digest: Digest, tmp_path: Path) -> None:
    """Three more trials on the map: copies of demo ones under new registry numbers."""
    studies = json.loads(STUDIES.read_text(encoding="utf-8"))["studies"][:3]
    extra = []
    for n, study in enumerate(studies):
        added = copy.deepcopy(study)
        ident = added["protocolSection"]["identificationModule"]
        ident["nctId"] = f"NCT0999000{n}"
        ident["briefTitle"] += f" (extension cohort {n})"
        ident.pop("officialTitle", None)
        ident.pop("acronym", None)
        ident["orgStudyIdInfo"] = {"id": f"EXT-{n}"}
        ident.pop("secondaryIdInfos", None)
        extra.append(added)
    path = tmp_path / "more-studies.json"
    path.write_text(json.dumps({"studies": extra}), encoding="utf-8")
    classifier = Classifier.from_settings(digest.settings)
    ingest_files(engine, "ctgov", [path], UPDATES + timedelta(days=1), classifier=classifier)


def kept(digest: Digest, number: int, lang: str) -> Chart:
    charts = digest.issue(str(number))["charts"]
    return Chart.from_data(charts["charts"][lang])


def test_the_issue_image_keeps_the_issues_numbers_after_the_map_changed(
    engine: Engine, digest: Digest, tmp_path: Path
) -> None:
    site = public(digest)
    issue = site.build(week(site, "2026-11-09"), UPDATES).issue
    assert issue is not None
    publish(site, 1)
    slug = issue["slug"]
    then = {lang: site.evidence.chart(CHART, lang) for lang in ("zh", "en")}
    assert kept(site, 1, "zh") == then["zh"] and kept(site, 1, "en") == then["en"]

    add_studies(engine, digest, tmp_path)
    later = public(digest)
    now = later.evidence.chart(CHART, "zh")
    assert version(now) != version(then["zh"])  # the map's chart has changed

    content = later.content(later.issue("1"))
    zh = content.charts["zh"]
    assert zh.image == f"issues/{slug}/chart.zh.png?v={version(then['zh'])}"
    assert zh.alt == describe(then["zh"], "zh") != describe(now, "zh")
    html = later.renderer.email(content, "zh").html
    assert f'src="{SITE}issues/{slug}/chart.zh.png?v=' in html
    assert f'href="{SITE}evidence/"' in html  # still the link to the map

    client = create_app(later.settings, later).test_client()
    page = client.get(f"/issues/{slug}/en/").get_data(as_text=True)
    assert f"/issues/{slug}/chart.en.png?v={version(then['en'])}" in page
    answer = client.get(f"/issues/{slug}/chart.zh.png?v={version(then['zh'])}")
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "image/png"
    assert answer.get_data() == draw_png(then["zh"]) != draw_png(now)
    assert answer.headers["Cache-Control"] == f"public, max-age={VERSIONED_MAX_AGE}, immutable"
    with Image.open(io.BytesIO(answer.get_data())) as image:
        assert image.size[0] == 2 * zh.width
    current = client.get(f"/evidence/charts/{CHART}.zh.png").get_data()
    assert current == draw_png(now) != answer.get_data()
    again = client.get(
        f"/issues/{slug}/chart.zh.png?v={version(then['zh'])}",
        headers={"If-None-Match": answer.headers["ETag"]},
    )
    assert again.status_code == 304 and again.get_data() == b""
    other = client.get(f"/issues/{slug}/chart.zh.png?v=0123456789ab")
    assert other.get_data() == answer.get_data()
    assert "immutable" not in other.headers["Cache-Control"]
    for wrong in (f"/issues/{slug}/chart.fr.png", "/issues/2020-01-06/chart.zh.png",
                  "/issues/1/chart.zh.png"):  # fmt: skip
        assert client.get(wrong).status_code == 404, wrong


def test_archive_build_writes_a_sent_issues_image_beside_its_page(
    digest: Digest, tmp_path: Path
) -> None:
    site = public(digest)
    first = site.build(week(site, "2026-11-09"), UPDATES).issue
    draft = site.build(week(site, "2026-11-16"), UPDATES).issue
    assert first is not None and draft is not None
    publish(site, 1)
    folder = tmp_path / "site"
    site.build_archive(folder)
    for lang in ("zh", "en"):
        written = folder / "issues" / first["slug"] / f"chart.{lang}.png"
        assert written.read_bytes() == draw_png(kept(site, 1, lang))
        assert (folder / "issues" / first["slug"] / "index.html").exists()
    assert not (folder / "issues" / draft["slug"] / "chart.zh.png").exists()  # not published


def test_an_issue_that_kept_no_chart_shows_the_maps_current_one(digest: Digest) -> None:
    site = public(digest)
    issue = site.build(week(site, "2026-11-09"), UPDATES).issue
    assert issue is not None
    with site.engine.begin() as conn:
        store.set_charts(conn, issue["id"], None)  # as an issue built before charts were kept
    content = site.content(site.issue("1"))
    shown = site.evidence.chart(CHART, "zh")
    assert content.charts["zh"].image == f"evidence/charts/{CHART}.zh.png?v={version(shown)}"
    client = create_app(site.settings, site).test_client()
    assert client.get(f"/issues/{issue['slug']}/chart.zh.png").status_code == 404


def test_a_drafts_rebuild_refreshes_its_chart_and_a_sent_issues_never_changes(
    engine: Engine, digest: Digest, tmp_path: Path
) -> None:
    site = public(digest)
    site.build(week(site, "2026-11-09"), UPDATES)
    site.build(week(site, "2026-11-16"), UPDATES)
    publish(site, 1)
    before: dict[str, Any] = site.issue("1")["charts"]
    draft_before = kept(site, 2, "zh")
    add_studies(engine, digest, tmp_path)
    later = public(digest)
    later.build(week(later, "2026-11-16"), UPDATES)
    assert kept(later, 2, "zh") == later.evidence.chart(CHART, "zh") != draft_before
    with pytest.raises(DigestError):
        later.build(week(later, "2026-11-09"), UPDATES)
    assert later.issue("1")["charts"] == before
