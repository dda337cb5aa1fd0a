"""Documentation that cannot drift: commands in the README, settings in the config files."""

from __future__ import annotations

import re
from typing import get_origin

from pydantic import BaseModel

from etl.settings import FILES, Localized, Settings
from tests.conftest import CONFIG, ROOT
from tests.support.cli import all_commands


def test_every_command_has_help_and_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    commands = all_commands()
    assert len(commands) > 40  # every group and its commands, not just the top level
    for name, command in commands:
        assert (command.help or "").strip(), f"{name} has no help text"
        if not hasattr(command, "commands"):
            assert f"mscwatch {name}" in readme, f"README does not mention `mscwatch {name}`"


def _keys(model: type[BaseModel], prefix: str) -> list[str]:
    keys = []
    for name, field in model.model_fields.items():
        kind = field.annotation
        if get_origin(kind) is list:  # a list of entries is documented by its own key
            keys.append(f"{prefix}{name}")
            continue
        options = getattr(kind, "__args__", (kind,))
        # A text in both languages ({ zh = …, en = … }) is one value, documented by its key.
        nested = [
            k
            for k in options
            if isinstance(k, type) and issubclass(k, BaseModel) and k is not Localized
        ]
        if nested:
            keys.extend(_keys(nested[0], f"{prefix}{name}."))
        else:
            keys.append(f"{prefix}{name}")
    return keys


def test_every_setting_is_written_in_its_config_file() -> None:
    for section, filename in FILES.items():
        text = (CONFIG / filename).read_text()
        model = Settings.model_fields[section].annotation
        for key in _keys(model, f"{section}."):
            leaf = key.rsplit(".", 1)[1]
            assert re.search(rf"^#?\s*{leaf}\s*=", text, re.M) or f"[{key}]" in text, (
                f"{filename} does not document {key}"
            )


def _built_map() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## How it is built", 1)[1]
    return section.split("```", 2)[1]


def test_the_readme_map_names_every_part_of_the_package() -> None:
    """The "How it is built" map is how a reader finds where a record becomes a work: a part
    missing from it (or a part it names that is gone) sends them to the wrong folder."""
    drawn = _built_map()
    package = ROOT / "etl"
    parts = {p.name for p in package.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    parts |= {p.name for p in package.glob("*.py") if not p.name.startswith("__")}
    missing = sorted(
        part for part in parts if not re.search(rf"(^|\s){re.escape(part)}/?(\s|$)", drawn, re.M)
    )
    assert not missing, f"README 'How it is built' does not name: {missing}"
    named = set(re.findall(r"^  (\w+)/", drawn, re.M))
    assert named <= {p for p in parts}, f"README names parts that do not exist: {named - parts}"


def test_the_db_readme_maps_every_table() -> None:
    from etl.db.models import Base

    mapped = set(re.findall(r"^\| `(\w+)` \|", (ROOT / "etl/db/README.md").read_text(), re.M))
    tables = set(Base.metadata.tables)
    assert tables == mapped, f"etl/db/README.md: missing {tables - mapped}, gone {mapped - tables}"


def test_the_record_shape_tables_name_every_key_of_the_record_types() -> None:
    """The README's "Record shape" tables are the record types written out for people: every key
    of every type is named there, and every key a table names is a key of some type."""
    from typing import get_type_hints

    from etl.records import Deletion, FeedItem, Identifiers, Paper, Preprint, Trial

    types = {"Paper": Paper, "Preprint": Preprint, "FeedItem": FeedItem, "Trial": Trial}
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Record shape", 1)[1].split("\n## ", 1)[0]
    named: set[str] = set()
    ids: set[str] = set()
    for row in (line for line in section.splitlines() if line.startswith("| `")):
        first, rest = row.split(" | ", 1)
        cell = rest if first.strip("| `").split("`")[0] in types else first
        named |= set(re.findall(r"`([a-z_]+)`", cell))
        ids |= set(
            re.findall(r"`(?:identifiers\.)?([a-z_]+)`", rest if "identifiers" in row else "")
        )
    keys = {key for kind in (*types.values(), Deletion) for key in get_type_hints(kind)}
    assert not keys - named, f"README 'Record shape' does not name: {sorted(keys - named)}"
    assert not named - keys, f"README 'Record shape' names no record key: {sorted(named - keys)}"
    missing = set(get_type_hints(Identifiers)) - ids
    assert not missing, f"README 'Record shape' does not name identifiers {sorted(missing)}"
