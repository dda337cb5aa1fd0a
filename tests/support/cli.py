"""Every `mscwatch` command with its command object, asked the way the command line asks: the
top level imports a command's module only when asked for it, so its `commands` dict is empty."""

from __future__ import annotations

from typing import Any

import typer

from etl.cli import app


def all_commands() -> list[tuple[str, Any]]:
    def walk(group: Any, prefix: str) -> list[tuple[str, Any]]:
        context = group.context_class(group)
        found = []
        for name in group.list_commands(context):
            command = group.get_command(context, name)
            assert command is not None, name
            found.append((f"{prefix}{name}", command))
            if hasattr(command, "list_commands"):
                found += walk(command, f"{prefix}{name} ")
        return found

    return walk(typer.main.get_command(app), "")
