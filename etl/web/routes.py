"""Routes collected where they are written and added to a blueprint only when the app is built.

The editor pages live in three modules (editor.py, review.py, drafts.py) under one blueprint and
one set of endpoint names (`editor.queue`). Decorating a shared blueprint at import would make
importing a module a way of adding pages; instead each module keeps a `Routes` list, and
`editor.blueprint()` adds them explicitly, once per app.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint

View = Callable[..., Any]


class Routes:
    """The decorators of a Flask blueprint (`get`, `post`, `route`, `before_request`,
    `errorhandler`), recording instead of registering."""

    def __init__(self) -> None:
        self._adds: list[Callable[[Blueprint], None]] = []

    def route(self, rule: str, **options: Any) -> Callable[[View], View]:
        def record(view: View) -> View:
            self._adds.append(lambda bp: bp.add_url_rule(rule, view_func=view, **options))
            return view

        return record

    def get(self, rule: str, **options: Any) -> Callable[[View], View]:
        return self.route(rule, methods=["GET"], **options)

    def post(self, rule: str, **options: Any) -> Callable[[View], View]:
        return self.route(rule, methods=["POST"], **options)

    def before_request(self, hook: View) -> View:
        def add(blueprint: Blueprint) -> None:
            blueprint.before_request(hook)

        self._adds.append(add)
        return hook

    def errorhandler(self, error: type[Exception] | int) -> Callable[[View], View]:
        def record(handler: View) -> View:
            self._adds.append(lambda bp: bp.register_error_handler(error, handler))
            return handler

        return record

    def add_to(self, blueprint: Blueprint) -> None:
        for add in self._adds:
            add(blueprint)
