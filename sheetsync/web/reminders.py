"""Reminders before each deadline: when `service.smtp` is set in ward.yaml, each focal person
(a `unit` account with an email) gets one digest per unit listing who still has to do the
steps due within `remind_days` (not one mail per cell), in Vietnamese, with the link to the
unit's sheet. Each (unit, month, step) is reminded once; the digest goes out on the first tick
inside the window. What is due comes from the unit states the syncs left in the store."""

from __future__ import annotations

import logging
import os
import smtplib
from dataclasses import dataclass, field
from datetime import date
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formataddr, make_msgid

from sheetsync.domain.calendar import month_label
from sheetsync.web import jobs, views

log = logging.getLogger("sheetsync.web")
# Python's header folder drops the space between two folded encoded words ("chưa tự" arrives
# as "chưatự"); headers up to RFC 5322's 998 characters are not folded at all.
MAIL_POLICY = SMTP.clone(max_line_length=998)


@dataclass
class Digest:
    unit: str
    to: list[str]
    month: str
    steps: list[dict]  # {"key", "label", "day", "people": [...]}
    link: str = ""
    subject: str = ""
    body: str = ""


@dataclass
class ReminderReport:
    sent: list[Digest] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (unit, why)


def unit_link(ward: jobs.Ward, spec) -> str:
    """The sheet itself for a Google unit; the unit's page (with its upload) for an .xlsx unit."""
    link = views.sheet_link(spec.source)
    if link:
        return link
    base = ward.service.base_url
    return f"{base}/don-vi/{ward.slug_of(spec.name)}" if base else spec.source


def digests(ward: jobs.Ward, today: date) -> list[Digest]:
    """The digests due today and not sent yet (one per unit with an addressee)."""
    days = int(ward.service.remind_days)
    states = ward.state.unit_states(with_result=False)
    users = ward.state.users()
    out = []
    for spec in ward.units:
        to = sorted({u.email for u in users if u.role == "unit" and spec.name in u.units and u.email})
        if not to:
            continue
        items = (states.get(spec.name) or {}).get("tracking") or []
        steps = []
        months = sorted({i["month"] for i in items if i.get("code", "").endswith("-due")})
        for month in months:
            for step in views.deadline_steps(ward, month):
                code = views.STEP_CODES.get(step["key"])
                if code is None or not (0 <= (step["day"] - today).days <= days):
                    continue
                people = [i for i in items if i.get("month") == month and i["code"] == f"{code}-due"]
                if people and not ward.state.flag(_flag(spec.name, month, step["key"])):
                    steps.append({**step, "month": month, "people": people})
        if steps:
            d = Digest(spec.name, to, steps[0]["month"], steps, unit_link(ward, spec))
            d.subject, d.body = _text(ward, d)
            out.append(d)
    return out


def _flag(unit: str, month: str, step: str) -> str:
    return f"reminded:{unit}:{month}:{step}"


def _text(ward: jobs.Ward, d: Digest) -> tuple[str, str]:
    first = d.steps[0]
    n = len({p["staff_id"] for s in d.steps for p in s["people"]})
    subject = (f"[{ward.config.name}] Nhắc việc tháng {month_label(d.month)}: {d.unit} còn {n} người chưa "
               f"{first['label']} (hạn {first['day']:%d/%m/%Y})")
    lines = [f"Kính gửi đầu mối {d.unit},", "",
             f"Hệ thống theo dõi đánh giá của {ward.config.name} nhắc: các bước sau của tháng "
             f"{month_label(d.month)} sắp đến hạn mà còn người chưa làm.", ""]
    for s in d.steps:
        lines.append(f"{s['label'][:1].upper() + s['label'][1:]} — hạn ngày {s['day']:%d/%m/%Y} ({len(s['people'])} người):")
        lines += [f"  - {p.get('full_name') or ''} ({p['staff_id']})".replace(" ()", "") for p in s["people"]]
        lines.append("")
    lines += [f"Bảng tính của đơn vị: {d.link}", "",
              "Thư này do sheetsync gửi tự động, mỗi bước một lần; không cần trả lời."]
    return subject, "\n".join(lines)


def send(ward: jobs.Ward, today: date) -> ReminderReport:
    """Send today's digests (nothing without `service.smtp`); mark each step reminded once sent."""
    rep = ReminderReport()
    smtp = ward.service.smtp
    if not smtp:
        return rep
    pending = digests(ward, today)
    if not pending:
        return rep
    try:
        conn = smtplib.SMTP(str(smtp["host"]), int(smtp.get("port", 25)), timeout=30)
    except OSError as exc:
        log.warning("Không kết nối được máy chủ thư %s: %s", smtp["host"], exc)
        rep.failed += [(d.unit, str(exc)) for d in pending]
        return rep
    try:
        if smtp.get("starttls"):
            conn.starttls()
        if smtp.get("user"):
            conn.login(str(smtp["user"]), os.environ.get(str(smtp.get("password_env") or ""), ""))
        for d in pending:
            msg = EmailMessage(policy=MAIL_POLICY)
            msg["From"] = formataddr((f"sheetsync {ward.config.name}", str(smtp["from"])))
            msg["To"] = ", ".join(d.to)
            msg["Subject"] = d.subject
            msg["Message-ID"] = make_msgid(domain="sheetsync")
            msg.set_content(d.body)
            try:
                conn.send_message(msg)
            except smtplib.SMTPException as exc:
                rep.failed.append((d.unit, str(exc)))
                continue
            for s in d.steps:
                ward.state.set_flag(_flag(d.unit, s["month"], s["key"]), {"to": d.to})
            ward.state.audit(None, "reminder", d.unit, None, f"{', '.join(d.to)}: {d.subject}")
            rep.sent.append(d)
    finally:
        try:
            conn.quit()
        except smtplib.SMTPException:
            pass
    return rep
