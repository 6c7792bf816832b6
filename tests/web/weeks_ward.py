"""A ward whose units live the weeks inside the month (issue 12) for the web tests: a work
schedule (Lịch công tác) with hostile text, weekly reports (some missing, one late, one raising
an obstacle), an overdue task and a task returned twice. Worked out by hand for 27/11/2026
(conftest.AS_OF, a Friday; weekly reports are due on Fridays):

Phòng Alpha, every task started Monday 2/11 (ISO week 45); weeks 45, 46, 47 are due:
- AL1 (leader) owns AL-NV5 due 22/11: overdue 5 days; weekly reports missing for weeks 45-47.
- AL2 (manager AL1) owns AL-NV1 due 12/11: overdue 15 days, and AL-NV2 (done 18/11, returned
  twice, with a reason); missing for weeks 45, 46, 47.
- AL3 (manager AL1) owns AL-NV3: reported week 45 on 6/11 (on time) and week 46 on Saturday
  14/11 (late); missing week 47.
- AL4 (manager AL2) owns AL-NV4: reported week 47 on 20/11 with an obstacle (hostile text);
  missing weeks 45 and 46.
So 9 missing and 1 late weekly report; bottlenecks: 1 obstacle, 2 overdue, 1 returned. Nobody
is stale or silent: the store's first record of a task counts as its latest update.

Phòng Beta has its own schedule event and no weekly reports.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from unitbook import UnitBook

from sheetsync.config.ward import write_ward

HOSTILE_EVENT = ("Họp <script>alert('lich')</script>; bàn việc, \"khẩn\"\\nEND:VEVENT\r\n"
                 "BEGIN:VEVENT\r\nSUMMARY:giả mạo")
HOSTILE_PLACE = "Phòng 2; tầng 3, số 1\\2 <b>đậm</b>"
HOSTILE_OBSTACLE = "Chưa có số liệu <img src=x onerror=alert(1)> của tổ dân phố"
BETA_EVENT = "Họp riêng của Phòng Beta về dự toán"
UNITS = {"Phòng Alpha": "alpha.xlsx", "Phòng Beta": "beta.xlsx"}


def alpha(path: Path) -> Path:
    b = UnitBook(path, "Phòng Alpha")
    b.product("SP1", 1)
    b.person("AL1", "Nguyễn Văn An")
    b.person("AL2", "Trần Thị Bình", manager="AL1")
    b.person("AL3", "Lê Văn Cường", manager="AL1")
    b.person("AL4", "Phạm Thu Dung", manager="AL2")
    b.task("AL-NV1", "AL2", due=dt.date(2026, 11, 12))
    b.task("AL-NV2", "AL2", due=dt.date(2026, 11, 30), done=1, review="Trả lại", returns=2,
           return_reason="Thiếu số liệu tổ dân phố")
    b.task("AL-NV3", "AL3", due=dt.date(2026, 11, 30))
    b.task("AL-NV4", "AL4", due=dt.date(2026, 11, 30))
    b.task("AL-NV5", "AL1", due=dt.date(2026, 11, 22))
    b.add("weekly", staff_id="AL3", week="2026-W45", task_id="AL-NV3", progress_pct=20, work_done="Khảo sát",
          report_date=dt.date(2026, 11, 6))
    b.add("weekly", staff_id="AL3", week="2026-W46", task_id="AL-NV3", progress_pct=30, work_done="Tổng hợp",
          report_date=dt.date(2026, 11, 14))
    b.add("weekly", staff_id="AL4", week="2026-W47", task_id="AL-NV4", progress_pct=40, work_done="Tổng hợp",
          obstacles=HOSTILE_OBSTACLE, proposals="Đề nghị lãnh đạo đôn đốc", report_date=dt.date(2026, 11, 20))
    b.add("schedule", date=dt.date(2026, 11, 30), time="8:00 - 9:30", content=HOSTILE_EVENT, place=HOSTILE_PLACE,
          chair="AL1")
    b.add("schedule", date=dt.date(2026, 12, 2), time="14h", content="Giao ban tuần của Phòng Alpha")
    for s in ("AL1", "AL2", "AL3", "AL4"):
        b.evaluation(s)
    return b.save()


def beta(path: Path) -> Path:
    b = UnitBook(path, "Phòng Beta")
    b.product("SP1", 1)
    b.person("BE01", "Hoàng Văn Em")
    b.task("BE-NV1", "BE01", qty=2, done=2, review="Đạt")
    b.evaluation("BE01")
    b.add("schedule", date=dt.date(2026, 12, 1), time="9:00", content=BETA_EVENT, place="Phòng họp Beta")
    return b.save()


def make_weeks_ward(root: Path, profile: str = "nd335", **service) -> Path:
    """The ward on disk (ward.yaml returned); `service` keys go into its `service:` block."""
    root.mkdir(parents=True, exist_ok=True)
    alpha(root / UNITS["Phòng Alpha"])
    beta(root / UNITS["Phòng Beta"])
    return write_ward(root / "ward.yaml", "Phường Thử Nghiệm", [{"name": n, "source": f} for n, f in UNITS.items()],
                      profile=profile, service={"schedule": {"enabled": False}, "page_cache_seconds": 0,
                                                "calendar_per_minute": 1000, **service})


def serve_weeks(root: Path, profile: str = "nd335", **service):
    """The ward made, with accounts, synced once on conftest.AS_OF and served (conftest.Server)."""
    from conftest import Server, add_accounts, initial_sync

    ward_file = make_weeks_ward(root, profile, **service)
    add_accounts(ward_file)
    initial_sync(ward_file)
    return Server(ward_file, "--no-schedule")
