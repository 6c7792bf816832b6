"""Hatching drawn as plain line segments instead of SVG <pattern> fills.

Chromium prints an SVG pattern as one bitmap tile per filled shape (about 120 KB each), which
made a 30-unit ward's PDF weigh 15 MB; clipped line segments stay vectors and weigh next to nothing.
"""

from __future__ import annotations

from collections.abc import Iterable

from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.legend_handler import HandlerBase
from matplotlib.patches import Patch, Rectangle

Segment = tuple[tuple[float, float], tuple[float, float]]
LINE_WIDTH = 0.6


def hatch_segments(x0: float, y0: float, w: float, h: float, kind: str, spacing: float) -> list[Segment]:
    """Segments filling the rectangle: "/" and "\\" diagonals, "-" horizontal, "|" vertical,
    "x" both diagonals; lines sit on a global grid so neighbouring shapes line up."""
    x1, y1 = x0 + w, y0 + h
    segs: list[Segment] = []
    if w <= 0 or h <= 0 or spacing <= 0:
        return segs
    if "/" in kind or "x" in kind:  # y = x + c
        k = int((y0 - x1) // spacing)
        while (c := k * spacing) <= y1 - x0:
            lo, hi = max(x0, y0 - c), min(x1, y1 - c)
            if lo < hi:
                segs.append(((lo, lo + c), (hi, hi + c)))
            k += 1
    if "\\" in kind or "x" in kind:  # y = -x + c
        k = int((x0 + y0) // spacing)
        while (c := k * spacing) <= x1 + y1:
            lo, hi = max(x0, c - y1), min(x1, c - y0)
            if lo < hi:
                segs.append(((lo, c - lo), (hi, c - hi)))
            k += 1
    if "-" in kind:
        k = int(y0 // spacing) + 1
        while (y := k * spacing) < y1:
            segs.append(((x0, y), (x1, y)))
            k += 1
    if "|" in kind:
        k = int(x0 // spacing) + 1
        while (x := k * spacing) < x1:
            segs.append(((x, y0), (x, y1)))
            k += 1
    return segs


def hatch_patches(ax: Axes, patches: Iterable[Rectangle], kind: str, spacing_pt: float = 6.0) -> None:
    """Hatch drawn rectangles; call once the layout is final (after ``draw_without_rendering``)."""
    if not kind:
        return
    fig = ax.figure
    spacing = spacing_pt * fig.dpi / 72
    to_data = ax.transData.inverted()
    segs = []
    for patch in patches:
        box = patch.get_window_extent()
        for (xa, ya), (xb, yb) in hatch_segments(box.x0, box.y0, box.width, box.height, kind, spacing):
            a, b = to_data.transform([(xa, ya), (xb, yb)])
            segs.append((tuple(a), tuple(b)))
    if segs:
        ax.add_collection(LineCollection(segs, colors="black", linewidths=LINE_WIDTH, zorder=1.5),
                          autolim=False)


class HatchedLegendHandler(HandlerBase):
    """Legend key with the same line hatching as the bars (a proxy Patch carries colour and kind)."""

    def __init__(self, kind: str):
        super().__init__()
        self.kind = kind

    def create_artists(self, legend, orig_handle: Patch, xdescent, ydescent, width, height, fontsize, trans):
        x0, y0 = -xdescent, -ydescent
        rect = Rectangle((x0, y0), width, height, facecolor=orig_handle.get_facecolor(),
                         edgecolor="black", linewidth=LINE_WIDTH, transform=trans)
        lines = LineCollection(hatch_segments(x0, y0, width, height, self.kind, 3.5),
                               colors="black", linewidths=LINE_WIDTH, transform=trans)
        return [rect, lines]
