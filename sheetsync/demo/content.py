"""The demo's content, read from `data/*.yaml`: names, products, task templates, units and
their posts and objectives, how people perform, the problems to plant, places.

Everything here is data; the generator's modules decide how it is drawn. The files are read
once per process (`content()`), with the package's one YAML loader (`config.yamlfile`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).with_name("data")

# The rating scale the demo plans with, as nd335 spells it, and how people write it in a sheet.
RATINGS = XS, GOOD, PASS, FAIL = ("Hoàn thành xuất sắc nhiệm vụ", "Hoàn thành tốt nhiệm vụ",
                                  "Hoàn thành nhiệm vụ", "Không hoàn thành nhiệm vụ")
RATING_CODES = {XS: "HTXSNV", GOOD: "HTTNV", PASS: "HTNV", FAIL: "KHTNV"}
RATING_LETTERS = {XS: "A", GOOD: "B", PASS: "C", FAIL: "D"}
BY_CODE = {code: rating for rating, code in RATING_CODES.items()}
HEAD, DEPUTY = "Người đứng đầu", "Cấp phó"
CONTRACT = "Lao động hợp đồng"
APPROVED, RETURNED, YES = "Đạt", "Trả lại", "Có"


@dataclass(frozen=True)
class Post:
    """A post on a unit's roster. `reports_to` names the slot of the direct manager."""

    slot: str
    position: str
    job: str
    department: str
    category: str
    role: str  # a role of tasks.yaml: what kind of work the holder is given
    reports_to: str | None = None
    leader: str = ""
    peer_group: str = ""
    female: float = 0.55


@dataclass(frozen=True)
class Product:
    name: str
    unit_of_measure: str
    coefficient: float | str  # a str is typed as text with the Vietnamese decimal comma
    complexity: str
    evidence: str


@dataclass(frozen=True)
class Template:
    """One kind of task (see tasks.yaml)."""

    product: str
    name: str
    output: str
    criteria: str
    group: str
    qty: tuple[int, int] = (1, 1)
    span: str = "task"
    months: frozenset[int] | None = None
    other_lead: bool = False
    who: str = ""


@dataclass(frozen=True)
class KeyResult:
    text: str
    kpi_unit: str
    formula: str
    weight: float
    source: str
    target: float | str  # a str is typed with the decimal comma
    stretch: float | None
    actual: tuple[float, float]
    decimals: int = 1


@dataclass(frozen=True)
class Objective:
    oid: str
    text: str
    level: str
    owner: str  # a department or unit name, or "@slot" for the holder of that post
    parent: str
    krs: tuple[KeyResult, ...]


@dataclass(frozen=True)
class UnitSpec:
    key: str
    name: str
    short: str
    prefix: str
    abbr: str
    school: bool
    posts: tuple[Post, ...]
    topics: tuple[str, ...]
    approval: str = "quota"  # quota | generous | pending (see units.yaml)
    xs_share: float = 0.12
    types_as_text: bool = False
    okr: tuple[Objective, ...] = ()


@dataclass(frozen=True)
class Content:
    names: dict[str, Any]
    products: dict[str, Product]
    roles: dict[str, tuple[Template, ...]]
    role_rows: dict[str, tuple[int, int]]
    units: tuple[UnitSpec, ...]
    performance: dict[str, Any]
    plants: dict[str, Any]
    places: dict[str, Any]
    documents: dict[str, Any]
    return_reasons: tuple[str, ...] = ()
    plans: dict[str, Any] = field(default_factory=dict)  # plans.yaml

    def unit(self, key: str) -> UnitSpec:
        return next(u for u in self.units if u.key == key)

    def by_rating(self, section: str) -> dict[str, Any]:
        """A performance.yaml table keyed by rating code, keyed by rating text instead."""
        return {BY_CODE[code]: v for code, v in self.performance[section].items()}


def _read(name: str) -> Any:
    from sheetsync.config.yamlfile import load_yaml

    return load_yaml(DATA_DIR / f"{name}.yaml", what="tệp dữ liệu phường mẫu")


def _weight(v: Any) -> float:
    """A weight as written: a number, or a fraction such as 100/3."""
    return float(Fraction(v)) if isinstance(v, str) else float(v)


def _templates(raw: dict[str, Any], month_sets: dict[str, frozenset[int]]) -> dict[str, tuple[Template, ...]]:
    def one(t: dict[str, Any]) -> Template:
        months = t.get("months")
        if isinstance(months, str):
            months = month_sets[months]
        return Template(t["product"], t["name"], t["output"], t["criteria"], t["group"],
                        tuple(t.get("qty", (1, 1))), t.get("span", "task"),
                        frozenset(months) if months is not None else None, bool(t.get("other_lead")), t.get("who", ""))

    groups = {g: tuple(one(t) for t in ts) for g, ts in raw["groups"].items()}
    roles: dict[str, tuple[Template, ...]] = {}

    def resolve(role: str) -> tuple[Template, ...]:
        if role not in roles:
            spec = raw["roles"][role]
            out: list[Template] = []
            for inc in spec.get("include", ()):
                got = groups[inc["group"]] if "group" in inc else resolve(inc["role"])
                out += got[:inc["first"]] if "first" in inc else got
            out += [one(t) for t in spec.get("tasks", ())]
            roles[role] = tuple(out)
        return roles[role]

    for role in raw["roles"]:
        resolve(role)
    return roles


def _unit(u: dict[str, Any]) -> UnitSpec:
    posts = tuple(Post(p["slot"], p["position"], p["job"], p["department"], p["category"], p["role"],
                       p.get("reports_to"), p.get("leader", ""), p.get("peer_group", ""), float(p.get("female", 0.55)))
                  for p in u["posts"])
    okr = tuple(Objective(o["id"], o["text"], o["level"], o["owner"], o.get("parent") or "", tuple(
        KeyResult(k["text"], k["kpi_unit"], k["formula"], _weight(k["weight"]), k["source"], k["target"],
                  k.get("stretch"), tuple(k["actual"]), int(k.get("decimals", 1)))
        for k in o["key_results"])) for o in u.get("okr", ()))
    return UnitSpec(u["key"], u["name"], u["short"], u["prefix"], u["abbr"], bool(u["school"]), posts,
                    tuple(u["topics"]), u.get("approval", "quota"), float(u.get("xs_share", 0.12)),
                    bool(u.get("types_as_text")), okr)


@functools.cache
def content() -> Content:
    """The demo's content, read once."""
    tasks = _read("tasks")
    month_sets = {k: frozenset(v) for k, v in tasks["month_sets"].items()}
    products = {k: Product(p["name"], p["unit_of_measure"], p["coefficient"], p["complexity"], p["evidence"])
                for k, p in _read("products").items()}
    return Content(
        names=_read("names"), products=products, roles=_templates(tasks, month_sets),
        role_rows={r: tuple(s["rows"]) for r, s in tasks["roles"].items()},
        units=tuple(_unit(u) for u in _read("units")["units"]),
        performance=_read("performance"), plants=_read("plants"), places=_read("places"),
        documents=_read("documents"), return_reasons=tuple(tasks.get("return_reasons", ())), plans=_read("plans"))
