"""One subscriber's message: multipart/alternative (text, then HTML), UTF-8 throughout, with the
list headers Gmail and Yahoo require of bulk senders (RFC 2369 List-Unsubscribe with https and
mailto, RFC 8058 one-click).

Header values are set through `email.message.EmailMessage`, whose policy refuses a value with a
line break. That is not enough on its own: the email package decodes RFC 2047 encoded words in
a value it is given, and before Python 3.12.x/3.13 it folded a decoded CR/LF into the output as
a real line break, so a headline written as `=?utf-8?q?=0D=0ABcc=3A_...?=` added a header.
`header_text` neutralises such words in every value we write (they stay visible as typed), and
the policy refuses any value that still decodes to a control character.

Bodies are 8-bit UTF-8 when every line fits SMTP's 998 octets (every relay we target announces
8BITMIME), which keeps composing cheap: no base64 of a 60 KB page per subscriber. A body with a
longer line (a long Chinese paragraph, a 600-character title) is encoded by the email package
itself, quoted-printable or base64, whichever is shorter, so no line on the wire can exceed the
limit whatever the content.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import format_datetime
from typing import Any

from etl.settings import MailSettings

LINE_LIMIT = 998  # octets in a line of a message, CRLF not counted (RFC 5321 4.5.3.1.6, 5322)

_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")  # tab is folding whitespace, allowed
_ENCODED_WORD_START = "=?"
_WORD_JOINER = "\u2060"  # invisible: "=\u2060?" reads as "=?" but is no encoded word


def header_problem(value: str) -> str:
    """Why a text from a person cannot become a header value as typed, or "": a line break or
    other control character, or RFC 2047 encoded-word syntax, which mail programs decode."""
    if _CONTROL.search(value):
        return "contains a line break or another control character"
    if re.search(r"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=", value):
        return "contains an RFC 2047 encoded word (=?charset?q?...?=); write the text itself"
    return ""


def header_text(value: str) -> str:
    """`value` made safe as an unstructured header value whatever Python folds it: encoded-word
    syntax is broken with an invisible word joiner, so it is shown as typed and never decoded.
    Line breaks are left for the policy to refuse: they are a caller's bug, not data."""
    return value.replace(_ENCODED_WORD_START, "=" + _WORD_JOINER + "?")


class _Policy(EmailPolicy):
    """SMTP's policy, except that List-Unsubscribe is written as is, one URI a line: folding
    would otherwise turn a long https link into RFC 2047 encoded words, which no mailbox
    provider reads as a link (and which would hide the per-reader placeholders). And no header
    value may decode to a control character (see the module's docstring)."""

    def header_store_parse(self, name: str, value: Any) -> tuple[str, Any]:
        stored = super().header_store_parse(name, value)
        if _CONTROL.search(str(stored[1])):
            raise ValueError(
                f"{name}: the value decodes to a line break or control character: {value!r}"
            )
        return stored

    def fold(self, name: str, value: str) -> str:
        if name.lower() == "list-unsubscribe":
            return f"{name}: " + f",{self.linesep} ".join(str(value).split(", ")) + self.linesep
        folded: str = super().fold(name, value)  # typeshed's Policy.fold returns Any
        return folded

    def fold_binary(self, name: str, value: str) -> bytes:
        if name.lower() == "list-unsubscribe":
            return self.fold(name, value).encode("ascii")
        return super().fold_binary(name, value)


POLICY = _Policy(linesep="\r\n")  # email.policy.SMTP, with the rules above
# Composing with this one makes the email package keep a body 8-bit up to SMTP's line limit
# (not the 78 columns headers fold at) and encode it otherwise; messages are written with POLICY.
_BODY_POLICY = POLICY.clone(max_line_length=LINE_LIMIT)


@dataclass(frozen=True)
class Sender:
    address: str  # from config: who the mail is from
    name: str = ""
    reply_to: str = ""
    list_id: str = ""  # e.g. "MSC Oncology Watch <weekly.mscwatch.example.org>"

    @classmethod
    def from_settings(cls, mail: MailSettings, lang: str = "zh") -> Sender:
        """The sender as readers of `lang` see it (the From name is per edition)."""
        return cls(mail.from_address, mail.sender_name(lang), mail.reply_to, mail.list_id)


