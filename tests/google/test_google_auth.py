"""Credentials and settings: least scopes, clear Vietnamese errors, no key material in messages."""

from __future__ import annotations

import json

import pytest
import requests

from sheetsync.backends import SourceError, open_source
from sheetsync.backends.google.auth import (
    SCOPE_DRIVE_FILE,
    SCOPE_SHEETS,
    load_credentials,
    load_settings,
)
from sheetsync.backends.google.backend import api_error as google_error
from sheetsync.backends.google.backend import spreadsheet_id
from sheetsync.backends.google.pacing import RetryExhausted
from sheetsync.errors import ConfigError, GoogleCredentialsError

SECRET_MARK = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC"


def private_key_pem() -> str:
    cryptography = pytest.importorskip("cryptography")  # noqa: F841
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def service_account_file(tmp_path, **changes) -> str:
    info = {"type": "service_account", "project_id": "ubnd-phuong", "private_key_id": "abc123",
            "private_key": private_key_pem(), "client_email": "sheetsync@ubnd-phuong.iam.gserviceaccount.com",
            "client_id": "1234567890", "token_uri": "https://oauth2.googleapis.com/token"}
    info.update(changes)
    path = tmp_path / "key.json"
    path.write_text(json.dumps(info), encoding="utf-8")
    return str(path)


def settings(**env):
    return load_settings(environ={"SHEETSYNC_CONFIG": "/nonexistent/config.yaml", **env})


def test_service_account_gets_least_scopes(tmp_path):
    s = settings(GOOGLE_APPLICATION_CREDENTIALS=service_account_file(tmp_path))
    assert s.credentials_from == "biến GOOGLE_APPLICATION_CREDENTIALS"
    creds = load_credentials(s)
    assert list(creds.scopes) == [SCOPE_SHEETS]
    assert creds.service_account_email == "sheetsync@ubnd-phuong.iam.gserviceaccount.com"
    assert list(load_credentials(s, create_files=True).scopes) == [SCOPE_SHEETS, SCOPE_DRIVE_FILE]


def test_authorized_user_file(tmp_path):
    path = tmp_path / "user.json"
    path.write_text(json.dumps({"type": "authorized_user", "client_id": "x.apps.googleusercontent.com",
                                "client_secret": "s3cr3t", "refresh_token": "1//refresh"}), encoding="utf-8")
    creds = load_credentials(settings(SHEETSYNC_GOOGLE_CREDENTIALS=str(path)))
    assert creds.refresh_token == "1//refresh" and SCOPE_SHEETS in creds.scopes


def test_missing_key_explains_what_to_do():
    with pytest.raises(GoogleCredentialsError) as info:
        load_credentials(settings())
    text = str(info.value)
    assert "Chưa có khóa truy cập Google" in text and "GOOGLE_APPLICATION_CREDENTIALS" in text
    assert isinstance(info.value, SourceError)


@pytest.mark.parametrize("content, expected", [
    (None, "Không tìm thấy tệp khóa Google"),
    ("not json {", "không đọc được hoặc không phải JSON"),
    (json.dumps({"type": "external_account"}), "không phải khóa tài khoản dịch vụ"),
])
def test_unusable_key_files(tmp_path, content, expected):
    path = tmp_path / "key.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(GoogleCredentialsError) as info:
        load_credentials(settings(GOOGLE_APPLICATION_CREDENTIALS=str(path)))
    assert expected in str(info.value) and str(path) in str(info.value)


def test_broken_key_message_never_contains_key_material(tmp_path):
    path = service_account_file(tmp_path, private_key=f"-----BEGIN PRIVATE KEY-----\n{SECRET_MARK}\n-----END PRIVATE KEY-----\n")
    with pytest.raises(GoogleCredentialsError) as info:
        load_credentials(settings(GOOGLE_APPLICATION_CREDENTIALS=path))
    text = str(info.value) + repr(info.value.__cause__) + repr(info.value.__context__)
    assert "thiếu thông tin hoặc bị hỏng" in str(info.value)
    assert SECRET_MARK not in text and "PRIVATE KEY" not in text


