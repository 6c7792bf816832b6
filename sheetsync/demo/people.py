"""The demo's rosters: a person for every post of every unit, with a Vietnamese name, contacts
and a manager, drawn from the seed alone (so a one-month and a twelve-month ward share them)."""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass, field

from sheetsync.demo.content import CONTRACT, Post, UnitSpec, content

TEACHING_ROLES = ("teacher", "teacher_lead", "kg_teacher", "kg_lead")


@dataclass
class Person:
    staff_id: str
    full_name: str
    post: Post
    manager_id: str | None
    ability: float
    female: bool
    phone: str | None
    email: str | None
    account: str | None
    classes: tuple[str, ...] = ()


@dataclass
class Unit:
    spec: UnitSpec
    people: list[Person]
    bottom_up: list[str]  # staff ids, everyone after the people they manage
    catalogue: dict[str, str]  # product key → code
    by_id: dict[str, Person] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_id = {p.staff_id: p for p in self.people}


def ascii_text(text: str) -> str:
    """Vietnamese text without its accents (Đ → D), for account names and file names."""
    text = text.replace("Đ", "D").replace("đ", "d")
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def _full_name(rng: random.Random, female: bool) -> str:
    names = content().names
    family = rng.choices(list(names["family"]), weights=list(names["family"].values()))[0]
    if female:
        middle = rng.choice(names["female_middle"])
        if middle == "Thị" and rng.random() < 0.35:
            middle += " " + rng.choice(names["second_middle"])
        given = rng.choice(names["female_given"])
    else:
        middle, given = rng.choice(names["male_middle"]), rng.choice(names["male_given"])
    if given in middle.split():
        return _full_name(rng, female)
    return f"{family} {middle} {given}"


def _contact(rng: random.Random, name: str, category: str, ward_slug: str, taken: set[str]
             ) -> tuple[str | None, str | None, str | None]:
    """Phone, e-mail and HanoiWork account; the account and mail name is the given name plus
    initials (Nguyễn Thị Thu Hương → huongntt), numbered when taken."""
    parts = ascii_text(name).lower().split()
    local = parts[-1] + "".join(p[0] for p in parts[:-1])
    base, n = local, 1
    while local in taken:
        n += 1
        local = f"{base}{n}"
    taken.add(local)
    digits = rng.choice(content().names["phone_prefixes"]) + f"{rng.randint(0, 9_999_999):07d}"
    phone = digits if rng.random() < 0.9 else f"{digits[:4]} {digits[4:7]} {digits[7:]}"
    if rng.random() < 0.06:
        phone = None
    contract = category == CONTRACT
    email = None if contract and rng.random() < 0.6 else f"{local}.{ward_slug}@hanoi.gov.vn"
    account = None if contract else f"{local}.{ward_slug}"
    return phone, email, account


def build_units(rng: random.Random, ward_slug: str) -> list[Unit]:
    """Every unit's roster."""
    names: set[str] = set()
    taken: set[str] = set()
    units = []
    for spec in content().units:
        ids = {post.slot: f"{spec.prefix}{i:03d}" for i, post in enumerate(spec.posts, start=1)}
        class_pool = {d: list(c) for d, c in content().places["classes"].items()}
        people = []
        for post in spec.posts:
            female = rng.random() < post.female
            name = _full_name(rng, female)
            while name in names:
                name = _full_name(rng, female)
            names.add(name)
            phone, email, account = _contact(rng, name, post.category, ward_slug, taken)
            classes: tuple[str, ...] = ()
            if post.role in TEACHING_ROLES and class_pool.get(post.department):
                classes = (class_pool[post.department].pop(0),)
            people.append(Person(ids[post.slot], name, post, ids.get(post.reports_to) if post.reports_to else None,
                                 rng.gauss(0.3, 0.8), female, phone, email, account, classes))
        units.append(_unit(spec, people))
    return units


def _unit(spec: UnitSpec, people: list[Person]) -> Unit:
    children: dict[str, list[str]] = {}
    for p in people:
        if p.manager_id:
            children.setdefault(p.manager_id, []).append(p.staff_id)

    def below(sid: str) -> int:
        return sum(1 + below(c) for c in children.get(sid, []))

    bottom_up = sorted((p.staff_id for p in people), key=below)
    products = list(content().products)
    used = {t.product for p in people for t in content().roles[p.post.role]}
    catalogue = {key: f"SP{i:02d}" for i, key in enumerate((k for k in products if k in used), start=1)}
    return Unit(spec, people, bottom_up, catalogue)


@dataclass(frozen=True)
class WardNames:
    name: str  # Phường Ba Đình
    office_units: tuple[str, ...]  # units that lead inter-agency inspections

    @property
    def lower(self) -> str:  # phường Ba Đình, as it reads inside a sentence
        return self.name[:1].lower() + self.name[1:]

    @property
    def place(self) -> str:
        return re.sub(r"^(phường|xã|thị trấn)\s+", "", self.name, flags=re.IGNORECASE)

    @property
    def slug(self) -> str:
        return re.sub(r"[^a-z0-9]", "", ascii_text(self.place).lower())
