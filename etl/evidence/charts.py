"""The evidence map's charts: counts over the rows (plain functions) and their drawing as static
SVG by matplotlib, for readers who would rather look than read.

Text stays text in the SVG (`svg.fonttype: none`), so Chinese labels are drawn by the page's own
fonts and can be selected, searched and read aloud; the SVG carries a <title> and <desc> for
screen readers, and the page shows the same numbers in a table under each chart. The drawing is
deterministic (no dates, no random ids), so the same rows give the same bytes and an ETag holds.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import re
import threading
import warnings
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from etl.evidence.names import Names
from etl.evidence.rows import CLINICAL_STAGES, EvidenceRow
from etl.evidence.words import CHARTS, UI, pick

COLOURS = ("#2f5d3a", "#6a994e", "#a7c957", "#f2a541", "#bc4749", "#386fa4", "#59a5d8",
           "#8d6a9f", "#999999")  # fmt: skip
TOP = 12  # bars of a chart by label; the rest are summed as one
# The page's own fonts first (the SVG names them, and the browser draws its text with them);
# DejaVu, which matplotlib ships, only measures the text here.
FONTS = ["PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "DejaVu Sans", "sans-serif"]
# matplotlib keeps its settings in one global: one drawing at a time in a threaded server.
_DRAWING = threading.Lock()
logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)


@dataclass(frozen=True)
class Chart:
    """What a chart shows: one bar per category, split into series (one series: plain bars)."""

    name: str
    title: str
    categories: tuple[str, ...]
    series: tuple[str, ...]
    counts: tuple[tuple[int, ...], ...]  # counts[category][series]
    unit: str  # what is counted: studies or trials
    colours: tuple[str, ...] = ()  # one per series; a stage keeps its colour whatever is shown

    def total(self, category: int) -> int:
        return sum(self.counts[category])


def chart(name: str, rows: Sequence[EvidenceRow], names: Names, lang: str) -> Chart:
    """The counts behind chart `name` (a key of words.CHARTS) over these rows."""
    ui, title = UI[lang], pick(CHARTS[name], lang)
    if name == "per-year-by-phase":
        years = sorted({row.year for row in rows if row.year})
        stages = [s for s in CLINICAL_STAGES if any(row.phase == s for row in rows)]
        counts = Counter((row.year, row.phase) for row in rows if row.year)
        return Chart(
            name, title, tuple(str(y) for y in years),
            tuple(names.label(lang, "phase", s) for s in stages),
            tuple(tuple(counts[(y, s)] for s in stages) for y in years), ui["studies"],
            tuple(COLOURS[CLINICAL_STAGES.index(s) % len(COLOURS)] for s in stages),
        )  # fmt: skip
    if name == "trials-by-status":
        found = Counter(row.status or "UNKNOWN" for row in rows if row.kind == "trial")
        return _single(name, title, found, lambda v: names.status(lang, v), ui["trials"], ui)
    column, family = {"by-cancer": ("cancer", "cancers"), "by-source": ("source", "sources")}[name]
    found = Counter(value for row in rows for value in getattr(row, family))
    return _single(name, title, found, lambda v: names.label(lang, column, v), ui["studies"], ui)


def _single(
    name: str, title: str, found: Counter[str], label: Any, unit: str, ui: dict[str, str]
) -> Chart:
    ranked = sorted(found.items(), key=lambda item: (-item[1], item[0]))
    shown, rest = ranked[:TOP], ranked[TOP:]
    categories = [label(value) for value, _ in shown]
    counts = [(count,) for _, count in shown]
    if rest:
        categories.append(ui["other"])
        counts.append((sum(count for _, count in rest),))
    return Chart(name, title, tuple(categories), (unit,), tuple(counts), unit)


def version(chart: Chart) -> str:
    """A short hash of what the chart shows: the same counts and words give the same version,
    so an address that carries it changes exactly when the drawing does."""
    shown = [chart.name, chart.title, chart.categories, chart.series, chart.counts, chart.unit,
             chart.colours]  # fmt: skip
    return hashlib.sha256(json.dumps(shown, ensure_ascii=False).encode()).hexdigest()[:12]


def describe(chart: Chart, lang: str) -> str:
    """Every number of the chart in a sentence, for readers who do not see the image: each
    bar's total and, for a stacked bar, its parts ("2024：5（I 期 3，II 期 2）")."""
    zh = lang == "zh"
    colon, sep, comma = ("：", "；", "，") if zh else (": ", "; ", ", ")
    open_, close = ("（", "）") if zh else (" (", ")")
    bars = []
    for i, category in enumerate(chart.categories):
        bar = f"{category}{colon}{chart.total(i)}"
        parts = [f"{s} {n}" for s, n in zip(chart.series, chart.counts[i], strict=True) if n]
        if len(chart.series) > 1 and parts:
            bar += open_ + comma.join(parts) + close
        bars.append(bar)
    stop = "。" if zh else ". "
    return chart.title + stop + sep.join(bars) + stop.strip()