def test_config_file_and_precedence(tmp_path):
    key = service_account_file(tmp_path)
    cfg = tmp_path / "config.yaml"
    cfg.write_text("google:\n  credentials: key.json\n  reads_per_minute: 30\n  max_attempts: 4\n", encoding="utf-8")
    s = load_settings(environ={"SHEETSYNC_CONFIG": str(cfg), "GOOGLE_APPLICATION_CREDENTIALS": "/elsewhere.json",
                               "SHEETSYNC_GOOGLE_MAX_ATTEMPTS": "9"})
    assert s.credentials == key and "tệp cấu hình" in s.credentials_from
    assert s.pacing.reads_per_minute == 30 and s.pacing.writes_per_minute == 60 and s.pacing.max_attempts == 9
    with pytest.raises(ConfigError) as info:
        load_settings(environ={"SHEETSYNC_CONFIG": str(cfg), "SHEETSYNC_GOOGLE_BURST": "nhiều"})
    assert info.value.code == "config.google"


def test_real_google_without_key_fails_as_a_source_error(monkeypatch, tmp_path):
    from sheetsync.backends.google import backend as gsheets

    for name in ("SHEETSYNC_GOOGLE_API_URL", "GOOGLE_APPLICATION_CREDENTIALS", "SHEETSYNC_GOOGLE_CREDENTIALS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SHEETSYNC_CONFIG", str(tmp_path / "none.yaml"))
    gsheets._SESSIONS.clear()
    backend = open_source("gsheet:1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789")
    with pytest.raises(SourceError, match="Chưa có khóa truy cập Google"):
        backend.read()
    gsheets._SESSIONS.clear()


def test_sources_recognised():
    sid = "1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"
    assert spreadsheet_id(f"gsheet:{sid}") == sid
    assert spreadsheet_id(f"https://docs.google.com/spreadsheets/d/{sid}/edit#gid=0") == sid
    assert spreadsheet_id("gsheet:short") is None
    with pytest.raises(SourceError, match="Không nhận ra nguồn"):
        open_source("https://example.com/sheet")
    with pytest.raises(SourceError, match="Không nhận ra bảng tính Google"):
        open_source("gsheet:???")


def api_error(status: int, body: dict):
    from gspread.exceptions import APIError

    response = requests.Response()
    response.status_code = status
    response._content = json.dumps(body).encode()
    return APIError(response)


def test_error_messages_name_the_unit_and_say_what_to_do():
    kw = dict(what="đọc bảng tính", where="Đơn vị 'Phòng Y tế' (gsheet:abc)",
              email="sheetsync@ubnd-phuong.iam.gserviceaccount.com", sid="abc")
    denied = api_error(403, {"error": {"code": 403, "message": "The caller does not have permission",
                                       "status": "PERMISSION_DENIED"}})
    error = google_error(denied, **kw)
    text = str(error)
    assert "Phòng Y tế" in text and "chưa được chia sẻ" in text and kw["email"] in text
    assert error.code == "google.permission"
    disabled = api_error(403, {"error": {"code": 403, "message": "Google Sheets API has not been used in project 1",
                                         "status": "PERMISSION_DENIED"}})
    assert "chưa được bật" in str(google_error(disabled, **kw))
    assert google_error(disabled, **kw).code == "google.api-disabled"
    missing = api_error(404, {"error": {"code": 404, "message": "Requested entity was not found.", "status": "NOT_FOUND"}})
    assert "không tìm thấy bảng tính Google có mã abc" in str(google_error(missing, **kw))
    assert google_error(missing, **kw).code == "google.not-found"
    unauth = api_error(401, {"error": {"code": 401, "message": "Request had invalid authentication credentials.",
                                       "status": "UNAUTHENTICATED"}})
    assert "không chấp nhận khóa" in str(google_error(unauth, **kw))
    assert google_error(unauth, **kw).code == "google.credentials"
    quota = api_error(429, {"error": {"code": 429, "message": "Quota exceeded", "status": "RESOURCE_EXHAUSTED"}})
    error = google_error(RetryExhausted(quota, 7, 95.0), **kw)
    assert error.code == "google.unreachable"
    text = str(error)
    assert "Phòng Y tế" in text and "đã thử 7 lần trong 95 giây" in text and "mã lỗi 429" in text
