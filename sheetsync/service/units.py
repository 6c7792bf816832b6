"""Validate and sync: every unit of a ward read, checked, scored, written back and recorded.

One unit's failure never stops the ward: each unit runs inside `guarded`, which turns any
failure into that unit's typed error. The loop over units is written once (`for_each_unit`)
and shared by every command that visits units (sync, validate, report, status).
"""

from __future__ import annotations

import os
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from sheetsync.collector import collect_rarely
from sheetsync.config.profile import Profile, load_profile
from sheetsync.config.schema import Schemas, load_schemas
from sheetsync.config.ward import UnitSpec, WardConfig, resolve_sources
from sheetsync.domain.calendar import month_label
from sheetsync.engine.evaluate import evaluate, plan_writes
from sheetsync.engine.grid import SheetGrid
from sheetsync.engine.summary import unit_in_summary
from sheetsync.engine.writeplan import WritePlan
from sheetsync.errors import (
    HistoryElsewhere,
    SheetsyncError,
    SourceLocked,
    StoreError,
    UnexpectedError,
    os_error,
)
from sheetsync.history.codes import MONTH_CODE, MONTH_FROZEN
from sheetsync.results import Notice, RunResult, UnitResult

Progress = Callable[[UnitSpec], None]


class Backend(Protocol):
    """What the service needs from a place where a unit's workbook lives."""

    label: str

    def read(self) -> dict[str, SheetGrid]: ...

    def write(self, plan: WritePlan) -> dict: ...


def as_of_timestamp(as_of: date | str | None) -> pd.Timestamp:
    """The evaluation date: the one given, else today."""
    return pd.Timestamp(as_of).normalize() if as_of else pd.Timestamp(date.today())


def unit_key(source: str) -> str:
    """A unit's stable identity: `gsheet:<id>` for a Google sheet, the resolved path otherwise."""
    from sheetsync.backends import is_google_source

    if is_google_source(source):
        from sheetsync.backends.google.backend import spreadsheet_id

        sid = spreadsheet_id(source)
        return f"gsheet:{sid}" if sid else source.strip()
    try:
        return str(Path(source).resolve())
    except OSError:
        return source


def guarded(spec: UnitSpec, work: Callable[[], UnitResult]) -> UnitResult:
    """Run one unit's work; any failure becomes that unit's error, never the ward's."""
    try:
        return work()
    except SheetsyncError as exc:
        return UnitResult(spec.name, spec.source, unit_key(spec.source), error=exc)
    except OSError as exc:
        return UnitResult(spec.name, spec.source, unit_key(spec.source), error=os_error(exc, spec.source))
    except MemoryError:
        return UnitResult(spec.name, spec.source, unit_key(spec.source), error=UnexpectedError(
            "Không đủ bộ nhớ để xử lý đơn vị này; tệp có thể quá lớn hoặc bị hỏng.", code="source.too-large"))
    except Exception as exc:  # noqa: BLE001 — one unit's failure must not stop the ward
        if os.environ.get("SHEETSYNC_DEBUG"):
            traceback.print_exc()
        return UnitResult(spec.name, spec.source, unit_key(spec.source), error=UnexpectedError(
            f"Lỗi không mong đợi khi xử lý đơn vị ({type(exc).__name__}: {exc}). "
            "Hãy gửi tệp và thông báo này cho bộ phận kỹ thuật."))


def for_each_unit(specs: Iterable[UnitSpec], work: Callable[[UnitSpec], UnitResult],
                  progress: Progress | None = None) -> list[UnitResult]:
    """`work` for every unit, in order, each guarded."""
    out = []
    for spec in specs:
        if progress:
            progress(spec)
        out.append(guarded(spec, lambda spec=spec: work(spec)))
    return out


def resolve_units(sources: list[str]) -> tuple[WardConfig | None, list[UnitSpec], list[Notice]]:
    """The ward and its units; the same workbook named twice is kept once, with a notice."""
    ward, specs = resolve_sources(list(sources))
    seen: dict[str, UnitSpec] = {}
    kept, notices = [], []
    for spec in specs:
        key = unit_key(spec.source)
        if key in seen:
            notices.append(Notice("ward.duplicate-source", f"Nguồn {spec.source} được nêu hai lần (đơn vị "
                                  f"'{seen[key].name}' và '{spec.name}'); chỉ xử lý một lần.", "warning"))
            continue
        seen[key] = spec
        kept.append(spec)
    return ward, kept, notices


