"""Settings and credentials for the Google Sheets backend.

Where things come from, first match wins:

- the emulator: `SHEETSYNC_GOOGLE_API_URL` (or `api_url` in the config file) sends every call to
  an offline emulator and needs no credentials at all;
- the key: `SHEETSYNC_GOOGLE_CREDENTIALS`, then `credentials:` in the config file, then
  `GOOGLE_APPLICATION_CREDENTIALS`. The JSON file is either a service-account key
  (`"type": "service_account"`) or OAuth user credentials (`"type": "authorized_user"`, e.g.
  from `gcloud auth application-default login`). Alternatively `oauth_client:` (an OAuth client
  secrets file) with `oauth_token:` runs Google's consent screen once and keeps the token;
- the config file: `SHEETSYNC_CONFIG`, else `~/.config/sheetsync/config.yaml`, section `google:`;
- pacing: `reads_per_minute`, `writes_per_minute`, `burst`, `max_attempts`, `max_retry_seconds`,
  `backoff_base`, `backoff_cap`, `timeout` in the file, or `SHEETSYNC_GOOGLE_<NAME>` variables.

Scopes are the least that work: `spreadsheets` for sync and init, plus `drive.file` (only the
files this app creates) for `init --create`. Error messages are Vietnamese and never contain key
material or tokens: only file paths, the account e-mail and Google's short reason.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests

from sheetsync.backends.google.pacing import PacingConfig
from sheetsync.errors import ConfigError, GoogleCredentialsError

SCOPE_SHEETS = "https://www.googleapis.com/auth/spreadsheets"
SCOPE_DRIVE_FILE = "https://www.googleapis.com/auth/drive.file"
API_URL_ENV = "SHEETSYNC_GOOGLE_API_URL"
DEFAULT_CONFIG = Path("~/.config/sheetsync/config.yaml")


@dataclass(frozen=True)
class GoogleSettings:
    api_url: str | None = None  # the emulator; None = the real Google
    credentials: str | None = None  # service-account or authorized-user JSON
    credentials_from: str = ""  # where the path came from, for messages
    oauth_client: str | None = None  # OAuth client secrets (installed app)
    oauth_token: str | None = None  # where the user's token is kept
    pacing: PacingConfig = field(default_factory=PacingConfig)
    timeout: float = 60.0  # seconds per HTTP request (connect and read)

    @property
    def emulated(self) -> bool:
        return bool(self.api_url)


_PACING_KEYS = {
    "reads_per_minute": ("reads_per_minute", float),
    "writes_per_minute": ("writes_per_minute", float),
    "burst": ("burst", int),
    "max_attempts": ("max_attempts", int),
    "max_retry_seconds": ("max_seconds", float),
    "backoff_base": ("backoff_base", float),
    "backoff_cap": ("backoff_cap", float),
}


def _config_file(environ: Mapping[str, str]) -> dict[str, Any]:
    path = Path(environ.get("SHEETSYNC_CONFIG") or DEFAULT_CONFIG).expanduser()
    if not path.is_file():
        return {}
    from sheetsync.config.yamlfile import load_yaml

    try:
        raw = load_yaml(path, ConfigError, "tệp cấu hình") or {}
    except ConfigError as exc:
        raise ConfigError(str(exc), code="config.google") from None
    section = raw.get("google") if isinstance(raw, dict) else None
    if section is None:
        return {}
    if not isinstance(section, dict):
        raise ConfigError(f"Mục 'google:' trong {path} phải là một bảng khóa: giá trị.", code="config.google")
    base = path.parent
    out = dict(section)
    for key in ("credentials", "oauth_client", "oauth_token"):
        if out.get(key):
            p = Path(str(out[key])).expanduser()
            out[key] = str(p if p.is_absolute() else base / p)
    out["_file"] = str(path)
    return out


def load_settings(overrides: Mapping[str, Any] | None = None,
                  environ: Mapping[str, str] | None = None) -> GoogleSettings:
    """Settings from (highest first) `overrides`, environment variables, the config file."""
    env = os.environ if environ is None else environ
    cfg = _config_file(env)
    over = dict(overrides or {})

    def pick(key: str, env_name: str | None = None) -> Any:
        if over.get(key) is not None:
            return over[key]
        if env_name and env.get(env_name):
            return env[env_name]
        return cfg.get(key)

    api_url = pick("api_url", API_URL_ENV)
    cred, origin = None, ""
    for value, where in ((over.get("credentials"), "tham số"),
                         (env.get("SHEETSYNC_GOOGLE_CREDENTIALS"), "biến SHEETSYNC_GOOGLE_CREDENTIALS"),
                         (cfg.get("credentials"), f"tệp cấu hình {cfg.get('_file', '')}".strip()),
                         (env.get("GOOGLE_APPLICATION_CREDENTIALS"), "biến GOOGLE_APPLICATION_CREDENTIALS")):
        if value:
            cred, origin = str(Path(str(value)).expanduser()), where
            break
    pacing_args: dict[str, Any] = {}
    for key, (attr, kind) in _PACING_KEYS.items():
        raw = pick(key, f"SHEETSYNC_GOOGLE_{key.upper()}")
        if raw is None or raw == "":
            continue
        try:
            pacing_args[attr] = kind(raw)
        except (TypeError, ValueError):
            raise ConfigError(f"Giá trị '{raw}' của {key} không phải là một số.", code="config.google") from None
    timeout = pick("timeout", "SHEETSYNC_GOOGLE_TIMEOUT")
    return GoogleSettings(
        api_url=str(api_url).rstrip("/") if api_url else None,
        credentials=cred,
        credentials_from=origin,
        oauth_client=pick("oauth_client"),
        oauth_token=pick("oauth_token"),
        pacing=replace(PacingConfig(), **pacing_args),
        timeout=float(timeout) if timeout else 60.0,
    )


def settings_key(s: GoogleSettings) -> tuple:
    """What identifies one account/connection (clients and quotas are shared per key)."""
    return tuple(getattr(s, f.name) for f in fields(s))


# --------------------------------------------------------------------------- credentials

_HOW_TO = ("Tạo khóa tài khoản dịch vụ (Service account → Keys → Add key → JSON) trong Google Cloud Console, "
           "lưu tệp JSON trên máy này và đặt biến môi trường GOOGLE_APPLICATION_CREDENTIALS trỏ tới tệp đó "
           "(hoặc khai báo 'credentials:' trong mục google: của tệp cấu hình).")


def load_credentials(settings: GoogleSettings, *, create_files: bool = False):
    """google-auth credentials with the least scopes; raises GoogleCredentialsError with guidance."""
    scopes = [SCOPE_SHEETS] + ([SCOPE_DRIVE_FILE] if create_files else [])
    if settings.credentials:
        return _from_file(Path(settings.credentials), settings.credentials_from, scopes)
    if settings.oauth_client:
        return _from_oauth_flow(settings, scopes)
    raise GoogleCredentialsError("Chưa có khóa truy cập Google nên không mở được Google Sheets. " + _HOW_TO)


def _from_file(path: Path, origin: str, scopes: list[str]):
    where = f"{path} (khai báo ở {origin})" if origin else str(path)
    if not path.is_file():
        raise GoogleCredentialsError(f"Không tìm thấy tệp khóa Google {where}. " + _HOW_TO)
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        raise GoogleCredentialsError(f"Tệp khóa Google {where} không đọc được hoặc không phải JSON. " + _HOW_TO) from None
    kind = info.get("type") if isinstance(info, dict) else None
    try:
        if kind == "service_account":
            from google.oauth2 import service_account

            return service_account.Credentials.from_service_account_info(info, scopes=scopes)
        if kind == "authorized_user":
            from google.oauth2.credentials import Credentials

            return Credentials.from_authorized_user_info(info, scopes=scopes)
    except (ValueError, KeyError):
        # google-auth's messages name missing fields, never their values; keep only that much.
        raise GoogleCredentialsError(f"Tệp khóa Google {where} thiếu thông tin hoặc bị hỏng "
                              "(cần tải lại tệp JSON từ Google Cloud Console).") from None
    raise GoogleCredentialsError(f"Tệp {where} không phải khóa tài khoản dịch vụ (\"type\": \"service_account\") "
                          "hay thông tin đăng nhập người dùng (\"type\": \"authorized_user\"). " + _HOW_TO)


def _from_oauth_flow(settings: GoogleSettings, scopes: list[str]):
    """User credentials through Google's consent screen, once; the token is kept for next time."""
    from google.oauth2.credentials import Credentials

    token = Path(settings.oauth_token or "~/.config/sheetsync/google-token.json").expanduser()
    if token.is_file():
        try:
            return Credentials.from_authorized_user_file(str(token), scopes)
        except (ValueError, KeyError, OSError, json.JSONDecodeError):
            pass  # unusable token: ask again
    try:
        from google_auth_oauthlib.flow import InstalledAppFlow
    except ImportError:
        raise GoogleCredentialsError("Cần gói google-auth-oauthlib để đăng nhập bằng tài khoản người dùng "
                              "(pip install google-auth-oauthlib), hoặc dùng khóa tài khoản dịch vụ.") from None
    client = Path(settings.oauth_client or "").expanduser()
    if not client.is_file():
        raise GoogleCredentialsError(f"Không tìm thấy tệp OAuth client {client}.")
    flow = InstalledAppFlow.from_client_secrets_file(str(client), scopes)
    creds = flow.run_local_server(port=0)
    token.parent.mkdir(parents=True, exist_ok=True)
    token.write_text(creds.to_json(), encoding="utf-8")
    os.chmod(token, 0o600)
    return creds


