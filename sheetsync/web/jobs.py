"""The service's work on units: sync one unit under a store lock, check an uploaded workbook,
accept it, make the month's forms. Each calls `sheetsync.service`; nothing here scores or writes
cells itself."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import threading
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sheetsync.config.ward import UnitSpec, WardConfig, load_ward
from sheetsync.engine.alignment import staff_names
from sheetsync.errors import SheetsyncError, UsageError
from sheetsync.history.store import Store, open_store, store_target
from sheetsync.web.config import ServiceConfig, service_config
from sheetsync.web.state import WebState

SERVICE_DIR = ".sheetsync-web"  # beside ward.yaml: uploads, backups, forms
MAX_UNPACKED = 300 * 1024 * 1024  # an .xlsx that unpacks to more than this is refused (zip bomb)
MAX_RATIO = 150  # nor one whose parts compress more than this (real workbooks: < 20)
XLSX_PARTS = ("[Content_Types].xml", "xl/workbook.xml")


def slug(text: str) -> str:
    """An ASCII name for URLs and files: 'Phòng Văn hóa - Xã hội' → 'phong-van-hoa-xa-hoi'."""
    t = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    t = "".join(c for c in t if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", "-", t).strip("-") or "don-vi"


@dataclass
class SyncOutcome:
    unit: str
    status: str  # "ok" | "failing" | "busy"
    message: str = ""
    requests: int = 0
    seconds: float = 0.0


@dataclass
class Ward:
    """The ward as the service sees it: its file, units, store, profile and schemas, loaded once."""

    path: Path
    config: WardConfig
    service: ServiceConfig
    store: Store
    state: WebState
    profile: object
    schemas: object
    slugs: dict[str, UnitSpec] = field(default_factory=dict)
    _forms_lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def dir(self) -> Path:
        return self.path.parent / SERVICE_DIR

    @property
    def units(self) -> list[UnitSpec]:
        return list(self.slugs.values())

    def unit(self, unit_slug: str) -> UnitSpec | None:
        return self.slugs.get(unit_slug)

    def slug_of(self, name: str) -> str:
        return next((s for s, u in self.slugs.items() if u.name == name), slug(name))

    def close(self) -> None:
        self.store.close()


def open_ward(ward_file: str | Path, store: str | None = None) -> Ward:
    """Load ward.yaml, its `service:` block and its store (SQLite beside it unless told)."""
    from sheetsync.config.profile import load_profile
    from sheetsync.config.schema import load_schemas

    path = Path(ward_file).resolve()
    if path.suffix.lower() not in (".yaml", ".yml"):
        raise UsageError("sheetsync serve cần tệp cấu hình phường (ward.yaml).", code="web.need-ward")
    config = load_ward(path)
    svc = service_config(config.service)
    target = store_target(store, [str(path)])
    if target is None:
        raise UsageError("Dịch vụ cần kho dữ liệu (bỏ --store none).", code="web.need-store")
    st = open_store(target)
    slugs: dict[str, UnitSpec] = {}
    for spec in config.units:
        s, n = slug(spec.name), 2
        while s in slugs:
            s, n = f"{slug(spec.name)}-{n}", n + 1
        slugs[s] = spec
    return Ward(path, config, svc, st, WebState(st), load_profile(config.profile), load_schemas(), slugs)


# -- syncing --------------------------------------------------------------------------------------

def _tracking(ward: Ward, unit) -> list[dict]:
    from sheetsync.history.capture import jsonable
    from sheetsync.history.tracking import due_steps, status

    ev = unit.evaluation
    rep = status({unit.unit: ev}, ward.store, ev.as_of, ward.profile)
    items = rep.items.to_dict("records")
    for month in rep.open_months.get(unit.unit, []):
        items += due_steps(unit.unit, ev, month, ev.as_of, ward.profile)
    return [{k: jsonable(v) for k, v in r.items()} for r in items]


def _bottlenecks(ward: Ward, unit) -> dict:
    """The unit's bottlenecks now (history.bottlenecks, thresholds from the profile): computed
    once per sync and kept with its result, so that no page works them out again."""
    from sheetsync.history.bottlenecks import bottlenecks

    ev = unit.evaluation
    return bottlenecks({unit.unit: ev}, ward.store, ev.as_of, ward.profile).to_dict()


def sync_unit(ward: Ward, spec: UnitSpec, *, as_of: date | None = None, by: str = "lịch") -> SyncOutcome:
    """Sync one unit (service.sync), unless another process or thread is syncing it now; record
    what the pages show. A failure is recorded as the unit failing; the next tick tries again."""
    from sheetsync import service
    from sheetsync.service.units import open_backend, unit_key

    lock = f"sync:{spec.name}"
    token = ward.state.acquire(lock)
    if token is None:
        return SyncOutcome(spec.name, "busy", "Đơn vị đang được đồng bộ ở nơi khác.")
    t0 = datetime.now()
    released = False
    try:
        run = service.run_specs(ward.config, [spec], write=True, as_of=as_of, store=ward.store,
                                profile=ward.profile, schemas=ward.schemas)
        now = datetime.now()
        if run.problems or not run.units:
            problem = run.problems[0] if run.problems else None
            msg = str(problem) if problem else "Không tìm thấy đơn vị trong tệp cấu hình phường."
            ward.state.save_unit_state(spec.name, spec.source, ok=False, now=now, result=None, tracking=None,
                                       error_code=problem.code if problem else "web.unit-missing", error_message=msg)
            return SyncOutcome(spec.name, "failing", msg)
        u = run.units[0]
        if u.reused and u.error is None:
            # Unchanged since its last sync (service.reuse): what the pages show still holds, and
            # nothing the store keeps changed. Only the times move, with the lock given back, in
            # one transaction that does not wait for the disk.
            requests = int((u.write_info or {}).get("requests", 0) or 0)
            if u.record_error is None and ward.state.note_unchanged(spec.name, spec.source, now=now,
                                                                    requests=requests, release=(lock, token)):
                released = True
                return SyncOutcome(spec.name, "ok", "", requests, (now - t0).total_seconds())
            prev = ward.state.unit_state(spec.name)
            if prev is not None and prev.get("result") and prev["status"] == "ok" and prev.get("bottlenecks") is not None:
                ward.state.save_unit_state(spec.name, spec.source, ok=u.record_error is None, now=now, result=None,
                                           tracking=None, requests=requests,
                                           error_code=u.record_error.code if u.record_error else None,
                                           error_message=str(u.record_error) if u.record_error else None)
                return SyncOutcome(spec.name, "ok", "", requests, (now - t0).total_seconds())
            # No page state yet (the store was filled by the command line, or by a version that
            # kept no bottlenecks): evaluate once in full.
            u = service.run_unit(open_backend(spec), ward.schemas, ward.profile, unit=spec.name,
                                 key=unit_key(spec.source), as_of=as_of, write=True, exceptional=spec.exceptional,
                                 store=ward.store, record=True, reuse=False)
            now = datetime.now()
        requests = int((u.write_info or {}).get("requests", 0) or 0)
        if u.evaluation is None:
            ward.state.save_unit_state(spec.name, spec.source, ok=False, now=now, result=None, tracking=None,
                                       error_code=u.error.code if u.error else None,
                                       error_message=str(u.error) if u.error else None, requests=requests)
            return SyncOutcome(spec.name, "failing", str(u.error), requests, (now - t0).total_seconds())
        result = u.to_dict()
        result["names"] = staff_names(u.evaluation.tabs.get("staff"))
        result["as_of"] = u.evaluation.as_of.strftime("%Y-%m-%d")
        problem = u.error or u.record_error
        ward.state.save_unit_state(spec.name, spec.source, ok=problem is None, now=now, result=result,
                                   tracking=_tracking(ward, u), bottlenecks=_bottlenecks(ward, u),
                                   error_code=problem.code if problem else None,
                                   error_message=str(problem) if problem else None, requests=requests)
        return SyncOutcome(spec.name, "ok" if problem is None else "failing", str(problem or ""), requests,
                           (now - t0).total_seconds())
    except SheetsyncError as exc:
        ward.state.save_unit_state(spec.name, spec.source, ok=False, now=datetime.now(), result=None,
                                   tracking=None, error_code=exc.code, error_message=str(exc))
        return SyncOutcome(spec.name, "failing", str(exc))
    finally:
        if not released:
            ward.state.release(lock, token)


# -- uploads ----------------------------------------------------------------------------------------

def check_xlsx_bytes(data: bytes, filename: str, max_bytes: int) -> None:
    """Refuse, with a message a person understands, what is not a plain .xlsx workbook of sane size."""
    if not filename.lower().endswith(".xlsx"):
        raise UsageError("Chỉ nhận tệp Excel .xlsx.", code="web.upload-type")
    if len(data) > max_bytes:
        raise UsageError(f"Tệp quá lớn ({len(data) / 1e6:.1f} MB); giới hạn {max_bytes / 1e6:.0f} MB.",
                         code="web.upload-too-large")
    if not data.startswith(b"PK\x03\x04"):
        raise UsageError("Tệp không phải bảng tính .xlsx (có thể là tệp khác bị đổi tên).", code="web.upload-type")
    import io

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()
            names = {i.filename for i in infos}
            if not all(p in names for p in XLSX_PARTS):
                raise UsageError("Tệp nén này không phải bảng tính .xlsx.", code="web.upload-type")
            total = sum(i.file_size for i in infos)
            ratio = max((i.file_size / max(i.compress_size, 1) for i in infos), default=0)
            if total > MAX_UNPACKED or ratio > MAX_RATIO:
                raise UsageError("Tệp giải nén ra quá lớn so với kích thước (nghi ngờ tệp nén độc hại); không nhận.",
                                 code="web.upload-zip-bomb")
    except zipfile.BadZipFile as exc:
        raise UsageError("Tệp .xlsx bị hỏng, không mở được.", code="web.upload-type") from exc


def store_upload(ward: Ward, spec: UnitSpec, filename: str, data: bytes, by: str, as_of: date | None = None) -> int:
    """Keep the uploaded version (never overwritten), check it at once (nothing is written into
    it, nothing recorded) and remember what the check found. Returns the upload's id."""
    from sheetsync import service

    check_xlsx_bytes(data, filename, int(ward.service.upload_max_mb * 1024 * 1024))
    folder = ward.dir / "uploads" / ward.slug_of(spec.name)
    folder.mkdir(parents=True, exist_ok=True)
    version = ward.state.next_upload_version(spec.name)
    now = datetime.now()
    path = folder / f"v{version:04d}-{now:%Y%m%d-%H%M%S}.xlsx"
    with open(path, "xb") as fh:  # "x": an existing version is never overwritten
        fh.write(data)
    run = service.validate([str(path)], store=False, profile=ward.profile, schemas=ward.schemas, as_of=as_of)
    u = run.units[0] if run.units else None
    if u is not None and u.evaluation is not None:
        result = u.to_dict()
        result["names"] = staff_names(u.evaluation.tabs.get("staff"))
    else:
        err = (u.error if u else None) or (run.problems[0] if run.problems else None)
        result = {"error": err.to_dict() if err else {"message": "Không đọc được tệp."}}
    return ward.state.add_upload(unit=spec.name, version=version, filename=Path(filename).name[:200],
                                 path=str(path), sha256=hashlib.sha256(data).hexdigest(), size=len(data), by=by,
                                 at=now, status="pending", accepted_at=None, result=result)


