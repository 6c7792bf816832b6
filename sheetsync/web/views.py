"""What each page shows, computed from the store (unit states, uploads, flags): plain dicts for
the templates. No workbook is opened here."""

from __future__ import annotations

import re
from datetime import date

from sheetsync.domain.calendar import month_label
from sheetsync.engine.scoring import deadline_day
from sheetsync.history.bottlenecks import KINDS as BOTTLENECK_KINDS
from sheetsync.history.bottlenecks import NO_MANAGER
from sheetsync.history.tracking import DEADLINE_STEPS
from sheetsync.web import auth, jobs
from sheetsync.web.state import User
from sheetsync.web.summary import month_figures

SEVERITY = {"error": "Lỗi", "warning": "Cảnh báo"}
# What each audit action is called on the log page (the stored action is a stable code).
AUDIT_ACTIONS = {
    "login": "Đăng nhập", "login-failed": "Đăng nhập sai", "login-blocked": "Đăng nhập bị tạm khóa",
    "logout": "Đăng xuất", "sync": "Đồng bộ ngay", "queue-sync": "Đồng bộ theo lịch (worker)",
    "download": "Tải về", "upload": "Tải tệp lên", "upload-refused": "Tệp tải lên bị từ chối",
    "upload-accepted": "Nhận phiên bản tải lên", "forms": "Lập biểu mẫu", "publish": "Công bố kết quả",
    "feedback": "Kiến nghị", "feedback-answer": "Trả lời kiến nghị", "feedback-close": "Đóng kiến nghị",
    "reminder": "Gửi thư nhắc", "user-add": "Thêm tài khoản", "user-passwd": "Đổi mật khẩu",
    "user-remove": "Xóa tài khoản", "calendar-rotate": "Tạo lại liên kết lịch công tác",
    "calendar-refused": "Liên kết lịch sai hoặc đã thay",
    "rate-limited": "Bị từ chối: quá số lần cho phép",
}
# Left out of the log page unless asked for: a worker writes one line per unit and tick, which
# would push people's own actions off the page within hours.
ROUTINE_ACTIONS = ("queue-sync",)
STEP_CODES = {"self_assessment": "self_assessment", "manager_review": "manager_review", "approval": "approval",
              "forms_to_ward": "forms"}
STATE_TEXT = {"done": "Xong", "late": "Trễ hạn", "missing": "Thiếu", "pending": "Chưa đến hạn", "open": "Còn thiếu"}
# The weekly report items of the status (engine.weekly.weekly_report_items), as the pages name them.
WEEKLY_CODES = {"weekly-missing": "Chưa báo cáo", "weekly-late": "Báo cáo trễ"}


def parse_month(text: str | None) -> str | None:
    if not text:
        return None
    m = re.fullmatch(r"\s*(\d{4})-(\d{2})\s*", text) or None
    if m and 1 <= int(m.group(2)) <= 12:
        return f"{m.group(1)}-{m.group(2)}"
    m = re.fullmatch(r"\s*(\d{1,2})/(\d{4})\s*", text)
    if m and 1 <= int(m.group(1)) <= 12:
        return f"{m.group(2)}-{int(m.group(1)):02d}"
    return None


def _months(states: dict[str, dict]) -> list[str]:
    """The months any unit holds (states from `unit_summaries`)."""
    return sorted({m for st in states.values() for m in ((st.get("summary") or {}).get("months") or {})})


def pick_month(asked: str | None, months: list[str], today: date) -> str:
    m = parse_month(asked)
    if m:
        return m
    current = f"{today:%Y-%m}"
    earlier = [x for x in months if x <= current]
    return earlier[-1] if earlier else (months[-1] if months else current)


def deadline_steps(ward: jobs.Ward, month: str) -> list[dict]:
    """The month's steps with their days, as the profile sets them."""
    out = []
    for key, label, next_month in DEADLINE_STEPS:
        day = ward.profile.deadlines.get(key)
        if isinstance(day, int) and not isinstance(day, bool):
            out.append({"key": key, "label": label, "day": deadline_day(month, day, next_month=next_month).date()})
    return out


