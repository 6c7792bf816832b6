"""Charts for the HTML/PDF page, drawn offline with matplotlib as self-contained SVG.

Text is drawn as outlines (no font needed by the viewer) and every series has its own hatching
as well as its own shade, so the charts still read when printed in black and white. The hatching
is drawn as line segments (see hatching.py), not SVG patterns, to keep PDFs small.
"""

from __future__ import annotations

import functools
import io
import logging
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display here or on a server; must precede the pyplot-free imports below
from fontTools.ttLib import TTFont  # noqa: E402  (a matplotlib dependency)
from matplotlib import font_manager  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

# A missing font is handled here (chart_font falls back to one that draws Vietnamese); matplotlib's
# own English "findfont: ..." lines must not reach the office's terminal.
logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)

from sheetsync.domain.ratings import RatingScale  # noqa: E402
from sheetsync.forms.build import Form01A, SummaryRow  # noqa: E402
from sheetsync.forms.hatching import HatchedLegendHandler, hatch_patches  # noqa: E402
from sheetsync.forms.model import normalize_rating  # noqa: E402
from sheetsync.forms.numbers import format_number  # noqa: E402

NOT_RATED = "Chưa đánh giá"


@dataclass(frozen=True)
class SeriesStyle:
    color: str
    hatch: str
    text_color: str


# Best to worst, dark to light, each with a different hatch: distinct on screen and on a grey
# printout. A scale of four takes them as they are (the worst rating stands out in orange); a
# longer scale goes on through the extras before its worst rating.
BEST_STYLES = (SeriesStyle("#1f3b73", "", "white"), SeriesStyle("#6f9bd1", "/", "black"),
               SeriesStyle("#d9e6f5", "-", "black"))
EXTRA_STYLES = (SeriesStyle("#9fb7d9", "\\", "black"), SeriesStyle("#eeeeee", ".", "black"),
                SeriesStyle("#c9d6c2", "+", "black"))
WORST_STYLE = SeriesStyle("#f2b880", "x", "black")
NOT_RATED_STYLE = SeriesStyle("#ffffff", "", "black")


def series_styles(scale: RatingScale) -> dict[str, SeriesStyle]:
    """A style per rating of the scale (best first), then the not-yet-rated series."""
    names = scale.names
    middle = [*BEST_STYLES, *EXTRA_STYLES]
    styles = {name: middle[i % len(middle)] for i, name in enumerate(names[:-1])}
    styles[names[-1]] = WORST_STYLE
    styles[NOT_RATED] = NOT_RATED_STYLE
    return styles
QUOTA_OK = SeriesStyle("#b8c9e0", "/", "black")
QUOTA_OVER = SeriesStyle("#e08a73", "x", "black")


@dataclass(frozen=True)
class Chart:
    """An SVG chart and the sentence that describes it to a screen reader (alt text)."""

    svg: str
    alt: str


# Letters a font needs to draw Vietnamese: some fonts named "Liberation Serif" (1.x) lack them.
VIETNAMESE_SAMPLE = "ăâđêôơưĂÂĐÊÔƠƯấầẩẫậắằẳẵặếềểễệốồổỗộớờởỡợứừửữựýỳỷỹỵ"


@functools.cache
def covers_vietnamese(family: str) -> bool:
    """True when the file matplotlib would use for ``family`` has every Vietnamese letter."""
    try:
        path = font_manager.findfont(font_manager.FontProperties(family=family),
                                     fallback_to_default=False)
    except ValueError:
        return False
    try:
        cmap = TTFont(path, fontNumber=0, lazy=True).getBestCmap() or {}
    except Exception:  # an unreadable font file is as good as a missing one
        return False
    return all(ord(ch) in cmap for ch in VIETNAMESE_SAMPLE)


def chart_font(preferred: Sequence[str]) -> str:
    """The first preferred font that draws Vietnamese, else DejaVu Serif (ships with matplotlib)."""
    generic = {"serif", "sans-serif", "monospace"}
    return next((f for f in preferred if f not in generic and covers_vietnamese(f)), "DejaVu Serif")


