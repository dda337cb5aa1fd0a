"""Sending throughput: one issue to 10,000 subscribers through a local SMTP sink.

Two ways, same run, same sink, same messages:

* **ours**: `Digest.send` with one reused SMTP connection: claims batches of deliveries, commits
  each message's outcome (one commit per message, right after the relay's answer), and
  composes each reader's bytes from the edition prepared once;
* **naive**: the same bytes, one new SMTP connection per message (connect, EHLO, MAIL, RCPT,
  DATA, QUIT) with no bookkeeping at all: what a script looping over `smtplib` does.

The sink is `tests/support/smtp.py` (aiosmtpd) in a process of its own, so it does not share
the sender's interpreter. The issue is the demo's week of 16 November 2026 (real content, both
languages, readers spread over four topic sets), on SQLite by default or PostgreSQL with
`--database`. The naive way is timed on `--naive` messages (default 1,000) and compared as a
rate. Also reported: the window from each "250" to the commit that records it (the time in
which a crash would make a duplicate; see etl/mail/sender.py).

Target (issue): at least 300 messages/s, and at least 5 times the naive way.

    python bench/send_bench.py
    python bench/send_bench.py --database postgresql+psycopg://postgres@127.0.0.1:5432/test
    python bench/send_bench.py --readers 2000 --json bench/out/send.json
"""

from __future__ import annotations

import argparse
import json
import smtplib
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, insert, text  # noqa: E402

from etl.db.engine import make_engine, upgrade  # noqa: E402
from etl.db.models import Subscriber  # noqa: E402
from etl.digest.service import Digest  # noqa: E402
from etl.mail.transport import SmtpTransport, parse_smtp_url  # noqa: E402
from tests.conftest import make_settings  # noqa: E402
from tests.digest.conftest import FIRST_LOAD, UPDATES, load_demo  # noqa: E402

TOPICS = ([], ["trials"], ["hematologic"], ["solid_tumors", "trials"])
SINK = """
import sys, time
sys.path.insert(0, sys.argv[1])
from tests.support.smtp import SmtpServer
with SmtpServer() as server:
    print(server.port, flush=True)
    sys.stdin.read()
    print(len(server.messages), server.connections, flush=True)
"""


def start_sink() -> tuple[subprocess.Popen[str], int]:
    process = subprocess.Popen(
        [sys.executable, "-c", SINK, str(ROOT)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    return process, int(process.stdout.readline())


def stop_sink(process: subprocess.Popen[str]) -> tuple[int, int]:
    out, _ = process.communicate("", timeout=60)
    received, connections = (int(x) for x in out.split())
    return received, connections


def database(url: str | None, folder: Path) -> tuple[str, Any]:
    if url is None:
        return f"sqlite:///{folder / 'send.db'}", None
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    return f"{url}?options=-csearch_path%3D{schema}", (admin, schema)


def readers(engine: Any, n: int) -> None:
    now = datetime.now(UTC)
    rows = [
        {
            "email": f"reader{i:05d}@example.org",
            "state": "active",
            "language": "en" if i % 3 == 0 else "zh",
            "topics": TOPICS[i % len(TOPICS)],
            "source": "import",
            "consent": {},
            "bounces": 0,
            "last_error": "",
            "confirmations_sent": 0,
            "created_at": now,
            "confirmed_at": now,
            "changed_at": now,
        }
        for i in range(n)
    ]
    with engine.begin() as conn:
        conn.execute(insert(Subscriber), rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--readers", type=int, default=10_000)
    parser.add_argument("--naive", type=int, default=1_000)
    parser.add_argument("--database", help="a PostgreSQL URL (default: a SQLite file)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url, cleanup = database(args.database, folder)
        settings = make_settings(url, SECRET_KEY="b" * 40, **{"paths.var": str(folder / "var")})
        engine = make_engine(url)
        upgrade(engine)
        print("loading the demo corpus and building the issue…", flush=True)
        load_demo(engine, settings, folder)
        digest = Digest.open(settings, engine)
        built = digest.build(digest.period("2026-11-16", FIRST_LOAD), UPDATES).issue
        assert built is not None
        issue = digest.approve(str(built["number"]), "bench", UPDATES)
        readers(engine, args.readers)

        sink, port = start_sink()
        smtp_url = f"smtp://127.0.0.1:{port}"
        transport = SmtpTransport(parse_smtp_url(smtp_url), timeout=30)
        started = time.perf_counter()
        _, report, standing = digest.send(issue["slug"], transport, lambda: datetime.now(UTC))
        ours_seconds = time.perf_counter() - started
        received, connections = stop_sink(sink)
        assert standing["states"] == {"sent": args.readers}, standing
        assert received == args.readers, received

        # The same messages the naive way: the bytes `send` made, one connection each.
        prepared = digest.prepared(digest.content(issue), datetime.now(UTC))
        messages = []
        for i in range(args.naive):
            email = f"reader{i:05d}@example.org"
            edition = prepared("en" if i % 3 == 0 else "zh", frozenset(TOPICS[i % len(TOPICS)]))
            messages.append(
                (email, edition.personal(email, f"<n{i}@example.org>", digest.reader_links(email)))
            )
        sink, port = start_sink()
        started = time.perf_counter()
        for email, raw in messages:
            # local_hostname: keep the resolver's reverse lookup (slow on an offline machine)
            # out of the naive way's time; it pays for the connection, not for DNS.
            with smtplib.SMTP("127.0.0.1", port, timeout=30, local_hostname="bench") as conn:
                conn.sendmail(settings.mail.from_address, [email], raw)
        naive_seconds = time.perf_counter() - started
        naive_received, naive_connections = stop_sink(sink)
        assert naive_received == args.naive

        windows = sorted(report.windows)
        size = statistics.mean(len(raw) for _, raw in messages)
        result = {
            "readers": args.readers,
            "database": engine.dialect.name,
            "message_kb": round(size / 1024, 1),
            "ours_seconds": round(ours_seconds, 2),
            "ours_per_second": round(args.readers / ours_seconds),
            "ours_connections": connections,
            "naive_messages": args.naive,
            "naive_seconds": round(naive_seconds, 2),
            "naive_per_second": round(args.naive / naive_seconds),
            "naive_connections": naive_connections,
            "ratio": round((args.readers / ours_seconds) / (args.naive / naive_seconds), 1),
            "window_ms_median": round(statistics.median(windows) * 1000, 3),
            "window_ms_p99": round(windows[int(len(windows) * 0.99)] * 1000, 3),
            "window_ms_max": round(windows[-1] * 1000, 3),
        }
        engine.dispose()
        if cleanup:
            admin, schema = cleanup
            with admin.begin() as conn:
                conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
            admin.dispose()

    width = max(len(k) for k in result)
    for key, value in result.items():
        print(f"{key:<{width}}  {value}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
