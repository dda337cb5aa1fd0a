"""Per-delivery return paths (VERP): each message goes out with an envelope sender of its own,
`bounces+d<delivery>-<signature>@domain`, signed with SECRET_KEY. Returned mail is addressed to
that envelope sender, so a report that arrives there names the delivery it is about, and nobody
without the key can write one that names another reader's delivery.

Message-IDs are keyed the same way (`message_id`): a report that quotes ours names its delivery
too, and nobody can work a reader's Message-ID out from their address.
"""

from __future__ import annotations

import hashlib
import hmac
import re

_TAG = re.compile(r"\+d(\d{1,18})-([0-9a-f]{16})@", re.IGNORECASE)


def _signature(key: str, text: str) -> str:
    return hmac.new(key.encode(), text.encode(), hashlib.sha256).hexdigest()


def return_path(envelope_from: str, key: str, delivery_id: int) -> str:
    """The envelope sender for one delivery, from the configured one."""
    local, domain = envelope_from.rsplit("@", 1)
    local = local.split("+", 1)[0]
    tag = _signature(key, f"return-path:{delivery_id}")[:16]
    return f"{local}+d{delivery_id}-{tag}@{domain}"


def delivery_of(key: str, address: str) -> int | None:
    """The delivery a return path names, when its signature holds; None otherwise."""
    found = _TAG.search(address)
    if found is None or not key:
        return None
    delivery_id = int(found.group(1))
    expected = _signature(key, f"return-path:{delivery_id}")[:16]
    return delivery_id if hmac.compare_digest(expected, found.group(2).lower()) else None


def message_tag(key: str, slug: str, email: str) -> str:
    """The part of a delivery's Message-ID that only the key can make."""
    return _signature(key, f"message-id:{slug}:{email.lower()}")[:24]
