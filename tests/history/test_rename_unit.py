"""A unit renamed in the ward file keeps its history: the first sync under the new name stops
(its approved months would be scored afresh under a second history) and says how to move the
history; `sheetsync rename-unit` moves everything, once, and never merges two units."""

from __future__ import annotations

import hashlib
import json

import pytest
import yaml
from click.testing import CliRunner
from history_support import GOOD, XS, fill_month, new_book

from sheetsync import service
from sheetsync.cli import main
from sheetsync.history.store import open_store
from sheetsync.history.store.web_models import AuditEvent, WebUser

OLD, NEW, OTHER = "Trường Tiểu học Hoa Sen", "Trường Tiểu học Nguyễn Du", "Phòng Văn hóa"
AS_OF = "2026-06-30"


def write_ward(folder, names: dict[str, str]) -> str:
    path = folder / "ward.yaml"
    path.write_text(yaml.safe_dump({"ward": "Phường Thử", "profile": "nd335",
                                    "units": [{"name": n, "source": s} for s, n in names.items()]},
                                   allow_unicode=True), encoding="utf-8")
    return str(path)


@pytest.fixture
def ward(tmp_path, any_url):
    """Two units synced twice (May approved, so frozen; June open), then the school renamed."""
    school = new_book(tmp_path / "truong.xlsx", {"CB1": {"name": "Nguyễn Văn An"}, "CB2": {"name": "Trần Thị Bình"}},
                      unit=OLD)
    office = new_book(tmp_path / "vanhoa.xlsx", {"CB3": {"name": "Lê Văn Cường"}}, unit=OTHER)
    fill_month(school, "2026-05", {"CB1": {"general": 28, "approved": XS}, "CB2": {"general": 20, "approved": GOOD}})
    fill_month(school, "2026-06", {"CB1": {"general": 22}, "CB2": {"general": 15}})
    fill_month(office, "2026-06", {"CB3": {"general": 25}})
    school.save(), office.save()
    path = write_ward(tmp_path, {"truong.xlsx": OLD, "vanhoa.xlsx": OTHER})
    for _ in range(2):
        assert service.sync([path], as_of=AS_OF, store=any_url).exit_code == 0
    with open_store(any_url) as st:
        assert st.frozen_months(OLD) == ["2026-05"]
        with st.engine.begin() as c:
            c.execute(WebUser.__table__.insert().values(
                username="hieutruong", full_name="Hiệu trưởng", password_hash="x", role="unit", units=[OLD],
                created_at=st.clock(), password_changed_at=st.clock()))
    write_ward(tmp_path, {"truong.xlsx": NEW, "vanhoa.xlsx": OTHER})
    return path, any_url


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_first_sync_under_the_new_name_stops_and_writes_nothing(ward, tmp_path):
    path, url = ward
    before = digest(tmp_path / "truong.xlsx")
    result = service.sync([path], as_of=AS_OF, store=url)
    school, office = result.units
    assert result.exit_code == 2
    assert school.error.code == "store.history-elsewhere" and school.evaluation is None
    assert f"«{OLD}»" in str(school.error) and "1 tháng đã phê duyệt" in str(school.error)
    assert f'--from "{OLD}" --to "{NEW}"' in str(school.error)
    assert office.error is None  # the other units go on
    assert digest(tmp_path / "truong.xlsx") == before
    with open_store(url) as st:
        assert st.units() == sorted([OLD, OTHER])


def test_validate_under_the_new_name_only_warns(ward):
    path, url = ward
    school = service.validate([path], as_of=AS_OF, store=url).units[0]
    assert school.error is None and school.evaluation is not None
    assert [n.code for n in school.notices if n.level == "warning"] == ["store.history-elsewhere"]


def test_rename_unit_moves_the_history_and_the_sync_goes_on_with_its_frozen_months(ward):
    path, url = ward
    res = CliRunner().invoke(main, ["rename-unit", path, "--from", OLD, "--to", NEW, "--by", "vanthu",
                                    "--reason", "Quyết định đổi tên trường", "--store", url, "--json"])
    assert res.exit_code == 0, res.output
    moved = json.loads(res.output)["moved"]
    assert moved["unit_months"] == 2 and moved["web_users"] == 1 and moved["runs"] >= 1
    with open_store(url) as st:
        assert st.units() == sorted([NEW, OTHER])
        assert st.frozen_months(NEW) == ["2026-05"] and st.frozen_months(OLD) == []
        assert st.check() == []
        with st.engine.connect() as c:
            assert c.execute(WebUser.__table__.select()).one().units == [NEW]
            event = c.execute(AuditEvent.__table__.select().where(AuditEvent.action == "unit-renamed")).one()
        assert (event.username, event.target) == ("vanthu", NEW)
        assert event.detail == f"{OLD} → {NEW}: Quyết định đổi tên trường"
    result = service.sync([path], as_of=AS_OF, store=url)
    assert result.exit_code == 0 and result.units[0].error is None
    assert result.units[0].freeze.frozen == ["2026-05"]


@pytest.mark.parametrize("old, new, says", [
    (OLD, OTHER, "đã có dữ liệu"),  # the new name has a history of its own: never merged
    (OTHER, NEW, "vẫn là một đơn vị"),  # the old name is still a unit of the ward
    (OLD, "Trường khác", "không phải đơn vị nào"),  # the ward file was not edited first
    ("Trường không có", NEW, "không có dữ liệu nào"),
])
def test_rename_unit_refuses_and_changes_nothing(ward, old, new, says):
    path, url = ward
    res = CliRunner().invoke(main, ["rename-unit", path, "--from", old, "--to", new, "--store", url])
    assert res.exit_code == 2 and says in res.output
    with open_store(url) as st:
        assert st.units() == sorted([OLD, OTHER])
