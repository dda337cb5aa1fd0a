"""Mail that comes back to the newsletter's sender: what each message means for subscribers.

Returned mail decides whether we keep writing to an address. Mailbox providers judge a sender by
how often it mails dead addresses and people who complained, so a hard bounce or a spam
complaint must stop mail to that address soon, while a full mailbox or a slow server must not.
This module only reads: bytes in, `MailEvent`s out. Deciding what to do with a subscriber (and
checking that a report concerns one of our messages, through `message_id` and the addresses in
`Reading.addressed_to`) is the caller's job (returns.py), which keeps the rules here testable on
saved messages without a database. Anyone can send us a report, so nothing read here is
believed on its own.

What it understands, most reliable first:

- RFC 3464 delivery status notifications (multipart/report; report-type=delivery-status), which
  every current MTA sends (Postfix, Exim, Exchange and Outlook.com, Gmail);
- RFC 5965 feedback reports (ARF), which Yahoo, AOL and others send for "this is spam" clicks;
- older bounces written as plain text (qmail, old Exim, sendmail), read with a narrow pattern: an
  address alone on its line followed by an SMTP reply code; anything less is ignored, not guessed;
- requests sent to the List-Unsubscribe mailto address.

Everything else (out-of-office replies, read receipts, stray mail) is ignored with a reason, so
the operator can see why a message was skipped.
"""

from __future__ import annotations

import base64
import binascii
import email
import email.policy
import errno
import hashlib
import mailbox
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesHeaderParser
from email.utils import collapse_rfc2231_value, getaddresses
from pathlib import Path

BOUNCE = "bounce"
SOFT_BOUNCE = "soft_bounce"
COMPLAINT = "complaint"
UNSUBSCRIBE = "unsubscribe"

MAX_DIAGNOSTIC = 300

# RFC 5965 types that mean "the recipient does not want this"; not-spam and auth-failure
# (RFC 6591) do not.
COMPLAINT_TYPES = frozenset({"abuse", "fraud", "virus", "other"})

_STATUS_TYPES = ("message/delivery-status", "message/global-delivery-status")
_RETURNED_TYPES = (
    "message/rfc822",
    "message/global",
    "text/rfc822-headers",
    "message/global-headers",
)
_NO_FAILURE_ACTIONS = frozenset({"delivered", "relayed", "expanded"})

# RFC 3463 enhanced status code: class.subject.detail, e.g. 5.1.1 or Exchange's 5.1.10.
_ENHANCED = re.compile(r"(?<![\d.])([245])\.\d{1,3}\.\d{1,3}(?![\d.])")
# An SMTP reply as it is quoted in diagnostics: "550 5.1.1 ..." or "550-5.1.1 ...", or a bare
# "550 User unknown". The enhanced code counts only right after the reply code (RFC 2034).
_SMTP_REPLY = re.compile(r"(?<![\w.])([45])\d\d(?![\d.])(?:[ -]([45]\.\d{1,3}\.\d{1,3})(?![\d.]))?")
# In a plain-text bounce the reply must open a line or follow a colon ("host x said: 550 ...",
# "Remote host said: 550 ..."), so that numbers inside prose are not taken for codes.
_PLAIN_REPLY = re.compile(
    r"(?:^[ \t]*|:[ \t]*)([45])\d\d(?![\d.])(?:[ -]([45]\.\d{1,3}\.\d{1,3})(?![\d.]))?",
    re.MULTILINE,
)
# qmail writes its own verdicts as "Sorry, no mailbox here by that name. (#5.1.1)".
_QMAIL_CODE = re.compile(r"\(#([45]\.\d{1,3}\.\d{1,3})\)")
# A line naming a failed recipient: the address alone ("  user@host" in Exim, "<user@host>:" in
# qmail, "<user@host>" in sendmail), or "<user@host>:" / "<user@host>..." before the reason.
_ADDRESS_LINE = re.compile(
    r"^[ \t]*(?:<([^\s<>@]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,})>(?::|\.\.\.|[ \t]*$)"
    r"|([^\s<>@:]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}):?[ \t]*$)",
    re.MULTILINE,
)
# Where a plain-text bounce stops talking about the failure and quotes our message.
_COPY_MARKER = re.compile(
    r"^[ \t]*-{2,}.*?(?:copy of|original message|message header|message follows|headers follow)"
    r"|^(?:return-path|received):",
    re.IGNORECASE | re.MULTILINE,
)
_INLINE_MESSAGE_ID = re.compile(r"^message-id:[ \t]*(<[^<>\s]+>)", re.IGNORECASE | re.MULTILINE)
_ANGLED_ID = re.compile(r"<[^<>\s]+>")
_DIAGNOSTIC_TYPE = re.compile(r"^\s*[A-Za-z][A-Za-z0-9-]*\s*;\s*")
_TOKEN = re.compile(r"(?i)\bunsubscribe-([A-Za-z0-9._-]+)")

