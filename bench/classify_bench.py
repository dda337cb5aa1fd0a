"""Classification throughput: 100,000 works through the taxonomy rules, single process.

The works are the demo corpus and the real PubMed samples (and the labelled evaluation set when
present), repeated to the requested count; the rules cost depends on the text, not on identity.
Target (issue): 100,000 works in under a minute on this machine.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from etl.classify.rules import classify
from etl.classify.taxonomy import load_taxonomy
from etl.records import SourceRecord
from etl.sources.pubmed.parse import parse_efetch

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT.parent / "shared" / "samples" / "pubmed-efetch"


def corpus() -> list[dict]:
    files = [ROOT / "etl" / "demo" / "data" / "pubmed" / "efetch-2026-autumn.xml"]
    files += sorted(p for p in SAMPLES.glob("*.xml") if "MALFORMED" not in p.name)
    works = [r.data for f in files for r in parse_efetch(f) if isinstance(r, SourceRecord)]
    works = [w for w in works if not w["deleted"]]
    evaluation = ROOT / "tests" / "classify" / "eval_set.jsonl"
    if evaluation.exists():
        works += [json.loads(line) for line in evaluation.read_text().splitlines() if line]
    return works


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--works", type=int, default=100_000)
    args = parser.parse_args()
    taxonomy = load_taxonomy(ROOT / "config" / "taxonomy.yaml")
    base = corpus()
    started = time.perf_counter()
    relevant = 0
    for n in range(args.works):
        relevant += classify(base[n % len(base)], taxonomy)["relevant"]
    seconds = time.perf_counter() - started
    print(f"{args.works:,} works ({len(base)} distinct) in {seconds:.1f} s: "
          f"{args.works / seconds:,.0f} works/s, {relevant:,} relevant; target < 60 s")  # fmt: skip


if __name__ == "__main__":
    main()
