"""The subscriber, sending and bounce commands as an operator runs them: real processes, a
real SQLite file, the outbox folder as the transport (no SMTP_URL)."""

from __future__ import annotations

import csv
import email
import email.policy
import io
import json
import shutil
from pathlib import Path

import pytest

from etl.digest.service import Digest
from etl.mail import deliveries
from etl.settings import load_settings
from tests.conftest import CONFIG
from tests.mail.conftest import approve_issue
from tests.test_cli import run

KEY = "fixture-only-key"  # the key the unsubscribe fixture's token was signed with
ENV = {"SECRET_KEY": KEY}
BOUNCES = Path(__file__).with_name("data") / "bounces"


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    shutil.copytree(CONFIG, tmp_path / "config")
    mail = tmp_path / "config" / "mail.toml"
    mail.write_text(
        mail.read_text(encoding="utf-8").replace("bounce_limit = 2", "bounce_limit = 1"),
        encoding="utf-8",
    )
    digest = tmp_path / "config" / "digest.toml"
    digest.write_text(
        digest.read_text(encoding="utf-8").replace('empty = "skip"', 'empty = "notice"'),
        encoding="utf-8",
    )
    assert run("db", "upgrade", cwd=tmp_path).returncode == 0
    return tmp_path


def subscribers(workdir: Path) -> dict[str, dict]:
    listed = run("subscribers", "list", "--json", cwd=workdir, env=ENV)
    assert listed.returncode == 0, listed.stderr
    return {row["email"]: row for row in json.loads(listed.stdout)}


def test_add_import_list_export_remove(workdir: Path) -> None:
    added = run("subscribers", "add", "Li.Wei@Example.org", "--confirmed", cwd=workdir, env=ENV)
    assert added.returncode == 0 and "li.wei@example.org: added" in added.stdout
    asked = run(
        "subscribers", "add", "chen@example.org", "--language", "en", "--topics",
        "trials hematologic", cwd=workdir, env=ENV,
    )  # fmt: skip
    assert "chen@example.org: confirmation sent" in asked.stdout, asked.stderr
    confirmation = (workdir / "var" / "outbox" / "confirm-chen@example.org.eml").read_bytes()
    parsed = email.message_from_bytes(confirmation, policy=email.policy.default)
    assert parsed["Subject"] == "Please confirm your subscription"
    assert "https://mscwatch.example.org/confirm/" in parsed.get_body(("plain",)).get_content()
    bad = run("subscribers", "add", "not an address", cwd=workdir, env=ENV)
    assert bad.returncode == 1 and "'not an address'" in bad.stderr

    people = workdir / "people.csv"
    people.write_text(
        "email,language,topics,state\n"
        "wang@example.org,zh,,\n"
        "nobody-at-all,en,,\n"
        "zhao@example.org,en,astrology,\n"
        "chen@example.org,,,\n"
        "left@example.org,zh,,unsubscribed\n",
        encoding="utf-8",
    )
    imported = run("subscribers", "import", str(people), "--confirmed", cwd=workdir, env=ENV)
    assert imported.returncode == 0, imported.stderr
    assert f"{people}:3: 'nobody-at-all'" in imported.stdout
    assert f"{people}:4: 'zhao@example.org': unknown topic 'astrology'" in imported.stdout
    assert "3 rows read" in imported.stdout and "2 bad rows set aside" in imported.stdout
    found = subscribers(workdir)
    assert {e: r["state"] for e, r in found.items()} == {
        "li.wei@example.org": "active",
        "chen@example.org": "active",  # pending, then confirmed by the operator's import
        "wang@example.org": "active",
        "left@example.org": "unsubscribed",  # kept out of the list, not reactivated
    }
    assert found["chen@example.org"]["topics"] == ["trials", "hematologic"]
    again = run("subscribers", "add", "left@example.org", "--confirmed", cwd=workdir, env=ENV)
    assert again.returncode == 1 and "only they can subscribe again" in again.stdout

    exported = run("subscribers", "export", cwd=workdir, env=ENV)
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))
    assert [r["email"] for r in rows] == list(found)
    assert rows[1]["topics"] == "trials hematologic" and rows[3]["state"] == "unsubscribed"
    fresh = workdir / "fresh"
    shutil.copytree(workdir / "config", fresh / "config")
    assert run("db", "upgrade", cwd=fresh).returncode == 0
    (fresh / "list.csv").write_text(exported.stdout, encoding="utf-8")
    moved = run("subscribers", "import", "list.csv", "--confirmed", cwd=fresh, env=ENV)
    assert moved.returncode == 0, moved.stderr
    assert {e: r["state"] for e, r in subscribers(fresh).items()} == {
        e: r["state"] for e, r in found.items()
    }

    removed = run("subscribers", "remove", "wang@example.org", cwd=workdir, env=ENV)
    assert "wang@example.org: removed" in removed.stdout
    gone = run("subscribers", "remove", "wang@example.org", cwd=workdir, env=ENV)
    assert gone.returncode == 1 and "not found" in gone.stdout


