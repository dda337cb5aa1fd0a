"""Signed subscriber links: whoever holds the link may act for that address, nobody else, and
only for a while. itsdangerous signs with SECRET_KEY; a salt per purpose keeps an unsubscribe
token from working as a confirmation token."""

from __future__ import annotations

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
        return serializer(settings, purpose).loads(token, max_age=max_age)
    except (BadSignature, SignatureExpired):
        return None


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
