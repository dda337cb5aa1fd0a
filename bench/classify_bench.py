"""Classification throughput: 100,000 works through the taxonomy rules and the text model, one
process.

The works are the demo corpus and the real PubMed samples (and the labelled evaluation sets when
present), repeated to the requested count; the cost depends on the text, not on identity. The
text model (TF-IDF words plus the rule features, a logistic regression) is trained first on the
labelled sets, as `classify train` would on editors' decisions, and scores the works in chunks of
500, as `classify rerun` does. Target: 100,000 works in under a minute on this machine.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import UTC, datetime
from pathlib import Path

from etl.classify.model import train
from etl.classify.service import CHUNK, Classifier
from etl.classify.taxonomy import load_taxonomy
from etl.records import SourceRecord
from etl.sources.pubmed.parse import parse_efetch

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT.parent / "shared" / "samples" / "pubmed-efetch"
LABELLED = [ROOT / "tests" / "classify" / name for name in ("eval_set.jsonl",
            "clinician_set.jsonl", "clinician_heldout.jsonl",
            "clinician_heldout2.jsonl")]  # fmt: skip


def labelled() -> list[dict]:
    return [json.loads(line) for f in LABELLED if f.exists()
            for line in f.read_text().splitlines() if line]  # fmt: skip


def corpus() -> list[dict]:
    files = [ROOT / "etl" / "demo" / "data" / "pubmed" / "efetch-2026-autumn.xml"]
    files += sorted(p for p in SAMPLES.glob("*.xml") if "MALFORMED" not in p.name)
    works = [r.data for f in files for r in parse_efetch(f) if isinstance(r, SourceRecord)]
    works = [w for w in works if not w["deleted"]]
    works += [{k: v for k, v in r.items() if k != "expected"} for r in labelled()]
    return works


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--works", type=int, default=100_000)
    parser.add_argument("--no-model", action="store_true", help="The rules alone.")
    args = parser.parse_args()
    taxonomy = load_taxonomy(ROOT / "config" / "taxonomy.yaml")
    model = None
    if not args.no_model:
        started = time.perf_counter()
        examples = [(r, bool(r["expected"]["relevant"])) for r in labelled()]
        model = train(examples, taxonomy, datetime.now(UTC))
        print(f"text model trained on {len(examples)} decisions in "
              f"{time.perf_counter() - started:.1f} s: {model.metrics}")  # fmt: skip
    classifier = Classifier(taxonomy, model)
    base = corpus()
    started, cpu = time.perf_counter(), time.process_time()
    relevant, scores = 0, set()
    for start in range(0, args.works, CHUNK):
        chunk = [base[n % len(base)] for n in range(start, min(start + CHUNK, args.works))]
        for labels in classifier.labels_many(chunk):
            relevant += labels["relevant"]
            scores.add(labels["relevance"])
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(f"{args.works:,} works ({len(base)} distinct) in {seconds:.1f} s wall, {cpu:.1f} s CPU: "
          f"{args.works / seconds:,.0f} works/s, {relevant:,} relevant, {len(scores)} distinct "
          f"scores, {'with' if model else 'without'} the text model; target < 60 s")  # fmt: skip


if __name__ == "__main__":
    main()
