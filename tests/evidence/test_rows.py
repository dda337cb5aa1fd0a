"""The evidence rows over the demo's database (SQLite and PostgreSQL): one row per clinical study
with its trial and papers merged, laboratory work left out, filters, order, CSV and JSON that
read back, and `mscwatch export evidence`."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

from etl.db.models import EditorDecision
from etl.evidence.query import Query, parse_query, values
from etl.evidence.service import EvidenceMap
from etl.evidence.table import CSV_COLUMNS, heads, to_csv, to_json
from tests.evidence.conftest import Ground

ROOT = Path(__file__).resolve().parents[2]


def work_id(ground: Ground, scheme: str, value: str) -> int:
    with ground.engine.connect() as conn:
        found: int = conn.execute(
            text("SELECT work_id FROM identifiers WHERE scheme = :s AND value = :v"),
            {"s": scheme, "v": value},
        ).scalar_one()
    return found


def test_a_trial_and_the_papers_reporting_it_are_one_row(ground: Ground) -> None:
    rows = {row.key: row for row in ground.evidence.rows()}
    row = rows["NCT06218473"]
    assert row.kind == "trial"
    assert set(row.identifiers) == {"NCT06218473", "PMID 41000052", "PMID 41000113"}
    assert work_id(ground, "pmid", "41000052") in row.work_ids
    # the registration's facts, the paper's result
    assert (row.phase, row.status, row.patients) == ("phase3", "COMPLETED", 312)
    assert row.sponsor == "The First Affiliated Hospital of Soochow University"
    assert row.outcome is not None and row.outcome.measure == "agvhd"
    assert row.outcome.value == "19.6%" and row.outcome.comparator == "31.6%"
    assert "aml" in row.cancers and row.sources == ("umbilical_cord",)
    # neither paper has a row of its own
    assert not {"PMID 41000052", "PMID 41000113"} & set(rows)


def test_every_study_is_clinical_and_counted_once(ground: Ground) -> None:
    rows = ground.evidence.rows()
    keys = [row.key for row in rows]
    assert len(keys) == len(set(keys)) == 16
    members = [work for row in rows for work in row.work_ids]
    assert len(members) == len(set(members))  # no work in two rows
    with ground.engine.connect() as conn:
        stages = dict(conn.execute(text("SELECT work_id, stage FROM classifications")).all())
    for row in rows:
        speaker_stage = stages.get(row.work_id)
        assert speaker_stage not in ("in_vitro", "animal", "review"), row.key
    # a paper that names no stored trial stands alone: a phase II paper
    alone = {row.key: row for row in rows}["PMID 41000627"]
    assert (alone.kind, alone.phase, alone.status) == ("paper", "phase2", "published")
    # an animal study is nowhere, not even when a trial's references name it
    animal = work_id(ground, "pmid", "41000104")
    assert stages[animal] == "animal"
    assert all(animal != row.work_id for row in rows)


def test_filters_keep_the_rows_that_have_every_chosen_value(ground: Ground) -> None:
    rows = ground.evidence.rows()
    aml = ground.evidence.view(Query({"cancer": ("aml",)}), "zh", rows)
    assert aml and all("aml" in row.cancers for row in aml)
    assert len(aml) == sum("aml" in row.cancers for row in rows)
    both = ground.evidence.view(Query({"cancer": ("aml",), "kind": ("paper",)}), "zh", rows)
    assert both and all(row.kind == "paper" and "aml" in row.cancers for row in both)
    assert len(both) < len(aml)
    either = ground.evidence.view(Query({"phase": ("phase1", "phase3")}), "en", rows)
    assert {row.phase for row in either} == {"phase1", "phase3"}
    recruiting = ground.evidence.view(Query({"status": ("recruiting",)}), "en", rows)
    assert {row.key for row in recruiting} == {"NCT06571092", "NCT06937415", "NCT07246619"}
    assert ground.evidence.view(Query({"year": ("1999",)}), "zh", rows) == []
    for name in ("country", "source", "strategy"):
        value = values(rows[0], name)[0]
        assert all(value in values(row, name) for row in
                   ground.evidence.view(Query({name: (value,)}), "zh", rows))  # fmt: skip


def test_sorting_by_a_column_either_way_with_missing_values_last(ground: Ground) -> None:
    rows = ground.evidence.rows()
    ask = {"sort": ["patients"], "order": ["desc"]}
    down = ground.evidence.view(parse_query(lambda name: ask.get(name, [])), "zh", rows)
    known = [row.patients for row in down if row.patients is not None]
    assert known == sorted(known, reverse=True) and known[0] == 356
    assert all(row.patients is None for row in down[len(known) :])
    ask["order"] = ["asc"]
    up = ground.evidence.view(parse_query(lambda name: ask.get(name, [])), "zh", rows)
    assert [row.patients for row in up][: len(known)] == sorted(known)
    by_default = ground.evidence.view(Query(), "zh", rows)
    dates = [row.updated for row in by_default]
    assert dates == sorted(dates, reverse=True)  # newest update first
    ask = {"sort": ["phase"], "order": ["asc"]}
    phases = [
        row.phase for row in ground.evidence.view(parse_query(lambda n: ask.get(n, [])), "en", rows)
    ]
    assert phases.index("phase1") < phases.index("phase2") < phases.index("phase3")
    nonsense = {"sort": ["drop table"], "order": ["sideways"]}
    assert parse_query(lambda name: nonsense.get(name, [])) == Query()


def test_the_csv_reads_back_row_for_row(ground: Ground) -> None:
    rows = ground.evidence.view(Query({"kind": ("trial",)}), "zh", ground.evidence.rows())
    for lang in ("zh", "en"):
        read = list(csv.reader(io.StringIO(to_csv(rows, ground.evidence.names, lang))))
        assert read[0] == heads(lang)
        assert len(read) == len(rows) + 1
        study = CSV_COLUMNS.index("study")
        assert [line[study] for line in read[1:]] == [row.key for row in rows]
        for line, row in zip(read[1:], rows, strict=True):
            assert dict(zip(CSV_COLUMNS, line, strict=True)) == {
                name: ground.evidence.names.cells(lang, row)[name] for name in CSV_COLUMNS
            }
    zh = list(csv.reader(io.StringIO(to_csv(rows, ground.evidence.names, "zh"))))
    assert zh[0][:4] == ["治疗策略", "代表研究", "癌种", "研发阶段"]  # the article's table
    first = dict(zip(CSV_COLUMNS, zh[1 + [r.key for r in rows].index("NCT06218473")], strict=True))
    assert first["phase"] == "III 期" and first["status"] == "已完成"
    assert first["outcome"] == "急性 GVHD 发生率：19.6%（对照组 31.6%，P=0.041）"


def test_json_carries_ids_and_the_editions_words(ground: Ground) -> None:
    rows = ground.evidence.rows()
    objects = json.loads(to_json(rows, ground.evidence.names, "en"))
    assert [o["study"] for o in objects] == [row.key for row in rows]
    trial = next(o for o in objects if o["study"] == "NCT06218473")
    assert trial["phase"] == "phase3" and trial["text"]["phase"] == "Phase III"
    assert trial["slug"] == "nct06218473" and trial["text"]["page"] == "studies/nct06218473/en/"
    assert trial["page"] == trial["text"]["page"]  # relative without the site's address
    site = json.loads(to_json(rows, ground.evidence.names, "zh", "https://site.example/"))
    placed = next(o for o in site if o["study"] == "NCT06218473")
    assert placed["page"] == placed["text"]["page"] == "https://site.example/studies/nct06218473/"
    assert trial["status"] == "completed" and trial["text"]["status"] == "completed"


def test_the_export_command_writes_what_the_map_shows(ground: Ground, tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": ground.url, "PYTHONPATH": str(ROOT)}
    out = tmp_path / "evidence.json"
    done = subprocess.run(
        [sys.executable, "-m", "etl", "export", "evidence", "--format", "json", "--lang", "en",
         "--out", str(out)],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "16 studies written" in done.stderr
    written = json.loads(out.read_text(encoding="utf-8"))
    assert [o["study"] for o in written] == [r.key for r in ground.evidence.view(Query(), "en")]
    shown = subprocess.run(
        [sys.executable, "-m", "etl", "export", "evidence"],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    read = list(csv.reader(io.StringIO(shown.stdout)))
    assert read[0] == heads("zh") and len(read) == 17
    refused = subprocess.run(
        [sys.executable, "-m", "etl", "export", "evidence", "--format", "xlsx"],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert refused.returncode != 0 and "--format must be csv or json" in refused.stderr


def test_the_served_map_reuses_its_rows_while_fresh_and_a_fresh_read_sees_changes(
    ground: Ground,
) -> None:
    served = EvidenceMap.open(ground.settings, ground.engine, max_age=60)
    rows = served.rows()
    svg = served.chart_svg("by-cancer", Query(), "zh")
    assert served.rows() is rows and served.chart_svg("by-cancer", Query(), "zh") is svg
    trial = work_id(ground, "nct", "NCT06802957")  # a trial no paper reports
    try:
        with ground.engine.begin() as conn:
            conn.execute(
                EditorDecision.__table__.insert().values(
                    work_id=trial, decision="exclude", updated_at=datetime.now(UTC)
                )
            )
        assert "NCT06802957" in [row.key for row in served.rows()]  # still fresh
        now = [row.key for row in EvidenceMap.open(ground.settings, ground.engine).rows()]
        assert "NCT06802957" not in now and len(now) == 15  # an editor's exclusion wins
    finally:
        with ground.engine.begin() as conn:
            conn.execute(text("DELETE FROM editor_decisions WHERE work_id = :w"), {"w": trial})


def test_studies_read_from_a_few_works_are_those_of_the_whole_database(ground: Ground) -> None:
    from etl.works.studies import load_studies

    paper = work_id(ground, "pmid", "41000052")  # reports NCT06218473 with another paper
    with ground.engine.connect() as conn:
        everything = load_studies(conn)
        few = load_studies(conn, [paper])
    assert len(few) == 1 and few[0] in everything
    assert work_id(ground, "nct", "NCT06218473") in few[0].trials
    assert work_id(ground, "pmid", "41000113") in few[0].papers


def test_a_target_enrolment_is_called_planned(ground: Ground) -> None:
    rows = {row.key: row for row in ground.evidence.rows()}
    recruiting, done = rows["NCT06571092"], rows["NCT06218473"]
    assert (recruiting.patients, recruiting.planned) == (42, True)
    assert done.planned is False
    names = ground.evidence.names
    assert names.cells("zh", recruiting)["patients"] == "42（计划）"
    assert names.cells("en", recruiting)["patients"] == "42 (planned)"
    assert names.cells("zh", done)["patients"] == "312"