def font_rc(preferred: Sequence[str]) -> dict[str, Any]:
    """matplotlib settings for a chart: a serif font that draws Vietnamese, text as outlines."""
    return {
        "font.family": "serif",
        "font.serif": [chart_font(preferred), "DejaVu Serif"],
        "font.size": 10,
        "svg.fonttype": "path",
        "axes.spines.top": False,
        "axes.spines.right": False,
    }


def _plain(text: str) -> str:
    """Matplotlib reads ``$...$`` as maths; a unit name must show as typed."""
    return text.replace("\\", "\\\\").replace("$", r"\$")


def _wrap(text: str, width: int = 32) -> str:
    return "\n".join(textwrap.wrap(_plain(text), width)) or " "


def _to_svg(fig: Figure, salt: str) -> str:
    buf = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": salt}):
        fig.savefig(buf, format="svg", metadata={"Date": None})
    return buf.getvalue()


def distribution_chart(form: Form01A, fonts: Sequence[str], decimal_sep: str = ",") -> Chart | None:
    """Stacked horizontal bars: people per rating (and not yet rated) for each row of 01A."""
    rows = [r for r in form.body if r.total]
    if not rows:
        return None
    scale = form.scale
    styles = series_styles(scale)
    series = [*scale.names, NOT_RATED]
    with matplotlib.rc_context(font_rc(fonts)):
        fig = Figure(figsize=(10.5, 1.5 + 0.42 * len(rows)), layout="constrained")
        ax = fig.add_subplot()
        labels = [_wrap(r.label) for r in rows]
        y = list(range(len(rows)))[::-1]
        left = [0] * len(rows)
        widest = max(r.total for r in rows)
        drawn, handles, handler_map = [], [], {}
        for name in series:
            style = styles[name]
            values = [r.not_rated if name == NOT_RATED else r.counts[name] for r in rows]
            bars = ax.barh(y, values, left=left, color=style.color, edgecolor="black",
                           linewidth=0.6, height=0.62)
            drawn.append((bars.patches, style.hatch))
            texts = [str(v) if v and v >= widest * 0.04 else "" for v in values]
            ax.bar_label(bars, labels=texts, label_type="center", fontsize=9, color=style.text_color,
                         zorder=3, bbox=None if not style.hatch else
                         {"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none"})
            left = [a + b for a, b in zip(left, values)]
            handle = Patch(facecolor=style.color, edgecolor="black",
                           label=f"{scale.code(name)} – {name}" if name != NOT_RATED else name)
            handles.append(handle)
            handler_map[handle] = HatchedLegendHandler(style.hatch)
        for yy, r in zip(y, rows):
            ax.text(r.total + widest * 0.01, yy, f"{r.total} người", va="center", fontsize=9)
        ax.set_yticks(y, labels)
        ax.set_xlim(0, widest * 1.12)
        ax.set_xlabel("Số người")
        ax.xaxis.get_major_locator().set_params(integer=True)
        fig.legend(handles=handles, handler_map=handler_map, loc="outside lower center", ncol=3,
                   frameon=False, fontsize=9)
        fig.draw_without_rendering()  # fix the layout, then hatch the bars where they landed
        for patches, kind in drawn:
            hatch_patches(ax, patches, kind)
        svg = _to_svg(fig, f"dist-{form.kind}")
    parts = [f"{r.label}: " + ", ".join(f"{scale.code(k)} {r.counts[k]}" for k in scale.names)
             + f", {NOT_RATED.lower()} {r.not_rated}" for r in rows]
    return Chart(svg, "Số người theo xếp loại. " + "; ".join(parts))


@dataclass(frozen=True)
class QuotaShare:
    label: str
    numerator: int
    denominator: int

    @property
    def exceeded_without_base(self) -> bool:
        return self.denominator == 0 and self.numerator > 0

    def share(self) -> float:
        return 100.0 * self.numerator / self.denominator if self.denominator else 0.0


