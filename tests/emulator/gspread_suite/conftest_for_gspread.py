"""Stands in for gspread's own ``tests/conftest.py`` when gspread's test suite runs live against
the emulator (see ``test_gspread_suite.py``): same names, but the ``client`` fixture talks real
HTTP to a fresh emulator instead of replaying vcrpy cassettes.

gspread's tests import ``GspreadTest``, ``I18N_STR`` and ``invalid_json_client`` from here.
"""

from __future__ import annotations

import io
import itertools
import unittest
from collections.abc import Generator, Iterator
from typing import Any

import pytest
import requests
from requests import Response

import gspread
from gspread.client import Client
from gspread.http_client import BackOffHTTPClient
from sheets_emulator import EmulatorServer
from sheets_emulator.client import emulator_session

I18N_STR = "Iñtërnâtiônàlizætiøn"
DUMMY_ACCESS_TOKEN = "<ACCESS_TOKEN>"
# gspread's test_access_private_spreadsheet opens this id and expects PermissionError: a file that
# exists but belongs to someone else, as it did when the cassette was recorded.
PRIVATE_SPREADSHEET_ID = "1jIKzPs8LsiZZdLdeMEP-5ZIHw6RkjiOmj1LrJN706Yc"
STRANGER = "stranger@example.com"


def _no_cassette(*args: Any, **kwargs: Any) -> Any:
    """``@pytest.mark.vcr()`` picks a cassette upstream; here there is none. It must also vanish
    (not become a mark): gspread puts it on a fixture, which pytest 9 rejects."""
    return lambda function: function


pytest.mark.vcr = _no_cassette  # type: ignore[attr-defined]


def prefixed_counter(prefix: str, start: int = 1) -> Generator[str, None, None]:
    for value in itertools.count(start):
        yield "{} {}".format(prefix, value)


def get_method_name(self_id: str) -> str:
    return self_id.split(".")[-1]


class GspreadTest(unittest.TestCase):
    @classmethod
    def get_temporary_spreadsheet_title(cls, suffix: str = "") -> str:
        return "Test {} {}".format(cls.__name__, suffix)

    @classmethod
    def get_cassette_name(cls) -> str:
        return cls.__name__

    def _sequence_generator(self) -> Generator[str, None, None]:
        return prefixed_counter(get_method_name(self.id()))


class InvalidJsonApiErrorClient(BackOffHTTPClient):
    """As upstream: always fails with a 500 whose body is HTML, not JSON."""

    ERROR_MSG = bytes("<html><body><h1>Failed</h1></body></html>", "utf-8")

    def request(self, *args: Any, **kwargs: Any) -> Response:
        resp = Response()
        resp.raw = io.BytesIO(self.ERROR_MSG)
        resp.status_code = 500
        resp.encoding = "text/html"
        raise gspread.exceptions.APIError(resp)


@pytest.fixture(scope="session")
def emulator() -> Iterator[EmulatorServer]:
    with EmulatorServer(port=0) as server:
        stranger = requests.post(
            server.url + "/drive/v3/files",
            json={"id": PRIVATE_SPREADSHEET_ID, "name": "private", "mimeType": "application/vnd.google-apps.spreadsheet"},
            headers={"Authorization": f"Bearer {STRANGER}"},
            timeout=10,
        )
        stranger.raise_for_status()
        yield server


@pytest.fixture(scope="module")
def client(emulator: EmulatorServer) -> Client:
    """gspread's own ``Client`` with the backing-off HTTP client its suite uses, bound to the emulator."""
    session = emulator_session(emulator.url)
    session.headers["Authorization"] = f"Bearer {DUMMY_ACCESS_TOKEN}"
    return Client(None, session=session, http_client=BackOffHTTPClient)  # type: ignore[arg-type]


def invalid_json_client() -> tuple[Client, bytes]:
    return (
        Client(None, session=requests.Session(), http_client=InvalidJsonApiErrorClient),  # type: ignore[arg-type]
        InvalidJsonApiErrorClient.ERROR_MSG,
    )