def open_run_store(store, sources: list[str], *, create: bool = True):
    """The store a run records into: `store` may be a Store, a SQLite path or database URL
    (`none` for no store), False for none, or None for the default (see `store_target`).
    Returns (store or None, whether this call opened it). With create=False a default SQLite
    store that does not exist yet is not created (a validate has nothing to read there), and
    the database libraries are not even loaded."""
    from sheetsync.history.location import store_target

    if store is False:
        return None, False
    if store is not None and not isinstance(store, (str, os.PathLike)):
        return store, False  # a Store already open
    target = store_target(store, sources)
    if not target or (not create and store is None and "://" not in target and not Path(target).exists()):
        return None, False
    if "://" not in target:
        from sheetsync.history.location import SCHEMA_VERSION
        from sheetsync.history.quickstore import QuickStore, schema_version

        if schema_version(target) == SCHEMA_VERSION:
            # An existing SQLite store: an unchanged unit needs no database library at all.
            return QuickStore(target, lambda: _open_store(target)), True
    return _open_store(target), True


def _open_store(target: str):
    from sheetsync.history.store import open_store

    return open_store(target)


def run_unit(backend: Backend, schemas: Schemas, profile: Profile, *, unit: str | None = None, key: str = "",
             as_of=None, months: list[str] | None = None, write: bool = True, exceptional: bool = False,
             store=None, record: bool = False, reuse: bool = True, plan: bool = True) -> UnitResult:
    """Validate and score one unit, and (with write=True) bring its engine cells up to date.

    With a `store`, approved months recorded there are frozen: edits to them are reported and
    their recorded scores are what the sheet keeps showing; with `record`, the unit's months are
    recorded after the write (one transaction). A workbook that cannot be written (open in
    Excel) still gets its findings and scores reported, with the reason nothing was written.
    With a store and `reuse`, a unit read exactly as its last sync left it (same cells, date,
    schemas, profile, frozen months: see `sheetsync.service.reuse`) is not evaluated again: its
    recorded result is shown (`UnitResult.reused`). With write=False and plan=False nothing is
    planned either (`UnitResult.plan` stays None): a validate prints no plan, and building the
    summary tab costs more than a small unit's checks."""
    with collect_rarely():
        return _run_unit(backend, schemas, profile, unit=unit, key=key, as_of=as_of, months=months, write=write,
                         exceptional=exceptional, store=store, record=record, reuse=reuse, plan=plan)


