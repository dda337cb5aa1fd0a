"""Source adapters, registered by name in one literal mapping."""

from __future__ import annotations

from etl.errors import ConfigError
from etl.settings import Settings
from etl.sources.base import Source

SOURCE_NAMES = ("pubmed",)


def get_source(name: str, settings: Settings) -> Source:
    """The configured adapter for `name`; a clear error for unknown or unconfigured names."""
    if name not in SOURCE_NAMES:
        raise ConfigError(f"unknown source {name!r}", f"known sources: {', '.join(SOURCE_NAMES)}")
    config = getattr(settings.sources, name, None)
    if name == "pubmed":
        from etl.sources.pubmed.source import PubMedSource

        return PubMedSource(config, settings)
    raise AssertionError(name)  # pragma: no cover - every registered name is handled above


def parser_for(name: str):  # type: ignore[no-untyped-def]
    """The pure file parser of a source, usable without any configuration."""
    if name == "pubmed":
        from etl.sources.pubmed.parse import parse_efetch

        return parse_efetch
    raise ConfigError(f"unknown source {name!r}", f"known sources: {', '.join(SOURCE_NAMES)}")
