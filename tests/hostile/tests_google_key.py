"""A service-account key file for tests (a fresh RSA key; no real account behind it)."""

from __future__ import annotations

import json

import pytest


def service_account_file(tmp_path, **changes) -> str:
    pytest.importorskip("cryptography")
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    info = {"type": "service_account", "project_id": "ubnd-phuong", "private_key_id": "abc123",
            "private_key": pem, "client_email": "sheetsync@ubnd-phuong.iam.gserviceaccount.com",
            "client_id": "1234567890", "token_uri": "https://oauth2.googleapis.com/token"}
    info.update(changes)
    path = tmp_path / "key.json"
    path.write_text(json.dumps(info), encoding="utf-8")
    return str(path)