def test_dry_run_test_copy_send_and_bounces(workdir: Path) -> None:
    readers = [
        "reader.one@example.net",
        "zhang.san@lab.example.cn",
        "j.doe@contoso.example",
        "msc.reader.example@yahoo.com",
        "wei.zhang@lab.example.edu",
        "stays@example.org",
    ]
    for address in readers:
        assert (
            run("subscribers", "add", address, "--confirmed", cwd=workdir, env=ENV).returncode == 0
        )
    settings = load_settings(
        workdir / "config",
        env={"DATABASE_URL": f"sqlite:///{workdir / 'var' / 'mscwatch.db'}", **ENV},
    )
    digest = Digest.open(settings)
    approve_issue(digest)
    digest.engine.dispose()
    outbox = workdir / "var" / "outbox"

    plan = run("digest", "send", "1", "--dry-run", cwd=workdir, env=ENV)
    assert plan.returncode == 0, plan.stderr
    assert "6 messages would go through the outbox folder" in plan.stdout
    assert not outbox.exists() or not list(outbox.glob("issue-*"))

    copy = run("digest", "send", "1", "--to", "editor@example.org", "--lang", "en", cwd=workdir,
               env=ENV)  # fmt: skip
    assert copy.returncode == 0, copy.stderr
    assert "a test copy of issue 1 (en) went to editor@example.org" in copy.stdout
    assert len(list(outbox.glob("test-*editor@example.org.eml"))) == 1
    listed = json.loads(run("digest", "list", "--json", cwd=workdir, env=ENV).stdout)
    assert listed[0]["state"] == "approved"  # a test copy changes nothing

    sent = run("digest", "send", "1", cwd=workdir, env=ENV)
    assert sent.returncode == 0, sent.stderr
    assert "issue 1 is sent" in sent.stdout and "6 sent" in sent.stdout
    assert sorted(p.name for p in outbox.glob("issue-001-*.eml")) == sorted(
        f"issue-001-{a}.eml" for a in readers
    )
    twice = run("digest", "send", "1", cwd=workdir, env=ENV)
    assert twice.returncode == 1 and "issue 1 is sent" in twice.stderr
    after = run("digest", "send", "1", "--dry-run", cwd=workdir, env=ENV)
    assert after.returncode == 0, after.stderr
    assert "issue 1 is sent: every reader got it, nobody is left" in after.stdout
    assert "once approved" not in after.stdout and "would go" not in after.stdout
    status = json.loads(run("status", "--json", cwd=workdir, env=ENV).stdout)
    (issue,) = status["issues"]
    assert (issue["number"], issue["state"], issue["in_doubt"]) == (1, "sent", 0)
    assert issue["deliveries"]["sent"] == 6 and issue["deliveries"]["queued"] == 0
    table = run("status", cwd=workdir, env=ENV).stdout
    assert "Issues (newest first) and their deliveries" in table

    processed = run("bounces", "process", str(BOUNCES), cwd=workdir, env=ENV)
    assert processed.returncode == 0, processed.stderr
    assert "unreadable broken-binary.eml" in processed.stdout
    assert "ignored autoreply-outlook-zh.eml: auto-reply" in processed.stdout
    # The saved reports quote Message-IDs we never made: recorded and listed, not applied.
    assert (
        "not applied postfix-user-unknown.eml: bounce about reader.one@example.net: not "
        "tied to a message we sent" in processed.stdout.replace("\n", " ")
    )
    assert "not applied arf-yahoo-abuse.eml: complaint" in processed.stdout
    states = {e: r["state"] for e, r in subscribers(workdir).items()}
    assert states == {
        "reader.one@example.net": "active",
        "zhang.san@lab.example.cn": "unsubscribed",  # by mail, with the signed token
        "j.doe@contoso.example": "active",
        "msc.reader.example@yahoo.com": "active",
        "wei.zhang@lab.example.edu": "active",
        "stays@example.org": "active",
    }
    status = run("status", cwd=workdir, env=ENV)
    assert "were not tied to a message we sent and were not applied" in status.stdout
    assert json.loads(run("status", "--json", cwd=workdir, env=ENV).stdout)["unmatched_reports"]
    # Reports about the messages really sent (their headers returned) are applied.
    genuine = workdir / "genuine"
    genuine.mkdir()
    for name, address in (("bounce", "reader.one@example.net"),
                          ("complaint", "msc.reader.example@yahoo.com")):  # fmt: skip
        ours = (outbox / f"issue-001-{address}.eml").read_bytes().replace(b"\r\n", b"\n")
        headers = ours.split(b"\n\n", 1)[0]
        fixture = "postfix-user-unknown.eml" if name == "bounce" else "arf-yahoo-abuse.eml"
        report = (BOUNCES / fixture).read_bytes()
        head, rest = report.split(b"Message-ID: <2026-11-30.", 1)
        report = head + b"Message-ID: <" + headers.split(b"Message-ID: <", 1)[1].split(b">")[0]
        report += b">" + rest.split(b">", 1)[1]
        (genuine / f"{name}.eml").write_bytes(report)
    applied = run("bounces", "process", str(genuine), cwd=workdir, env=ENV)
    assert applied.returncode == 0, applied.stderr
    assert "\nnot applied " not in applied.stdout, applied.stdout
    states = {e: r["state"] for e, r in subscribers(workdir).items()}
    assert states["reader.one@example.net"] == "bounced"
    assert states["msc.reader.example@yahoo.com"] == "complained"
    again = run("bounces", "process", str(BOUNCES), cwd=workdir, env=ENV)
    assert again.returncode == 0 and "→" not in again.stdout  # each report counts once
    missing = run("bounces", "process", str(workdir / "nowhere"), cwd=workdir, env=ENV)
    assert missing.returncode == 1 and "does not exist" in missing.stdout


