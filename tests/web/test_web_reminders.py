"""Reminders before each deadline: listed on the dashboard, and one Vietnamese email digest per
focal person and unit, received by a real local SMTP server (aiosmtpd), only for the units
still missing a step, each step once."""

from __future__ import annotations

import datetime as dt
import email
import socket
from email.policy import default

import pytest
from conftest import make_ward

from sheetsync.web import views
from sheetsync.web.jobs import open_ward
from sheetsync.web.scheduler import tick

controller_mod = pytest.importorskip("aiosmtpd.controller", reason="aiosmtpd chưa được cài")


class Inbox:
    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=default)
        msg["X-Rcpt"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(msg)
        return "250 OK"


@pytest.fixture
def smtp():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = Inbox()
    ctl = controller_mod.Controller(inbox, hostname="127.0.0.1", port=port)
    ctl.start()
    yield port, inbox
    ctl.stop()


@pytest.fixture
def ward(tmp_path, smtp):
    port, _ = smtp
    path = make_ward(tmp_path / "ward", service={"smtp": {"host": "127.0.0.1", "port": port,
                                                          "from": "okr@phuong.test"},
                                                 "base_url": "https://okr.phuong.test"},
                     no_self=("BE03",))
    w = open_ward(path)
    for name, unit in (("alpha", "Phòng Alpha"), ("beta", "Phòng Beta"), ("gamma", "Phòng Gamma")):
        views.add_user(w, name, "mat-khau-thu-1", "unit", [unit], email=f"{name}@phuong.test")
    views.add_user(w, "beta2", "mat-khau-thu-1", "unit", ["Phòng Beta"], email="beta2@phuong.test")
    views.add_user(w, "vp", "mat-khau-thu-1", "admin", [], email="vp@phuong.test")
    yield w
    w.close()


def test_the_digest_goes_to_the_units_missing_a_step_once(ward, smtp):
    _, inbox = smtp
    day = dt.date(2026, 11, 23)  # self-assessment due on the 25th; only Beta has someone missing
    rep = tick(ward, day)
    assert [d.unit for d in rep.reminders.sent] == ["Phòng Beta"]
    assert len(inbox.messages) == 1
    msg = inbox.messages[0]
    assert sorted(msg["X-Rcpt"].split(", ")) == ["beta2@phuong.test", "beta@phuong.test"]
    assert "Phòng Beta còn 1 người chưa tự đánh giá (hạn 25/11/2026)" in msg["Subject"]
    body = msg.get_content()
    assert "Phạm Minh Đức (BE03)" in body and "https://okr.phuong.test/don-vi/phong-beta" in body
    assert "BE02" not in body  # only who is missing the step
    # The dashboard lists them before the deadline too.
    admin = next(u for u in ward.state.users() if u.username == "vp")
    upcoming = views.dashboard(ward, admin, "2026-11", day)["upcoming"]
    assert [(s["key"], [u["name"] for u in s["units"]]) for s in upcoming][0] == ("self_assessment", ["Phòng Beta"])
    # Each step once: the next tick sends nothing new.
    again = tick(ward, day)
    assert again.reminders.sent == [] and len(inbox.messages) == 1


def test_a_step_every_unit_misses_reaches_every_focal_person(ward, smtp):
    _, inbox = smtp
    tick(ward, dt.date(2026, 11, 24))  # manager review (26th) is missing everywhere; Beta's self-assessment too
    by_unit = {m["Subject"].split(": ", 1)[1].split(" còn")[0]: m for m in inbox.messages}
    assert sorted(by_unit) == ["Phòng Alpha", "Phòng Beta", "Phòng Gamma"]
    assert len(inbox.messages) == 3  # one digest per unit, not one per person or step
    beta = by_unit["Phòng Beta"].get_content()
    assert "Tự đánh giá — hạn ngày 25/11/2026 (1 người)" in beta
    assert "Quản lý đánh giá — hạn ngày 26/11/2026 (3 người)" in beta
    assert by_unit["Phòng Alpha"]["X-Rcpt"] == "alpha@phuong.test"


def test_without_smtp_nothing_is_sent_and_the_tick_goes_on(tmp_path):
    w = open_ward(make_ward(tmp_path / "w", no_self=("AL02",)))
    try:
        rep = tick(w, dt.date(2026, 11, 23))
        assert rep.reminders.sent == [] and all(o.status == "ok" for o in rep.outcomes)
    finally:
        w.close()