_DAEMON_LOCAL_PARTS = frozenset(
    {"mailer-daemon", "mailer_daemon", "mailerdaemon", "mail-daemon", "postmaster", "mdaemon"}
)
_DAEMON_NAME = re.compile(r"mail delivery (?:sub)?system", re.IGNORECASE)
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|delivery status notification|mail delivery failed|failure notice"
    r"|returned mail|delivery failure|non-?delivery|could not be delivered|delivery has failed"
    r"|退信|投递失败|未送达|无法投递|无法送达",
    re.IGNORECASE,
)
_AUTO_REPLY_SUBJECT = re.compile(
    r"out of (?:the )?office|\bauto(?:matic)?[ -]?(?:reply|response|antwort)\b|autoreply"
    r"|away from (?:the )?office|automatische antwort|abwesenheit|réponse automatique"
    r"|respuesta automática|自动回复|自动答复|自動回覆|自動回信|自動応答|不在办公室",
    re.IGNORECASE,
)
_AUTO_REPLY_FLAGS = ("X-Autoreply", "X-Autorespond", "X-Autogenerated")
_RECIPIENT_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To")


@dataclass(frozen=True)
class MailEvent:
    """One thing a returned message says about one subscriber address."""

    kind: str  # BOUNCE, SOFT_BOUNCE, COMPLAINT or UNSUBSCRIBE
    address: str  # the subscriber's address, lower-cased
    status: str = ""  # enhanced status code, e.g. "5.1.1"
    diagnostic: str = ""  # the remote server's words or a short reason, one line
    message_id: str = ""  # our original message's Message-ID, angle brackets included
    token: str = ""  # the signed unsubscribe token a request carried


@dataclass(frozen=True)
class Reading:
    """What one message gave: events, or the reason there were none."""

    name: str  # file name or maildir key, for messages to the operator
    events: list[MailEvent]
    ignored: str = ""  # why nothing was taken from a readable message
    error: str = ""  # why the message could not be read at all
    digest: str = ""  # sha256 of the message's bytes: the same report read twice is one report
    # Where the report was delivered (To, Delivered-To, X-Original-To, Envelope-To) and the
    # envelope sender of the message it returns (its Return-Path): where a per-delivery return
    # path shows which of our messages the report is about (mail/verp.py).
    addressed_to: tuple[str, ...] = ()


def read_message(raw: bytes, name: str, unsubscribe_address: str = "") -> Reading:
    """Read one message. Never raises: returned mail is written by any software on the
    internet, and one bad message must not stop the others from being read."""
    reading = _read_bytes(raw, name, _bare_address(unsubscribe_address))
    return replace(reading, digest=hashlib.sha256(raw).hexdigest())


def _read_bytes(raw: bytes, name: str, unsubscribe_address: str) -> Reading:
    if not raw.strip():
        return Reading(name, [], error="empty message")
    try:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        if not message.keys():
            # The parser accepts anything; a "message" without a single header field is
            # binary or truncated data, not mail.
            return Reading(name, [], error="not a mail message: no header fields")
        reading = _read(message, name, unsubscribe_address)
        return replace(reading, addressed_to=tuple(_addressed_to(message)))
    except Exception as exc:  # the email package's header parsers can fail on hostile input
        return Reading(name, [], error=f"could not parse: {type(exc).__name__}: {exc}"[:300])