def step_states(ward: jobs.Ward, state: dict, month: str, steps: list[dict], today: date,
                forms_made: bool = False, published: bool | None = None) -> list[dict]:
    """Per step: done, late, missing (with how many people) or not due yet, from the tracking
    items the last sync computed, the forms made since, and the publication flag."""
    items = [i for i in (state.get("tracking") or []) if i.get("month") == month]
    if forms_made:
        items = [i for i in items if i["code"] != "forms-missing"]
    out = []
    for step in steps:
        key = step["key"]
        if key == "publication_next_month":
            if published is None:
                published = ward.state.flag(f"published:{month}") is not None
            st = "done" if published else ("missing" if today > step["day"] else "pending")
            out.append({**step, "state": st, "count": 0})
            continue
        code = STEP_CODES[key]
        missing = [i for i in items if i["code"] == f"{code}-missing"]
        late = [i for i in items if i["code"] == f"{code}-late"]
        due = [i for i in items if i["code"] == f"{code}-due"]
        if missing:
            st, n = "missing", len(missing)
        elif late:
            st, n = "late", len(late)
        elif today > step["day"]:
            st, n = "done", 0
        elif due:
            st, n = "open", len(due)
        else:
            st, n = "pending", 0
        out.append({**step, "state": st, "count": n})
    return out


def dashboard(ward: jobs.Ward, user: User, asked: str | None, today: date) -> dict:
    states = ward.state.unit_summaries()
    visible = [u for u in ward.units if user.can_see(u.name)]
    month = pick_month(asked, _months(states), today)
    steps = deadline_steps(ward, month)
    forms = [f for f in jobs.form_files(ward, month) if may_see_form(user, f)]
    made = {f["unit"] for f in forms}
    publication = publication_info(ward, month)
    rows, totals = [], {}
    for spec in visible:
        st = states.get(spec.name)
        row = {"name": spec.name, "slug": ward.slug_of(spec.name), "state": st, "google": _is_google(spec.source)}
        if st and (st.get("summary") or {}).get("has_result"):
            summ = st["summary"]
            empty = month_figures({}, month)
            row.update(errors=summ.get("error_rows", 0), warnings=summ.get("warning_rows", 0),
                       figures=summ["months"].get(month, empty),
                       steps=step_states(ward, st, month, steps, today, spec.name in made, publication is not None),
                       weekly=weekly_counts(st.get("tracking"), month), bottlenecks=summ.get("bottlenecks") or {})
            for rating, n in row["figures"]["ratings"].items():
                totals[rating] = totals.get(rating, 0) + n
        rows.append(row)
    scale = ward.profile.scale.names
    upcoming = due_soon(ward, states, visible, month, today)
    return {"month": month, "months": _months(states), "steps": steps, "rows": rows, "states_text": STATE_TEXT,
            "kinds": BOTTLENECK_KINDS, "weekly_codes": WEEKLY_CODES,
            "chart": ratings_chart(scale, totals), "totals": totals, "forms": forms, "forms_by_scope": by_scope(forms),
            "today": today, "upcoming": upcoming, "publication": publication}


def weekly_counts(tracking: list | None, month: str | None = None) -> dict[str, int]:
    """Missing and late weekly reports (people × weeks) among a unit's status items, of `month`
    when given."""
    out = dict.fromkeys(WEEKLY_CODES, 0)
    for i in tracking or []:
        if i.get("code") in out and (month is None or i.get("month") == month):
            out[i["code"]] += 1
    return out


def weekly_by_person(items: list[dict]) -> list[dict]:
    """The weekly report items grouped per person (most missing first), each with its counts."""
    people: dict[str, dict] = {}
    for i in items:
        p = people.setdefault(i.get("staff_id") or "", {"staff_id": i.get("staff_id") or "",
                                                        "full_name": i.get("full_name") or "",
                                                        "counts": dict.fromkeys(WEEKLY_CODES, 0), "reports": []})
        p["counts"][i["code"]] += 1
        p["reports"].append({**i, "since": _day(i.get("since"))})
    return sorted(people.values(), key=lambda p: (-p["counts"]["weekly-missing"], -p["counts"]["weekly-late"],
                                                  p["staff_id"]))


