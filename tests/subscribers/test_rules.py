"""The subscriber rules on both databases: double opt-in, what a signed link may do, and
that an address which left is never brought back by anyone but its owner."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from etl.classify.taxonomy import load_taxonomy
from etl.errors import SubscriberError
from etl.mail.tokens import make_token
from etl.mail.transport import SendError
from etl.subscribers.service import Subscribers
from tests.mail.conftest import NOW, settings_for
from tests.subscribers.test_suppressed import token_at


@pytest.fixture
def readers(engine: Engine, db_url: str, tmp_path: Path) -> Subscribers:
    return Subscribers.open(settings_for(db_url, tmp_path / "var"), engine)


def confirm_files(readers: Subscribers) -> list[Path]:
    return sorted(readers.settings.outbox_dir.glob("confirm-*.eml"))


def test_double_opt_in(readers: Subscribers) -> None:
    asked = readers.add("Reader@Example.org", "en", "trials", now=NOW)
    assert asked.action == "confirmation sent" and asked.email == "reader@example.org"
    assert len(confirm_files(readers)) == 1
    assert readers.listing(("pending",))[0]["topics"] == ["trials"]
    token = make_token(readers.settings, "confirm", "reader@example.org")
    assert readers.confirm(token, NOW).action == "confirmed"
    assert readers.confirm(token, NOW).action == "already active"
    row = readers.listing(("active",))[0]
    assert row["confirmed_at"] == NOW and row["consent"]["confirmed_at"] == NOW.isoformat()
    wrong_purpose = make_token(readers.settings, "unsubscribe", "reader@example.org")
    assert readers.confirm(wrong_purpose, NOW).action == "invalid"
    assert readers.confirm(token[:-3] + "abc", NOW).action == "invalid"


def test_confirmations_are_limited_so_the_form_cannot_flood_a_mailbox(
    readers: Subscribers,
) -> None:
    config = readers.settings.subscribers
    assert readers.add("x@example.org", now=NOW).action == "confirmation sent"
    soon = readers.add("x@example.org", now=NOW + timedelta(minutes=1))
    assert soon.action == "unchanged" and "just sent" in soon.detail
    later = NOW + timedelta(minutes=config.resend_minutes + 1)
    assert readers.add("x@example.org", now=later).action == "confirmation sent"
    much_later = later + timedelta(minutes=config.resend_minutes + 1)
    capped = readers.add("x@example.org", now=much_later)
    assert capped.action == "unchanged" and "2 confirmation emails" in capped.detail
    expired = much_later + timedelta(days=config.confirm_days + 1)
    assert readers.add("x@example.org", now=expired).action == "confirmation sent"


def test_an_address_that_left_comes_back_only_through_its_owner(readers: Subscribers) -> None:
    now = datetime.now(UTC)  # links are dated by the real clock
    readers.add("gone@example.org", confirmed=True, now=now)
    token = make_token(readers.settings, "unsubscribe", "gone@example.org")
    assert readers.unsubscribe(token, now).action == "unsubscribed"
    assert readers.unsubscribe(token, now).action == "unchanged"  # a repeat is harmless
    refused = readers.add("gone@example.org", confirmed=True, now=now)
    assert refused.action == "refused" and "only they can subscribe again" in refused.detail
    confirm = token_at(readers.settings, "confirm", "gone@example.org", now - timedelta(hours=1))
    assert readers.confirm(confirm, now).action == "refused"  # an old link does not revive
    again = readers.add("gone@example.org", now=now + timedelta(days=1))
    assert again.action == "confirmation sent"  # the owner may come back through it,
    assert readers.listing(("unsubscribed",))[0]["email"] == "gone@example.org"  # not before


def test_the_form_is_rate_limited_per_network_address(readers: Subscribers) -> None:
    limit = readers.settings.subscribers.form_limit
    for i in range(limit):
        done = readers.subscribe_form(f"p{i}@example.org", "zh", [], "192.0.2.7", "UA", NOW)
        assert done.action == "confirmation sent"
    blocked = readers.subscribe_form("late@example.org", "zh", [], "192.0.2.7", "UA", NOW)
    assert blocked.action == "rate limited"
    other = readers.subscribe_form("late@example.org", "zh", [], "192.0.2.8", "UA", NOW)
    assert other.action == "confirmation sent"
    window = timedelta(minutes=readers.settings.subscribers.form_window_minutes + 1)
    later = readers.subscribe_form("later@example.org", "zh", [], "192.0.2.7", "UA", NOW + window)
    assert later.action == "confirmation sent"
    consent = readers.listing(("pending",))[0]["consent"]
    assert consent["remote"] == "192.0.2.7" and consent["form"] == "subscribe-form-v1"


def test_preferences_and_bad_values(readers: Subscribers) -> None:
    readers.add("p@example.org", confirmed=True, now=NOW)
    token = make_token(readers.settings, "preferences", "p@example.org")
    assert readers.preferences(token)["language"] == "zh"
    saved = readers.save_preferences(token, "en", ["solid", "trials"], NOW)
    assert saved.action == "updated" and saved.subscriber["topics"] == ["solid", "trials"]
    with pytest.raises(ValueError, match="unknown topic"):
        readers.save_preferences(token, "en", ["horoscopes"], NOW)
    with pytest.raises(SubscriberError, match="'a@b'"):
        readers.add("a@b", now=NOW)
    with pytest.raises(SubscriberError, match="language 'fr'"):
        readers.add("fr@example.org", "fr", now=NOW)
    assert readers.preferences("forged") is None


def test_import_file_errors_name_the_file(readers: Subscribers, tmp_path: Path) -> None:
    no_column = tmp_path / "list.csv"
    no_column.write_text("address\nx@example.org\n", encoding="utf-8")
    with pytest.raises(SubscriberError, match="list.csv: line 1 has no 'email' column"):
        readers.import_csv(no_column, confirmed=True, now=NOW)
    latin = tmp_path / "latin.csv"
    latin.write_bytes("email,language\nmüller@example.org,zh\n".encode("latin-1"))
    with pytest.raises(SubscriberError, match="latin.csv: not UTF-8"):
        readers.import_csv(latin, confirmed=True, now=NOW)
    with pytest.raises(SubscriberError, match="cannot read"):
        readers.import_csv(tmp_path / "missing.csv", confirmed=True, now=NOW)
    bom = tmp_path / "excel.csv"
    bom.write_bytes("\ufeffEmail,Language\r\nx@example.org,en\r\n".encode())
    report = readers.import_csv(bom, confirmed=True, now=NOW)
    assert [o.action for o in report.outcomes] == ["added"] and not report.errors


class Refusing:
    """A relay that is down: every confirmation email fails."""

    description = "a relay that is down"

    def send(self, mail_from: str, to: str, raw: bytes, key: str) -> str:
        raise SendError(None, "connection refused", relay=True)

    def close(self) -> None:
        pass


def test_a_confirmation_that_did_not_go_out_does_not_count(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    settings = settings_for(db_url, tmp_path / "var")
    down = Subscribers(
        settings, engine, load_taxonomy(settings.taxonomy_path), lambda s: Refusing()
    )
    for minute in range(3):
        failed = down.add("late@example.org", now=NOW + timedelta(minutes=minute))
        assert failed.action == "confirmation failed" and "refused" in failed.detail
    up = Subscribers.open(settings, engine)
    assert up.add("late@example.org", now=NOW + timedelta(minutes=3)).action == "confirmation sent"


def test_leaving_and_coming_back_at_once_gets_a_confirmation(readers: Subscribers) -> None:
    readers.add("back@example.org", now=NOW)
    readers.confirm(make_token(readers.settings, "confirm", "back@example.org"), NOW)
    left = NOW + timedelta(minutes=1)
    readers.unsubscribe(make_token(readers.settings, "unsubscribe", "back@example.org"), left)
    again = readers.add("back@example.org", now=NOW + timedelta(minutes=3))
    assert again.action == "confirmation sent"


def test_the_forms_offer_each_topic_once(readers: Subscribers) -> None:
    offered = readers.topics
    assert list(offered) == ["solid", "hematologic", "trials", "safety", "platforms"]
    assert len({label.zh for label in offered.values()}) == len(offered)
    assert "solid_tumors" in readers.known_topics  # still accepted from files and old links
