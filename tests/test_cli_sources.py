"""`parse` and `ingest` on files that used to crash them or pass for empty: real processes."""

from __future__ import annotations

import json
from pathlib import Path

from tests.test_cli import EFETCH, run, workdir  # noqa: F401  (workdir is a fixture)

HTML = (
    b"<!DOCTYPE html><html><head><title>503 Service Unavailable</title></head>"
    b"<body>Try again later</body></html>"
)


def study(nct: str, title: str) -> str:
    ident = {"nctId": nct, "briefTitle": title}
    return json.dumps({"protocolSection": {"identificationModule": ident}})


def test_parse_and_ingest_refuse_a_file_of_another_kind(workdir: Path) -> None:  # noqa: F811
    page = workdir / "efetch.xml"
    page.write_bytes(HTML)
    parsed = run("parse", "pubmed", str(page), cwd=workdir)
    assert parsed.returncode == 1 and parsed.stdout == ""
    assert (
        'error: efetch.xml: this is an HTML page (title "503 Service Unavailable"), not PubMed XML'
        in parsed.stderr
    )
    assert run("db", "upgrade", cwd=workdir).returncode == 0
    good = str(EFETCH / "metapub-35649368.xml")
    ingested = run("ingest", good, str(page), cwd=workdir)
    assert ingested.returncode == 1, ingested.stdout
    assert "pubmed: failed: 1 fetched, 1 new" in ingested.stdout
    assert "this is an HTML page" in ingested.stdout
    assert "nothing changed" not in ingested.stdout
    esummary = workdir / "trials.xml"
    esummary.write_bytes(b'<?xml version="1.0"?><eSummaryResult><DocSum/></eSummaryResult>')
    refused = run("parse", "ictrp", str(esummary), cwd=workdir)
    assert refused.returncode == 1
    assert "this is E-utilities esummary output (<eSummaryResult>), not an ICTRP" in refused.stderr


def test_a_lone_surrogate_neither_crashes_parse_in_parallel_nor_ingest(workdir: Path) -> None:  # noqa: F811
    odd = workdir / "odd.json"
    odd.write_text(
        f'{{"studies": [{study("NCT01234567", "MSC @ trial")}]}}'.replace("@", "\\ud800")
    )
    good = workdir / "good.json"
    good.write_text(f'{{"studies": [{study("NCT07654321", "Fine")}]}}')
    parsed = run("parse", "ctgov", str(odd), str(good), "--jobs", "2", cwd=workdir)
    assert parsed.returncode == 0, parsed.stderr
    titles = [json.loads(line)["title"] for line in parsed.stdout.splitlines()]
    assert titles == ["MSC \ufffd trial", "Fine"]
    assert run("db", "upgrade", cwd=workdir).returncode == 0
    ingested = run("ingest", "--source", "ctgov", str(odd), str(good), cwd=workdir)
    assert ingested.returncode == 0, ingested.stderr
    assert "ctgov: ok: 2 fetched, 2 new" in ingested.stdout
