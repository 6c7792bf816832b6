"""Quota storms, server errors and dropped connections: a ward sync survives them with the same
final state as a calm run; a unit that keeps failing is reported by name and the ward goes on."""

from __future__ import annotations

import pytest
from googlebook import SCHEMAS, GoogleBook, small_unit

from sheets_emulator import FaultConfig
from sheetsync import service
from sheetsync.errors import EXIT_PROBLEM

UNITS = ("Phòng Nội vụ", "Phòng Tư pháp", "Phòng Y tế")


def ward_file(tmp_path, name: str, books: list[GoogleBook], extra: str = ""):
    lines = ["ward: Phường thử", "units:"]
    for unit, book in zip(UNITS, books):
        lines += [f"  - name: {unit}", f"    source: {book.source}"]
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")
    return path


def snapshot(book: GoogleBook) -> dict[str, list]:
    out = {}
    for ws in book.sh.worksheets():
        values = ws.get_values(value_render_option="UNFORMATTED_VALUE")
        if ws.title == SCHEMAS.summary_title and len(values) > 1:
            values[1] = ["(thời điểm đồng bộ)"]
        out[ws.title] = values
    return out


def test_storm_of_429_500_and_drops_ends_like_a_calm_run(emulator, gc, tmp_path, fast_quota_clock, monkeypatch):
    calm = [small_unit(GoogleBook(gc, unit=u)) for u in UNITS[:2]]
    storm = [small_unit(GoogleBook(gc, unit=u)) for u in UNITS[:2]]
    seen: list[str] = []
    decide = emulator.faults.decide

    def recording(kind, api_name):
        fault = decide(kind, api_name)
        if fault is not None:
            seen.append("drop" if fault.drop else str(fault.status))
        return fault

    monkeypatch.setattr(emulator.faults, "decide", recording)

    emulator.reset_counts()
    calm_run = service.sync([str(ward_file(tmp_path, "calm.yaml", calm))], as_of="2026-11-26")
    assert calm_run.exit_code != 2 and all(u.error is None for u in calm_run.units)
    calm_requests = emulator.request_count["total"]

    emulator.reset_counts()
    emulator.set_faults(FaultConfig(quota_per_minute=3, error_rate=0.2, drop_rate=0.15, seed=11))
    storm_run = service.sync([str(ward_file(tmp_path, "storm.yaml", storm))], as_of="2026-11-26")
    emulator.set_faults(FaultConfig())
    assert [u.error for u in storm_run.units] == [None, None]
    retries = sum(u.write_info.get("retries", 0) for u in storm_run.units)
    assert retries == len(seen) and emulator.request_count["total"] == calm_requests + retries
    assert "429" in seen and {"500", "503"} & set(seen) and "drop" in seen, seen
    # The budget counts requests, not attempts: the same 4 per unit as in calm weather.
    assert [u.write_info["requests"] for u in storm_run.units] == [u.write_info["requests"] for u in calm_run.units]

    for a, b in zip(calm, storm):
        assert snapshot(a) == snapshot(b)


def test_failing_unit_is_named_and_the_ward_goes_on(emulator, gc, tmp_path):
    books = [small_unit(GoogleBook(gc, unit=u)) for u in UNITS[:2]]
    ward = ward_file(tmp_path, "ward.yaml", books, extra=(
        f"  - name: {UNITS[2]}\n    source: gsheet:1NoSuchSpreadsheet0000000000000000000000000\n"))
    result = service.sync([str(ward)], as_of="2026-11-26")
    assert result.exit_code == EXIT_PROBLEM
    errors = {u.unit: u.error for u in result.units}
    assert errors[UNITS[0]] is None and errors[UNITS[1]] is None
    assert UNITS[2] in str(errors[UNITS[2]]) and "không tìm thấy bảng tính Google" in str(errors[UNITS[2]])
    assert errors[UNITS[2]].code == "google.not-found"
    assert all(u.written for u in result.units[:2])


def test_persistent_errors_give_up_in_bounded_time(emulator, gc, tmp_path, monkeypatch):
    import time

    books = [small_unit(GoogleBook(gc, unit=u)) for u in UNITS[:2]]
    monkeypatch.setenv("SHEETSYNC_GOOGLE_MAX_ATTEMPTS", "3")
    emulator.set_faults(FaultConfig(error_rate=1.0, seed=1))
    start = time.monotonic()
    result = service.sync([str(ward_file(tmp_path, "ward.yaml", books))], as_of="2026-11-26")
    assert time.monotonic() - start < 5
    emulator.set_faults(FaultConfig())
    assert result.exit_code == EXIT_PROBLEM
    for unit, u in zip(UNITS, result.units):
        assert u.error and unit in str(u.error) and "đã thử 3 lần" in str(u.error)
        assert "Google không phản hồi ổn định" in str(u.error) and u.error.code == "google.unreachable"


def test_sheet_not_shared_with_the_caller_is_explained_in_vietnamese(emulator):
    """Someone else's spreadsheet: the emulator answers 403 like Google, and the real backend
    tells the user to share it (the emulator knows callers by their bearer token)."""
    import requests

    from sheetsync.backends import open_source
    from sheetsync.errors import GooglePermissionError

    r = requests.post(emulator.url + "/drive/v3/files", timeout=10,
                      json={"name": "Phường khác", "mimeType": "application/vnd.google-apps.spreadsheet"},
                      headers={"Authorization": "Bearer can-bo@phuong-khac.gov.vn"})
    assert r.status_code == 200, r.text
    backend = open_source(f"gsheet:{r.json()['id']}")
    with pytest.raises(GooglePermissionError) as err:
        backend.read()
    assert "chưa được chia sẻ bảng tính này" in str(err.value) and err.value.code == "google.permission"
