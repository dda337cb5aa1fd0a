"""Signed subscriber links: whoever holds the link may act for that address, nobody else, and
only for a while. itsdangerous signs with SECRET_KEY; a salt per purpose keeps an unsubscribe
token from working as a confirmation token."""

from __future__ import annotations

from datetime import UTC, datetime

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from etl.errors import ConfigError
from etl.settings import Settings

PURPOSES = ("confirm", "unsubscribe", "preferences")


def serializer(settings: Settings, purpose: str) -> URLSafeTimedSerializer:
    if purpose not in PURPOSES:
        raise ValueError(f"unknown token purpose {purpose!r}")
    key = settings.secrets.secret_key
    if not key:
        raise ConfigError(
            "SECRET_KEY is not set: subscriber links cannot be signed",
            "set SECRET_KEY in the environment to a long random string",
        )
    return URLSafeTimedSerializer(key, salt=f"mscwatch-{purpose}")


def make_token(settings: Settings, purpose: str, email: str) -> str:
    return serializer(settings, purpose).dumps(email)


def read_token(settings: Settings, purpose: str, token: str, max_age: int | None) -> str | None:
    """The address a token was made for, or None when it is forged, damaged or too old."""
    try:
        email: str = serializer(settings, purpose).loads(token, max_age=max_age)  # made from a str
        return email
    except (BadSignature, SignatureExpired):
        return None


def token_issued(settings: Settings, purpose: str, token: str) -> datetime | None:
    """When a valid token was made (UTC), or None when it is forged or damaged."""
    when: datetime
    try:
        _, when = serializer(settings, purpose).loads(token, return_timestamp=True)
    except (BadSignature, SignatureExpired):
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def link(settings: Settings, purpose: str, email: str, token: str = "") -> str:
    """The web address that acts for `email` (`token`: one the caller has made already)."""
    token = token or make_token(settings, purpose, email)
    return f"{settings.archive.base_url}{purpose}/{token}"


def subscriber_links(settings: Settings, email: str, unsubscribe: str = "") -> dict[str, str]:
    """The per-subscriber links an email carries (see render.personalize); `unsubscribe` is
    the reader's unsubscribe token when the caller has made it already."""
    return {
        "unsubscribe_url": link(settings, "unsubscribe", email, unsubscribe),
        "preferences_url": link(settings, "preferences", email),
    }


# The longest address a reader can have (254 octets, RFC 5321), for measuring messages.
LONGEST_ADDRESS = "r" * 64 + "@" + ".".join(("x" * 63, "x" * 63, "x" * 57)) + ".org"


def sample_links(settings: Settings) -> tuple[str, str, str]:
    """The unsubscribe link, preferences link and unsubscribe token of the longest address, as
    long as real ones: what the guards fill in to measure a message as it is sent. Signed with
    a stand-in key (a token's length does not depend on the key), so a preview needs no
    SECRET_KEY; these links are never sent."""
    made = {
        purpose: URLSafeTimedSerializer("stand-in", salt=f"mscwatch-{purpose}").dumps(
            LONGEST_ADDRESS
        )
        for purpose in ("unsubscribe", "preferences")
    }
    base = settings.archive.base_url
    return (
        f"{base}unsubscribe/{made['unsubscribe']}",
        f"{base}preferences/{made['preferences']}",
        made["unsubscribe"],
    )