def _run_unit(backend: Backend, schemas: Schemas, profile: Profile, *, unit: str | None, key: str, as_of,
              months: list[str] | None, write: bool, exceptional: bool, store, record: bool, reuse: bool,
              plan: bool) -> UnitResult:
    name = unit or backend.label
    result = UnitResult(unit=name, source=backend.label, key=key or backend.label)
    t0 = time.perf_counter()
    as_of_ts = as_of_timestamp(as_of)
    if store is not None and reuse:
        last = _reuse_unread(store, result, backend, schemas, profile, as_of_ts, months, unit, exceptional)
        if last is not None:
            t1 = time.perf_counter()
            if record:
                try:
                    store.note_unchanged(result.unit, backend.label, last.get("recorded_months", []))
                except StoreError as exc:
                    result.record_error = exc
            result.seconds = {"read": t1 - t0, "reuse": time.perf_counter() - t1}
            return result
    grids = backend.read()
    if unit is None or unit == backend.label:
        # A bare source (a file or gsheet:<id>): the unit name the workbook carries names the unit
        # (the summary tab's title line, written by `init` and kept by every sync).
        name = unit_in_summary(grids, schemas.summary_title) or getattr(backend, "title", None) or name
        result.unit = name
    t1 = time.perf_counter()
    keyed = None
    if store is not None and reuse:
        keyed = _reuse_lookup(store, result, grids, schemas, profile, as_of_ts, months, name, exceptional)
        if result.reused:
            if record:
                try:
                    store.note_unchanged(name, backend.label, keyed.last.get("recorded_months", []))
                    _remember_package(store, result, backend, keyed)
                except StoreError as exc:
                    result.record_error = exc
            requests = getattr(backend, "requests", None)
            if requests is not None:
                result.write_info = {"requests": requests}
            result.seconds = {"read": t1 - t0, "reuse": time.perf_counter() - t1}
            return result
    if store is not None and (keyed is None or keyed.last is None):  # a first sync under this name
        _history_elsewhere(store, result, backend, name, stop=write or record)
    offered = _stored_parts(store, name, result.key) if keyed is not None else None
    ev = evaluate(grids, schemas, profile, as_of=as_of_ts, unit=name, exceptional=exceptional, months=months,
                  reuse=offered, parts=store is not None)
    result.evaluation = ev
    new_parts = _new_parts(ev) if keyed is not None and record else {}
    if months and ev.scores is not None and not any(m in ev.scores.months for m in months):
        result.notices.append(Notice("run.month-without-data", "Không có hàng đánh giá nào của tháng "
                                     + ", ".join(month_label(m) for m in months)
                                     + " trong bảng tính; không ai được chấm cho tháng này.", "warning"))
    if store is not None:
        from sheetsync.history.freeze import apply_freeze

        result.freeze = apply_freeze(store, name, ev)
        for m in result.freeze.edited_months:
            n = sum(1 for e in result.freeze.edits if e.month == m)
            result.notices.append(Notice(MONTH_CODE,
                                         f"Tháng {month_label(m)} đã được phê duyệt và khóa nhưng bảng tính bị sửa "
                                         f"sau đó ({n} chỗ); điểm và xếp loại giữ theo bản đã phê duyệt.", "warning"))
        from sheetsync.history.returns import check_returns

        check_returns(store, name, ev)  # a return count lower than recorded: a warning on the row
    # Months read exactly as the last sync wrote them, with all they depend on unchanged: their
    # record is the snapshot saved then, and their rows hold what the engine wants (see `_clean_months`).
    clean = _clean_months(keyed, ev) if keyed is not None and (record or write or plan) else {}
    t2 = time.perf_counter()
    if write or plan:
        result.plan = plan_writes(ev, grids, schemas, settled=_settled_rows(keyed, ev, clean) if clean else None)
    t3 = time.perf_counter()
    if write and result.plan:
        try:
            result.write_info = backend.write(result.plan) or {}
            result.written = True
        except SourceLocked as exc:
            result.error = exc
            result.notices.append(Notice("source.not-written", "Không ghi gì vào bảng tính: " + str(exc), "warning"))
    requests = getattr(backend, "requests", None)
    if requests is not None:  # API backends count their requests, reads included
        result.write_info = {**result.write_info, "requests": requests}
    t4 = time.perf_counter()
    rec = None
    if store is not None and record and result.error is None:
        try:
            rec = store.record_unit(name, backend.label, ev, run_kind="sync",
                                    known=clean if keyed is not None else None)
        except Exception as exc:  # noqa: BLE001 — the workbook is written: say so, whatever the store did
            result.record_error = record_failure(exc)
        else:
            for m in rec.frozen_now:
                result.notices.append(Notice(MONTH_FROZEN, f"Tháng {month_label(m)}: mọi người đã có xếp "
                                             "loại được phê duyệt; tháng được khóa. Sửa đổi sau này sẽ được báo, "
                                             "không được tính (mở lại bằng 'sheetsync reopen')."))
    if keyed is not None and rec is not None and new_parts is not None and result.record_error is None:
        try:
            store.save_month_parts(name, result.key, new_parts, None if ev.month_filter else list(ev.parts))
        except StoreError as exc:
            result.record_error = exc
    t5 = time.perf_counter()
    if keyed is not None and rec is not None and not rec.frozen_now and write and result.record_error is None:
        # The workbook now holds what the engine wants: the next sync that reads it so reuses this.
        _reuse_save(store, result, grids, keyed, rec, None if result.written else getattr(backend, "package", None))
    t6 = time.perf_counter()
    result.seconds = {"read": t1 - t0, "check_and_score": t2 - t1, "plan": t3 - t2, "write": t4 - t3,
                      "record": t5 - t4 + (t6 - t5)}
    return result


def _history_elsewhere(store, result: UnitResult, backend: Backend, name: str, stop: bool) -> None:
    """A unit with nothing recorded whose workbook has a history under another name was renamed
    in the ward file: a sync would score its approved months afresh and start a second history,
    so it stops (the other units go on); a validate only warns."""
    others = store.history_elsewhere(name, backend.label, result.key)
    if not others:
        return
    o = others[0]
    frozen = f", trong đó {len(o.frozen)} tháng đã phê duyệt và khóa" if o.frozen else ""
    text = (f"Bảng tính này đã được ghi lịch sử dưới tên đơn vị «{o.unit}» ({len(o.months)} tháng{frozen}), "
            f"còn «{name}» chưa có lịch sử. Nếu đơn vị đã đổi tên, hãy chuyển lịch sử sang tên mới: "
            f"sheetsync rename-unit <ward.yaml> --from \"{o.unit}\" --to \"{name}\". Nếu là đơn vị khác, "
            "hãy dùng một bảng tính khác.")
    if stop:
        raise HistoryElsewhere(text + " Chưa ghi gì.")
    result.notices.append(Notice(HistoryElsewhere.code, text, "warning"))