def read_path(path: Path, unsubscribe_address: str = "") -> Iterator[Reading]:
    """A maildir folder (new/ and cur/), a folder of .eml files, or one .eml file.

    Checks the path before returning, so a mistyped path fails at the call, not at the first
    iteration. A message that cannot be read gives a Reading with `error`; the rest go on."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(
            errno.ENOENT, "no maildir, folder of .eml files or message file at", str(path)
        )
    if path.is_file():
        return iter([_read_file(path, unsubscribe_address)])
    if (path / "new").is_dir() and (path / "cur").is_dir():
        return _read_maildir(path, unsubscribe_address)
    files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() == ".eml")
    return (_read_file(p, unsubscribe_address) for p in files)


def _read_file(path: Path, unsubscribe_address: str) -> Reading:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return Reading(path.name, [], error=f"could not read the file: {exc.strerror or exc}")
    return read_message(raw, path.name, unsubscribe_address)


def _read_maildir(path: Path, unsubscribe_address: str) -> Iterator[Reading]:
    """Messages in key order, so runs over the same folder report in the same order. A message
    another program moves or deletes meanwhile is reported, not fatal."""
    box = mailbox.Maildir(path, factory=None, create=False)
    for key in sorted(box.keys()):
        try:
            raw = box.get_bytes(key)
        except (OSError, KeyError) as exc:
            yield Reading(key, [], error=f"could not read the message: {exc}")
            continue
        yield read_message(raw, key, unsubscribe_address)


def _read(message: Message, name: str, unsubscribe_address: str) -> Reading:
    """Reports first: a DSN or ARF report is machine-written and says exactly what happened,
    whoever it was sent to and whatever Auto-Submitted says (bounces carry auto-replied)."""
    parts = list(_parts(message))
    report_type = ""
    if message.get_content_type() == "multipart/report":
        report_type = _param(message, "report-type").lower()
    types = {part.get_content_type() for part in parts}
    if "message/feedback-report" in types or report_type == "feedback-report":
        return _read_feedback(parts, name)
    if types.intersection(_STATUS_TYPES) or report_type == "delivery-status":
        return _read_delivery_status(parts, name)
    if report_type == "disposition-notification":
        return Reading(name, [], ignored="read receipt")
    if report_type:
        return Reading(name, [], ignored=f"report of another kind ({report_type})")

    looks_like_bounce = _from_daemon(message) or bool(
        _BOUNCE_SUBJECT.search(_header(message, "Subject"))
    )
    if looks_like_bounce:
        events = _read_plain_bounce(message, parts)
        if events:
            return Reading(name, events)
    if (
        unsubscribe_address
        and unsubscribe_address in _addresses(_headers(message, *_RECIPIENT_HEADERS))
        and not _from_daemon(message)
        and not _auto_reply(message, generated_counts=False)
    ):
        return _read_unsubscribe(message, parts, name)
    if looks_like_bounce:
        return Reading(name, [], ignored="bounce without a recognisable recipient and status code")
    if _auto_reply(message, generated_counts=True):
        return Reading(name, [], ignored="auto-reply")
    return Reading(name, [], ignored="not a delivery report")


# Delivery status notifications (RFC 3464)


def _read_delivery_status(parts: list[Message], name: str) -> Reading:
    status_part = next((p for p in parts if p.get_content_type() in _STATUS_TYPES), None)
    if status_part is None:
        return Reading(name, [], ignored="delivery report without a delivery-status part")
    groups = _field_groups(status_part)
    recipients = [g for g in groups if "final-recipient" in g or "original-recipient" in g]
    if not recipients:
        return Reading(name, [], ignored="delivery report without recipient fields")
    message_id = _returned_message_id(parts)
    if not message_id:
        # Gmail names our message among the per-message fields.
        original = [g["x-original-message-id"] for g in groups if "x-original-message-id" in g]
        message_id = _message_id(original[0]) if original else ""
    events = []
    for fields in recipients:
        event = _recipient_event(fields, message_id)
        if event is not None:
            events.append(event)
    if events:
        return Reading(name, events)
    actions = sorted({_first_word(g.get("action", "")) or "no action" for g in recipients})
    return Reading(name, [], ignored=f"delivery report without failures ({', '.join(actions)})")


def _recipient_event(fields: dict[str, str], message_id: str) -> MailEvent | None:
    """One recipient block: failed 5.x.x is permanent; delayed, or failed with 4.x.x (a sender
    that gave up retrying a temporary problem), is not. Success actions give nothing."""
    action = _first_word(fields.get("action", ""))
    diagnostic = _DIAGNOSTIC_TYPE.sub("", fields.get("diagnostic-code", ""), count=1)
    status = _status(fields.get("status", "")) or _status_from_diagnostic(diagnostic)
    if action in _NO_FAILURE_ACTIONS:
        return None
    if action == "delayed":
        kind = SOFT_BOUNCE
    elif action == "failed" or (not action and status[:1] in ("4", "5")):
        # A report without Action is judged by its status alone.
        kind = SOFT_BOUNCE if status.startswith("4") else BOUNCE
    else:
        return None
    address = _recipient_address(fields)
    if not address:
        return None
    if not diagnostic:
        diagnostic = f"action {action or 'missing'}" + (f", status {status}" if status else "")
    return MailEvent(kind, address, status, _one_line(diagnostic), message_id)


def _recipient_address(fields: dict[str, str]) -> str:
    """Original-Recipient is the address we sent to; Final-Recipient may be where a forward or
    alias led, which is not in our list. Both read "rfc822; user@host"."""
    for key in ("original-recipient", "final-recipient"):
        kind, sep, value = fields.get(key, "").partition(";")
        if not sep:
            kind, value = "rfc822", kind
        if kind.strip().lower() not in ("rfc822", "utf-8"):
            continue
        address = value.strip().strip("<>").strip().lower()
        if "@" in address and " " not in address:
            return address
    return ""


def _status(text: str) -> str:
    match = _ENHANCED.search(text)
    return match.group(0) if match else ""


def _status_from_diagnostic(diagnostic: str) -> str:
    """For reports without Status: the enhanced code that follows the SMTP reply code, else the
    reply's class with no detail (550 gives 5.0.0)."""
    match = _SMTP_REPLY.search(diagnostic)
    if not match:
        return ""
    return match.group(2) or f"{match.group(1)}.0.0"


