"""The embedded default transport: each message is written as an `.eml` file to a folder, where
a person or a mail client can open it. The file appears whole or not at all."""

from __future__ import annotations

import re
from email.message import EmailMessage
from pathlib import Path

from etl.files import write_atomically

_UNSAFE = re.compile(r"[^A-Za-z0-9._@-]+")


def write_eml(folder: Path, name: str, message: EmailMessage | bytes) -> Path:
    data = message if isinstance(message, bytes) else message.as_bytes()
    return write_atomically(folder / (_UNSAFE.sub("_", name) + ".eml"), data)
