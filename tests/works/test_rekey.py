"""Works stored under older title rules get today's keys from `db upgrade` (migration 0009) and
`mscwatch works rekey`, so a new record finds them by title."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, select, update
from typer.testing import CliRunner

from etl.cli import app
from etl.records import SourceRecord
from etl.works import store
from etl.works.rekey import rekey

NOW = datetime(2026, 12, 6, tzinfo=UTC)
works = store.works


def feed_item(source_id: str, title: str) -> SourceRecord:
    return SourceRecord({
        "source": "feed", "source_id": source_id, "kind": "paper", "deleted": False,
        "identifiers": {"registry_ids": []}, "title": title, "published": "2026-05",
        "authors": ["Wei Zhang", "Li Na"],
    })  # fmt: skip


def keys(engine: Engine) -> dict[int, tuple[str | None, str | None]]:
    with engine.connect() as conn:
        query = select(works.c.id, works.c.block_key, works.c.title_key)
        return {row.id: (row.block_key, row.title_key) for row in conn.execute(query)}


def test_stale_keys_are_recomputed_and_a_new_record_then_finds_its_work(engine: Engine) -> None:
    title = "Mesenchymal stromal cells home to oesophageal tumours in mice"
    with engine.begin() as conn:
        store.store_records(conn, [feed_item("https://a.example.org/1", title)], NOW)
    fresh = keys(engine)
    (work,) = fresh
    with engine.begin() as conn:  # as an older rule wrote them
        conn.execute(update(works).values(block_key="paper|2026|zhang", title_key=title.lower()))
        assert rekey(conn) == 1
        assert rekey(conn) == 0  # nothing left to change
    assert keys(engine) == fresh
    american = "Mesenchymal Stromal Cells Home to Esophageal Tumors in Mice."
    with engine.begin() as conn:
        store.store_records(conn, [feed_item("https://b.example.org/2", american)], NOW)
        homes = set(conn.execute(select(store.source_records.c.work_id)).scalars())
    assert homes == {work}


def test_works_rekey_command(sqlite_url: str, sqlite_engine: Engine) -> None:
    with sqlite_engine.begin() as conn:
        store.store_records(conn, [feed_item("https://a.example.org/1", "Tumour homing")], NOW)
        conn.execute(update(works).values(title_key="stale"))
    result = CliRunner().invoke(app, ["works", "rekey"], env={"DATABASE_URL": sqlite_url})
    assert result.exit_code == 0, result.output
    assert "1 work(s) changed" in result.output
    assert next(iter(keys(sqlite_engine).values()))[1] != "stale"
