"""States are defined once (etl/db/states.py): the distinctive ones are never spelt out as
strings anywhere else in the code, and the digest knows what to make of every kind of event."""

from __future__ import annotations

import ast
from pathlib import Path

from etl.db.states import DeliveryState, EventKind, IssueState, Verdict
from etl.digest.select import KIND_OF_EVENT

ROOT = Path(__file__).resolve().parents[2]
# Words that mean nothing but a state: anywhere else they would be a second spelling of it.
# (Common words that are also states, "ok", "new", "sent", "failed", are left out.)
STATE_WORDS = {
    IssueState.APPROVED, IssueState.SENDING, DeliveryState.QUEUED, DeliveryState.CLAIMED,
    Verdict.BROKEN, Verdict.FAILING, Verdict.STALE, Verdict.NEVER_RUN,
    *(kind for kind in EventKind if "_" in kind),
}  # fmt: skip


def test_no_module_spells_a_state_it_could_name() -> None:
    spelt = []
    for path in sorted((ROOT / "etl").rglob("*.py")):
        if "migrations" in path.parts or path.name == "states.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and node.value in STATE_WORDS:
                spelt.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value!r}")
    assert not spelt, "use etl.db.states instead of:\n" + "\n".join(spelt)


def test_the_digest_reports_every_kind_of_news_but_a_deletion() -> None:
    assert set(KIND_OF_EVENT) == set(EventKind) - {EventKind.DELETED}

