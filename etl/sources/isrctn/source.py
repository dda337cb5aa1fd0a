"""ISRCTN adapter: `lookup` fetches one trial by number, `parse` reads saved API answers.

[sources.isrctn]
base_url = "https://www.isrctn.com/api/"
requests_per_second = 1.0
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import httpx

from etl.http import BadBody, request, shared_limiter
from etl.records import Quarantined, SourceRecord
from etl.settings import IsrctnSettings, Settings
from etl.sources.base import Adapter
from etl.sources.isrctn.parse import parse_isrctn


class IsrctnSource(Adapter):
    name: ClassVar[str] = "isrctn"
    crawls: ClassVar[bool] = False
    config: IsrctnSettings | None
    settings: Settings

    @staticmethod
    def parse(
        source: str | Path | bytes, keep_raw: bool = True
    ) -> Iterator[SourceRecord | Quarantined]:
        return parse_isrctn(source)

    lookup_schemes: ClassVar[tuple[str, ...]] = ("isrctn",)
    own_schemes: ClassVar[tuple[str, ...]] = ("isrctn",)

    def lookup(
        self, http: httpx.Client, scheme: str, value: str
    ) -> list[SourceRecord | Quarantined]:
        """One trial through `/trial/<number>/format/default`: a 404 is "no such trial", an
        answer, while any other failure is the request's and raises."""
        if scheme != "isrctn" or self.config is None:
            raise NotImplementedError(f"isrctn cannot look up one record by {scheme}")
        number = value.upper().removeprefix("ISRCTN")
        body = request(
            http, "GET", f"{self.config.base_url}trial/{number}/format/default", _check_trial,
            what=f"isrctn: trial {value}", answers=(404,), policy=self.policy(),
            limiter=shared_limiter("isrctn", self.config.requests_per_second),
            setting="[sources.isrctn] base_url in config/sources.toml",
        )  # fmt: skip
        return list(parse_isrctn(body, location=f"isrctn {value}")) if body else []


def _check_trial(response: httpx.Response) -> bytes:
    """A trial is XML; an HTML page in its place (a portal's error page) is retried, not read."""
    if response.status_code == 404:
        return b""
    head = response.content.lstrip()[:200].lower()
    if not head.startswith(b"<") or b"<html" in head or b"<!doctype html" in head:
        raise BadBody(f"not an ISRCTN XML answer (starts {response.content[:60]!r})")
    return response.content
