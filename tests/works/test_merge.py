"""One study, one work: merges by identifier, title joins, the traps, and splitting, on both
databases."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, select

from etl.records import SourceRecord
from etl.works import store
from etl.works.merge import split

NOW = datetime(2026, 11, 24, tzinfo=UTC)


def trial(source: str, source_id: str, registry_ids: list[str], **extra: object) -> SourceRecord:
    data = {"source": source, "source_id": source_id, "kind": "trial", "deleted": False,
            "identifiers": {"registry_ids": registry_ids}, "title": f"Trial {source_id}",
            "first_posted": "2025-01-01", **extra}  # fmt: skip
    return SourceRecord(data)


def paper(pmid: str, title: str, year: str = "2026", author: str = "Wei Zhang") -> SourceRecord:
    data = {"source": "pubmed", "source_id": pmid, "kind": "paper", "deleted": False,
            "identifiers": {"pmid": pmid, "registry_ids": []}, "title": title,
            "published": year, "authors": [author, "Li Na"],
            "created": f"{year}-01-02"}  # fmt: skip
    return SourceRecord(data)


def put(engine: Engine, *records: SourceRecord) -> None:
    with engine.begin() as conn:
        store.store_records(conn, list(records), NOW)


def live_works(engine: Engine) -> list[int]:
    with engine.connect() as conn:
        query = select(store.works.c.id).where(store.works.c.merged_into.is_(None))
        return list(conn.execute(query).scalars())


def work_of(engine: Engine, source_id: str) -> int:
    with engine.connect() as conn:
        query = select(store.source_records.c.work_id).where(
            store.source_records.c.source_id == source_id
        )
        return conn.execute(query).scalar_one()


def test_a_record_naming_two_works_merges_them(engine: Engine) -> None:
    put(engine, trial("ctgov", "NCT05000001", ["NCT05000001"]))
    put(engine, trial("ictrp", "ChiCTR2400012345", ["ChiCTR2400012345"]))
    assert len(live_works(engine)) == 2
    # the same study registered twice: its ChiCTR record names the NCT id as a secondary id
    put(engine, trial("ictrp", "ChiCTR2400012345", ["ChiCTR2400012345", "NCT05000001"],
                        status="RECRUITING"))  # fmt: skip
    assert len(live_works(engine)) == 1
    assert work_of(engine, "NCT05000001") == work_of(engine, "ChiCTR2400012345")


def test_a_secondary_id_shared_by_unrelated_trials_does_not_merge_them(engine: Engine) -> None:
    put(engine, trial("ctgov", "NCT05000001", ["NCT05000001", "2020-001234-56"]))
    put(engine, trial("ctgov", "NCT05000002", ["NCT05000002"]))
    put(engine, trial("ctgov", "NCT05000002", ["NCT05000002", "2020-001234-56"], status="X"))
    assert len(live_works(engine)) == 2


def test_near_identical_title_joins_as_probable_duplicate_and_splits_back(engine: Engine) -> None:
    put(
        engine,
        paper("41000001", "Umbilical cord MSCs for steroid-refractory GVHD: a phase II trial."),
    )
    put(
        engine,
        paper("41000002", "Umbilical cord MSCs for steroid refractory GVHD - a phase II trial"),
    )
    assert len(live_works(engine)) == 1
    with engine.connect() as conn:
        merge = conn.execute(select(store.works.c.id)).all()
        row = conn.execute(select(store.merges)).one()
        news = conn.execute(select(store.events.c.type)).scalars().all()
    assert (row.reason, row.probable, row.evidence["score"]) == ("title", True, 100.0)
    assert news == ["new"] and len(merge) == 2  # the duplicate is not announced twice
    with engine.begin() as conn:
        restored = split(conn, work_of(engine, "41000001"), NOW)
    assert len(restored) == 1 and len(live_works(engine)) == 2
    assert work_of(engine, "41000001") != work_of(engine, "41000002")
    with engine.connect() as conn:
        assert conn.execute(select(store.events.c.type)).scalars().all() == ["new", "new"]
        assert conn.execute(select(store.merges.c.undone_at)).scalar_one() == NOW


def test_follow_up_study_and_other_year_are_not_duplicates(engine: Engine) -> None:
    put(engine, paper("41000011", "MSC exosomes in glioma: part I"))
    put(engine, paper("41000012", "MSC exosomes in glioma: part II"))
    put(engine, paper("41000013", "MSC exosomes in glioma: part I", year="2027"))
    put(engine, paper("41000014", "MSC exosomes in glioma: part I", author="Mei Chen"))
    assert len(live_works(engine)) == 4


def test_a_correction_notice_is_never_merged_into_its_paper(engine: Engine) -> None:
    title = "Umbilical cord MSCs secreting IL-12 restrain colorectal cancer liver metastasis"
    put(engine, paper("41000021", title))
    notice = paper("41000022", f"Correction: {title}")
    notice.data["corrections"] = [{"type": "ErratumFor", "pmid": "41000021", "ref": None}]
    put(engine, notice)
    assert len(live_works(engine)) == 2


def test_sub_phases_ordinals_and_leftover_markup() -> None:
    from etl.works.titles import similarity, title_key

    def same(a: str, b: str) -> bool:
        return similarity(title_key(a), title_key(b)) >= 95

    assert not same("UC-MSCs for GVHD: a phase 1a trial", "UC-MSCs for GVHD: a phase 1b trial")
    assert not same("MSCs as first-line therapy in AML", "MSCs as second-line therapy in AML")
    assert same("<i>In vivo</i> homing of MSCs to glioma", "In vivo homing of MSCs to glioma")


def preprint(ppr: str, title: str, year: str, pmid: str) -> SourceRecord:
    data = {"source": "europepmc", "source_id": f"PPR:{ppr}", "kind": "paper", "deleted": False,
            "preprint": True, "identifiers": {"ppr": ppr, "doi": f"10.1101/{ppr}"},
            "title": title, "published": year, "authors": ["Wei Zhang"],
            "published_version": {"pmid": pmid, "note": "CrossRef Pre-print loader"}}  # fmt: skip
    return SourceRecord(data)


def test_a_preprint_and_its_paper_are_linked_the_same_way_in_any_year(engine: Engine) -> None:
    """Same title and block or not, the preprint stays its own work, linked to its paper."""
    title = "Umbilical cord MSCs secreting IL-12 restrain colorectal cancer liver metastasis"
    other = "Bone marrow MSCs home to irradiated glioma and carry an oncolytic adenovirus"
    put(engine, preprint("PPR900001", title, "2026-03-01", "41000031"))
    put(engine, preprint("PPR900002", other, "2025-11-30", "41000032"))
    put(engine, paper("41000031", title), paper("41000032", other))
    assert len(live_works(engine)) == 4
    with engine.connect() as conn:
        links = conn.execute(select(store.links.c.work_id, store.links.c.type,
                                    store.links.c.target_value)).all()  # fmt: skip
        merges = conn.execute(select(store.merges)).all()
    assert merges == []
    assert sorted(links) == [
        (work_of(engine, "PPR:PPR900001"), "published_as", "41000031"),
        (work_of(engine, "PPR:PPR900002"), "published_as", "41000032"),
    ]


def test_online_in_december_and_issued_in_january_join_by_title(engine: Engine) -> None:
    title = "Oesophageal tumour stroma recruits MSCs through CXCL12 in xenografts"
    issued = paper("41000041", title, year="2026")
    issued.data |= {"published": "2026-01", "epublished": "2025-12-18"}
    online = paper("41000042", "Esophageal tumor stroma recruits MSCs through CXCL12 in xenografts",
                   year="2025")  # fmt: skip
    online.data["published"] = "2025-12-18"
    put(engine, issued)
    put(engine, online)
    assert len(live_works(engine)) == 1


def test_the_same_title_for_another_cancer_or_drug_stays_apart(engine: Engine) -> None:
    title = "Cisplatin resistance of {} cancer cells conferred by MSC-derived exosomal miR-21"
    put(engine, paper("41000051", title.format("gastric")))
    put(engine, paper("41000052", title.format("ovarian")))
    put(engine, paper("41000053", title.format("gastric").replace("Cisplatin", "Oxaliplatin")))
    assert len(live_works(engine)) == 3


def test_near_identical_titles_in_one_batch_become_one_work(engine: Engine) -> None:
    """The blocks of a batch are read once; a work merged earlier in the batch is no candidate."""
    title = "Haematopoietic stromal niches shelter leukaemia stem cells from imatinib"
    american = "Hematopoietic stromal niches shelter leukemia stem cells from imatinib"
    put(
        engine,
        paper("41000061", title),
        paper("41000062", title.upper()),
        paper("41000063", american),
        paper("41000064", title.replace("imatinib", "dasatinib")),
    )
    assert len(live_works(engine)) == 2
    kept = work_of(engine, "41000061")
    assert work_of(engine, "41000062") == work_of(engine, "41000063") == kept
    with engine.connect() as conn:
        merges = conn.execute(select(store.merges.c.kept_work_id)).scalars().all()
        targets = conn.execute(select(store.works.c.merged_into)).scalars().all()
    assert merges == [kept, kept] and set(targets) == {None, kept}  # no chain of merges
    assert work_of(engine, "41000064") != kept