def bottleneck_view(report: dict | None) -> dict | None:
    """A unit's stored bottleneck report as the unit page shows it: counts per kind, the items
    grouped by manager (the order history.bottlenecks gave them), the profile's thresholds."""
    if report is None:
        return None
    groups: dict[str, list[dict]] = {}
    counts = dict.fromkeys(BOTTLENECK_KINDS, 0)
    for i in report.get("items") or []:
        days = i.get("days")
        groups.setdefault(i.get("manager") or "", []).append(
            {**i, "since": _day(i.get("since")), "days": int(days) if isinstance(days, (int, float)) else None})
        counts[i["kind"]] = counts.get(i["kind"], 0) + 1
    heads = [("Không có quản lý trực tiếp" if m == NO_MANAGER else f"Quản lý trực tiếp: {m}", items)
             for m, items in groups.items()]
    return {"as_of": _day(report.get("as_of")), "settings": report.get("settings") or {}, "counts": counts,
            "total": sum(counts.values()), "managers": heads}


def _day(text) -> date | None:
    try:
        return date.fromisoformat(str(text)[:10]) if text else None
    except ValueError:
        return None


def due_soon(ward: jobs.Ward, states: dict, visible: list, month: str, today: date) -> list[dict]:
    """Before each deadline of the month: the units and people still missing the step."""
    out = []
    for step in deadline_steps(ward, month):
        code = STEP_CODES.get(step["key"])
        if code is None or step["day"] < today:
            continue
        units = []
        for spec in visible:
            items = [i for i in ((states.get(spec.name) or {}).get("tracking") or [])
                     if i.get("month") == month and i["code"] == f"{code}-due"]
            if items:
                units.append({"name": spec.name, "slug": ward.slug_of(spec.name), "people": items})
        if units:
            out.append({**step, "units": units, "days_left": (step["day"] - today).days})
    return out


def by_scope(forms: list[dict]) -> list[tuple[str, dict[str, str]]]:
    """The forms as rows: the ward first, then each unit; per row its files by kind."""
    rows: dict[str, dict[str, str]] = {}
    for f in sorted(forms, key=lambda f: f["scope"] != "ward"):
        rows.setdefault(f["unit"], {})[f["kind"]] = f["file"]
    return list(rows.items())


def _is_google(source: str) -> bool:
    return source.startswith(("gsheet:", "https://"))


def sheet_link(source: str) -> str | None:
    if source.startswith("https://"):
        return source
    if source.startswith("gsheet:"):
        return "https://docs.google.com/spreadsheets/d/" + source.split(":", 1)[1]
    return None


def _findings(result: dict, severity: str | None, tab: str | None) -> tuple[list[dict], list[str]]:
    found = result.get("findings") or []
    tabs = sorted({f.get("tab") for f in found if f.get("tab")})
    if severity in SEVERITY:
        found = [f for f in found if f.get("severity") == severity]
    if tab:
        found = [f for f in found if f.get("tab") == tab]
    return found, tabs


def _people(result: dict, month: str) -> list[dict]:
    names = result.get("names") or {}
    m = (result.get("months") or {}).get(month) or {}
    return [{**p, "full_name": names.get(p.get("staff_id"), "")} for p in (m.get("scores") or [])]


