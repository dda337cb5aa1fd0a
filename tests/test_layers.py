"""The layout shows the pipeline only while no lower layer reaches up into a higher one: a store
that imports the dedupe rules, or settings that import the scheduler, ties the bottom of the
pipeline to its top and makes every change there a change everywhere. This reads every module's
imports (also those inside functions, which still tie the packages together) and names each one
that climbs."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "etl"

# Bottom to top. A module may import its own package and anything in a lower layer.
# - `facts` (what a record states: design, patients, outcomes, and the checked texts written from
#   them) is plain functions over a record's text, so the export of works can carry it.
# - `evidence` (one row per clinical study, its filters, CSV and charts) reads works, facts and the
#   classification's labels, so it sits just above `classify`; it sits below `digest` because an
#   issue may embed its chart, and below `web`, which serves the map.
# - `search` (the full-text index of relevant works) sits just below `classify`, which rewrites a
#   work's search document with its labels; it knows only the tables, and the taxonomy's label
#   names come to it as data.
# - `mail` (SMTP transport, messages, signed tokens, delivery rows) sits below `digest` and
#   `subscribers`, which both send through it; it imports neither.
# - `studies` (a public page per study: its timeline across sources, related works, the issues
#   that carried it, citation files) sits just above `digest`: it renders in the archive's frame
#   with the digest's words and citation lines, and the digest links its items to study pages by
#   slug alone (`works/addresses.py`), so it never needs the pages.
# - `articles` (full articles, and the check of their citations and figures) sits right above
#   `pipeline`: a citation the database lacks is fetched through the crawl code
#   (`pipeline/lookup.py`); the web's editor pages and the CLI use it.
LAYERS: list[set[str]] = [
    {"errors", "problems", "clock", "files", "crontab", "recent"},
    {"settings"},
    {"http"},
    {"normalize"},
    {"records"},
    {"facts"},
    {"db"},
    {"sources"},
    {"works"},
    {"search"},
    {"classify"},
    {"evidence"},
    {"writer"},
    {"mail"},
    {"digest"},
    {"studies"},
    {"subscribers"},
    {"editors"},
    {"pipeline"},
    {"articles"},
    {"ops"},
    {"scheduler"},
    {"web"},
    {"replay"},
    {"demo"},
    {"cli", "__main__"},
]
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}


def part_of(module: str) -> str:
    """The top-level part of `etl` a dotted module name belongs to."""
    return module.split(".")[1] if module.count(".") else "__init__"


def imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) for every `etl.*` module the file imports, anywhere in it."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return [(line, name) for line, name in found if name.startswith("etl.")]


def modules() -> list[tuple[Path, str]]:
    return [
        (path, ".".join(path.relative_to(ROOT).with_suffix("").parts))
        for path in sorted(PACKAGE.rglob("*.py"))
    ]


def test_every_part_of_the_package_has_a_layer() -> None:
    parts = {part_of(name) for _, name in modules()} - {"__init__"}
    assert parts <= set(RANK), f"give these a layer in LAYERS: {sorted(parts - set(RANK))}"


def test_no_module_imports_a_higher_layer() -> None:
    climbing = []
    for path, name in modules():
        own = part_of(name)
        if own == "__init__":
            continue
        for line, target in imports(path):
            other = part_of(target)
            if other != own and RANK.get(other, len(LAYERS)) > RANK[own]:
                climbing.append(f"{path.relative_to(ROOT)}:{line}: {own} imports {target}")
    assert not climbing, "lower layers import higher ones:\n" + "\n".join(climbing)


def test_the_lowest_layer_has_no_cycle() -> None:
    """Parts sharing a layer may import each other; they must not do so both ways."""
    edges = {
        (part_of(name), part_of(target))
        for path, name in modules()
        for _, target in imports(path)
        if part_of(name) != part_of(target)
    }
    assert not {(a, b) for a, b in edges if (b, a) in edges}


def test_migrations_import_no_application_code() -> None:
    """A migration must do the same thing whatever the code becomes: it carries what it needs."""
    versions = PACKAGE / "db" / "migrations" / "versions"
    found = [
        f"{path.name}:{line}: {target}"
        for path in sorted(versions.glob("*.py"))
        for line, target in imports(path)
    ]
    assert not found, "migrations importing etl code:\n" + "\n".join(found)
