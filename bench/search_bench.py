"""Search at 100,000 works: how long a query takes on SQLite (FTS5) and PostgreSQL (GIN).

Fills a fresh database with N works and their search documents (written by the same code the
classifier calls, `etl.search.index.update`), then times typical queries: Chinese words,
English words, a trial id, a PMID, a DOI, filters alone and with words, a deep page. Each query
runs `--repeat` times; the table gives the median and the slowest, in milliseconds, and how
many works matched.

    python bench/search_bench.py                         # 100,000 works, SQLite and PostgreSQL
    python bench/search_bench.py --works 20000 --db sqlite
    python bench/search_bench.py --json bench/out/search.json

The text is generated (English titles and abstracts: a dozen words of the field among made-up
ones; a tenth of the works with Chinese titles and abstracts), with labels drawn from the
taxonomy's ids, so every query below has hits.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from etl.classify.service import label_names  # noqa: E402
from etl.classify.taxonomy import load_taxonomy  # noqa: E402
from etl.db.engine import make_engine, upgrade  # noqa: E402
from etl.db.models import Identifier, Work  # noqa: E402
from etl.search import index  # noqa: E402
from etl.search.query import search  # noqa: E402

NOW = datetime(2026, 12, 7, tzinfo=UTC)
PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
WORDS = (  # noqa: SIM905
    "mesenchymal stem stromal cells exosomes extracellular vesicles tumour growth migration "
    "apoptosis proliferation xenograft mice patients trial safety efficacy infusion dose "
    "engineered oncolytic virus delivery paclitaxel TRAIL interferon immune macrophage T "
    "regulatory microenvironment metastasis survival response graft host disease leukaemia "
    "lymphoma myeloma glioma breast lung liver colorectal gastric pancreatic ovarian prostate "
    "umbilical cord bone marrow adipose placenta derived secretome cytokine signalling pathway"
).split()
ZH = ("间充质干细胞", "脐带", "骨髓", "外泌体", "多发性骨髓瘤", "胶质瘤", "肺癌", "肝癌",
      "临床研究", "安全性", "移植物抗宿主病", "小鼠模型", "联合免疫治疗", "基因工程改造",
      "治疗")  # fmt: skip
QUERIES = [
    ("zh word", "骨髓瘤", {}),
    ("zh two words", "脐带 外泌体", {}),
    ("zh one char", "癌", {}),
    ("en word", "myeloma", {}),
    ("en words", "oncolytic virus glioma", {}),
    ("trial id", "NCT90000126", {}),
    ("pmid", "70000123", {}),
    ("doi", "10.99999/bench.123", {}),
    ("filters", "", {"cancer": "myeloma", "source": "umbilical_cord"}),
    ("words+filter", "exosomes", {"cancer": "lung", "kind": "paper"}),
    ("deep page", "mesenchymal", {"page": "40"}),
]


def fill(url: str, works: int, seed: int) -> None:
    engine = make_engine(url)
    upgrade(engine)
    taxonomy = load_taxonomy(ROOT / "config" / "taxonomy.yaml")
    names = label_names(taxonomy)
    families = {f: list(taxonomy.labels[f]) for f in ("cancer_types", "strategies",
                                                      "msc_sources", "stages")}  # fmt: skip
    rng = random.Random(seed)
    # Most words of an abstract are ones no query asks for: 3,000 made-up words.
    filler = ["".join(rng.choices("abcdefghiklmnoprstuvy", k=rng.randint(4, 10)))
              for _ in range(3000)]  # fmt: skip
    chunk = 2000
    for start in range(1, works + 1, chunk):
        ids = range(start, min(works + 1, start + chunk))
        work_rows, id_rows, labelled = [], [], []
        for n in ids:
            kind = "trial" if n % 7 == 0 else "paper"
            year = 2016 + n % 10
            if n % 10 == 0:
                title = "".join(rng.sample(ZH, 4))
                abstract = "。".join("".join(rng.sample(ZH, 5)) for _ in range(8))
            else:
                title = " ".join(rng.choices(WORDS, k=3) + rng.choices(filler, k=9)).capitalize()
                abstract = " ".join(rng.choices(WORDS, k=12) + rng.choices(filler, k=170))
            work_rows.append({"id": n, "kind": kind, "title": title, "published": str(year),
                              "retracted": False, "created_at": NOW,
                              "updated_at": NOW})  # fmt: skip
            scheme, value = (
                ("nct", f"NCT{90000000 + n}") if kind == "trial" else ("pmid", str(70000000 + n))
            )
            id_rows.append({"work_id": n, "scheme": scheme, "value": value})
            if kind == "paper":
                id_rows.append({"work_id": n, "scheme": "doi", "value": f"10.99999/bench.{n}"})
            labels = {
                "relevant": True,
                "cancer_types": rng.sample(families["cancer_types"], rng.randint(1, 2)),
                "strategies": rng.sample(families["strategies"], rng.randint(0, 2)),
                "msc_sources": rng.sample(families["msc_sources"], rng.randint(0, 1)),
                "stage": rng.choice(families["stages"]),
                "section": "solid_tumors",
            }
            data = {"title": title, "abstract": abstract, "published": f"{year}-0{1 + n % 9}"}
            labelled.append((n, data, labels))
        with engine.begin() as conn:
            conn.execute(insert(Work.__table__), work_rows)
            conn.execute(insert(Identifier.__table__), id_rows)
            index.update(conn, labelled, [], names, NOW)
    if engine.dialect.name == "postgresql":
        # What autovacuum leaves soon after a reindex: statistics, and the visibility map that
        # lets the tag lookups read the index alone (an ANALYZE alone made filters 10 times
        # slower than a site that has run a while).
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM (ANALYZE) search_documents, search_texts, search_tags"))
            conn.execute(text("ANALYZE"))
    else:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO search_fts(search_fts) VALUES ('optimize')"))
            conn.execute(text("ANALYZE"))
    engine.dispose()


def measure(url: str, repeat: int) -> list[dict[str, Any]]:
    engine = make_engine(url)
    results = []
    with engine.connect() as conn:
        for name, query, filters in QUERIES:
            page = int(filters.pop("page", "1")) if "page" in filters else 1
            times, total = [], 0
            for _ in range(repeat):
                started = time.perf_counter()
                found = search(conn, query, filters, page)
                times.append((time.perf_counter() - started) * 1000)
                total = found.total
            results.append({"query": name, "text": query, "filters": filters, "page": page,
                            "matched": total, "median_ms": round(statistics.median(times), 1),
                            "max_ms": round(max(times), 1)})  # fmt: skip
    engine.dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--works", type=int, default=100_000)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    report: dict[str, Any] = {"works": args.works}
    with tempfile.TemporaryDirectory() as folder:
        urls = []
        if args.db in ("sqlite", "both"):
            urls.append(("sqlite", f"sqlite:///{Path(folder) / 'search.db'}"))
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        if args.db in ("postgresql", "both"):
            admin = create_engine(PG)
            with admin.begin() as conn:
                conn.execute(text(f"CREATE SCHEMA {schema}"))
            urls.append(("postgresql", f"{PG}?options=-csearch_path%3D{schema}"))
        try:
            for name, url in urls:
                started = time.perf_counter()
                fill(url, args.works, args.seed)
                filled = time.perf_counter() - started
                rows = measure(url, args.repeat)
                report[name] = {"fill_s": round(filled, 1), "queries": rows}
                print(f"\n{name}: {args.works} works indexed in {filled:.1f} s")
                print(f"{'query':<14} {'matched':>8} {'median ms':>10} {'max ms':>8}")
                for row in rows:
                    print(f"{row['query']:<14} {row['matched']:>8} {row['median_ms']:>10} "
                          f"{row['max_ms']:>8}")  # fmt: skip
        finally:
            if args.db in ("postgresql", "both"):
                with admin.begin() as conn:
                    conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
                admin.dispose()
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
