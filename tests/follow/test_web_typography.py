"""The Chinese reader pages and the confirmation mail take the digest's punctuation: a reader
sees ，：；（）？ in Chinese sentences however the words were typed, and Latin text, addresses and
links keep their own marks."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import Engine

from etl.digest.typography import stray_marks
from tests.web.test_subscriber_pages import confirm_link, open_site, path_of, post_form, subscribe


def visible_text(page: str) -> str:
    """What a reader reads: the page without its tags, style and attributes."""
    page = re.sub(r"<style.*?</style>", "", page, flags=re.S)
    return re.sub(r"<[^>]+>", " ", page)


def test_chinese_pages_have_no_ascii_marks(
    sqlite_url: str, sqlite_engine: Engine, tmp_path: Path
) -> None:
    site = open_site(sqlite_url, sqlite_engine, tmp_path)
    form = site.client.get("/subscribe")
    assert stray_marks(visible_text(form.text)) == []
    sent = subscribe(site.client, "reader@example.org")
    text = visible_text(sent.text)
    assert "没有收到？" in text and "；如果" in text
    assert stray_marks(text) == []
    wrong = post_form(site.client, "/subscribe", {"email": "reader＠example.org"})
    assert wrong.status_code == 400
    assert stray_marks(visible_text(wrong.text)) == []
    mail = (site.settings.outbox_dir / "confirm-reader@example.org.eml").read_bytes()
    assert "您好：".encode() in mail or "您好：" in mail.decode("utf-8", "replace")
    confirm = site.client.get(path_of(confirm_link(site.settings, "reader@example.org")))
    assert stray_marks(visible_text(confirm.text)) == []
    prefs = site.client.get(f"/preferences/{site.token('preferences', 'reader@example.org')}")
    text = visible_text(prefs.text)
    assert "邮箱：reader@example.org" in text  # the address keeps its own marks
    assert stray_marks(text) == []


def test_english_pages_keep_their_marks(
    sqlite_url: str, sqlite_engine: Engine, tmp_path: Path
) -> None:
    site = open_site(sqlite_url, sqlite_engine, tmp_path)
    sent = subscribe(site.client, "reader@example.org", lang="en", language="en")
    assert "Nothing arrived? Look in your spam folder first; if" in sent.text
