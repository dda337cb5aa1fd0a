"""The evidence map's chart in an issue: one PNG chart (`digest.evidence_chart`), linked to the
map, under the items. Mail clients show no SVG, so it is the PNG the site serves for mail
(etl/evidence/raster.py).

An image in a mail is fetched from the public site when the mail is opened, so the chart is
there only when the archive's address is one a reader's client can fetch over https: not the
shipped example address, not a test or local name. It is also left out while the map is empty.

Its address carries the version of what it shows (`?v=`, a hash of the chart's counts and
words): the next issue's chart has a new address, so no mail client or image proxy shows a new
issue with a chart it kept from an old one, and an issue's address answers with the same bytes
for as long as the counts stay the same (the site lets caches keep it for a year while they do).
The site draws the chart from the map as it is now: a mail opened after the counts changed shows
the newer chart (the alt text keeps the issue's numbers), unless the reader's client or its
image proxy still has the issue's own.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from etl.digest import i18n
from etl.evidence.charts import describe, version
from etl.evidence.raster import drawn_lang, shown_size
from etl.evidence.service import EvidenceMap, png_path
from etl.settings import Settings

# Names that never serve a public site (RFC 2606 and RFC 6761): an image there cannot load.
RESERVED = ("example", "test", "invalid", "localhost", "local")
RESERVED_DOMAINS = ("example.org", "example.com", "example.net")


@dataclass(frozen=True)
class IssueChart:
    """The chart as an edition shows it; `src` and `href` once placed at a site's address."""

    image: str  # its path in the site, with its version
    alt: str  # every number, for readers whose client shows no image
    caption: str
    text: str  # the plain-text part's line, before the map's address
    width: int  # CSS pixels
    height: int
    src: str = ""
    href: str = ""

    def at(self, base_url: str, lang: str) -> IssueChart:
        page = "evidence/" if lang == "zh" else "evidence/en/"
        return replace(self, src=base_url + self.image, href=base_url + page)


def fetchable(base_url: str) -> bool:
    """Whether a mail client can fetch an image from this address: https and a public name."""
    parts = urlsplit(base_url)
    host = (parts.hostname or "").rstrip(".").lower()
    if parts.scheme != "https" or "." not in host:
        return False
    try:
        return ipaddress.ip_address(host).is_global
    except ValueError:
        pass  # a name
    reserved = host.rsplit(".", 1)[-1] in RESERVED
    return not reserved and not any(host == d or host.endswith("." + d) for d in RESERVED_DOMAINS)


def issue_charts(
    settings: Settings, evidence_map: Callable[[], EvidenceMap]
) -> dict[str, IssueChart]:
    """The chart of each edition (by language), or none at all: when it is turned off, when the
    site's address is not fetchable (the map is not read then), or while the map is empty."""
    name = settings.digest.evidence_chart
    if not name or not fetchable(settings.archive.base_url):
        return {}
    evidence = evidence_map()
    found = {}
    for lang in i18n.LANGS:
        shown = evidence.chart(name, lang)
        if not shown.categories:
            return {}
        drawn = shown if drawn_lang(lang) == lang else evidence.chart(name, drawn_lang(lang))
        width, height = shown_size(drawn)
        words = {"title": shown.title, "n": len(evidence.rows())}
        found[lang] = IssueChart(
            image=f"{png_path(name, drawn_lang(lang))}?v={version(drawn)}",
            alt=describe(shown, lang),
            caption=i18n.text(lang, "chart_caption", **words),
            text=i18n.text(lang, "chart_text", **words),
            width=width,
            height=height,
        )
    return found
