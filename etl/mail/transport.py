"""Where messages go: an SMTP relay from `SMTP_URL`, or, without one, the outbox folder.

A transport sends one message to one recipient and either returns the relay's answer or raises
`SendError` carrying the SMTP code, so the sender can tell a deferral (4xx, retry later) from a
refusal (5xx) and a broken connection (retry, reconnect). The SMTP connection is opened once and
reused; it is reopened on the next message after it drops.
"""

from __future__ import annotations

import contextlib
import re
import smtplib
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from etl.errors import ConfigError
from etl.mail.outbox import write_eml
from etl.settings import Settings

_ENHANCED = re.compile(r"\b([245]\.\d{1,3}\.\d{1,3})\b")


class SendError(Exception):
    """The relay did not take a message. `code` is None when the connection failed."""

    def __init__(
        self, code: int | None, text: str, *, relay: bool = False, unsendable: bool = False
    ) -> None:
        super().__init__(f"{code} {text}" if code else text)
        self.code = code
        self.text = " ".join(text.split())[:500]
        self.relay = relay  # the relay itself failed (connect, TLS, login), not this message
        self.unsendable = unsendable  # the message could not be made: no relay saw it

    @property
    def permanent(self) -> bool:
        return self.unsendable or (self.code is not None and 500 <= self.code < 600)

    @property
    def status(self) -> str:
        """The enhanced status code (RFC 3463) in the answer, e.g. "5.1.1", or ""."""
        found = _ENHANCED.search(self.text)
        return found.group(1) if found else ""

    @property
    def policy(self) -> bool:
        """A 5.7.x refusal says the relay dislikes our mail (authentication, DMARC, content),
        not that the address is bad: it must not count against the subscriber."""
        return self.unsendable or self.status.startswith("5.7")


class Transport(Protocol):
    def send(self, mail_from: str, to: str, raw: bytes, key: str) -> str:
        """Deliver `raw` to `to`; returns the relay's answer. `key` names the message (a file
        name for the outbox); sending the same key twice must not make two messages there."""
        ...

    def close(self) -> None: ...

    @property
    def description(self) -> str: ...


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    implicit_tls: bool = False
    starttls: bool = False
    user: str = ""
    password: str = ""

    @property
    def masked(self) -> str:
        scheme = "smtps" if self.implicit_tls else "smtp"
        user = f"{self.user}:***@" if self.user else ""
        query = "?starttls=true" if self.starttls else ""
        return f"{scheme}://{user}{self.host}:{self.port}{query}"


def parse_smtp_url(url: str) -> SmtpTarget:
    """`smtp://user:pass@host:port[?starttls=true]` or `smtps://…` (implicit TLS)."""
    parts = urlsplit(url)
    hint = "use smtp://user:password@host:587?starttls=true or smtps://user:password@host:465"
    if parts.scheme not in ("smtp", "smtps"):
        raise ConfigError(f"SMTP_URL: scheme {parts.scheme!r} is not smtp or smtps", hint)
    if not parts.hostname:
        raise ConfigError("SMTP_URL: no host", hint)
    try:
        port = parts.port
    except ValueError:
        raise ConfigError("SMTP_URL: the port is not a number", hint) from None
    query = {k.lower(): v[-1].lower() for k, v in parse_qs(parts.query).items()}
    unknown = sorted(set(query) - {"starttls"})
    if unknown:
        raise ConfigError(f"SMTP_URL: unknown option {unknown[0]!r}", "the one option is starttls")
    starttls = query.get("starttls", "false") in ("true", "1", "yes")
    implicit = parts.scheme == "smtps"
    if implicit and starttls:
        raise ConfigError("SMTP_URL: smtps:// already uses TLS; drop ?starttls=true", hint)
    return SmtpTarget(
        host=parts.hostname,
        port=port or (465 if implicit else 587 if starttls else 25),
        implicit_tls=implicit,
        starttls=starttls,
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
    )


class SmtpTransport:
    """One reused connection to the relay; reconnects after it drops or after a 421."""

    def __init__(
        self, target: SmtpTarget, timeout: float = 30.0, context: ssl.SSLContext | None = None
    ) -> None:
        self.target = target
        self.timeout = timeout
        self.context = context or ssl.create_default_context()
        self.connection: smtplib.SMTP | None = None
        self.connections = 0  # opened so far, for the run's summary

    @property
    def description(self) -> str:
        return self.target.masked

    def _connect(self) -> smtplib.SMTP:
        t = self.target
        try:
            if t.implicit_tls:
                conn: smtplib.SMTP = smtplib.SMTP_SSL(
                    t.host, t.port, timeout=self.timeout, context=self.context
                )
            else:
                conn = smtplib.SMTP(t.host, t.port, timeout=self.timeout)
            conn.ehlo()
            if t.starttls:
                conn.starttls(context=self.context)
                conn.ehlo()
            if t.user:
                conn.login(t.user, t.password)
        except smtplib.SMTPResponseException as exc:
            raise SendError(exc.smtp_code, _text(exc.smtp_error), relay=True) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise SendError(None, f"cannot connect to {t.masked}: {exc}", relay=True) from None
        self.connections += 1
        return conn

    def send(self, mail_from: str, to: str, raw: bytes, key: str) -> str:
        if self.connection is None:
            self.connection = self._connect()
        conn = self.connection
        options = ["BODY=8BITMIME"] if conn.has_extn("8bitmime") else []
        try:
            conn.sendmail(mail_from, [to], raw, mail_options=options)
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = exc.recipients.get(to, (None, b"refused"))
            self._after_refusal(code)
            raise SendError(code, _text(text)) from None
        except smtplib.SMTPResponseException as exc:
            self._after_refusal(exc.smtp_code)
            raise SendError(exc.smtp_code, _text(exc.smtp_error)) from None
        except (smtplib.SMTPException, OSError) as exc:
            self._drop()
            raise SendError(None, f"connection lost: {exc or type(exc).__name__}") from None
        return "250 accepted"

    def _after_refusal(self, code: int | None) -> None:
        if code == 421 or code is None:  # the relay is closing the connection
            self._drop()

    def _drop(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(OSError):
                self.connection.close()
            self.connection = None

    def close(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self.connection.quit()
            self._drop()


class OutboxTransport:
    """The embedded default: each message becomes `<key>.eml` in a folder, written whole."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.written: list[Path] = []

    @property
    def description(self) -> str:
        return f"the outbox folder {self.folder}"

    def send(self, mail_from: str, to: str, raw: bytes, key: str) -> str:
        self.written.append(write_eml(self.folder, key, raw))
        return "written"

    def close(self) -> None:
        pass


def open_transport(settings: Settings) -> Transport:
    """SMTP when SMTP_URL is set, else the outbox folder."""
    url = settings.secrets.smtp_url
    if not url:
        return OutboxTransport(settings.outbox_dir)
    return SmtpTransport(parse_smtp_url(url), settings.delivery.timeout)


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
