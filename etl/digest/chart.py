"""The evidence map's chart in an issue: one PNG chart (`digest.evidence_chart`), linked to the
map, under the items. Mail clients show no SVG, so it is the PNG the site serves for mail
(etl/evidence/raster.py).

An image in a mail is fetched from the public site when the mail is opened, so the chart is
there only when the archive's address is one a reader's client can fetch over https: not the
shipped example address, not a test or local name. It is also left out while the map is empty.

An issue shows the chart it was built with: `digest build` keeps the chart's data with the issue
(`kept_charts`, in `digest_issues.charts`; a rebuild of a draft refreshes it, a sent issue is
never rebuilt), and the issue's image, `issues/SLUG/chart.LANG.png`, is drawn from that data by
the same code as the map's. A mail opened weeks later shows the numbers its alt text gives,
whatever the map holds by then. Its address carries the version of what it shows (`?v=`, a
hash of the chart's counts and words), so a draft rebuilt with other numbers has a new address
and no cache shows the old one; at its own version the site lets caches keep it for a year.

An issue built before the data was kept links the map's current chart,
`evidence/charts/NAME.LANG.png?v=`, as it did: the site draws that from the map as it is now, so
a mail opened after the counts changed shows the newer chart (the alt text keeps the issue's
numbers), unless the reader's client or its image proxy still has the issue's own.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from etl.digest import i18n
from etl.evidence.charts import Chart, describe, version
from etl.evidence.raster import draw_png, drawn_lang, shown_size
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


def kept_charts(
    settings: Settings, evidence_map: Callable[[], EvidenceMap]
) -> dict[str, Any] | None:
    """What an issue keeps of the chart when it is built: the chart in every language (the
    English one also draws the Chinese edition's where no Chinese font is installed) and the
    map's count of studies for the caption. None when the setting is off or the map is empty.
    Kept whatever the site's address: whether a mail can load it is decided when it is shown."""
    name = settings.digest.evidence_chart
    if not name:
        return None
    evidence = evidence_map()
    charts = {lang: evidence.chart(name, lang) for lang in i18n.LANGS}
    if not all(shown.categories for shown in charts.values()):
        return None
    return {
        "n": len(evidence.rows()),
        "charts": {lang: shown.to_data() for lang, shown in charts.items()},
    }


def issue_png_path(slug: str, lang: str) -> str:
    """Where an issue's own chart lives in the site, beside its page (web app and built folder)."""
    return f"issues/{slug}/chart.{lang}.png"


def issue_chart(issue: dict[str, Any], lang: str) -> Chart | None:
    """The chart an issue's image for `lang` draws (in raster.drawn_lang's language), from the
    data the issue kept; None for an issue that kept none."""
    kept = (issue.get("charts") or {}).get("charts") or {}
    data = kept.get(drawn_lang(lang))
    return Chart.from_data(data) if data else None


def issue_png(issue: dict[str, Any], lang: str) -> tuple[bytes, str] | None:
    """An issue's image for `lang` and the version it shows; None for an issue that kept no
    chart. The drawing is kept per worker: a sent issue's never changes."""
    drawn = issue_chart(issue, lang)
    if drawn is None:
        return None
    return _png(json.dumps(drawn.to_data(), ensure_ascii=False, sort_keys=True)), version(drawn)


@lru_cache(maxsize=16)
def _png(data: str) -> bytes:
    return draw_png(Chart.from_data(json.loads(data)))


def issue_charts(
    settings: Settings,
    evidence_map: Callable[[], EvidenceMap],
    issue: dict[str, Any] | None = None,
) -> dict[str, IssueChart]:
    """The chart of each edition (by language), or none at all: when it is turned off, when the
    site's address is not fetchable (the map is not read then), or while the map is empty. The
    issue's kept chart when it has one (the map is not read then either), else the map's."""
    name = settings.digest.evidence_chart
    if not name or not fetchable(settings.archive.base_url):
        return {}
    kept = issue.get("charts") if issue else None
    if issue and kept:
        found = {}
        for lang in i18n.LANGS:
            shown = Chart.from_data(kept["charts"][lang])
            drawn = Chart.from_data(kept["charts"][drawn_lang(lang)])
            path = issue_png_path(issue["slug"], drawn_lang(lang))
            found[lang] = _issue_chart(shown, drawn, kept["n"], path, lang)
        return found
    evidence = evidence_map()
    found = {}
    for lang in i18n.LANGS:
        shown = evidence.chart(name, lang)
        if not shown.categories:
            return {}
        drawn = shown if drawn_lang(lang) == lang else evidence.chart(name, drawn_lang(lang))
        n = len(evidence.rows())
        found[lang] = _issue_chart(shown, drawn, n, png_path(name, drawn_lang(lang)), lang)
    return found


def _issue_chart(shown: Chart, drawn: Chart, n: int, path: str, lang: str) -> IssueChart:
    width, height = shown_size(drawn)
    words = {"title": shown.title, "n": n}
    return IssueChart(
        image=f"{path}?v={version(drawn)}",
        alt=describe(shown, lang),
        caption=i18n.text(lang, "chart_caption", **words),
        text=i18n.text(lang, "chart_text", **words),
        width=width,
        height=height,
    )