def compose(
    sender: Sender,
    to: str,
    subject: str,
    text: str,
    html: str,
    message_id: str,
    when: datetime,
    unsubscribe_url: str = "",
    unsubscribe_mailto: str = "",
) -> EmailMessage:
    """The message for one recipient. `message_id` is stable per delivery, so a resend after a
    crash carries the same id and receiving systems can tell it is the same message."""
    message = EmailMessage(policy=_BODY_POLICY)
    message["From"] = Address(header_text(sender.name), addr_spec=sender.address)
    message["To"] = to
    if sender.reply_to:
        message["Reply-To"] = header_text(sender.reply_to)
    message["Subject"] = header_text(subject)
    message["Date"] = format_datetime(when)
    message["Message-ID"] = message_id
    if sender.list_id:
        message["List-Id"] = header_text(sender.list_id)
    targets = [f"<{u}>" for u in (unsubscribe_url, unsubscribe_mailto) if u]
    if targets:
        message["List-Unsubscribe"] = ", ".join(targets)
    if unsubscribe_url:
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(text, subtype="plain", charset="utf-8")
    message.add_alternative(html, subtype="html", charset="utf-8")
    message.policy = POLICY  # headers fold at 78 columns when written
    return message


def long_lines(raw: bytes) -> int:
    """How many lines of a message exceed SMTP's limit (none may)."""
    return sum(1 for line in raw.split(b"\r\n") if len(line) > LINE_LIMIT)


# Per-subscriber values travel as placeholders through one composed message per edition, then
# are replaced in its bytes: composing with the email package costs milliseconds a message,
# replacing costs microseconds. They are plain ASCII that no header folding or body splits.
TO_PLACEHOLDER = "recipient.placeholder@mscwatch.invalid"
ID_PLACEHOLDER = "message-id-placeholder"
_SAFE_ADDRESS = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
_SAFE_VALUE = re.compile(r"^[A-Za-z0-9._~:/?#\[\]@!$'()*+,;=%-]+$")


@dataclass(frozen=True)
class Prepared:
    """One edition's message with placeholders, ready to be copied for each subscriber.

    When both bodies went 8-bit, a subscriber's copy is the template with the placeholders
    replaced in its bytes. When a body had to be encoded (its placeholders may then be split
    or hidden), or when a filled-in link pushes a line past the limit, the copy is composed
    whole for that subscriber instead: slower, and always correct."""

    raw: bytes
    tokens: tuple[str, ...]  # body placeholders, in the order `personal` takes their values
    sender: Sender
    subject: str
    text: str
    html: str
    when: datetime
    unsubscribe_url: str
    unsubscribe_mailto: str
    fast: bool  # both bodies 8-bit in `raw`: placeholders can be replaced in its bytes

    def personal(self, to: str, message_id: str, values: tuple[str, ...]) -> bytes:
        """The bytes for one subscriber. Refuses anything that could change the message's
        structure (a line break, a quote, markup): such an address never passes sign-up."""
        if not _SAFE_ADDRESS.match(to):
            raise ValueError(f"not a plain address: {to!r}")
        left = message_id.strip("<>").split("@", 1)[0]
        for value in (left, *values):
            if not _SAFE_VALUE.match(value):
                raise ValueError(f"unsafe value for a message: {value!r}")
        if self.fast:
            raw = self.raw.replace(TO_PLACEHOLDER.encode(), to.encode())
            raw = raw.replace(ID_PLACEHOLDER.encode(), left.encode())
            for token, value in zip(self.tokens, values, strict=True):
                raw = raw.replace(token.encode(), value.encode())
            if not long_lines(raw):
                return raw
        filled = [self.text, self.html, self.unsubscribe_url, self.unsubscribe_mailto]
        for token, value in zip(self.tokens, values, strict=True):
            filled = [part.replace(token, value) for part in filled]
        text, html, url, mailto = filled
        domain = message_id.rsplit("@", 1)[-1].rstrip(">")
        message = compose(
            self.sender, to, self.subject, text, html, f"<{left}@{domain}>", self.when, url, mailto
        )
        return message.as_bytes()


def prepare(
    sender: Sender,
    subject: str,
    text: str,
    html: str,
    when: datetime,
    unsubscribe_token: str,
    tokens: tuple[str, ...],
    unsubscribe_mailto: str = "",
) -> Prepared:
    """Compose the edition once, with placeholders for what differs per subscriber."""
    domain = sender.address.rsplit("@", 1)[-1]
    message = compose(
        sender,
        TO_PLACEHOLDER,
        subject,
        text,
        html,
        f"<{ID_PLACEHOLDER}@{domain}>",
        when,
        unsubscribe_token,
        unsubscribe_mailto,
    )
    fast = all(
        part["Content-Transfer-Encoding"] in ("7bit", "8bit") for part in message.iter_parts()
    )
    return Prepared(
        message.as_bytes(),
        tokens,
        sender,
        subject,
        text,
        html,
        when,
        unsubscribe_token,
        unsubscribe_mailto,
        fast,
    )
