"""Files other programs read while we write them (the archive, the outbox): each one appears
whole or not at all."""

from __future__ import annotations

from pathlib import Path


def write_atomically(target: Path, data: bytes) -> Path:
    """Write beside the target, then rename over it: a reader never sees half a file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(target.name + ".tmp")
    temporary.write_bytes(data)
    temporary.replace(target)
    return target
