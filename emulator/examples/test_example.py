"""Testing your own gspread code offline: a complete example.

Run it with ``pytest emulator/examples/test_example.py`` once ``sheets-emulator`` and gspread are
installed (``pip install -e "emulator[client]"``). Nothing here reaches Google: gspread talks real
HTTP to an emulator on 127.0.0.1, started fresh for each test.
"""

from __future__ import annotations

from collections.abc import Iterator

import gspread
import pytest

from sheets_emulator import EmulatorServer, FaultConfig
from sheets_emulator.client import emulator_client, emulator_session

# --------------------------------------------------------------------------- the code under test


def record_scores(gc: gspread.Client, spreadsheet_id: str, scores: dict[str, float]) -> int:
    """Append one row per person to the sheet "Scores" (created on first use); returns rows added."""
    sh = gc.open_by_key(spreadsheet_id)
    try:
        ws = sh.worksheet("Scores")
    except gspread.WorksheetNotFound:
        ws = sh.add_worksheet("Scores", rows=100, cols=2)
        ws.append_row(["Name", "Score"])
    ws.append_rows([[name, score] for name, score in sorted(scores.items())], value_input_option="RAW")
    return len(scores)


# --------------------------------------------------------------------------- fixtures


@pytest.fixture
def emulator() -> Iterator[EmulatorServer]:
    with EmulatorServer(port=0) as server:  # port 0: any free port; state in memory only
        yield server


@pytest.fixture
def gc(emulator: EmulatorServer) -> gspread.Client:
    return emulator_client(emulator.url)  # a real gspread.Client, its Google URLs rewritten


# --------------------------------------------------------------------------- tests


def test_scores_are_appended(gc: gspread.Client) -> None:
    sh = gc.create("Team results")
    assert record_scores(gc, sh.id, {"Lan": 9.5, "An": 8}) == 2
    assert sh.worksheet("Scores").get_all_records() == [{"Name": "An", "Score": 8}, {"Name": "Lan", "Score": 9.5}]


def test_a_spreadsheet_not_shared_with_you(emulator: EmulatorServer) -> None:
    """Callers are named by their bearer token: a token that is an e-mail address is that account."""
    owner = gspread.Client(None, session=emulator_session(emulator.url, token="owner@example.com"))  # type: ignore[arg-type]
    me = gspread.Client(None, session=emulator_session(emulator.url, token="me@example.com"))  # type: ignore[arg-type]
    sh = owner.create("Private")
    with pytest.raises(PermissionError):  # Google answers 403 here
        record_scores(me, sh.id, {"An": 7})
    sh.share("me@example.com", perm_type="user", role="writer", notify=False)
    assert record_scores(me, sh.id, {"An": 7}) == 1


def test_quota_errors_reach_the_caller(emulator: EmulatorServer, gc: gspread.Client) -> None:
    """Inject Google's faults (429 past a quota, random 500/503, dropped connections, latency)
    to see how the code copes; here the quota runs out after two requests."""
    sh = gc.create("Busy")
    emulator.set_faults(FaultConfig(quota_per_minute=2))
    with pytest.raises(gspread.exceptions.APIError) as err:
        record_scores(gc, sh.id, {"Bình": 6})
    assert err.value.code == 429 and err.value.error["status"] == "RESOURCE_EXHAUSTED"
    emulator.set_faults(FaultConfig())  # quota back: opening took both requests, nothing was added
    assert [ws.title for ws in sh.worksheets()] == ["Sheet1"]
