"""A scheduled tick over units that have not changed costs one read of each workbook: the ward
file is not read again for every unit, and no unit is evaluated again."""

from __future__ import annotations

import datetime as dt

import sheetsync.config.ward as ward_config
import sheetsync.service.units as units
from sheetsync.web.jobs import open_ward
from sheetsync.web.scheduler import tick

TODAY = dt.date(2026, 11, 27)


def test_an_unchanged_tick_reads_no_ward_file_and_evaluates_no_unit(ward_copy, monkeypatch):
    ward = open_ward(ward_copy)
    try:
        tick(ward, TODAY)  # the copy lives at new paths: its units are keyed anew once
        calls = {"load_ward": 0, "evaluate": 0}

        def counted(name, real):
            def wrapper(*args, **kwargs):
                calls[name] += 1
                return real(*args, **kwargs)
            return wrapper

        monkeypatch.setattr(ward_config, "load_ward", counted("load_ward", ward_config.load_ward))
        monkeypatch.setattr(units, "evaluate", counted("evaluate", units.evaluate))
        rep = tick(ward, TODAY)
        assert [o.status for o in rep.outcomes] == ["ok"] * len(ward.units)
        assert calls == {"load_ward": 0, "evaluate": 0}
    finally:
        ward.close()
