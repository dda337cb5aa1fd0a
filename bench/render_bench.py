"""Digest rendering: one issue's render time against the reference MJML, and per-subscriber mail.

1. **Render per issue.** Issues of 30, 60 and 90 items (and 150, past the size limit) are built
   from the demo corpus (parsed and classified with the project's own code, replicated with
   distinct titles and ids), in reading order as `select.choose` puts them. For each issue and
   language the benchmark times the view, the Jinja2 MJML template, mjml-python, the text
   template and the whole render (`Renderer.render_view(Renderer.view(...))`), warm, median of
   `--repeat` runs. The MJML that Jinja2 produced is written to a temporary folder and the node
   script renders exactly that, in-process and warm, with the reference `mjml` package from
   npm, in the same run. Target (issue): the whole render under 10 ms.
2. **Size.** The HTML of every issue in full, and what `Renderer.email` sends: past the limit
   (Gmail clips at 102 KB) the lowest-ranked items move to the web page.
3. **Personalized messages.** One issue in 4 topic sets x 2 languages is rendered once per
   edition; 10,000 subscribers spread over the 8 editions then get (a) their tokens substituted
   (`personalize`) and (b) the same plus the whole MIME message (`compose(...).as_bytes()`).
   Target (issue): 10,000 messages under 5 s. When (b) misses it, or with `--profile`, it is
   taken apart on a sample: its three calls, the message with parts left out, each header
   alone, and cProfile's own time per module.

    npm install --prefix bench/node          # once: the reference mjml
    python bench/render_bench.py
    python bench/render_bench.py --json bench/out/render.json
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import hashlib
import json
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from mjml import mjml2html

from etl.classify.rules import classify
from etl.classify.taxonomy import Taxonomy, load_taxonomy
from etl.digest.content import IssueContent
from etl.digest.periods import Period
from etl.digest.render import Rendered, Renderer, personalize, wrap_lines
from etl.digest.select import EventInfo, WorkInfo, choose
from etl.digest.view import PREFERENCES, UNSUBSCRIBE
from etl.mail.message import Sender, compose, prepare
from etl.records import Quarantined
from etl.settings import Settings, load_settings
from etl.sources import parser_for

ROOT = Path(__file__).resolve().parents[1]
NODE_DIR = Path(__file__).resolve().parent / "node"
NODE_SCRIPT = NODE_DIR / "render.mjs"
DEMO = ROOT / "etl" / "demo" / "data"
PAPERS_FILE = DEMO / "pubmed" / "efetch-2026-autumn.xml"
TRIALS_FILE = DEMO / "ctgov" / "studies-2026-autumn.json"

LANGS = ("zh", "en")
TOPIC_SETS: tuple[frozenset[str], ...] = (
    frozenset(),
    frozenset({"solid_tumors"}),
    frozenset({"hematologic", "trials"}),
    frozenset({"lung", "liver"}),
)
PERIOD = Period(date(2026, 11, 23), date(2026, 11, 30))
RENDER_TARGET_MS = 10.0
MAIL_TARGET_S = 5.0
TRIAL_EVENTS = ("new", "status_changed", "results_posted", "new", "enrollment_changed")
# An editor's highlight in each language (each edition shows only its own).
HIGHLIGHTS = (
    "编辑推荐：本期唯一一项报告了长期随访数据的研究。",
    "Editors' pick: the first randomized comparison in this setting, with figures worth quoting.",
)


# The issues ----------------------------------------------------------------------------------


@dataclass
class Source:
    data: dict[str, Any]
    labels: dict[str, Any]


def demo_corpus(taxonomy: Taxonomy) -> tuple[list[Source], list[Source]]:
    """The demo's relevant papers and trials, parsed and classified as ingest would."""
    found: dict[str, list[Source]] = {"paper": [], "trial": []}
    for source, path in (("pubmed", PAPERS_FILE), ("ctgov", TRIALS_FILE)):
        for record in parser_for(source)(path, keep_raw=False):
            if isinstance(record, Quarantined) or record.deleted:
                continue
            labels = classify(record.data, taxonomy)
            if labels["relevant"]:
                found[record.data.get("kind", "paper")].append(Source(record.data, labels))
    return found["paper"], found["trial"]