def unit_page(ward: jobs.Ward, user: User, spec, asked: str | None, severity: str | None, tab: str | None,
              today: date) -> dict:
    st = ward.state.unit_state(spec.name)
    result = (st or {}).get("result") or {}
    months = sorted(result.get("months") or {})
    month = pick_month(asked, months, today)
    findings, tabs = _findings(result, severity, tab)
    steps = deadline_steps(ward, month)
    tracking = [i for i in ((st or {}).get("tracking") or []) if i.get("month") == month or not i.get("month")]
    weekly = [i for i in tracking if i.get("code") in WEEKLY_CODES]
    tracking = [i for i in tracking if i.get("code") not in WEEKLY_CODES]
    forms = [f for f in jobs.form_files(ward, month) if f["unit"] == spec.name]
    published = ward.state.publication(month, spec.name)
    people = published["people"] if published else _people(result, month)
    return {"published": published, "feedback": feedback_for(ward, user, month=month, unit=spec.name),
            "kinds": FEEDBACK_KINDS, "feedback_status": FEEDBACK_STATUS, "spec": spec, "slug": ward.slug_of(spec.name), "state": st, "result": result, "month": month,
            "months": months, "findings": findings, "tabs": tabs, "severity": severity if severity in SEVERITY else "",
            "tab": tab or "", "severity_text": SEVERITY, "people": people,
            "figures": month_figures(result, month) if result else None,
            "steps": step_states(ward, st, month, steps, today, bool(forms)) if st else [], "states_text": STATE_TEXT,
            "tracking": tracking, "google": _is_google(spec.source), "sheet_link": sheet_link(spec.source),
            "uploads": ward.state.uploads(spec.name), "can_change": user.can_change(spec.name), "forms": forms,
            "max_mb": ward.service.upload_max_mb, "weekly": weekly_by_person(weekly),
            "weekly_counts": weekly_counts(weekly), "weekly_codes": WEEKLY_CODES,
            "bottlenecks": bottleneck_view((st or {}).get("bottlenecks")), "kinds_text": BOTTLENECK_KINDS,
            "calendar_made": ward.state.calendar_link(spec.name)}


def calendar_link(base_url: str, token: str) -> dict:
    """The calendar URL made from a token just issued (shown once: the store keeps only its digest),
    and the same as a webcal:// link that phones open in their calendar app."""
    url = f"{base_url}/lich/{token}.ics"
    return {"url": url, "webcal": "webcal://" + url.split("://", 1)[-1]}


def upload_view(ward: jobs.Ward, user: User, spec, up: dict, severity: str | None, tab: str | None) -> dict:
    result = up.get("result") or {}
    findings, tabs = _findings(result, severity, tab)
    months = sorted(result.get("months") or {})
    month = months[-1] if months else None
    return {"spec": spec, "slug": ward.slug_of(spec.name), "upload": up, "result": result, "findings": findings,
            "tabs": tabs, "severity": severity if severity in SEVERITY else "", "tab": tab or "",
            "severity_text": SEVERITY, "month": month, "people": _people(result, month) if month else [],
            "can_change": user.can_change(spec.name)}


def status_page(ward: jobs.Ward, user: User, today: date) -> dict:
    states = ward.state.unit_summaries()
    groups = []
    for spec in ward.units:
        if not user.can_see(spec.name):
            continue
        st = states.get(spec.name) or {}
        items = st.get("tracking") or []
        groups.append({"name": spec.name, "slug": ward.slug_of(spec.name), "state": st, "todo": items,
                       "weekly": weekly_counts(items), "bottlenecks": (st.get("summary") or {}).get("bottlenecks") or {}})
    return {"groups": groups, "today": today, "kinds": BOTTLENECK_KINDS, "weekly_codes": WEEKLY_CODES}


def may_see_form(user: User, f: dict) -> bool:
    """The ward's forms: admin and viewer; a unit's forms: who may see the unit."""
    return user.can_see(f["unit"]) if f.get("scope") == "unit" else user.role in ("admin", "viewer")


def add_user(ward: jobs.Ward, username: str, password: str, role: str, units: list[str], full_name: str = "",
             email: str = "") -> None:
    auth.check_account(ward.state, username, role, units, [u.name for u in ward.units])
    ward.state.add_user(username, auth.hash_password(password), role, units, full_name, email)


