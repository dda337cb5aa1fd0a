"""The evidence charts as PNG, for mail: Gmail and Outlook show no SVG. The same chart and the
same drawing as the SVG (charts.py), rasterised by matplotlib's Agg at twice the width a mail's
column gives it (sharp on high-density screens), then reduced by Pillow (matplotlib's own PNG
writer) to a small palette: flat bars and text need few colours, and the file gets several
times smaller.

Text is pixels here, so Chinese labels need a font with Chinese glyphs on the machine
(`cjk_font`). Without one the Chinese chart cannot be drawn legibly: `drawn_lang` then says to
draw the English one, and a warning says once which fonts were looked for.
"""

from __future__ import annotations

import io
import logging
from functools import cache
from typing import Any

from etl.evidence.charts import Chart, Lettering, drawing, figure_size

logger = logging.getLogger(__name__)

SHOWN_WIDTH = 560  # CSS px the image takes in a mail: the 600 px column less its padding
SCALE = 2  # pixels drawn per CSS pixel
PALETTE = 32  # colours kept: the bars' few (nine at most), and the greys of antialiased text
# A phone shows the 560 px image at some 335 px (a 375 px screen less the mail's padding),
# 62 px an inch of the drawing: a point is 0.86 px there, and 13 points 11 px, the least a
# tick or a legend entry is read at. The same sizes on a wide screen (104 px an inch) are
# larger than the page's, which is fine in a mail.
# A bar's label longer than 16 ems (some 27 letters) goes onto two lines: it would take more
# than half the width.
IN_MAIL = Lettering(text=14, totals=13, legend=13, legend_columns=None, ticks=5, label_ems=16)
# Fonts with Chinese glyphs that Linux packages and macOS install, best first.
CJK_FONTS = ("Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "WenQuanYi Zen Hei",
             "Droid Sans Fallback", "AR PL UMing CN", "PingFang SC")  # fmt: skip


@cache
def cjk_font() -> str | None:
    """The first of CJK_FONTS matplotlib can use here, or None."""
    from matplotlib import font_manager

    installed = {font.name for font in font_manager.fontManager.ttflist}
    found = next((name for name in CJK_FONTS if name in installed), None)
    if found is None:
        logger.warning(
            "evidence charts: no font with Chinese glyphs (looked for %s); the PNG charts are "
            "drawn in English (install fonts-wqy-microhei or fonts-noto-cjk)",
            ", ".join(CJK_FONTS),
        )
    return found


def drawn_lang(lang: str) -> str:
    """The language a PNG chart for `lang` is drawn in: Chinese only with a Chinese font."""
    return lang if lang == "en" or cjk_font() else "en"


def shown_size(chart: Chart) -> tuple[int, int]:
    """Width and height in CSS pixels at which a mail shows the PNG."""
    width, height = figure_size(chart, IN_MAIL)
    return SHOWN_WIDTH, round(SHOWN_WIDTH * height / width)


def draw_png(chart: Chart) -> bytes:
    """The chart as a PNG of SCALE times its shown size (the same bytes for the same chart)."""
    font = cjk_font()
    style: Any = {"font.size": IN_MAIL.text, "font.family": ["sans-serif"],
                  "font.sans-serif": ([font] if font else []) + ["DejaVu Sans"]}  # fmt: skip
    buffer = io.BytesIO()
    with drawing(style, IN_MAIL) as draw:
        figure = draw(chart)
        width = figure_size(chart, IN_MAIL)[0]
        dpi = SHOWN_WIDTH * SCALE / width
        # the height a whole number of shown pixels, so the mail's box fits the image exactly
        figure.set_size_inches(width, shown_size(chart)[1] * SCALE / dpi)
        figure.savefig(buffer, format="png", dpi=dpi, facecolor="white",
                       metadata={"Software": None})  # fmt: skip
    return _reduced(buffer.getvalue())


def _reduced(png: bytes) -> bytes:
    """The image in PALETTE colours, undithered (dots in flat bars would cost bytes)."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        reduced = image.convert("RGB").quantize(
            PALETTE, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
        )
    out = io.BytesIO()
    reduced.save(out, format="PNG", optimize=True)
    return out.getvalue()