def replica(data: dict[str, Any], copy: int) -> dict[str, Any]:
    """Copy `copy` (0 = the record itself) with its own title and identifiers, so no two items
    of an issue are the same text; what a record costs to render does not depend on identity."""
    if copy == 0:
        return data
    out = dict(data)
    ids = dict(data.get("identifiers") or {})
    if ids.get("pmid"):
        ids["pmid"] = str(int(ids["pmid"]) + 1_000_000 * copy)
    if ids.get("doi"):
        ids["doi"] = f"{ids['doi']}.{copy + 1}"
    if ids.get("nct"):
        ids["nct"] = f"NCT{int(ids['nct'][3:]) + 100_000 * copy:08d}"
    out["identifiers"] = ids
    out["source_id"] = f"{data.get('source_id', '')}-{copy + 1}"
    title = (data.get("title") or "").rstrip(".")
    if data.get("kind") == "trial":
        out["title"] = f"{title} (site group {copy + 1})"
        if data.get("acronym"):
            out["acronym"] = f"{data['acronym']}-{copy + 1}"
    else:
        out["title"] = f"{title}: cohort {copy + 1}."
    return out


def build_issue(
    size: int, papers: list[Source], trials: list[Source], settings: Settings, taxonomy: Taxonomy
) -> IssueContent:
    """An issue of `size` items: about 15% trials, 1 retraction (2 from 60 items), the rest
    papers; 4 to 6 featured items, 2 or 3 of them with an editor's highlight; one paper in six
    linked to a trial. Items are chosen and ordered by `select.choose`, as `store.build_issue`
    does."""
    retractions = 1 if size < 60 else 2
    n_trials = round(size * 0.15)
    n_papers = size - n_trials - retractions
    featured = {3, 11, 19, 27, 45, 70}  # item numbers before ordering
    events: list[EventInfo] = []
    rows: dict[int, dict[str, Any]] = {}
    works: dict[int, WorkInfo] = {}
    data: dict[int, dict[str, Any]] = {}
    labels: dict[int, dict[str, Any]] = {}
    related: dict[int, list[dict[str, str]]] = {}
    earlier: dict[int, int] = {}
    plan = [("paper", i) for i in range(n_papers)] + [("trial", i) for i in range(n_trials)]
    plan += [("retraction", i) for i in range(retractions)]
    for n, (kind, i) in enumerate(plan):
        work_id = 1001 + n
        pool = trials if kind == "trial" else papers
        # Retractions take papers from the end of the list, so they are not copies of item 1.
        index = len(pool) - 1 - i if kind == "retraction" else i
        source = pool[index % len(pool)]
        record = replica(source.data, 9 if kind == "retraction" else index // len(pool))
        day = PERIOD.start + timedelta(days=n % 7)
        event_type = {"paper": "new", "retraction": "retracted"}.get(
            kind, TRIAL_EVENTS[i % len(TRIAL_EVENTS)]
        )
        event_id = 50_001 + n
        events.append(EventInfo(event_id, work_id, event_type, day))
        rows[event_id] = {
            "id": event_id,
            "type": event_type,
            "occurred_on": day.isoformat(),
            "data": _event_data(event_type, record, i),
        }
        if kind == "retraction":
            record = {**record, "retracted": True}
            earlier[work_id] = 2
        spread = ((n * 7919) % 100) / 100  # a stable spread of scores, so ranks differ
        highlighted = n in featured and n % 3 == 0
        works[work_id] = WorkInfo(
            id=work_id,
            kind="trial" if kind == "trial" else "paper",
            relevant=True,
            relevance=round(source.labels["relevance"] * (0.55 + 0.45 * spread), 4),
            section=source.labels["section"],
            cancer_types=list(source.labels["cancer_types"]),
            strategies=list(source.labels["strategies"]),
            featured=n in featured,
            highlight=HIGHLIGHTS[0] if highlighted else "",
            highlight_en=HIGHLIGHTS[1] if highlighted else "",
            sent_before=kind == "retraction",
        )
        data[work_id] = record
        labels[work_id] = source.labels
        related[work_id] = []
    trial_ids = [w for w, d in data.items() if d.get("kind") == "trial"]
    for position, work_id in enumerate(w for w in data if data[w].get("kind") != "trial"):
        if trial_ids and position % 6 == 2:  # about one paper in six reports one of the trials
            target = trial_ids[position % len(trial_ids)]
            nct = data[target]["identifiers"].get("nct")
            if nct:
                related[work_id].append({"type": "reports", "scheme": "nct", "value": nct})
                pmid = data[work_id]["identifiers"].get("pmid")
                if pmid:
                    related[target].append({"type": "reported_in", "scheme": "pmid", "value": pmid})
    groups_of = {t: label.group or "" for t, label in taxonomy.labels["cancer_types"].items()}
    chosen = choose(events, works, PERIOD, settings.digest.late_days, groups_of)
    assert len(chosen) == size, (len(chosen), size)
    before = PERIOD.preceding()
    issue = {
        "id": 3,
        "number": 3,
        "slug": PERIOD.slug,
        "period_start": PERIOD.start.isoformat(),
        "period_end": PERIOD.end.isoformat(),
        "state": "draft",
        "headline": {},
        "intro": {},
        "closing": {},
        "nothing_new": False,
        "counts": {},
    }
    previous = {
        "id": 2,
        "number": 2,
        "slug": before.slug,
        "period_start": before.start.isoformat(),
        "period_end": before.end.isoformat(),
        "state": "sent",
        "headline": {},
        "nothing_new": False,
    }
    return IssueContent(
        issue=issue,
        items=[asdict(c) for c in chosen],
        data=data,
        labels=labels,
        related=related,
        events=rows,
        earlier=earlier,
        previous=previous,
        next=None,
    )


def _event_data(event_type: str, record: dict[str, Any], i: int) -> dict[str, Any]:
    if event_type == "retracted":
        return {"notices": [str(40_000_000 + i)]}
    if event_type == "status_changed":
        return {"field": "status", "old": "RECRUITING", "new": "ACTIVE_NOT_RECRUITING"}
    if event_type == "results_posted":
        return {"field": "has_results", "old": False, "new": True}
    if event_type == "enrollment_changed":
        new = record.get("enrollment") or 60
        return {"field": "enrollment", "old": max(new - 20, 10), "new": new}
    return {"source_id": record.get("source_id", "")}


# Timing --------------------------------------------------------------------------------------


def timed(action: Callable[[], object], repeat: int) -> dict[str, float]:
    """Warm (one untimed call first), then `repeat` calls: median and best in ms."""
    action()
    gc.collect()
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        runs.append((time.perf_counter() - started) * 1000)
    return {"median_ms": statistics.median(runs), "best_ms": min(runs)}


def check_node() -> str:
    node = shutil.which("node")
    if node is None:
        sys.exit(
            "node is not on PATH: install Node.js 18 or later, then "
            "`npm install --prefix bench/node`"
        )
    if not (NODE_DIR / "node_modules" / "mjml" / "package.json").is_file():
        sys.exit(
            "the reference mjml is not installed; run once from the project root:\n"
            "    npm install --prefix bench/node"
        )
    return node


def run_node(node: str, sources: dict[str, str], repeat: int) -> dict[str, Any]:
    """The node script on the same MJML files, in one process: warm, `repeat` runs each."""
    with tempfile.TemporaryDirectory(prefix="render-bench-") as folder:
        paths = []
        for name, source in sources.items():
            path = Path(folder) / f"{name}.mjml"
            path.write_text(source, encoding="utf-8")
            paths.append(str(path))
        done = subprocess.run(
            [node, str(NODE_SCRIPT), "--repeat", str(repeat), "--validation", "skip,soft", *paths],
            capture_output=True,
            text=True,
            check=False,
        )
    if done.returncode != 0:
        sys.exit(f"the node renderer failed ({done.returncode}):\n{done.stderr}")
    return json.loads(done.stdout)


def render_issues(
    renderer: Renderer, issues: dict[int, IssueContent], repeat: int, node: str
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    results = []
    sources: dict[str, str] = {}
    for size, content in issues.items():
        for lang in LANGS:
            view = renderer.view(content, lang)
            source = renderer.mjml.render(v=view)
            name = f"issue-{size}-{lang}"
            sources[name] = source
            full = renderer.render_view(view)
            email = renderer.email(content, lang)
            python_html = mjml2html(source, disable_comments=True)
            assert wrap_lines(python_html) == full.html  # the email wraps lines for 8-bit
            results.append(
                {
                    "name": name,
                    "items": size,
                    "lang": lang,
                    "mjml_bytes": len(source.encode("utf-8")),
                    "html_bytes": full.html_bytes,
                    "text_bytes": len(full.text.encode("utf-8")),
                    "email_html_bytes": email.html_bytes,
                    "email_items": email.items,
                    "email_moved": email.more,
                    "view": timed(lambda c=content, lang=lang: renderer.view(c, lang), repeat),
                    "jinja2": timed(lambda v=view: renderer.mjml.render(v=v), repeat),
                    "mjml_python": timed(
                        lambda s=source: mjml2html(s, disable_comments=True), repeat
                    ),
                    "text": timed(lambda v=view: renderer.text.render(v=v), repeat),
                    "whole": timed(
                        lambda c=content, lang=lang: renderer.render_view(renderer.view(c, lang)),
                        repeat,
                    ),
                    "email": timed(lambda c=content, lang=lang: renderer.email(c, lang), repeat),
                }
            )
    reference = run_node(node, sources, repeat)
    by_case = {(r["file"].removesuffix(".mjml"), r["validation"]): r for r in reference["results"]}
    for result in results:
        for level in ("skip", "soft"):
            ref = by_case[(result["name"], level)]
            result[f"node_{level}"] = {"median_ms": ref["median_ms"], "best_ms": ref["best_ms"]}
            result["node_html_bytes"] = ref["html_bytes"]
            result[f"node_{level}_errors"] = ref["errors"]
    meta = {k: reference[k] for k in ("mjml", "node", "load_ms")}
    return results, meta


# Personalized messages -----------------------------------------------------------------------


@dataclass(frozen=True)
class Subscriber:
    edition: int
    to: str
    message_id: str
    tokens: dict[str, str]


def subscribers(count: int, editions: int, settings: Settings, number: int) -> list[Subscriber]:
    base = settings.archive.base_url
    domain = settings.mail.from_address.split("@", 1)[1]
    out = []
    for n in range(count):
        token = hashlib.blake2b(f"subscriber-{n}".encode(), digest_size=16).hexdigest()
        out.append(
            Subscriber(
                edition=n % editions,
                to=f"reader{n:05d}@example.com",
                message_id=f"<issue-{number}.{n}.{token[:8]}@{domain}>",
                tokens={  # shaped like etl.mail.tokens.subscriber_links
                    "unsubscribe_url": f"{base}unsubscribe/{token}.{n}",
                    "preferences_url": f"{base}preferences/{token}.{n}",
                },
            )
        )
    return out


def produce(
    editions: list[Rendered],
    people: list[Subscriber],
    sender: Sender,
    mailto: str,
    when: datetime,
    mode: str,
) -> int:
    """Every subscriber's message; returns the bytes produced. `mode`: "substitute" (tokens
    only), "compose" (a whole EmailMessage per subscriber, the straightforward way) or
    "prepared" (what the service does: one composed message per edition, then each
    subscriber's values replaced in its bytes)."""
    total = 0
    if mode == "prepared":
        prepared = [
            prepare(
                sender,
                e.subject,
                e.text,
                e.html,
                when,
                UNSUBSCRIBE,
                (UNSUBSCRIBE, PREFERENCES),
                mailto,
            )
            for e in editions
        ]
        for person in people:
            raw = prepared[person.edition].personal(
                person.to,
                person.message_id,
                (person.tokens["unsubscribe_url"], person.tokens["preferences_url"]),
            )
            total += len(raw)
        return total
    for person in people:
        rendered = editions[person.edition]
        html, text = personalize(rendered, person.tokens)
        if mode == "substitute":
            total += len(html) + len(text)
            continue
        message = compose_for(sender, person, rendered, text, html, when, mailto)
        total += len(message.as_bytes())
    return total


def compose_for(
    sender: Sender,
    person: Subscriber,
    rendered: Rendered,
    text: str,
    html: str,
    when: datetime,
    mailto: str,
) -> EmailMessage:
    """One subscriber's message the straightforward way (the (c) row)."""
    return compose(
        sender,
        person.to,
        rendered.subject,
        text,
        html,
        person.message_id,
        when,
        person.tokens["unsubscribe_url"],
        mailto,
    )


def mail_bench(
    renderer: Renderer,
    content: IssueContent,
    settings: Settings,
    count: int,
    rounds: int,
    profile: bool,
    profile_count: int,
) -> dict[str, Any]:
    cases = [(lang, topics) for topics in TOPIC_SETS for lang in LANGS]
    started = time.perf_counter()
    editions = [renderer.email(content, lang, topics) for lang, topics in cases]
    render_s = time.perf_counter() - started
    people = subscribers(count, len(editions), settings, content.issue["number"])
    mail = settings.mail
    sender = Sender.from_settings(mail)
    mailto = mail.unsubscribe_mailto_url("bench-token")  # one for all: not what is measured
    when = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    found: dict[str, Any] = {
        "subscribers": count,
        "editions": [
            {
                "lang": e.lang,
                "topics": sorted(e.topics),
                "items": e.items,
                "moved": e.more,
                "html_bytes": e.html_bytes,
                "text_bytes": len(e.text.encode("utf-8")),
            }
            for e in editions
        ],
        "render_editions_s": render_s,
    }
    for key, mode in (
        ("substitute", "substitute"),
        ("messages", "prepared"),
        ("messages_compose", "compose"),
    ):
        produce(editions, people[:200], sender, mailto, when, mode)  # warm
        runs, produced = [], 0
        for _ in range(rounds):
            gc.collect()
            started = time.perf_counter()
            produced = produce(editions, people, sender, mailto, when, mode)
            runs.append(time.perf_counter() - started)
        found[key] = {
            "runs_s": runs,
            "median_s": statistics.median(runs),
            "best_s": min(runs),
            "bytes": produced,
        }
    if profile or found["messages"]["median_s"] >= MAIL_TARGET_S:
        found["diagnosis"] = diagnose(editions, people[:profile_count], sender, mailto, when)
    return found


# Where (b)'s time goes ----------------------------------------------------------------------


def diagnose(
    editions: list[Rendered], people: list[Subscriber], sender: Sender, mailto: str, when: datetime
) -> dict[str, Any]:
    """Four views of (b) on a sample of subscribers, none of which double-counts:
    the three calls per message timed apart; the same message with parts of it left out, and
    with the HTML's over-long lines cut between tags (what the same body would cost sent as
    8bit instead of quoted-printable); each header on its own; cProfile's own time per module."""
    n = len(people)
    spent = {"personalize": 0.0, "compose": 0.0, "as_bytes": 0.0}
    for person in people:
        rendered = editions[person.edition]
        started = time.perf_counter()
        html, text = personalize(rendered, person.tokens)
        personalized = time.perf_counter()
        message = compose_for(sender, person, rendered, text, html, when, mailto)
        composed = time.perf_counter()
        message.as_bytes()
        done = time.perf_counter()
        spent["personalize"] += personalized - started
        spent["compose"] += composed - personalized
        spent["as_bytes"] += done - composed
    phases = {key: seconds / n * 1e6 for key, seconds in spent.items()}

    variants = {
        "headers and two one-line parts": lambda h, t: ("x\n", "<p>x</p>\n"),
        "… with the real text part": lambda h, t: (t, "<p>x</p>\n"),
        "… with the real HTML part (as sent)": lambda h, t: ("x\n", h),
        "… with that HTML's long lines cut at '><'": lambda h, t: ("x\n", _wrapped(h)),
        "the whole message (as sent)": lambda h, t: (t, h),
    }
    parts: dict[str, dict[str, Any]] = {}
    for label, bodies in variants.items():
        compose_s = bytes_s = 0.0
        ctes: set[str] = set()
        for person in people:
            rendered = editions[person.edition]
            text, html = bodies(*personalize(rendered, person.tokens))
            started = time.perf_counter()
            message = compose_for(sender, person, rendered, text, html, when, mailto)
            composed = time.perf_counter()
            message.as_bytes()
            compose_s += composed - started
            bytes_s += time.perf_counter() - composed
            ctes.add(message.get_body(("html",))["Content-Transfer-Encoding"])
        parts[label] = {
            "compose_us": compose_s / n * 1e6,
            "as_bytes_us": bytes_s / n * 1e6,
            "html_cte": "/".join(sorted(ctes)),
        }

    zh = next(e for e in editions if e.lang == "zh")
    en = next(e for e in editions if e.lang == "en")
    person = people[0]
    values = {
        "From (display name in Chinese)": Address(sender.name, addr_spec=sender.address),
        "From (ASCII display name)": Address("MSC Oncology Watch", addr_spec=sender.address),
        "To": person.to,
        "Reply-To": sender.reply_to,
        "Subject (zh)": zh.subject,
        "Subject (en)": en.subject,
        "Date": format_datetime(when),
        "Message-ID": person.message_id,
        "List-Id": sender.list_id,
        "List-Unsubscribe": f"<{person.tokens['unsubscribe_url']}>, <{mailto}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    headers = {}
    for label, value in values.items():
        name = label.split(" ")[0]
        set_s = bytes_s = 0.0
        for _ in range(n):
            message = EmailMessage(policy=SMTP)
            started = time.perf_counter()
            message[name] = value
            assigned = time.perf_counter()
            message.as_bytes()
            set_s += assigned - started
            bytes_s += time.perf_counter() - assigned
        headers[label] = {"set_us": set_s / n * 1e6, "as_bytes_us": bytes_s / n * 1e6}

    profiler = cProfile.Profile()
    profiler.enable()
    produce(editions, people, sender, mailto, when, "compose")
    profiler.disable()
    own: dict[str, float] = {}
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    for (file, _line, name), (_cc, _nc, own_s, _inclusive, _callers) in stats.items():
        where = f"{Path(file).parent.name}/{Path(file).name}" if file != "~" else name
        own[where] = own.get(where, 0.0) + own_s
    total = sum(own.values())
    modules = sorted(own.items(), key=lambda item: -item[1])[:12]
    long_lines = [
        {
            "lang": e.lang,
            "topics": sorted(e.topics),
            "html_lines_over_990": sum(
                len(line.encode("utf-8")) > 990 for line in e.html.splitlines()
            ),
            "longest_html_line": max(len(line.encode("utf-8")) for line in e.html.splitlines()),
        }
        for e in editions
    ]
    return {
        "messages": n,
        "phases_us": phases,
        "parts": parts,
        "headers": headers,
        "profile_total_s": total,
        "own_time_by_module": [{"where": where, "seconds": s} for where, s in modules],
        "long_lines": long_lines,
    }


def _wrapped(html: str, limit: int = 900) -> str:
    """The HTML with every line over `limit` bytes cut between two tags: a diagnostic only,
    to time the body as 8bit (a cut between two inline elements can add a visible space)."""
    lines = []
    for line in html.split("\n"):
        while len(line.encode("utf-8")) > limit:
            head = line.encode("utf-8")[:limit].decode("utf-8", "ignore")
            cut = head.rfind("><")
            if cut <= 0:
                break
            lines.append(line[: cut + 1])
            line = line[cut + 1 :]
        lines.append(line)
    return "\n".join(lines)


# Report --------------------------------------------------------------------------------------


def report(
    renders: list[dict[str, Any]],
    meta: dict[str, Any],
    mail: dict[str, Any],
    mail_items: int,
    repeat: int,
) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=160)  # wide enough that no column is cut

    def table(title: str, columns: list[str], left: int = 2) -> Table:
        t = Table(title=title, title_justify="left")
        for i, column in enumerate(columns):
            t.add_column(column, justify="left" if i < left else "right")
        return t

    t = table(
        f"Render per issue, warm, median of {repeat} runs in ms (mjml {meta['mjml']} on node "
        f"{meta['node']}; loading it took {meta['load_ms']:.0f} ms)",
        [
            "items",
            "lang",
            "view",
            "Jinja2",
            "text",
            "mjml-python",
            f"whole (<{RENDER_TARGET_MS:g})",
            "node mjml",
            "node, validate",
            "node ÷ py",
            "email()",
        ],
    )
    for r in renders:
        whole = r["whole"]["median_ms"]
        mark = "" if whole < RENDER_TARGET_MS else " ✗"
        t.add_row(
            str(r["items"]),
            r["lang"],
            *(f"{r[k]['median_ms']:.2f}" for k in ("view", "jinja2", "text", "mjml_python")),
            f"{whole:.2f}{mark}",
            f"{r['node_skip']['median_ms']:.2f}",
            f"{r['node_soft']['median_ms']:.2f}",
            f"{r['node_skip']['median_ms'] / r['mjml_python']['median_ms']:.1f}x",
            f"{r['email']['median_ms']:.2f}",
        )
    console.print(t)
    console.print(
        "whole = view + Jinja2 + mjml-python + text (Renderer.render_view(Renderer.view(...))); "
        "email() adds the size limit (re-renders when over). node mjml = validationLevel skip "
        "(mjml-python does not validate); node, validate = soft, node's default.\n"
    )
    t = table(
        "HTML size per issue (limit 102 KB = 104,448 bytes)",
        [
            "items",
            "lang",
            "MJML KB",
            "HTML KB (all items)",
            "node HTML KB",
            "text KB",
            "email HTML KB",
            "in the email",
            "moved to the web",
        ],
    )
    for r in renders:
        t.add_row(
            str(r["items"]),
            r["lang"],
            f"{r['mjml_bytes'] / 1024:.1f}",
            f"{r['html_bytes'] / 1024:.1f}",
            f"{r['node_html_bytes'] / 1024:.1f}",
            f"{r['text_bytes'] / 1024:.1f}",
            f"{r['email_html_bytes'] / 1024:.1f}",
            str(r["email_items"]),
            str(r["email_moved"]),
        )
    console.print(t)
    t = table(
        f"Editions of the {mail_items}-item issue (rendered once each, "
        f"{mail['render_editions_s'] * 1000:.0f} ms for all 8)",
        ["lang", "topics", "in the email", "moved", "HTML KB", "text KB"],
    )
    for e in mail["editions"]:
        t.add_row(
            e["lang"],
            ", ".join(e["topics"]) or "(all)",
            str(e["items"]),
            str(e["moved"]),
            f"{e['html_bytes'] / 1024:.1f}",
            f"{e['text_bytes'] / 1024:.1f}",
        )
    console.print(t)
    n = mail["subscribers"]
    t = table(
        f"{n:,} personalized messages over the 8 editions (median of "
        f"{len(mail['messages']['runs_s'])} rounds)",
        ["step", "", "seconds", "messages/s", "MB produced"],
        left=2,
    )
    for key, label in (
        ("substitute", "(a) token substitution only"),
        ("messages", "(b) full messages: one composed per edition, values replaced in its bytes"),
        ("messages_compose", "(c) full messages: an EmailMessage composed per subscriber"),
    ):
        m = mail[key]
        target = (
            f"target < {MAIL_TARGET_S:g} s: "
            + ("met" if m["median_s"] < MAIL_TARGET_S else "MISSED")
            if key == "messages"
            else ""
        )
        t.add_row(
            label,
            target,
            f"{m['median_s']:.2f}",
            f"{n / m['median_s']:,.0f}",
            f"{m['bytes'] / 1e6:.0f}",
        )
    console.print(t)
    if "diagnosis" in mail:
        report_diagnosis(console, table, mail["diagnosis"])


def report_diagnosis(console: Any, table: Callable[..., Any], d: dict[str, Any]) -> None:
    n = d["messages"]
    p = d["phases_us"]
    console.print(
        f"[bold]Where (b) goes[/bold], on {n:,} of the subscribers, µs per message: "
        f"personalize {p['personalize']:.0f}, compose {p['compose']:.0f}, "
        f"as_bytes {p['as_bytes']:.0f} (total {sum(p.values()):.0f})."
    )
    t = table(
        "compose + as_bytes with parts of the message left out, µs per message",
        ["message", "compose", "as_bytes", "total", "HTML part sent as"],
        left=1,
    )
    for label, row in d["parts"].items():
        t.add_row(
            label,
            f"{row['compose_us']:.0f}",
            f"{row['as_bytes_us']:.0f}",
            f"{row['compose_us'] + row['as_bytes_us']:.0f}",
            row["html_cte"],
        )
    console.print(t)
    t = table(
        "One header alone in an EmailMessage(policy=SMTP), µs",
        ["header", "assign", "as_bytes (fold)", "total"],
        left=1,
    )
    for label, row in d["headers"].items():
        t.add_row(
            label,
            f"{row['set_us']:.0f}",
            f"{row['as_bytes_us']:.0f}",
            f"{row['set_us'] + row['as_bytes_us']:.0f}",
        )
    console.print(t)
    t = table(
        f"cProfile of (b), own time by module ({d['profile_total_s']:.2f} s profiled)",
        ["module or built-in", "seconds", "share"],
        left=1,
    )
    for row in d["own_time_by_module"]:
        t.add_row(
            row["where"], f"{row['seconds']:.2f}", f"{row['seconds'] / d['profile_total_s']:.0%}"
        )
    console.print(t)
    lines = ", ".join(
        f"{e['lang']} {'+'.join(e['topics']) or 'all'}: {e['html_lines_over_990']} "
        f"(longest {e['longest_html_line']:,} B)"
        for e in d["long_lines"]
    )
    console.print(
        f"HTML lines over 990 bytes per edition (why the HTML goes quoted-printable): {lines}\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--sizes",
        default="30,60,90,150",
        help="items per issue (default 30,60,90 as the issue asks, and 150 to pass the size limit)",
    )
    parser.add_argument("--repeat", type=int, default=30, help="timed runs per case (median)")
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument(
        "--mail-items",
        type=int,
        default=90,
        help="the issue mailed to the subscribers (default 90, the largest)",
    )
    parser.add_argument("--mail-rounds", type=int, default=3)
    parser.add_argument(
        "--profile", action="store_true", help="profile (b) even when it meets the target"
    )
    parser.add_argument("--profile-messages", type=int, default=2_000)
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args()
    node = check_node()
    sizes = [int(s) for s in args.sizes.split(",")]

    settings = load_settings()
    taxonomy = load_taxonomy(settings.taxonomy_path)
    renderer = Renderer(settings, taxonomy)
    papers, trials = demo_corpus(taxonomy)
    issues = {
        size: build_issue(size, papers, trials, settings, taxonomy)
        for size in sorted({*sizes, args.mail_items})
    }
    print(
        f"{len(papers)} relevant papers and {len(trials)} relevant trials in the demo corpus; "
        f"issues of {', '.join(map(str, sizes))} items",
        file=sys.stderr,
    )
    renders, meta = render_issues(renderer, {s: issues[s] for s in sizes}, args.repeat, node)
    mail = mail_bench(
        renderer,
        issues[args.mail_items],
        settings,
        args.subscribers,
        args.mail_rounds,
        args.profile,
        args.profile_messages,
    )
    report(renders, meta, mail, args.mail_items, args.repeat)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        document = {
            "python": sys.version.split()[0],
            **meta,
            "repeat": args.repeat,
            "renders": renders,
            "mail": mail,
        }
        args.json.write_text(json.dumps(document, indent=2, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
