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
from dataclasses import asdict, dataclass
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

    def to_data(self) -> dict[str, Any]:
        """The chart as JSON can keep it: an issue keeps the chart it was built with."""
        return asdict(self)

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Chart:
        """The chart `to_data` kept, its lists tuples again (the same version, the same bytes)."""
        return cls(
            name=data["name"],
            title=data["title"],
            categories=tuple(data["categories"]),
            series=tuple(data["series"]),
            counts=tuple(tuple(row) for row in data["counts"]),
            unit=data["unit"],
            colours=tuple(data.get("colours") or ()),
        )


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


@dataclass(frozen=True)
class Lettering:
    """The sizes of a drawing's text, in points of its 5.4-inch width. The SVG's suit the
    page, which shows it at about its own size; the PNG a mail shows on a phone is scaled
    to some 335 px, so its text is drawn larger (raster.py)."""

    text: float = 11  # the bars' labels, the ticks and the axis' name
    totals: float = 10  # each bar's total at its end
    legend: float = 9
    legend_columns: int | None = 3  # entries a legend line; None: as many as fit the width
    ticks: int = 10  # intervals on the count axis, at most
    label_ems: float | None = None  # a longer bar label goes onto two lines; None: never


ON_PAGE = Lettering()
WIDTH = 5.4  # inches


def figure_size(chart: Chart, lettering: Lettering = ON_PAGE) -> tuple[float, float]:
    """Width and height in inches: a bar's room times the bars (the page reserves the same
    aspect before the image arrives, so nothing jumps). Narrow, so that on a phone the image
    shrinks little and its labels stay legible."""
    bars = 0.42 * max(len(chart.categories), 1)
    legend = 0.25 * lettering.legend / ON_PAGE.legend * legend_rows(chart, lettering)
    return WIDTH, 0.6 + 0.6 * lettering.text / ON_PAGE.text + bars + legend


def legend_rows(chart: Chart, lettering: Lettering = ON_PAGE) -> int:
    """Lines of the legend under the axes (none for one series)."""
    if len(chart.series) < 2:
        return 0
    return -(-len(chart.series) // _legend_columns(chart, lettering))


def _legend_columns(chart: Chart, lettering: Lettering) -> int:
    """Entries a legend line holds: as many as the widest entry allows, when the lettering
    leaves it to the width (a legend wider than the image would be cut)."""
    if lettering.legend_columns is not None:
        return lettering.legend_columns
    # an entry: its marker (2 em), the gap to its text (0.8 em), the text; 2 em between two
    # (a Latin letter 0.55 em: the widest of the fonts that draw the PNG's legend, DejaVu)
    widest = max((_ems(label, latin=0.55) for label in chart.series), default=1.0)
    entry, gap = widest + 2.8, 2.0
    room = (WIDTH - 0.2) * 72 / lettering.legend  # in ems
    return max(1, min(len(chart.series), int((room + gap) // (entry + gap))))


def _ems(label: str, latin: float = 0.6) -> float:
    """A label's width in ems as the browser draws it: a Chinese character is one em wide, a
    Latin letter about 0.6."""
    return sum(1.0 if ord(c) >= 0x2E80 else latin for c in label)


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
def drawing(style: Any, lettering: Lettering = ON_PAGE) -> Iterator[Callable[[Chart], Any]]:
    """matplotlib's settings set to `style` for one drawing (its settings are one global, so
    one drawing at a time), giving the function that draws a chart as a Figure."""
    import matplotlib

    with _DRAWING, matplotlib.rc_context(style), warnings.catch_warnings():
        # Measuring CJK text with a Latin font warns once per character; the browser lays the
        # text out itself, so these say nothing an operator could act on.
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .* missing from font")
        # a Figure made without pyplot is no one's to close: it is collected
        yield lambda chart: _figure(chart, lettering)


def _figure(chart: Chart, lettering: Lettering = ON_PAGE) -> Any:
    """Horizontal bars (labels of any length stay readable on a phone), stacked by series,
    each bar's total written at its end."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=figure_size(chart, lettering), dpi=100)
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
        axes.text(total + 0.05, position, str(total), va="center", fontsize=lettering.totals)
    axes.set_yticks(positions, _labels(chart, lettering))
    for label in axes.get_yticklabels():  # two lines of a label keep clear of the next bar's
        if "\n" in label.get_text():
            label.set_linespacing(1.0)
    axes.set_xlabel(chart.unit)
    axes.set_xlim(0, max(left, default=0) * 1.15 + 1)
    axes.xaxis.set_major_locator(MaxNLocator(lettering.ticks, integer=True))
    axes.spines[["top", "right"]].set_visible(False)
    if len(chart.series) > 1:
        # under the axis, in the room the margins keep for it: never on a bar
        columns = _legend_columns(chart, lettering)
        figure.legend(loc="lower left", bbox_to_anchor=(0.02, 0.0), ncol=columns, frameon=False,
                      fontsize=lettering.legend)  # fmt: skip
    _margins(figure, chart, lettering)
    return figure


def _labels(chart: Chart, lettering: Lettering) -> list[str]:
    """The bars' labels, each too long for the lettering's room broken at the space that
    makes its two lines most even."""
    limit = lettering.label_ems
    if limit is None:
        return list(chart.categories)
    return [_two_lines(label) if _ems(label) > limit else label for label in chart.categories]


def _two_lines(label: str) -> str:
    """A label broken once, into halves as even as its words allow (none: as it is)."""
    words = label.split(" ")
    if len(words) < 2:
        return label
    splits = [(" ".join(words[:i]), " ".join(words[i:])) for i in range(1, len(words))]
    first, rest = min(splits, key=lambda pair: max(map(_ems, pair)))
    return f"{first}\n{rest}"


def _margins(figure: Any, chart: Chart, lettering: Lettering = ON_PAGE) -> None:
    """Room for the longest label, measured the way the browser will draw it (`_ems`):
    matplotlib's own measure uses a Latin font with no Chinese glyphs, so its tight layout
    would cut Chinese labels short."""
    width, height = figure_size(chart, lettering)
    lines = [line for label in _labels(chart, lettering) for line in label.split("\n")]
    ems = max(map(_ems, lines), default=2.0)
    left = min(0.55, (ems * lettering.text / 72 + 0.25) / width)
    scale = lettering.text / ON_PAGE.text
    legend = 0.25 * lettering.legend / ON_PAGE.legend * legend_rows(chart, lettering)
    bottom = (0.6 * scale + legend) / height
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