@dataclass
class _Keyed:
    """What the reuse lookup learnt, for saving the unit's new result after a sync."""

    text: Any  # reuse.GridText of the cells as read
    key_of: Callable[[str], str]  # content hash → the result's key
    context: tuple  # what every month print depends on besides the cells
    last: dict | None  # the unit's last saved result, matching or not (brief when not: see `_reuse_lookup`)
    layout: Any = None  # reuse.MonthLayout of the evaluation, once made (`month_layout`)

    def month_layout(self, ev):
        import sheetsync.service.reuse as reuse

        if self.layout is None:
            self.layout = reuse.MonthLayout(ev)
        return self.layout


def _reuse_lookup(store, result: UnitResult, grids, schemas: Schemas, profile: Profile, as_of: pd.Timestamp,
                  months, name: str, exceptional: bool) -> _Keyed:
    """Fill `result` from the store when the unit is as its last sync left it. Returns what
    recording and saving a new result need."""
    import sheetsync.service.reuse as reuse

    text = reuse.GridText(grids, schemas.summary_title)
    content = text.digest()
    frozen: list[tuple[str, int]] = []

    def key_of(content: str) -> str:
        return reuse.run_key(content, schemas=schemas, profile=profile, as_of=as_of, months=months, unit=name,
                             exceptional=exceptional, frozen=frozen)

    def wanted(now_frozen: list[tuple[str, int]]) -> tuple[str, None]:
        frozen[:] = now_frozen
        return key_of(content), None

    _, last, whole = store.reuse_lookup(name, result.key, wanted)
    if whole:
        reuse.restore(result, last[1])
    context = reuse.month_context(schemas=schemas, profile=profile, as_of=as_of, months=months, unit=name,
                                  exceptional=exceptional, frozen=frozen)
    return _Keyed(text, key_of, context, None if last is None else last[1])


def _stored_parts(store, name: str, key: str) -> dict:
    """The month parts kept by the unit's earlier syncs, as the engine takes them (a part kept by
    other code or in another format is not offered)."""
    import sheetsync.service.reuse as reuse

    try:
        kept = store.month_parts(name, key)
    except StoreError:
        return {}  # nothing offered: every month is scored
    parts = {m: reuse.part_from(data) for m, data in kept.items()}
    return {m: p for m, p in parts.items() if p is not None}


def _new_parts(ev) -> dict[str, dict] | None:
    """The month parts this evaluation scored afresh, as JSON, taken before the freeze puts a
    frozen month's recorded scores into the evaluation. None when one cannot be kept (then no
    part is saved and the next sync scores every month)."""
    import sheetsync.service.reuse as reuse

    try:
        return {m: reuse.part_data(p) for m, p in ev.parts.items() if not p.reused}
    except TypeError:
        return None


def _clean_months(keyed: _Keyed, ev) -> dict[str, str]:
    """Months whose print matches the one saved with the last result (month → the content hash
    of the snapshot saved beside it). The print was taken of the workbook as that sync wrote it,
    so such a month's rows are read exactly as written then, and everything else its record
    depends on (configuration, date, frozen months, other tabs, every row's key) is unchanged:
    the store need not capture it again, and its rows' engine cells hold what the engine wants."""
    saved = (keyed.last or {}).get("month_prints") or {}
    if not saved:
        return {}
    prints = keyed.text.month_prints(ev, keyed.context, keyed.month_layout(ev))
    return {m: h for m, (p, h) in saved.items() if prints.get(m) == p}


def _settled_rows(keyed: _Keyed, ev, clean: dict[str, str]) -> dict[str, pd.Index]:
    """Per month tab (by name), the rows of the `clean` months: `plan_writes` need not work out
    nor compare their engine cells."""
    layout = keyed.month_layout(ev)
    out = {}
    for name, b in ev.bound.items():
        rows = layout.rows_in(b.title, clean)
        if len(rows):
            out[name] = pd.Index(rows, dtype="int64")
    return out


