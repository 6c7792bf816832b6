"""`sheetsync users` and `serve`'s refusals, as a person types them."""

from __future__ import annotations

from click.testing import CliRunner

from sheetsync.cli import main


def run(*args, input=None):
    return CliRunner().invoke(main, [str(a) for a in args], input=input)


def test_users_add_list_passwd_remove(ward_copy):
    w = ward_copy
    assert run("users", "add", w, "--username", "beta", "--role", "unit", "--unit", "Phòng Beta",
               "--password", "mat-khau-beta").exit_code == 0
    listed = run("users", "list", w).output
    assert "beta" in listed and "Phòng Beta" in listed and "admin" in listed
    typed = run("users", "passwd", w, "--username", "beta", input="mat-khau-moi\nmat-khau-moi\n")
    assert typed.exit_code == 0 and "Đã đổi mật khẩu" in typed.output
    assert run("users", "remove", w, "--username", "beta").exit_code == 0
    assert "beta" not in run("users", "list", w).output


def test_users_add_refuses_with_a_vietnamese_message(ward_copy):
    w = ward_copy
    cases = [
        (["--username", "x", "--role", "unit", "--password", "mat-khau-123"], "cần ít nhất một đơn vị"),
        (["--username", "x", "--role", "unit", "--unit", "Phòng Không Có", "--password", "mat-khau-123"],
         "Phường không có đơn vị"),
        (["--username", "x", "--role", "viewer", "--password", "ngan"], "ít nhất 8 ký tự"),
        (["--username", "admin", "--role", "admin", "--password", "mat-khau-123"], "Đã có tài khoản"),
    ]
    for args, message in cases:
        r = run("users", "add", w, *args)
        assert r.exit_code == 2 and message in r.output, (args, r.output)
        assert "Traceback" not in r.output
    assert run("users", "remove", w, "--username", "khong-co").exit_code == 2


def test_serve_without_accounts_says_how_to_make_one(tmp_path):
    from conftest import make_ward

    w = make_ward(tmp_path / "moi")
    r = run("serve", w, "--port", "0")
    assert r.exit_code == 2 and "sheetsync users add" in r.output


def test_a_bad_service_block_is_reported(ward_copy):
    text = ward_copy.read_text(encoding="utf-8").replace("every_minutes: 10", "every_minute: 10")
    ward_copy.write_text(text, encoding="utf-8")
    r = run("serve", ward_copy)
    assert r.exit_code == 2 and "every_minute" in r.output and "Khóa không hợp lệ" in r.output