def test_an_issue_stuck_in_sending_goes_back_to_draft_without_mailing_anyone_twice(
    workdir: Path,
) -> None:
    readers = ["first@example.org", "second@example.org", "third@example.org"]
    for address in readers:
        assert (
            run("subscribers", "add", address, "--confirmed", cwd=workdir, env=ENV).returncode == 0
        )
    settings = load_settings(
        workdir / "config",
        env={"DATABASE_URL": f"sqlite:///{workdir / 'var' / 'mscwatch.db'}", **ENV},
    )
    digest = Digest.open(settings)
    issue = approve_issue(digest)
    digest.start_sending(str(issue["number"]), issue["approved_at"])  # a send that then failed
    with digest.engine.begin() as conn:  # after the first reader had it
        row = conn.execute(deliveries.D.select().order_by(deliveries.D.c.id)).first()
        conn.execute(deliveries.D.update().where(deliveries.D.c.id == row.id).values(state="sent"))
        first = (
            conn.execute(deliveries.S.select().where(deliveries.S.c.id == row.subscriber_id))
            .first()
            .email
        )
    digest.engine.dispose()
    edit = run("digest", "edit", "1", "--intro", "更正", cwd=workdir, env=ENV)
    assert edit.returncode == 1 and "only a draft is edited" in edit.stderr
    back = run("digest", "unapprove", "1", cwd=workdir, env=ENV)
    assert back.returncode == 0, back.stderr
    assert "issue 1 (2026-11-16) is a draft again" in back.stdout
    assert "1 readers have it and will not get it again; 2 get it" in back.stdout
    assert run("digest", "edit", "1", "--intro", "更正", cwd=workdir, env=ENV).returncode == 0
    assert run("digest", "approve", "1", cwd=workdir, env=ENV).returncode == 0
    sent = run("digest", "send", "1", cwd=workdir, env=ENV)
    assert sent.returncode == 0 and "issue 1 is sent" in sent.stdout, sent.stderr
    outbox = workdir / "var" / "outbox"
    mailed = sorted(p.name for p in outbox.glob("issue-001-*.eml"))
    assert mailed == sorted(f"issue-001-{a}.eml" for a in readers if a != first)