def _field_groups(part: Message) -> list[dict[str, str]]:
    """The report's field blocks as dicts of lower-cased names, in order.

    The email package parses message/delivery-status into one sub-message per block. Blocks
    run together when a separating line is not quite blank, so a field name seen twice also
    starts a new group, which keeps two recipients apart."""
    groups: list[dict[str, str]] = []
    for block in _field_blocks(part):
        current: dict[str, str] = {}
        for key, value in block:
            if key in current:
                groups.append(current)
                current = {}
            current[key] = value
        if current:
            groups.append(current)
    return groups


def _field_blocks(part: Message) -> Iterator[list[tuple[str, str]]]:
    payload = part.get_payload()
    if not isinstance(payload, list):
        # Sent as plain text or in a transfer encoding the parser did not look through.
        yield from _text_blocks(_text(part))
        return
    if str(part.get("Content-Transfer-Encoding", "")).strip().lower() == "base64":
        # The parser reads the fields without decoding: base64 lines, having no colon, end up
        # as the body of one empty block. Decode them and read the fields from the text.
        encoded = "".join(_rest(block) for block in payload if isinstance(block, Message))
        yield from _text_blocks(_base64_text(encoded))
        return
    for block in payload:
        if not isinstance(block, Message):
            continue
        yield [(str(key).lower(), _squash(str(value))) for key, value in block.items()]
        # message/global-delivery-status and message/feedback-report are parsed like an
        # attached message: the first block becomes its header, the others its body.
        yield from _text_blocks(_rest(block))


def _rest(block: Message) -> str:
    body = block.get_payload()
    return body if isinstance(body, str) else ""


def _base64_text(encoded: str) -> str:
    try:
        return base64.b64decode(encoded).decode("utf-8", errors="replace")
    except (binascii.Error, ValueError):
        return ""


def _text_blocks(text: str) -> Iterator[list[tuple[str, str]]]:
    """Field blocks from text: blank lines separate blocks, indented lines continue a field."""
    for chunk in re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n")):
        fields: list[tuple[str, str]] = []
        for line in chunk.split("\n"):
            if line[:1] in (" ", "\t") and fields:
                key, value = fields[-1]
                fields[-1] = (key, f"{value} {line.strip()}")
            elif ":" in line:
                key, _, value = line.partition(":")
                fields.append((key.strip().lower(), value.strip()))
        if fields:
            yield [(key, _squash(value)) for key, value in fields]


# Feedback reports (RFC 5965)


