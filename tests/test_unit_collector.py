"""A unit runs with Python's cyclic collector less often, and the threshold comes back after it,
also when units run at once in threads (the ward service) or a run fails."""

from __future__ import annotations

import gc
import threading

import pytest

from sheetsync.collector import UNIT_THRESHOLD, collect_rarely
from sheetsync.config.profile import load_profile
from sheetsync.config.schema import load_schemas
from sheetsync.errors import SourceNotFound
from sheetsync.service.units import run_unit


class RecordingBackend:
    """Notes the collector's threshold while the unit is read, then fails like a missing file."""

    label = "thu-nghiem.xlsx"

    def __init__(self):
        self.seen = None

    def read(self):
        self.seen = gc.get_threshold()
        raise SourceNotFound("Không tìm thấy tệp thu-nghiem.xlsx.")


def test_a_unit_runs_with_rare_collections_and_the_threshold_comes_back_after_a_failure():
    before = gc.get_threshold()
    backend = RecordingBackend()
    with pytest.raises(SourceNotFound):
        run_unit(backend, load_schemas(), load_profile(), write=False)
    assert backend.seen[0] == max(UNIT_THRESHOLD, before[0]) and backend.seen[1:] == before[1:]
    assert gc.get_threshold() == before


def test_units_at_once_restore_the_threshold_only_when_the_last_ends():
    before = gc.get_threshold()
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    seen = {}

    def first():
        with collect_rarely():
            first_in.set()
            second_in.wait(5)
        first_out.set()

    def second():
        first_in.wait(5)
        with collect_rarely():
            second_in.set()
            first_out.wait(5)
            seen["after first ended"] = gc.get_threshold()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert seen["after first ended"][0] == max(UNIT_THRESHOLD, before[0])
    assert gc.get_threshold() == before
