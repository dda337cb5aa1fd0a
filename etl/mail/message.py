"""One subscriber's message: multipart/alternative (text, then HTML), UTF-8 throughout, with the
list headers Gmail and Yahoo require of bulk senders (RFC 2369 List-Unsubscribe with https and
mailto, RFC 8058 one-click).

Header values are set through `email.message.EmailMessage`, whose default policy refuses a
value with a line break, so nothing taken from the data can add a header. Bodies are sent as
8-bit UTF-8 when their lines allow it (every relay we target announces 8BITMIME), which keeps
composing cheap: no base64 of a 60 KB page per subscriber.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import format_datetime

from etl.settings import MailSettings


class _Policy(EmailPolicy):
    """SMTP's policy, except that List-Unsubscribe is written as is, one URI a line: folding
    would otherwise turn a long https link into RFC 2047 encoded words, which no mailbox
    provider reads as a link (and which would hide the per-reader placeholders)."""

    def fold(self, name: str, value: str) -> str:
        if name.lower() == "list-unsubscribe":
            return f"{name}: " + f",{self.linesep} ".join(str(value).split(", ")) + self.linesep
        return super().fold(name, value)

    def fold_binary(self, name: str, value: str) -> bytes:
        if name.lower() == "list-unsubscribe":
            return self.fold(name, value).encode("ascii")
        return super().fold_binary(name, value)


POLICY = _Policy(linesep="\r\n")  # email.policy.SMTP, with the List-Unsubscribe rule


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
    message = EmailMessage(policy=POLICY)
    message["From"] = Address(sender.name, addr_spec=sender.address)
    message["To"] = to
    if sender.reply_to:
        message["Reply-To"] = sender.reply_to
    message["Subject"] = subject
    message["Date"] = format_datetime(when)
    message["Message-ID"] = message_id
    if sender.list_id:
        message["List-Id"] = sender.list_id
    targets = [f"<{u}>" for u in (unsubscribe_url, unsubscribe_mailto) if u]
    if targets:
        message["List-Unsubscribe"] = ", ".join(targets)
    if unsubscribe_url:
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(text, subtype="plain", charset="utf-8", cte=_cte(text))
    message.add_alternative(html, subtype="html", charset="utf-8", cte=_cte(html))
    return message


def _cte(body: str) -> str:
    """8bit when every line fits SMTP's 998-octet limit, else quoted-printable."""
    fits = all(len(line.encode("utf-8")) <= 990 for line in body.splitlines())
    return "8bit" if fits else "quoted-printable"


# Per-subscriber values travel as placeholders through one composed message per edition, then
# are replaced in its bytes: composing with the email package costs milliseconds a message,
# replacing costs microseconds. They are plain ASCII that no header folding or body splits.
TO_PLACEHOLDER = "recipient.placeholder@mscwatch.invalid"
ID_PLACEHOLDER = "message-id-placeholder"
_SAFE_ADDRESS = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
_SAFE_VALUE = re.compile(r"^[A-Za-z0-9._~:/?#\[\]@!$'()*+,;=%-]+$")


@dataclass(frozen=True)
class Prepared:
    """One edition's message with placeholders, ready to be copied for each subscriber."""

    raw: bytes
    tokens: tuple[str, ...]  # body placeholders, in the order `personal` takes their values

    def personal(self, to: str, message_id: str, values: tuple[str, ...]) -> bytes:
        """The bytes for one subscriber. Refuses anything that could change the message's
        structure (a line break, a quote, markup): such an address never passes sign-up."""
        if not _SAFE_ADDRESS.match(to):
            raise ValueError(f"not a plain address: {to!r}")
        left = message_id.strip("<>").split("@", 1)[0]
        for value in (left, *values):
            if not _SAFE_VALUE.match(value):
                raise ValueError(f"unsafe value for a message: {value!r}")
        raw = self.raw.replace(TO_PLACEHOLDER.encode(), to.encode())
        raw = raw.replace(ID_PLACEHOLDER.encode(), left.encode())
        for token, value in zip(self.tokens, values, strict=True):
            raw = raw.replace(token.encode(), value.encode())
        return raw


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
    """Compose the edition once; its bodies must be 8-bit (no quoted-printable line splits)."""
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
    if _cte(text) != "8bit" or _cte(html) != "8bit":
        raise ValueError("a body has lines too long for 8-bit: wrap it before preparing")
    return Prepared(message.as_bytes(), tokens)