def _read_feedback(parts: list[Message], name: str) -> Reading:
    """A complaint names the recipient in Original-Rcpt-To, or only in the To of the returned
    message; Yahoo and AOL may remove both, so our Message-ID, which identifies the delivery,
    is kept whenever the report returns it."""
    part = next((p for p in parts if p.get_content_type() == "message/feedback-report"), None)
    if part is None:
        return Reading(name, [], ignored="feedback report without a feedback-report part")
    fields = [field for block in _field_blocks(part) for field in block]
    feedback_type = _first_word(next((v for k, v in fields if k == "feedback-type"), ""))
    if feedback_type not in COMPLAINT_TYPES:
        return Reading(name, [], ignored=f"feedback report: {feedback_type or 'no type'}")
    returned = _returned_headers(parts)
    message_id = _message_id(_header(returned, "Message-ID")) if returned is not None else ""
    addresses = _addresses(v for k, v in fields if k == "original-rcpt-to")
    if not addresses and returned is not None:
        addresses = _addresses(_headers(returned, "To"))
    if not addresses and not message_id:
        return Reading(name, [], ignored="complaint naming neither a recipient nor a message")
    agent = next((v for k, v in fields if k == "user-agent"), "")
    diagnostic = _one_line(f"feedback report: {feedback_type}" + (f" ({agent})" if agent else ""))
    return Reading(
        name,
        [
            MailEvent(COMPLAINT, address, "", diagnostic, message_id)
            for address in addresses or [""]
        ],
    )


# Plain-text bounces


def _read_plain_bounce(message: Message, parts: list[Message]) -> list[MailEvent]:
    """Bounces without a report part. Taken only when an address stands alone on its line (or
    in brackets before the reason) and an SMTP reply code or qmail code follows it; the text
    after the marker that introduces the copy of our message is never searched for addresses,
    since it holds our own headers."""
    text_part = next((p for p in parts if p.get_content_type() == "text/plain"), None)
    if text_part is None:
        return []
    text = _text(text_part).replace("\r\n", "\n")
    marker = _COPY_MARKER.search(text)
    failure, copy = (text[: marker.start()], text[marker.start() :]) if marker else (text, "")
    blocks = _address_blocks(failure)
    if not blocks:
        failed = _addresses(_headers(message, "X-Failed-Recipients"))
        if len(failed) == 1:  # one address: the whole text is about it
            blocks = {failed[0]: failure}
    message_id = _returned_message_id(parts)
    if not message_id:
        found = _INLINE_MESSAGE_ID.search(copy)
        message_id = found.group(1) if found else ""
    events = []
    for address, block in blocks.items():
        reply = _PLAIN_REPLY.search(block)
        qmail = _QMAIL_CODE.search(block)
        if reply:
            status = reply.group(2) or (qmail.group(1) if qmail else f"{reply.group(1)}.0.0")
        elif qmail:
            status = qmail.group(1)
        else:
            continue
        kind = SOFT_BOUNCE if status.startswith("4") else BOUNCE
        events.append(MailEvent(kind, address, status, _one_line(block), message_id))
    return events


def _address_blocks(text: str) -> dict[str, str]:
    """Each failed address with the text that follows it, up to the next address line; an
    address listed twice gets both texts."""
    matches = list(_ADDRESS_LINE.finditer(text))
    blocks: dict[str, str] = {}
    for i, match in enumerate(matches):
        address = (match.group(1) or match.group(2)).lower()
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        reason = text[match.end() : end]
        blocks[address] = f"{blocks.get(address, '')} {reason}".strip()
    return blocks


def _from_daemon(message: Message) -> bool:
    sender = _header(message, "From")
    local_parts = {address.split("@", 1)[0] for address in _addresses([sender])}
    return bool(local_parts & _DAEMON_LOCAL_PARTS) or bool(_DAEMON_NAME.search(sender))


# Unsubscribe requests and auto-replies


def _read_unsubscribe(message: Message, parts: list[Message], name: str) -> Reading:
    senders = _addresses(_headers(message, "From"))
    if not senders:
        return Reading(name, [], ignored="unsubscribe request without a From address")
    token = _token(_header(message, "Subject"))
    if not token:
        text_part = next((p for p in parts if p.get_content_type() == "text/plain"), None)
        if text_part is not None:
            first = next((line for line in _text(text_part).splitlines() if line.strip()), "")
            token = _token(first)
    return Reading(name, [MailEvent(UNSUBSCRIBE, senders[0], token=token)])


def _token(text: str) -> str:
    """itsdangerous tokens are base64url pieces joined by dots, so a sentence's final dot is
    never part of one."""
    match = _TOKEN.search(text)
    return match.group(1).rstrip(".") if match else ""