def account_email(credentials: Any) -> str | None:
    """The e-mail a sheet must be shared with (service accounts only)."""
    return getattr(credentials, "service_account_email", None) or getattr(credentials, "signer_email", None)


GOOGLE_HOSTS = frozenset({"sheets.googleapis.com", "www.googleapis.com", "googleapis.com"})


class RedirectSession(requests.Session):
    """A `requests` session that sends Google API calls to another base URL (an offline
    emulator, `SHEETSYNC_GOOGLE_API_URL`) with no credentials: gspread runs unmodified."""

    def __init__(self, base_url: str) -> None:
        super().__init__()
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(f"'{base_url}' không phải địa chỉ của bộ giả lập (cần dạng http://127.0.0.1:8765).",
                              code="config.google")
        self.base = (parts.scheme, parts.netloc, parts.path.rstrip("/"))
        self.headers["Authorization"] = "Bearer sheetsync-emulator"

    def rewrite(self, url: str) -> str:
        parts = urlsplit(url)
        if parts.hostname not in GOOGLE_HOSTS:
            return url
        return urlunsplit((self.base[0], self.base[1], self.base[2] + parts.path, parts.query, ""))

    def send(self, request, **kwargs):  # type: ignore[no-untyped-def,override]
        request.url = self.rewrite(request.url or "")
        return super().send(request, **kwargs)
