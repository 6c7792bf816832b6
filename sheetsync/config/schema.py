"""Tab schemas: the sheet contract as plain objects, loaded from the YAML files in `schemas/`.

Nothing about a particular column lives in code: the validator, the write-back and `init` all
read these objects, so adding a column or a rule to a tab is a YAML edit.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sheetsync.config.resources import schemas_dir
from sheetsync.config.yamlfile import load_yaml
from sheetsync.domain.ratings import RatingScale
from sheetsync.errors import ConfigError, SchemaError
from sheetsync.text import normalize_key, shorten

RATING_ENUM = "rating"  # the enum a profile's rating scale replaces
FIELD_TYPES = {"text", "number", "integer", "percent", "date", "month", "period", "week", "time", "enum", "list"}


@dataclass(frozen=True)
class EnumValue:
    value: str
    code: str | None = None
    aliases: tuple[str, ...] = ()
    short: str | None = None  # a narrow label for tables (the rating scale's)


@dataclass
class Enum:
    name: str
    values: list[EnumValue]

    def lookup(self) -> dict[str, str]:
        """Normalised text (value, code or alias) → canonical value."""
        table: dict[str, str] = {}
        for v in self.values:
            for text in (v.value, v.code, v.short, *v.aliases):
                if text:
                    table.setdefault(normalize_key(str(text)), v.value)
        return table

    @property
    def canonical(self) -> list[str]:
        return [v.value for v in self.values]


@dataclass
class Bound:
    """A min or max: a constant, or another field of the same row."""

    value: float | None = None
    field: str | None = None
    exclusive: bool = False
    severity: str = "error"
    code: str | None = None

    @classmethod
    def parse(cls, raw: Any) -> Bound | None:
        if raw is None:
            return None
        if isinstance(raw, (int, float)) and not isinstance(raw, bool):
            return cls(value=float(raw))
        if isinstance(raw, dict):
            value = raw.get("value")
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
                raise SchemaError(f"min/max: `value` phải là một số, không phải {value!r}")
            return cls(
                value=float(value) if value is not None else None,
                field=raw.get("field"),
                exclusive=_flag(raw, "exclusive", False, "min/max"),
                severity=raw.get("severity", "error"),
                code=raw.get("code"),
            )
        raise SchemaError(f"min/max phải là một số hoặc một bảng {{value, field, exclusive, severity}}, không phải {raw!r}")


@dataclass
class Field:
    key: str
    header: str
    type: str = "text"
    aliases: list[str] = field(default_factory=list)
    required: bool = False
    unique: bool = False
    enum: Enum | None = None
    default: str | None = None
    min: Bound | None = None
    max: Bound | None = None
    pattern: str | None = None
    expected: str | None = None
    normalize: str | None = None
    max_length: int | None = None
    ref: dict | None = None
    required_when: dict | None = None
    not_before: str | None = None
    engine: bool = False
    optional_column: bool = False  # may be absent from a workbook without a finding
    profile_only: bool = False  # laid out by `init` only when the profile scores it (the bonus)
    score_neutral: bool = False  # an error here is reported but does not hold back the row's score
    width: float | None = None
    note: str | None = None

    @property
    def match_keys(self) -> set[str]:
        return {normalize_key(h) for h in [self.header, *self.aliases]}


@dataclass
class Check:
    """A row rule: when the condition holds, the row gets a finding on `column`."""

    code: str
    when: dict
    column: str
    message: str
    severity: str = "warning"


@dataclass
class SumRule:
    code: str
    group_by: list[str]
    field: str
    equals: float
    message: str
    severity: str = "error"


@dataclass(frozen=True)
class PrintLayout:
    """How a tab prints (`print:` in its schema): never smaller than `min_scale` percent, so a wide
    tab prints on several pages across instead of shrinking to unreadable type; then its first
    `repeat_columns` columns (the row's code) are printed again on every page."""

    min_scale: int = 65
    repeat_columns: int = 1

    @classmethod
    def parse(cls, raw, tab: str) -> PrintLayout:
        if raw is None:
            return cls()
        if not isinstance(raw, dict) or set(raw) - {"min_scale", "repeat_columns"}:
            raise SchemaError(f"{tab}.print: chỉ nhận min_scale (phần trăm, 10–100) và repeat_columns (số cột).")
        out = cls(**raw)
        if not (isinstance(out.min_scale, int) and 10 <= out.min_scale <= 100) or not (
                isinstance(out.repeat_columns, int) and out.repeat_columns >= 0):
            raise SchemaError(f"{tab}.print: min_scale phải là số nguyên 10–100, repeat_columns là số nguyên ≥ 0.")
        return out


@dataclass
class TabSchema:
    name: str
    title: str
    fields: list[Field]
    aliases: list[str] = field(default_factory=list)
    required: bool = True
    key: list[str] = field(default_factory=list)
    month_field: str | None = None
    tree: dict | None = None
    key_message: str | None = None  # the duplicate-key message, {header} and {others} filled in
    checks: list[Check] = field(default_factory=list)
    sums: list[SumRule] = field(default_factory=list)
    print: PrintLayout = field(default_factory=lambda: PrintLayout())

    def field(self, key: str) -> Field:
        for f in self.fields:
            if f.key == key:
                return f
        raise KeyError(f"{self.name}: no field {key!r}")

    @property
    def input_fields(self) -> list[Field]:
        return [f for f in self.fields if not f.engine]

    @property
    def engine_fields(self) -> list[Field]:
        return [f for f in self.fields if f.engine]

    @property
    def match_keys(self) -> set[str]:
        return {normalize_key(t) for t in [self.title, *self.aliases]}


@dataclass
class SummaryColumn:
    key: str
    header: str
    width: float = 12
    style: str = "text"
    profile_bonus_only: bool = False


@dataclass
class Schemas:
    """Every tab of the unit workbook, the named enums and the engine-owned summary tab."""

    tabs: dict[str, TabSchema]
    enums: dict[str, Enum]
    summary_title: str
    summary_columns: list[SummaryColumn]
    source: Path | None = None

    def __getitem__(self, name: str) -> TabSchema:
        return self.tabs[name]

    def with_ratings(self, scale: RatingScale) -> Schemas:
        """A copy whose `rating` enum is the profile's scale, so rating columns accept exactly the
        profile's bands (any number, any names); self when they already agree."""
        current = self.enums.get(RATING_ENUM)
        enum = Enum(RATING_ENUM, [EnumValue(r.name, r.code, r.aliases, r.short) for r in scale])
        if current is not None and current.canonical == enum.canonical and current.lookup() == enum.lookup():
            return self
        clone = copy.copy(self)
        clone.enums = {**self.enums, RATING_ENUM: enum}
        clone.tabs = {}
        for name, tab in self.tabs.items():
            if any(f.enum is not None and f.enum.name == RATING_ENUM for f in tab.fields):
                tab = copy.copy(tab)
                tab.fields = [dataclasses.replace(f, enum=enum) if f.enum is not None and f.enum.name == RATING_ENUM
                              else f for f in tab.fields]
            clone.tabs[name] = tab
        return clone

    def with_overrides(self, overrides: dict | None) -> Schemas:
        """A copy with field attributes replaced, e.g. a profile's maximum general points."""
        if not overrides:
            return self
        clone = copy.deepcopy(self)
        for tab_name, fields in overrides.items():
            tab = clone.tabs.get(tab_name)
            if tab is None:
                raise SchemaError(f"field_overrides nêu trang không có trong lược đồ: {tab_name!r}")
            if not isinstance(fields, dict) or not all(isinstance(a, dict) for a in fields.values()):
                raise SchemaError(f"field_overrides.{tab_name} phải là bảng cột → {{thuộc tính: giá trị}}")
            for key, attrs in fields.items():
                try:
                    f = tab.field(key)
                except KeyError:
                    raise SchemaError(f"field_overrides.{tab_name} nêu cột không có trong lược đồ: {key!r}") from None
                for attr, raw in attrs.items():
                    if attr in ("min", "max"):
                        setattr(f, attr, Bound.parse(raw))
                    elif hasattr(f, attr):
                        setattr(f, attr, raw)
                    else:
                        raise SchemaError(f"field_overrides có thuộc tính cột không hợp lệ: {attr!r}")
        return clone


TAB_FILES = ("staff", "catalogue", "tasks", "evaluations", "okr", "weekly", "schedule")


def _load_yaml(path: Path) -> Any:
    if not path.exists():
        raise SchemaError(f"không tìm thấy tệp lược đồ {path}")
    return load_yaml(path, SchemaError, "tệp lược đồ")


def _flag(raw: dict, key: str, default: bool, where: str) -> bool:
    """A yes/no attribute of a column or tab (`required: true`), read like the sheets' yes/no."""
    return yes_no(raw.get(key), f"lược đồ {where}, `{key}`", SchemaError, default)


# -- yes/no settings --------------------------------------------------------------------------------

def yes_no(value: Any, where: str, error: type[Exception] = ConfigError, default: bool = False) -> bool:
    """A yes/no setting read the way the sheets read their yes/no columns (the schemas' `yesno`
    list: Có/Không, true/false, 1/0, x...), so `"false"` and `Không` mean no. Anything else is
    refused with a message, never taken as "yes" because it is a non-empty string."""
    from sheetsync.engine.values import yes_no as read_yes_no

    if value is None:
        return default
    lookup, yes = _yes_no_enum()
    answer = read_yes_no(value, lookup, yes)
    if answer is None:
        raise error(f"{where}: '{value}' không phải giá trị có/không; hãy ghi Có hoặc Không "
                    "(true/false, 1/0 cũng được).")
    return answer


def yes_no_lookup() -> dict[str, str]:
    """The `yesno` enum of the schemas in use (normalised text → Có/Không), read once."""
    return _yes_no_enum()[0]


def yes_value() -> str:
    """The canonical "yes" of the `yesno` enum (its first value)."""
    return _yes_no_enum()[1]


def _yes_no_enum() -> tuple[dict[str, str], str]:
    """(`yes_no_lookup`, `yes_value`) of the schemas in use, read once per folder."""
    folder = schemas_dir()
    key = str(folder)
    cached = _YES_NO_CACHE.get(key)
    if cached is None:
        enums = _parse_enums(load_yaml(folder / "enums.yaml", what="tệp danh mục"))
        enum = enums.get("yesno")
        cached = (enum.lookup(), enum.canonical[0]) if enum is not None else ({}, "Có")
        _YES_NO_CACHE[key] = cached
    return cached


_YES_NO_CACHE: dict[str, tuple[dict[str, str], str]] = {}


def _parse_enums(raw: dict) -> dict[str, Enum]:
    enums = {}
    for name, values in (raw or {}).items():
        enums[name] = Enum(
            name,
            [EnumValue(str(v["value"]), v.get("code"), tuple(str(a) for a in v.get("aliases", [])), v.get("short"))
             for v in values],
        )
    return enums


def _parse_field(raw: dict, enums: dict[str, Enum], tab: str) -> Field:
    try:
        key, header = raw["key"], raw["header"]
    except KeyError as exc:
        raise SchemaError(f"{tab}: một cột thiếu thuộc tính {exc}") from None
    ftype = raw.get("type", "text")
    if ftype not in FIELD_TYPES:
        raise SchemaError(f"{tab}.{key}: kiểu không hợp lệ {ftype!r} (unknown type; cần một trong: {', '.join(sorted(FIELD_TYPES))})")
    enum = None
    if ftype == "enum":
        spec = raw.get("enum")
        if isinstance(spec, str):
            if spec not in enums:
                raise SchemaError(f"{tab}.{key}: danh mục {spec!r} không có trong enums.yaml")
            enum = enums[spec]
        elif isinstance(spec, list):
            enum = Enum(f"{tab}.{key}", [EnumValue(str(v)) for v in spec])
        else:
            raise SchemaError(f"{tab}.{key}: cột kiểu enum cần `enum:` (một danh sách hoặc tên danh mục trong enums.yaml)")
    known = set(Field.__dataclass_fields__) | {"enum"}
    unknown = set(raw) - known
    if unknown:
        raise SchemaError(f"{tab}.{key}: thuộc tính không hợp lệ {sorted(unknown)}")
    return Field(
        key=key,
        header=str(header),
        type=ftype,
        aliases=[str(a) for a in raw.get("aliases", [])],
        required=_flag(raw, "required", False, f"{tab}.{key}"),
        unique=_flag(raw, "unique", False, f"{tab}.{key}"),
        enum=enum,
        default=raw.get("default"),
        min=Bound.parse(raw.get("min")),
        max=Bound.parse(raw.get("max")),
        pattern=raw.get("pattern"),
        expected=raw.get("expected"),
        normalize=raw.get("normalize"),
        max_length=raw.get("max_length"),
        ref=raw.get("ref"),
        required_when=raw.get("required_when"),
        not_before=raw.get("not_before"),
        engine=_flag(raw, "engine", False, f"{tab}.{key}"),
        optional_column=_flag(raw, "optional_column", False, f"{tab}.{key}"),
        profile_only=_flag(raw, "profile_only", False, f"{tab}.{key}"),
        score_neutral=_flag(raw, "score_neutral", False, f"{tab}.{key}"),
        width=raw.get("width"),
        note=raw.get("note"),
    )


def _parse_tab(raw: dict, enums: dict[str, Enum]) -> TabSchema:
    name = raw["name"]
    fields = [_parse_field(f, enums, name) for f in raw.get("fields", [])]
    tab = TabSchema(
        name=name,
        title=raw["title"],
        fields=fields,
        aliases=list(raw.get("aliases", [])),
        required=_flag(raw, "required", True, name),
        key=list(raw.get("key", [])),
        month_field=raw.get("month_field"),
        tree=raw.get("tree"),
        key_message=raw.get("key_message"),
        checks=[Check(**c) for c in raw.get("checks", [])],
        sums=[SumRule(**s) for s in raw.get("sums", [])],
        print=PrintLayout.parse(raw.get("print"), name),
    )
    keys = {f.key for f in fields}
    for k in tab.key:
        if k not in keys:
            raise SchemaError(f"{name}: khóa {k!r} không phải là một cột của trang")
    return tab


def load_schemas(directory: str | Path | None = None) -> Schemas:
    """Load every tab schema from `directory` (default: the bundled `schemas/`)."""
    root = Path(directory) if directory else schemas_dir()
    try:
        return _load_schemas(root)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        # A schema file of the wrong shape (a list where a table belongs, a missing key).
        raise SchemaError(f"bộ lược đồ {root} không đúng cấu trúc ({type(exc).__name__}: {shorten(str(exc), 120)}); "
                          "hãy đối chiếu với các tệp trong schemas/ đi kèm sheetsync") from None


def _load_schemas(root: Path) -> Schemas:
    enums = _parse_enums(_load_yaml(root / "enums.yaml"))
    tabs = {}
    for stem in TAB_FILES:
        raw = _load_yaml(root / f"{stem}.yaml")
        tab = _parse_tab(raw, enums)
        tabs[tab.name] = tab
    summary = _load_yaml(root / "summary.yaml")
    columns = [SummaryColumn(**c) for c in summary["columns"]]
    return Schemas(tabs=tabs, enums=enums, summary_title=summary["title"], summary_columns=columns, source=root)