def ratings_chart(scale: list[str], totals: dict[str, int]) -> dict:
    """Bars of the ward's ratings this month, as numbers the template draws in SVG."""
    labels = [r for r in scale if r in totals] + [r for r in totals if r not in scale]
    top = max(totals.values(), default=0) or 1
    return {"bars": [{"label": r, "n": totals[r], "pct": round(100 * totals[r] / top, 1)} for r in labels],
            "total": sum(totals.values()), "month_label": month_label}


# -- one person ---------------------------------------------------------------------------------------

def person_page(ward: jobs.Ward, user: User, staff_id: str):
    """A person's months (every unit the account may see), with their quarters and year from
    the record (service.history, service.period). None when there is nothing this account may
    see: the page answers 404 then, as for a unit it may not see."""
    from sheetsync import service
    from sheetsync.domain.calendar import Period

    h = person_page_history(ward, user, staff_id)
    if h is None:
        return None
    months = h.months
    year = int(months["month"].iloc[-1][:4])
    quarters = sorted({(int(m[5:7]) - 1) // 3 + 1 for m in months["month"] if int(m[:4]) == year})
    periods = []
    for p in [Period("quarter", year, q) for q in quarters] + [Period("year", year)]:
        rep = service.period([str(ward.path)], p, store=ward.store.url, profile=ward.profile, forms=False)
        try:
            person = rep.result.person(h.staff_id)
        except KeyError:
            continue
        periods.append({"label": p.label, "score": person["score"], "rating": person["rating"],
                        "months": len(person["months"]), "notes": person["notes"], "provisional": person["provisional"]})
    return {"history": h, "rows": h.months.to_dict("records"), "periods": periods,
            "feedback": feedback_for(ward, user, staff_id=h.staff_id), "kinds": FEEDBACK_KINDS,
            "feedback_status": FEEDBACK_STATUS,
            "units": [(u, ward.slug_of(u)) for u in dict.fromkeys(months["unit"])]}


def person_chart(ward: jobs.Ward, user: User, staff_id: str) -> str | None:
    from sheetsync.service.history import history_chart_svg

    data = person_page_history(ward, user, staff_id)
    return history_chart_svg(data) if data is not None else None


def person_page_history(ward: jobs.Ward, user: User, staff_id: str):
    from sheetsync import service
    from sheetsync.errors import UsageError

    try:
        h = service.history([str(ward.path)], staff_id, store=ward.store.url, profile=ward.profile)
    except UsageError:
        return None
    months = h.months[h.months["unit"].map(user.can_see)]
    if months.empty:
        return None
    h.months = months.reset_index(drop=True)
    return h


# -- publication and feedback --------------------------------------------------------------------------

FEEDBACK_KINDS = {"complaint": "Khiếu nại", "correction": "Đề nghị điều chỉnh"}
FEEDBACK_STATUS = {"open": "Chờ trả lời", "answered": "Đã trả lời", "closed": "Đã đóng"}


def published_people(ward: jobs.Ward, month: str) -> dict[str, list[dict]]:
    """Each unit's people of the month as the pages show them now: what publishing keeps."""
    states = ward.state.unit_states()
    out = {}
    for spec in ward.units:
        result = (states.get(spec.name) or {}).get("result") or {}
        if month in (result.get("months") or {}):
            out[spec.name] = _people(result, month)
    return out


def publication_info(ward: jobs.Ward, month: str) -> dict | None:
    flag = ward.state.flag(f"published:{month}")
    return {"at": flag["at"], "by": (flag["value"] or {}).get("by", "")} if flag else None


def results_list(ward: jobs.Ward, spec, month: str) -> dict | None:
    pub = ward.state.publication(month, spec.name)
    if pub is None:
        return None
    return {"spec": spec, "slug": ward.slug_of(spec.name), "month": month, "people": pub["people"],
            "published": pub, "scale": ward.profile.scale}


def feedback_for(ward: jobs.Ward, user: User, **where) -> list[dict]:
    return [f for f in ward.state.feedback(**where) if user.can_see(f["unit"])]