def figure_size(chart: Chart) -> tuple[float, float]:
    """Width and height in inches: a bar's room times the bars (the page reserves the same
    aspect before the image arrives, so nothing jumps). Narrow, so that on a phone the image
    shrinks little and its labels stay legible."""
    return 5.4, 1.2 + 0.42 * max(len(chart.categories), 1) + 0.25 * _legend_rows(chart)


def _legend_rows(chart: Chart) -> int:
    """Lines of the legend under the axes (three entries a line; none for one series)."""
    return 0 if len(chart.series) < 2 else -(-len(chart.series) // 3)


def draw_svg(chart: Chart, lang: str) -> str:
    """The chart as an SVG document, its text left for the page's fonts to draw."""
    style: Any = {"svg.fonttype": "none", "svg.hashsalt": "evidence-map", "font.size": 11,
                  "font.family": ["sans-serif"], "font.sans-serif": FONTS}  # fmt: skip
    buffer = io.StringIO()
    with drawing(style) as draw:
        figure = draw(chart)
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    return _accessible(buffer.getvalue(), chart, lang)


@contextmanager
def drawing(style: Any) -> Iterator[Callable[[Chart], Any]]:
    """matplotlib's settings set to `style` for one drawing (its settings are one global, so
    one drawing at a time), giving the function that draws a chart as a Figure."""
    import matplotlib

    with _DRAWING, matplotlib.rc_context(style), warnings.catch_warnings():
        # Measuring CJK text with a Latin font warns once per character; the browser lays the
        # text out itself, so these say nothing an operator could act on.
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .* missing from font")
        yield _figure  # a Figure made without pyplot is no one's to close: it is collected


def _figure(chart: Chart) -> Any:
    """Horizontal bars (labels of any length stay readable on a phone), stacked by series,
    each bar's total written at its end."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=figure_size(chart), dpi=100)
    axes = figure.add_subplot()
    positions = list(range(len(chart.categories)))[::-1]
    left = [0] * len(chart.categories)
    for index, series in enumerate(chart.series):
        widths = [counts[index] for counts in chart.counts]
        colour = (chart.colours or COLOURS)[index % len(chart.colours or COLOURS)]
        drawn = axes.barh(positions, widths, left=left, color=colour, label=series, height=0.65)
        for category, patch in enumerate(drawn):
            patch.set_gid(f"bar-{index}-{category}")  # one id per bar: tests and styles
        left = [a + b for a, b in zip(left, widths, strict=True)]
    for position, total in zip(positions, left, strict=True):
        axes.text(total + 0.05, position, str(total), va="center", fontsize=10)
    axes.set_yticks(positions, chart.categories)
    axes.set_xlabel(chart.unit)
    axes.set_xlim(0, max(left, default=0) * 1.15 + 1)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.spines[["top", "right"]].set_visible(False)
    if len(chart.series) > 1:
        # under the axis, in the room the margins keep for it: never on a bar
        figure.legend(loc="lower left", bbox_to_anchor=(0.02, 0.0), ncol=3, frameon=False,
                      fontsize=9)  # fmt: skip
    _margins(figure, chart)
    return figure


def _margins(figure: Any, chart: Chart) -> None:
    """Room for the longest label, measured the way the browser will draw it (a Chinese
    character is one em wide, a Latin letter about 0.6): matplotlib's own measure uses a Latin
    font with no Chinese glyphs, so its tight layout would cut Chinese labels short."""
    width, height = figure_size(chart)
    ems = max((sum(1.0 if ord(c) >= 0x2E80 else 0.6 for c in label)
               for label in chart.categories), default=2.0)  # fmt: skip
    left = min(0.55, (ems * 11 / 72 + 0.25) / width)
    bottom = (0.6 + 0.25 * _legend_rows(chart)) / height
    figure.subplots_adjust(left=left, right=0.97, top=1 - 0.15 / height, bottom=bottom)


def _accessible(svg: str, chart: Chart, lang: str) -> str:
    """A title and a description of the numbers for screen readers, and the root made an
    image with a name."""
    sep = "；" if lang == "zh" else "; "
    desc = sep.join(f"{c}{'：' if lang == 'zh' else ': '}{chart.total(i)}"
                    for i, c in enumerate(chart.categories))  # fmt: skip
    head = (f'<title id="title-{chart.name}">{escape(chart.title)}</title>'
            f'<desc id="desc-{chart.name}">{escape(desc)}</desc>')  # fmt: skip
    svg = re.sub(
        r"<svg ",
        f'<svg role="img" aria-labelledby="title-{chart.name} desc-{chart.name}" ',
        svg,
        count=1,
    )
    return re.sub(r"(<svg [^>]*>)", lambda m: m.group(1) + head, svg, count=1)