def _reuse_save(store, result: UnitResult, grids, keyed: _Keyed, rec, package: str | None) -> None:
    """Save the unit's new result under the key of the workbook as written; with `package`
    (the print of the package read, when nothing was written) also under that print."""
    import sheetsync.service.reuse as reuse
    from sheetsync.history.capture import capture_months

    text = keyed.text.written(grids, result.plan) if result.written else keyed.text
    data = reuse.compact(result)
    data["recorded_months"] = capture_months(result.evaluation)
    prints = text.month_prints(result.evaluation, keyed.context, keyed.month_layout(result.evaluation))
    data["month_prints"] = {m: [prints[m], h] for m, h in rec.hashes.items() if m in prints}
    if package is not None:
        data["package"] = keyed.key_of(reuse.PACKAGE + package)
    try:
        store.save_result(result.unit, result.key, keyed.key_of(text.digest()), data)
    except StoreError as exc:
        result.record_error = exc


def _reuse_unread(store, result: UnitResult, backend: Backend, schemas: Schemas, profile: Profile,
                  as_of: pd.Timestamp, months, unit: str | None, exceptional: bool) -> dict | None:
    """Fill `result` from the store without reading the workbook when its package is byte for
    byte the one a matching read last saw (`reuse.package_key`; only backends that can tell,
    the .xlsx one). Returns the saved result, or None: the workbook is then read as usual. A
    bare workbook is named by its summary tab: each unit saved for it is tried, and only the
    one whose key matches (the name is part of it) can be reused."""
    printer = getattr(backend, "package_print", None)
    package = printer() if printer is not None else None
    if package is None:
        return None
    import sheetsync.service.reuse as reuse

    names = [unit] if unit is not None and unit != backend.label else store.reuse_units(result.key)
    for name in names:
        def wanted(frozen: list[tuple[str, int]], name: str = name) -> tuple[None, str]:
            return None, reuse.package_key(package, schemas=schemas, profile=profile, as_of=as_of, months=months,
                                           unit=name, exceptional=exceptional, frozen=frozen)

        _, last, whole = store.reuse_lookup(name, result.key, wanted)
        if whole:  # the package print saved in it is the one wanted
            reuse.restore(result, last[1])
            result.unread = True
            return last[1]
    return None


def _remember_package(store, result: UnitResult, backend: Backend, keyed: _Keyed) -> None:
    """A read that matched the saved result vouches for the package it read: keep its print
    beside the result, so that the next sync of the same bytes need not read them."""
    import sheetsync.service.reuse as reuse

    package = getattr(backend, "package", None)
    last = keyed.last
    if package is None or last is None:
        return
    wanted = keyed.key_of(reuse.PACKAGE + package)
    if last.get("package") != wanted:
        store.save_result(result.unit, result.key, keyed.key_of(keyed.text.digest()), {**last, "package": wanted})


def record_failure(exc: BaseException) -> StoreError:
    """Why the history store could not record a unit whose workbook was already written, said in
    Vietnamese (a full disk is the usual cause); the next sync records it again."""
    if isinstance(exc, StoreError):
        return exc
    text = str(exc).lower()
    full = "disk is full" in text or "no space" in text or getattr(exc, "errno", None) == 28
    why = "ổ đĩa đã đầy" if full else f"lỗi của kho dữ liệu ({type(exc).__name__})"
    return StoreError(f"Bảng tính đã được ghi nhưng chưa lưu được vào kho lịch sử: {why}. Giải phóng dung lượng "
                      "hoặc kiểm tra kho rồi chạy lại 'sheetsync sync'; lần sau sẽ lưu bù.", code="store.write-failed")


def load_run_profile(profile, ward: WardConfig | None) -> Profile:
    """The profile a run uses: the one given, else the ward's (a path in ward.yaml is relative to
    the ward file), else the default."""
    if isinstance(profile, Profile):
        return profile
    if profile:
        return load_profile(profile)
    spec = ward.profile if ward else None
    if spec and ward.path is not None and str(spec).endswith((".yaml", ".yml")) and not Path(spec).is_absolute():
        spec = ward.path.parent / spec
    return load_profile(spec)


