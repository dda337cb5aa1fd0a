"""ICTRP exports broken in the middle, hostile or unreadable: each trial is in the output or
named in an error, recovery runs in flat memory, references stay unresolved and out of text."""

from __future__ import annotations

import gzip
import tracemalloc
from pathlib import Path

from etl.records import Quarantined, SourceRecord
from etl.sources.ictrp.parse import parse_ictrp
from tests.sources.test_ictrp_parse import HEAD, TAIL, trial


def split(items: list) -> tuple[list[str], dict[str, str]]:
    return (
        [i.source_id for i in items if isinstance(i, SourceRecord)],
        {i.record_key: i.reason for i in items if isinstance(i, Quarantined)},
    )


def test_a_trial_missing_its_end_tag_costs_only_itself() -> None:
    cut = trial("ChiCTR2000000002").replace("</Trial>", "")
    body = (HEAD + trial("ChiCTR2000000001") + cut + trial("ChiCTR2000000003") + TAIL).encode()
    records, errors = split(list(parse_ictrp(body)))
    assert records == ["ChiCTR2000000001", "ChiCTR2000000003"]
    assert list(errors) == ["ChiCTR2000000002"]
    assert errors["ChiCTR2000000002"].startswith("unterminated <Trial> starting at line ")


def test_entity_references_are_left_out_of_the_text() -> None:
    body = (
        "<?xml version='1.0'?><!DOCTYPE Trials_downloaded_from_ICTRP [<!ENTITY xxe 'pwned'>]>"
        "<Trials_downloaded_from_ICTRP>"
        + trial("ChiCTR2000000001", Public_title="MSCs &xxe; in &amp;bogus; AML")
        + TAIL
    ).encode()
    (record,) = parse_ictrp(body)
    assert record.data["title"] == "MSCs in AML"


def test_recovering_a_gzip_bomb_runs_in_flat_memory(tmp_path: Path) -> None:
    path = tmp_path / "bomb.xml.gz"
    blank = gzip.compress(b" " * (1 << 20), compresslevel=9)
    with path.open("wb") as out:
        out.write(gzip.compress((HEAD + trial("ChiCTR2000000001", Public_title="a & b")).encode()))
        for _ in range(100):
            out.write(blank)
        out.write(gzip.compress((trial("ChiCTR2000000002") + TAIL).encode()))
    tracemalloc.start()
    try:
        records, errors = split(list(parse_ictrp(path)))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert records == ["ChiCTR2000000002"] and list(errors) == ["ChiCTR2000000001"]
    assert peak < 40 << 20, f"peak {peak / 2**20:.0f} MB"
