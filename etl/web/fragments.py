"""What the editor pages read and rendered, kept between requests while it cannot differ.

A review queue page is fifty rows of abstracts, facts, events and forms. Reading them is ~25 ms
of queries at 100,000 works and rendering them ~15 ms, yet between two loads of the queue
usually nothing changed but the decision an editor just made. Two kinds of keeping, each in a
`Recent` (least recently used, per server process):

- a read, under a key that holds a stamp of the database (etl/web/review.py, `_stamp`): a
  changed database gives a new key;
- a row's HTML (`Fragments`), a pure function of its values and the page's few shared ones
  (language, return address), under a digest of exactly those: a changed row gets a new digest.
  The form token is signed afresh on every request, so it is rendered as a placeholder and put
  in when the row is printed.

Nothing is ever invalidated; the oldest entries are dropped.
"""

from __future__ import annotations

import hashlib
import pickle
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from jinja2 import Template
from markupsafe import Markup

from etl.recent import Recent

ROWS_KEPT = 2_000  # a few full pages for each of a few editors and both languages, ~10 MB


class Fragments:
    """Rendered rows by a digest of what they show (one per app)."""

    def __init__(self, kept: int = ROWS_KEPT) -> None:
        self._pieces = Recent(kept)
        self._hole = f"hole-{uuid.uuid4().hex}-"  # no record's text holds it
        self.rendered = 0  # how many rows were rendered rather than reused (tests read it)

    def printer(
        self,
        template: Template,
        shared: Mapping[str, Any],
        late: Mapping[str, str],
        **helpers: Any,
    ) -> Callable[[Mapping[str, Any]], Markup]:
        """`print(values)` renders `template` with `values` as `row` plus `shared`, or reuses
        what it rendered for the same values. `late` values (already safe HTML text) differ
        from request to request and are put into the kept piece when printed; `helpers` (the
        words of the page's language) are fixed by `shared` and so not part of the digest."""
        page_key = pickle.dumps(sorted(shared.items()), protocol=pickle.HIGHEST_PROTOCOL)
        holes = {name: f"{self._hole}{name}" for name in late}

        def print_(values: Mapping[str, Any]) -> Markup:
            digest = hashlib.blake2b(page_key, digest_size=16)
            digest.update(pickle.dumps(values, protocol=pickle.HIGHEST_PROTOCOL))
            key = digest.digest()
            html: str | None = self._pieces.get(key)
            if html is None:
                html = template.render(row=values, **shared, **holes, **helpers)
                self._pieces.put(key, html)
                self.rendered += 1
            for name, hole in holes.items():
                html = html.replace(hole, late[name])
            return Markup(html)

        return print_
