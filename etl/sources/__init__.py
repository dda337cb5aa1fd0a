"""Source adapters, each registered by name in `registry.py`, the one place a source is listed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from etl.sources.registry import FILE_FORMATS, REGISTRY, SOURCE_NAMES, adapter_class, parser_for

if TYPE_CHECKING:
    from etl.settings import Settings
    from etl.sources.base import Adapter

__all__ = ["FILE_FORMATS", "REGISTRY", "SOURCE_NAMES", "adapter_class", "get_source", "parser_for"]


def get_source(name: str, settings: Settings, crawling: bool = True) -> Adapter:
    """The configured adapter for `name`; a clear error for unknown or unconfigured names.
    `crawling=False` also hands out a source that is not crawled (one looked up by id)."""
    return adapter_class(name, crawling)(getattr(settings.sources, name, None), settings)
