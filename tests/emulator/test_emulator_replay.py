"""Replay Google's recorded traffic against the emulator and demand the same answers.

Every request of every recording is sent, in order, to a fresh emulator over
real HTTP (host swapped, path/query/body as recorded).  The emulator must give
the recorded status code and a structurally identical JSON body.

What is *not* compared literally, and why:

* Identifiers minted by Google — Drive file ids / ``spreadsheetId`` / ``id``,
  ``sheetId``, ``protectedRangeId`` — are random.  They are matched through a
  bijective mapping learned where an id first appears (recorded id ↔ emulator
  id); later requests have recorded ids replaced by the emulator's, and strings
  embedding an id (``spreadsheetUrl``) are compared after the same substitution.
* ``createdTime`` / ``modifiedTime`` of Drive files are wall-clock timestamps:
  only their presence and RFC 3339 format are checked.
* ``protectedRanges[].editors.users`` lists the signed-in account's e-mail
  (the gspread maintainers' service account in the recordings): it is mapped
  bijectively to the emulator's account address like an id.

Nothing else is ignored: every other key must be present on both sides with an
equal value, and no extra keys are allowed.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from sheets_emulator import EmulatorServer

RECORDINGS = Path(__file__).parent / "recordings"
RECORDING_FILES = sorted(RECORDINGS.glob("*.json"))
ID_KEYS = frozenset({"id", "spreadsheetId", "sheetId", "protectedRangeId"})
TIME_KEYS = frozenset({"createdTime", "modifiedTime"})
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")

# Recordings that cannot pass, with the reason (none at the moment).
XFAIL: dict[str, str] = {}


class IdMap:
    """Recorded id ↔ emulator id, learned on first sight and kept one-to-one."""

    def __init__(self) -> None:
        self.forward: dict[Any, Any] = {}
        self.backward: dict[Any, Any] = {}

    def learn(self, recorded: Any, actual: Any, where: str) -> None:
        if recorded in self.forward:
            assert self.forward[recorded] == actual, (
                f"{where}: recorded id {recorded!r} was mapped to {self.forward[recorded]!r}, emulator now says {actual!r}"
            )
            return
        assert actual not in self.backward, (
            f"{where}: emulator id {actual!r} already stands for recorded {self.backward[actual]!r}, not {recorded!r}"
        )
        assert type(recorded) is type(actual), f"{where}: id type differs: {recorded!r} vs {actual!r}"
        self.forward[recorded] = actual
        self.backward[actual] = recorded

    def text(self, value: str) -> str:
        """Replace every known recorded string id inside ``value``."""
        for recorded, actual in self.forward.items():
            if isinstance(recorded, str) and len(recorded) >= 10 and recorded in value:
                value = value.replace(recorded, actual)
        return value

    def request_body(self, value: Any, key: str | None = None) -> Any:
        if isinstance(value, dict):
            return {k: self.request_body(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [self.request_body(v, key) for v in value]
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, int) and not isinstance(value, bool) and key in ID_KEYS:
            return self.forward.get(value, value)
        return value


def compare(recorded: Any, actual: Any, ids: IdMap, path: str = "$") -> None:
    if isinstance(recorded, dict):
        assert isinstance(actual, dict), f"{path}: expected an object, got {actual!r}"
        assert set(recorded) == set(actual), (
            f"{path}: keys differ; missing {sorted(set(recorded) - set(actual))}, "
            f"extra {sorted(set(actual) - set(recorded))}"
        )
        for key in sorted(recorded, key=lambda k: k not in ID_KEYS):  # learn ids before using them
            where = f"{path}.{key}"
            if key in ID_KEYS and isinstance(recorded[key], (str, int)) and not isinstance(recorded[key], bool):
                ids.learn(recorded[key], actual[key], where)
            elif key in TIME_KEYS:
                assert isinstance(actual[key], str) and RFC3339.match(actual[key]), f"{where}: {actual[key]!r}"
            elif key == "users" and path.endswith(".editors"):
                assert isinstance(actual[key], list) and len(actual[key]) == len(recorded[key]), where
                for i, (rec, act) in enumerate(zip(recorded[key], actual[key])):
                    ids.learn(("account", rec), ("account", act), f"{where}[{i}]")
            else:
                compare(recorded[key], actual[key], ids, where)
        return
    if isinstance(recorded, list):
        assert isinstance(actual, list), f"{path}: expected a list, got {actual!r}"
        assert len(recorded) == len(actual), f"{path}: {len(recorded)} items recorded, {len(actual)} returned: {actual!r}"
        for i, (rec, act) in enumerate(zip(recorded, actual)):
            compare(rec, act, ids, f"{path}[{i}]")
        return
    if isinstance(recorded, str):
        assert actual == ids.text(recorded), f"{path}: recorded {recorded!r}, emulator {actual!r}"
        return
    assert type(recorded) is type(actual) or {type(recorded), type(actual)} <= {int, float}, (
        f"{path}: type differs: recorded {recorded!r}, emulator {actual!r}"
    )
    assert recorded == actual, f"{path}: recorded {recorded!r}, emulator {actual!r}"


def replay(recording: Path) -> int:
    """Replay one recording against a fresh emulator; returns the number of interactions checked."""
    interactions = json.loads(recording.read_text(encoding="utf-8"))["interactions"]
    ids = IdMap()
    with EmulatorServer() as emulator, requests.Session() as http:
        for n, interaction in enumerate(interactions):
            request, response = interaction["request"], interaction["response"]
            parts = urlsplit(request["uri"])
            target = emulator.url + ids.text(parts.path + ("?" + parts.query if parts.query else ""))
            headers = {}
            body = request.get("body")
            data = None
            if body:
                data = json.dumps(ids.request_body(json.loads(body))).encode("utf-8")
                headers["Content-Type"] = "application/json"
            got = http.request(request["method"], target, data=data, headers=headers, timeout=10)
            label = f"{recording.stem} #{n} {request['method']} {request['uri']}"
            assert got.status_code == response["status"]["code"], (
                f"{label}: status {got.status_code} != recorded {response['status']['code']}; body {got.text[:500]}"
            )
            recorded_text = response["body"]["string"]
            if not recorded_text:
                assert got.content == b"", f"{label}: expected an empty body, got {got.text[:200]!r}"
                continue
            assert got.headers["Content-Type"].startswith("application/json"), label
            try:
                compare(json.loads(recorded_text), got.json(), ids)
            except AssertionError as exc:
                raise AssertionError(f"{label}\n{exc}") from None
    return len(interactions)


@pytest.mark.parametrize(
    "recording",
    [
        pytest.param(path, id=path.stem, marks=[pytest.mark.xfail(reason=XFAIL[path.stem], strict=True)])
        if path.stem in XFAIL
        else pytest.param(path, id=path.stem)
        for path in RECORDING_FILES
    ],
)
def test_recording_replays_identically(recording: Path) -> None:
    assert replay(recording) > 0


def test_all_recordings_present() -> None:
    assert len(RECORDING_FILES) == 29
