"""Sources: an .xlsx file, a folder of them, or a ward file (`ward.yaml`) naming its units."""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from sheetsync.config.resources import read_yaml
from sheetsync.errors import SourceNotFound, WardConfigError


@dataclass
class UnitSpec:
    name: str
    source: str
    exceptional: bool = False


@dataclass
class WardConfig:
    name: str
    units: list[UnitSpec]
    office: str = ""
    issuing_body: str = ""
    place: str = ""
    profile: str | None = None
    path: Path | None = None
    extra: dict = field(default_factory=dict)


def load_ward(path: str | Path) -> WardConfig:
    path = Path(path)
    try:
        raw = read_yaml(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise WardConfigError(f"Không đọc được tệp cấu hình phường {path}: {exc.strerror or exc}.") from exc
    except yaml.YAMLError as exc:
        raise WardConfigError(f"Tệp {path} không đúng cú pháp YAML: {exc}") from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("units"), list) or not raw["units"]:
        raise WardConfigError(f"Tệp {path} cần có 'units:' là danh sách các đơn vị (mỗi đơn vị có name và source).")
    units = []
    for i, u in enumerate(raw["units"], start=1):
        if not isinstance(u, dict) or not u.get("source"):
            raise WardConfigError(f"Đơn vị thứ {i} trong {path} thiếu 'source' (đường dẫn tệp .xlsx hoặc gsheet:<id>).")
        src = str(u["source"])
        if not _is_remote(src):
            src = str((path.parent / src).resolve()) if not Path(src).is_absolute() else src
        units.append(UnitSpec(str(u.get("name") or Path(src).stem), src, bool(u.get("exceptional", False))))
    known = {"ward", "name", "units", "office", "issuing_body", "place", "profile"}
    return WardConfig(
        name=str(raw.get("ward") or raw.get("name") or path.parent.name),
        units=units,
        office=str(raw.get("office", "")),
        issuing_body=str(raw.get("issuing_body", "")),
        place=str(raw.get("place", "")),
        profile=raw.get("profile"),
        path=path,
        extra={k: v for k, v in raw.items() if k not in known},
    )


def _is_remote(source: str) -> bool:
    return source.startswith("gsheet:") or source.startswith("https://")


def unit_name_of(path: Path) -> str:
    """The unit name `init` stored in the workbook's properties, else the file name."""
    try:
        with zipfile.ZipFile(path) as z:
            core = z.read("docProps/core.xml").decode("utf-8", "replace")
        m = re.search(r"<dc:subject[^>]*>([^<]+)</dc:subject>", core)
        if m:
            from html import unescape
            return unescape(m.group(1)).strip()
    except (OSError, KeyError, zipfile.BadZipFile):
        pass
    return path.stem


def resolve_sources(specs: list[str]) -> tuple[WardConfig | None, list[UnitSpec]]:
    """Expand SOURCE arguments into units. A ward file brings its own settings."""
    ward: WardConfig | None = None
    units: list[UnitSpec] = []
    for spec in specs:
        if _is_remote(spec):
            units.append(UnitSpec(spec, spec))
            continue
        p = Path(spec)
        if p.suffix.lower() in (".yaml", ".yml"):
            if not p.exists():
                raise WardConfigError(f"Không tìm thấy tệp cấu hình phường {p}.")
            w = load_ward(p)
            ward = ward or w
            units.extend(w.units)
        elif p.is_dir():
            files = sorted(x for x in p.glob("*.xlsx") if not x.name.startswith(("~$", ".")))
            if not files:
                raise WardConfigError(f"Thư mục {p} không có tệp .xlsx nào.")
            units.extend(UnitSpec(unit_name_of(x), str(x)) for x in files)
        elif p.suffix.lower() in (".xlsx", ".xlsm"):
            if not p.exists():
                raise SourceNotFound(f"Không tìm thấy tệp {p}.")
            units.append(UnitSpec(unit_name_of(p), str(p)))
        else:
            raise WardConfigError(f"Không nhận ra nguồn '{spec}': cần tệp .xlsx, thư mục chứa tệp .xlsx, "
                                  "tệp ward.yaml hoặc gsheet:<id>.")
    return ward, units