def accept_upload(ward: Ward, spec: UnitSpec, upload: dict, by: str) -> SyncOutcome:
    """Put an uploaded version in place of the unit's workbook (the workbook it replaces is kept
    as a backup), then sync it. The uploaded file itself stays as it was uploaded."""
    source = Path(spec.source)
    now = datetime.now()
    lock = f"sync:{spec.name}"
    token = ward.state.acquire(lock)
    if token is None:
        raise UsageError("Đơn vị đang được đồng bộ; thử lại sau ít phút.", code="web.busy")
    try:
        if source.exists():
            backups = ward.dir / "backups" / ward.slug_of(spec.name)
            backups.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, backups / f"{now:%Y%m%d-%H%M%S}-truoc-v{upload['version']:04d}.xlsx")
        tmp = source.with_name(f".{source.name}.{os.getpid()}.tmp")
        shutil.copyfile(upload["path"], tmp)
        os.replace(tmp, source)
        ward.state.mark_accepted(upload["id"], now)
    finally:
        ward.state.release(lock, token)
    return sync_unit(ward, spec, by=by)


# -- forms --------------------------------------------------------------------------------------------

def forms_dir(ward: Ward, month: str) -> Path:
    return ward.dir / "forms" / month


def make_forms(ward: Ward, month: str, as_of: date | None = None):
    """Mẫu 01A and 02A of the month, per unit and for the ward (service.report), into the
    service's forms folder; one at a time."""
    from sheetsync import service
    from sheetsync.forms.pdf import find_browser

    formats = ("xlsx", "html", "pdf") if find_browser() else ("xlsx", "html")
    with ward._forms_lock:
        rep = service.report([str(ward.path)], month=month, as_of=as_of, out=forms_dir(ward, month),
                             formats=formats, profile=ward.profile, store=ward.store)
        if rep.output is not None:
            manifest = [{"file": p.name, "kind": kind, "scope": s.kind, "unit": s.name}
                        for s in rep.output.scopes for kind, p in s.paths.items()]
            (forms_dir(ward, month) / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False),
                                                                  encoding="utf-8")
        return rep


def form_files(ward: Ward, month: str) -> list[dict]:
    """The month's forms as made: file, kind (01A.xlsx, 02A.xlsx, html, pdf), scope, unit."""
    manifest = forms_dir(ward, month) / "manifest.json"
    if not manifest.is_file():
        return []
    files = json.loads(manifest.read_text(encoding="utf-8"))
    return [f for f in files if (forms_dir(ward, month) / f["file"]).is_file()]
