"""A real gspread client wired to the emulator.

gspread builds absolute Google URLs (``https://sheets.googleapis.com/v4/...``,
``https://www.googleapis.com/drive/v3/...``).  Instead of patching gspread, the
client gets a ``requests.Session`` that rewrites scheme and host of every
outgoing request to the emulator, so the rest of gspread runs unmodified and
no credentials are needed.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

import requests

ENV_VAR = "SHEETS_EMULATOR_URL"
LEGACY_ENV_VAR = "SHEETSYNC_GOOGLE_API_URL"  # what sheetsync's backend reads; accepted too
GOOGLE_HOSTS = frozenset({"sheets.googleapis.com", "www.googleapis.com", "googleapis.com"})


class EmulatorSession(requests.Session):
    """A session that sends Google API requests to ``base_url`` instead."""

    def __init__(self, base_url: str, token: str = "sheets-emulator") -> None:
        """``token`` names the caller (an e-mail address, or a token the server maps to one)."""
        super().__init__()
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"not an emulator URL: {base_url!r}")
        self.base_scheme = parts.scheme
        self.base_netloc = parts.netloc
        self.base_path = parts.path.rstrip("/")
        self.headers["Authorization"] = f"Bearer {token}"

    def rewrite(self, url: str) -> str:
        parts = urlsplit(url)
        if parts.hostname not in GOOGLE_HOSTS:
            return url
        return urlunsplit((self.base_scheme, self.base_netloc, self.base_path + parts.path, parts.query, ""))

    def send(self, request: requests.PreparedRequest, **kwargs):  # type: ignore[no-untyped-def,override]
        request.url = self.rewrite(request.url or "")
        return super().send(request, **kwargs)


def emulator_session(url: str | None = None, token: str = "sheets-emulator") -> EmulatorSession:
    base = url or os.environ.get(ENV_VAR) or os.environ.get(LEGACY_ENV_VAR)
    if not base:
        raise ValueError(f"no emulator URL given and ${ENV_VAR} is not set")
    return EmulatorSession(base, token)


def emulator_client(url: str | None = None, http_client: type | None = None):  # type: ignore[no-untyped-def]
    """A :class:`gspread.Client` talking to the emulator at ``url`` (default: ``$SHEETSYNC_GOOGLE_API_URL``).

    ``http_client`` may be ``gspread.BackOffHTTPClient`` to exercise retry logic against injected faults.
    """
    import gspread  # optional dependency: only needed by code that talks to Google

    session = emulator_session(url)
    if http_client is None:
        return gspread.Client(None, session=session)  # type: ignore[arg-type]
    return gspread.Client(None, session=session, http_client=http_client)  # type: ignore[arg-type]
