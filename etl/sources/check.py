"""Ask each source's configured query once, for an operator testing a query before it goes live.

The same adapters, client, limiters and retries as a crawl, but no database, no cursor and no
progress display: each source's `check` (see `etl/sources/base.py`) answers with a plain
`CheckResult`, and a source that fails becomes a failed result so the others are still asked.
"""

from __future__ import annotations

from datetime import datetime

import httpx

from etl.errors import ConfigError, SourceError
from etl.http import build_client
from etl.settings import Settings
from etl.sources import get_source
from etl.sources.base import CheckContext, CheckResult, Source


def check_names(settings: Settings, name: str | None) -> list[str]:
    """The enabled sources, or the one named even when it is disabled: testing a query is
    what an operator does before enabling its source."""
    if name:
        return [name]
    enabled = settings.source_names()
    if not enabled:
        raise ConfigError(
            f"{settings.config_dir / 'sources.toml'}: no source is enabled",
            "name one to check it anyway: mscwatch sources check NAME",
        )
    return enabled


def check_sources(
    settings: Settings,
    names: list[str],
    now: datetime,
    show: int = 5,
    transport: httpx.BaseTransport | None = None,
) -> list[CheckResult]:
    """One result per source, in the order given. Every name is resolved before the first
    request, so a misspelt name fails at once instead of after the slow sources."""
    sources = [get_source(name, settings) for name in names]
    with build_client(settings.http, transport) as http:
        ctx = CheckContext(http, now, show)
        return [_check(source, ctx) for source in sources]


def _check(source: Source, ctx: CheckContext) -> CheckResult:
    try:
        return source.check(ctx)
    except SourceError as exc:  # the service was unreachable or answered nonsense
        return CheckResult.failure(source.name, exc)
