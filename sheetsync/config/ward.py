"""Sources: an .xlsx file, a folder of them, or a ward file (`ward.yaml`) naming its units."""

from __future__ import annotations

import difflib
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from sheetsync.config.schema import yes_no
from sheetsync.config.yamlfile import load_yaml
from sheetsync.errors import SourceNotFound, WardConfigError
from sheetsync.text import shorten


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
    service: dict = field(default_factory=dict)  # `sheetsync serve`: schedule, smtp, base_url (web/config.py)
    extra: dict = field(default_factory=dict)


WARD_KEYS = ("ward", "name", "units", "office", "issuing_body", "place", "profile", "service")
UNIT_KEYS = ("name", "source", "exceptional")


def write_ward(path: str | Path, name: str, units: list[dict], *, profile: str | None = None,
               service: dict | None = None, **fields) -> Path:
    """Write a ward file as `load_ward` reads it: `ward`, then `fields` (office, issuing_body,
    place), `profile`, `units` (each {"name", "source", "exceptional"?}) and `service`, in that
    order, UTF-8. The demo ward, the benchmarks' and the tests' wards are all written here."""
    import yaml

    unknown = sorted(set(fields) - set(WARD_KEYS))
    if unknown:
        raise ValueError(f"not a ward.yaml key: {', '.join(unknown)}")
    raw: dict = {"ward": name, **fields}
    if profile is not None:
        raw["profile"] = profile
    raw["units"] = [dict(u) for u in units]
    if service is not None:
        raw["service"] = service
    path = Path(path)
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _unknown_keys(raw: dict, known: tuple[str, ...], where: str) -> None:
    """Refuse a key sheetsync does not know (a typo such as `wrd:` would otherwise be ignored
    and the forms would come out with an empty title), suggesting the nearest known one."""
    for key in raw:
        if str(key) in known:
            continue
        close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
        hint = f" — có phải '{close[0]}'?" if close else f" (các khóa dùng được: {', '.join(known)})"
        raise WardConfigError(f"{where}: khóa '{shorten(str(key))}' không hợp lệ{hint}")


def _text(raw: dict, key: str, where: str, default: str = "") -> str:
    """A text setting: a string or a number, never a list or a table (which str() would turn
    into a title like "['a', 'b']")."""
    value = raw.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise WardConfigError(f"{where}: '{key}' phải là một dòng chữ, không phải {_kind(value)}.")
    return str(value).strip()


def _kind(value) -> str:
    return ("một danh sách" if isinstance(value, list) else "một bảng khóa: giá trị" if isinstance(value, dict)
            else "giá trị đúng/sai" if isinstance(value, bool) else type(value).__name__)


def load_ward(path: str | Path) -> WardConfig:
    path = Path(path)
    raw = load_yaml(path, WardConfigError, "tệp cấu hình phường") or {}
    if not isinstance(raw, dict) or not isinstance(raw.get("units"), list) or not raw["units"]:
        if isinstance(raw, dict):
            _unknown_keys(raw, WARD_KEYS, str(path))
        raise WardConfigError(f"Tệp {path} cần có 'units:' là danh sách các đơn vị (mỗi đơn vị có name và source).")
    _unknown_keys(raw, WARD_KEYS, str(path))
    units = []
    for i, u in enumerate(raw["units"], start=1):
        where = f"{path}, đơn vị thứ {i}"
        if not isinstance(u, dict) or not u.get("source"):
            if isinstance(u, dict):
                _unknown_keys(u, UNIT_KEYS, where)
            raise WardConfigError(f"Đơn vị thứ {i} trong {path} thiếu 'source' (đường dẫn tệp .xlsx hoặc gsheet:<id>).")
        _unknown_keys(u, UNIT_KEYS, where)
        src = _text(u, "source", where)
        name = _text(u, "name", where)
        exceptional = yes_no(u.get("exceptional"), f"{where}, exceptional", WardConfigError)
        if not _is_remote(src):
            src = str((path.parent / src).resolve()) if not Path(src).is_absolute() else src
            if Path(src).is_dir():
                units.extend(_folder_units(Path(src), name, exceptional, where))
                continue
        units.append(UnitSpec(name or Path(src).stem, src, exceptional))
    profile = raw.get("profile")
    service = raw.get("service") or {}
    if not isinstance(service, dict):
        raise WardConfigError(f"Mục 'service:' trong {path} phải là một khối khóa: giá trị (schedule, smtp, base_url).")
    return WardConfig(
        name=_text(raw, "ward", str(path)) or _text(raw, "name", str(path)) or path.parent.name,
        units=units,
        office=_text(raw, "office", str(path)),
        issuing_body=_text(raw, "issuing_body", str(path)),
        place=_text(raw, "place", str(path)),
        profile=_text(raw, "profile", str(path)) or None if profile is not None else None,
        path=path,
        service=service,
    )


def _folder_units(folder: Path, name: str, exceptional: bool, where: str) -> list[UnitSpec]:
    """A folder as a unit's source: every .xlsx inside is a unit, named from the workbook (as
    for a folder on the command line). A `name` fits only a folder holding one workbook."""
    files = _workbooks_in(folder)
    if not files:
        raise WardConfigError(f"{where}: thư mục {folder} không có tệp .xlsx nào.")
    if name and len(files) > 1:
        raise WardConfigError(f"{where}: 'source' là thư mục có {len(files)} tệp .xlsx, mỗi tệp là một đơn vị "
                              "mang tên lưu trong tệp; hãy bỏ 'name' hoặc khai báo từng tệp.")
    if name:
        return [UnitSpec(name, str(files[0]), exceptional)]
    return [UnitSpec(unit_name_of(x), str(x), exceptional) for x in files]


def _workbooks_in(folder: Path) -> list[Path]:
    return sorted(x for x in folder.glob("*.xlsx") if not x.name.startswith(("~$", ".")) and x.is_file())


def _is_remote(source: str) -> bool:
    return source.startswith("gsheet:") or source.startswith("https://")


def unit_name_of(path: Path) -> str:
    """The unit name `init` stored in the workbook's properties, else the file name."""
    try:
        if not path.is_file():  # a FIFO or a device would hang; the backend reports it
            return path.stem
        with zipfile.ZipFile(path) as z:
            info = z.getinfo("docProps/core.xml")
            if info.file_size > 1 << 20:  # zipfile inflates no more than declared
                return path.stem
            core = z.read(info).decode("utf-8", "replace")
        m = re.search(r"<dc:subject[^>]*>([^<]+)</dc:subject>", core)
        if m:
            from html import unescape
            return unescape(m.group(1)).strip()
    except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile, zlib.error):
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
            files = _workbooks_in(p)
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