def quota_shares(rows: Sequence[SummaryRow], quota: Mapping[str, Any]) -> list[QuotaShare]:
    """The quota's rating counted against its base (listed ratings, or everyone rated), per row."""
    if not rows:
        return []
    scale = rows[0].scale
    rating = normalize_rating(quota.get("rating"), scale) or scale.names[0]
    base = quota.get("of", "rated")
    out = []
    for row in rows:
        if base == "rated":
            denominator = row.rated
        else:
            ratings = [base] if isinstance(base, str) else list(base)
            denominator = sum(row.counts[normalize_rating(r, scale)] for r in ratings)
        out.append(QuotaShare(row.label, row.counts[rating], denominator))
    return out


def _quota_label(quota: Mapping[str, Any], decimal_sep: str, scale: RatingScale) -> str:
    if quota.get("label"):
        return str(quota["label"])
    rating = normalize_rating(quota.get("rating"), scale) or scale.names[0]
    base = quota.get("of", "rated")
    base_text = "số người được đánh giá" if base == "rated" else "số " + ", ".join(
        scale.code(r) for r in ([base] if isinstance(base, str) else base))
    pct = format_number(float(quota["max_ratio"]) * 100, 0, decimal_sep)
    return f"Tối đa {scale.code(rating)} = {pct}% {base_text}"


def quota_chart(form: Form01A, quota: Mapping[str, Any] | None, fonts: Sequence[str],
                decimal_sep: str = ",") -> Chart | None:
    """Share of the quota rating per unit (or for the unit), against the quota line."""
    if not quota or quota.get("max_ratio") is None:
        return None
    # The quota binds each unit as a whole: one bar per unit, or the unit's total on its own page.
    if form.kind == "ward":
        rows = [r for r in form.body if r.total]
    else:
        rows = [SummaryRow(stt="", label=form.scope, scale=form.scale, counts=dict(form.total.counts))]
    scale = form.scale
    shares = quota_shares(rows, quota)
    if not shares:
        return None
    limit = float(quota["max_ratio"]) * 100
    label = _quota_label(quota, decimal_sep, scale)
    top = max([limit * 1.6, 10.0] + [s.share() * 1.25 for s in shares])
    with matplotlib.rc_context(font_rc(fonts)):
        fig = Figure(figsize=(10.5, 0.9 + 0.42 * len(shares)), layout="constrained")
        ax = fig.add_subplot()
        y = list(range(len(shares)))[::-1]
        drawn = []
        for yy, s in zip(y, shares):
            over = s.exceeded_without_base or s.share() > limit + 1e-9
            width = top * 0.9 if s.exceeded_without_base else s.share()
            style = QUOTA_OVER if over else QUOTA_OK
            bars = ax.barh(yy, width, height=0.6, color=style.color, edgecolor="black", linewidth=0.6)
            drawn.append((bars.patches, style.hatch))
            text = f"{s.numerator}/{s.denominator}"
            if s.denominator:
                text += f" = {format_number(s.share(), 2, decimal_sep)}%"
            if over:
                text += " – vượt tỷ lệ"
            ax.text(width + top * 0.01, yy, _plain(text), va="center", fontsize=9,
                    fontweight="bold" if over else "normal")
        ax.axvline(limit, color="black", linestyle=(0, (5, 3)), linewidth=1.4)
        ax.text(limit, len(shares) - 0.45, " " + _plain(label), fontsize=9, va="bottom", ha="left")
        ax.set_yticks(y, [_wrap(s.label) for s in shares])
        ax.set_ylim(-0.6, len(shares) - 0.1)
        ax.set_xlim(0, top * 1.25)
        rating_code = scale.code(normalize_rating(quota.get("rating"), scale) or scale.names[0])
        ax.set_xlabel(f"Tỷ lệ {rating_code} (%)")
        fig.draw_without_rendering()
        for patches, kind in drawn:
            hatch_patches(ax, patches, kind)
        svg = _to_svg(fig, f"quota-{form.kind}")
    alt = f"Tỷ lệ {rating_code} so với giới hạn ({label}): " + "; ".join(
        f"{s.label} {s.numerator}/{s.denominator}" for s in shares)
    return Chart(svg, alt)