def _auto_reply(message: Message, generated_counts: bool) -> bool:
    """RFC 3834 Auto-Submitted, the older vendor flags, or a subject an autoresponder writes.

    A request to the unsubscribe address may itself be machine-made (a mail client acting on
    the List-Unsubscribe header), so there only a true reply (auto-replied, not
    auto-generated) disqualifies it."""
    submitted = _first_word(_header(message, "Auto-Submitted"))
    if submitted == "auto-replied" or (generated_counts and submitted not in ("", "no")):
        return True
    if any(_header(message, flag) for flag in _AUTO_REPLY_FLAGS):
        return True
    if _header(message, "Precedence").strip().lower() == "auto_reply":
        return True
    return bool(_AUTO_REPLY_SUBJECT.search(_header(message, "Subject")))


# The returned copy of our message


def _returned_headers(parts: list[Message]) -> Message | None:
    """The headers of our message as the report returns them: a whole message/rfc822 part or
    only its headers in text/rfc822-headers."""
    for part in parts:
        if part.get_content_type() not in _RETURNED_TYPES:
            continue
        payload = part.get_payload()
        if isinstance(payload, list):
            if payload and isinstance(payload[0], Message):
                return payload[0]
            continue
        data = part.get_payload(decode=True)
        if isinstance(data, bytes) and data.strip():
            return BytesHeaderParser(policy=email.policy.default).parsebytes(data)
    return None


def _addressed_to(message: Message) -> list[str]:
    found = _addresses(_headers(message, *_RECIPIENT_HEADERS))
    returned = _returned_headers(list(_parts(message)))
    if returned is not None:
        found += [a for a in _addresses(_headers(returned, "Return-Path")) if a not in found]
    return found


def _returned_message_id(parts: list[Message]) -> str:
    returned = _returned_headers(parts)
    return _message_id(_header(returned, "Message-ID")) if returned is not None else ""


def _message_id(value: str) -> str:
    match = _ANGLED_ID.search(value)
    if match:
        return match.group(0)
    value = value.strip()
    return f"<{value}>" if "@" in value and not any(c.isspace() for c in value) else ""


# Small readers


def _parts(message: Message) -> Iterator[Message]:
    """The message and its parts, depth first, without entering attached messages: a report's
    returned message is ours and must not be read as a report itself."""
    yield message
    if message.get_content_maintype() != "multipart":
        return
    payload = message.get_payload()
    if isinstance(payload, list):
        for part in payload:
            if isinstance(part, Message):
                yield from _parts(part)


def _text(part: Message) -> str:
    """A text part decoded, tolerating wrong or unknown charsets."""
    try:
        data = part.get_payload(decode=True)
    except Exception:  # a broken transfer encoding
        return ""
    if not isinstance(data, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return data.decode(charset, errors="replace")
    except LookupError:
        return data.decode("utf-8", errors="replace")


def _headers(message: Message, *names: str) -> list[str]:
    """Every value of the named headers, RFC 2047 decoded.

    The default policy parses a header when it is read and fails on some malformed ones; such
    a value is then decoded from its raw form rather than dropped."""
    values: list[str] = []
    for name in names:
        try:
            values.extend(str(value) for value in message.get_all(name, []))
        except Exception:
            raw = [v for k, v in message.raw_items() if k.lower() == name.lower()]
            values.extend(_decode_raw(str(value)) for value in raw)
    return values


def _header(message: Message, name: str) -> str:
    values = _headers(message, name)
    return values[0] if values else ""


def _decode_raw(value: str) -> str:
    try:
        return str(make_header(decode_header(value)))
    except Exception:
        return value


def _param(message: Message, name: str) -> str:
    value = message.get_param(name)
    if value is None:
        return ""
    return collapse_rfc2231_value(value) if isinstance(value, tuple) else str(value)


def _addresses(values: Iterable[str]) -> list[str]:
    """Lower-cased addresses from header values, display names and comments dropped, each
    once, in order."""
    found: list[str] = []
    for _, address in getaddresses(list(values)):
        address = address.strip().lower()
        if "@" in address and address not in found:
            found.append(address)
    return found


def _bare_address(value: str) -> str:
    """The unsubscribe address as configured: plain, or as the mailto URL of List-Unsubscribe."""
    value = value.strip().lower()
    if value.startswith("mailto:"):
        value = value[len("mailto:") :].split("?", 1)[0]
    return value


def _first_word(value: str) -> str:
    words = value.strip().lower().split()
    return words[0].rstrip(";") if words else ""


def _squash(text: str) -> str:
    return " ".join(text.split())


def _one_line(text: str) -> str:
    text = _squash(text)
    return text if len(text) <= MAX_DIAGNOSTIC else text[: MAX_DIAGNOSTIC - 1] + "…"