def run(sources: list[str], *, write: bool, month: str | None = None, as_of: date | str | None = None,
        profile: str | Path | Profile | None = None, schemas: Schemas | None = None,
        progress: Progress | None = None, store=None, mode: str | None = None,
        only: Iterable[str] | None = None) -> RunResult:
    """Validate (write=False) or sync (write=True) every unit named by `sources` (with `only`,
    just the units of those names: the web service syncs one unit at a time). A sync records
    every unit's months in the store (see `open_run_store`); both honour frozen months."""
    as_of_ts = as_of_timestamp(as_of)
    months = [month] if month else None
    mode = mode or ("sync" if write else "validate")
    try:
        ward, specs, notices = resolve_units(list(sources))
        if only is not None:
            wanted = set(only)
            specs = [s for s in specs if s.name in wanted]
        prof = load_run_profile(profile, ward)
        schemas = schemas or load_schemas()
        st, opened = open_run_store(store, sources, create=write or mode == "report")
    except SheetsyncError as exc:
        try:
            prof = load_run_profile(profile, None)
        except SheetsyncError:
            prof = None
        return RunResult(mode, [], prof, as_of_ts, months, None, [exc])
    except OSError as exc:
        return RunResult(mode, [], None, as_of_ts, months, None, [os_error(exc, ", ".join(sources))])

    try:
        return run_specs(ward, specs, write=write, profile=prof, schemas=schemas, store=st, as_of=as_of_ts,
                         month=month, mode=mode, progress=progress, notices=notices)
    finally:
        if opened:
            st.close()


def run_specs(ward: WardConfig | None, specs: list[UnitSpec], *, write: bool, profile: Profile, schemas: Schemas,
              store=None, as_of: date | str | pd.Timestamp | None = None, month: str | None = None,
              mode: str | None = None, progress: Progress | None = None,
              notices: Iterable[Notice] = ()) -> RunResult:
    """`run` over units already resolved, with the profile, schemas and store (open, or None)
    already loaded: the ward service keeps these for its lifetime and syncs one unit at a time,
    so a tick costs one pass over the units, not one reading of ward.yaml per unit."""
    as_of_ts = as_of_timestamp(as_of)
    months = [month] if month else None
    mode = mode or ("sync" if write else "validate")

    def one(spec: UnitSpec) -> UnitResult:
        backend = open_backend(spec)
        return run_unit(backend, schemas, profile, unit=spec.name, key=unit_key(spec.source), as_of=as_of_ts,
                        months=months, write=write, exceptional=spec.exceptional, store=store, record=write,
                        reuse=mode in ("sync", "validate"), plan=write)

    result = RunResult(mode, for_each_unit(specs, one, progress), profile, as_of_ts, months, ward, [],
                       list(notices))
    check_duplicates(result)
    return result


def open_backend(spec: UnitSpec):
    from sheetsync.backends import open_source

    return open_source(spec.source, unit=spec.name)


def check_duplicates(result: RunResult) -> None:
    """Two units with one name (two copies of a workbook in a folder) or one `Mã cán bộ` in two
    units: warned; a unit named like an earlier one is left out of forms and history."""
    first: dict[str, UnitResult] = {}
    for u in result.units:
        if u.evaluation is None:
            continue
        if u.unit in first:
            u.duplicate_of = first[u.unit].source
            result.notices.append(Notice("ward.duplicate-unit", f"Đơn vị '{u.unit}' có hai bảng tính ({first[u.unit].source} "
                                         f"và {u.source}); bảng tính thứ hai không được tính vào biểu mẫu và lịch sử. "
                                         "Hãy xoá bản sao hoặc đặt tên đơn vị khác.", "warning"))
        else:
            first[u.unit] = u
    owners: dict[str, list[str]] = {}
    for u in first.values():
        for sid in u.evaluation.staff_ids():
            owners.setdefault(sid.strip().upper(), []).append(u.unit)
    shared = {sid: units for sid, units in owners.items() if len(units) > 1}
    for sid, units in sorted(shared.items())[:20]:
        result.notices.append(Notice("ward.duplicate-staff", f"Mã cán bộ {sid} có trong danh sách của nhiều đơn vị: "
                                     + ", ".join(units) + "; một người chỉ được đánh giá ở một đơn vị mỗi tháng.",
                                     "warning"))
    if len(shared) > 20:
        result.notices.append(Notice("ward.duplicate-staff", f"... và {len(shared) - 20} mã cán bộ trùng khác.",
                                     "warning"))


def validate(sources: list[str], **kwargs) -> RunResult:
    """Check every unit; never writes."""
    return run(sources, write=False, **kwargs)


def sync(sources: list[str], **kwargs) -> RunResult:
    """Check, score and write back every unit, recording its months in the history store."""
    return run(sources, write=True, **kwargs)
