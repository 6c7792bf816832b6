"""Hatch segments stay inside their rectangle and cover it evenly."""

from __future__ import annotations

import pytest

from sheetsync.forms.hatching import hatch_segments


@pytest.mark.parametrize("kind", ["/", "\\", "-", "|", "x"])
def test_segments_stay_inside_the_rectangle(kind):
    x0, y0, w, h = 13.3, 7.1, 40.0, 11.5
    segs = hatch_segments(x0, y0, w, h, kind, 4.0)
    assert segs
    eps = 1e-9
    for (xa, ya), (xb, yb) in segs:
        for x, y in ((xa, ya), (xb, yb)):
            assert x0 - eps <= x <= x0 + w + eps and y0 - eps <= y <= y0 + h + eps
        assert (xa, ya) != (xb, yb)


def test_density_and_kinds():
    assert len(hatch_segments(0, 0, 40, 8, "-", 4)) == 1  # y = 4 only (edges are the outline)
    assert len(hatch_segments(0, 0, 8, 40, "|", 4)) == 1
    diag = len(hatch_segments(0, 0, 40, 40, "/", 4))
    assert 19 <= diag <= 21
    assert len(hatch_segments(0, 0, 40, 40, "x", 4)) == diag + len(hatch_segments(0, 0, 40, 40, "\\", 4))
    assert hatch_segments(0, 0, 0, 10, "/", 4) == [] and hatch_segments(0, 0, 10, 10, "", 4) == []
