"""Hardening of what renders the forms: user templates run in a sandbox, the browser that
prints PDFs runs no script, the report page declares a strict Content-Security-Policy."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from builders import good_unit
from click.testing import CliRunner

from sheetsync.cli import main
from sheetsync.config.resources import templates_dir
from sheetsync.forms import pdf

AS_OF = "2026-11-24"


def _templates_with(tmp_path, page: str):
    custom = tmp_path / "mau"
    shutil.copytree(templates_dir() / "forms", custom / "forms")
    (custom / "forms" / "report.html.j2").write_text(page, encoding="utf-8")
    return custom


@pytest.mark.parametrize("attack", [
    "{{ cycler.__init__.__globals__.os.popen('touch PWNED').read() }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ page_title.__class__.__base__.__subclasses__() }}",
])
def test_a_template_cannot_reach_python(tmp_path, attack, monkeypatch):
    monkeypatch.chdir(tmp_path)
    unit = good_unit(tmp_path / "don-vi.xlsx")
    custom = _templates_with(tmp_path, "<html><body>" + attack + "</body></html>")
    res = CliRunner().invoke(main, ["report", str(unit), "--month", "2026-11", "--out", str(tmp_path / "out"),
                                    "--format", "html", "--templates", str(custom), "--store", "none",
                                    "--as-of", AS_OF])
    assert res.exit_code == 2, res.output
    assert "không được phép" in res.output
    assert not (tmp_path / "PWNED").exists()


def test_a_fifo_template_is_refused_without_hanging(tmp_path):
    unit = good_unit(tmp_path / "don-vi.xlsx")
    custom = _templates_with(tmp_path, "")
    (custom / "forms" / "report.html.j2").unlink()
    os.mkfifo(custom / "forms" / "report.html.j2")
    res = CliRunner().invoke(main, ["report", str(unit), "--month", "2026-11", "--out", str(tmp_path / "out"),
                                    "--format", "html", "--templates", str(custom), "--store", "none",
                                    "--as-of", AS_OF])
    assert res.exit_code == 2 and "FIFO" in res.output


def test_the_report_page_declares_a_strict_content_security_policy(tmp_path):
    unit = good_unit(tmp_path / "don-vi.xlsx")
    res = CliRunner().invoke(main, ["report", str(unit), "--month", "2026-11", "--out", str(tmp_path / "out"),
                                    "--format", "html", "--store", "none", "--as-of", AS_OF])
    assert res.exit_code in (0, 1), res.output
    page = next((tmp_path / "out").rglob("*.html")).read_text(encoding="utf-8")
    assert 'http-equiv="Content-Security-Policy"' in page
    assert "script-src 'none'" in page and "default-src 'none'" in page


def test_the_browser_keeps_its_sandbox_unless_running_as_root():
    assert "--no-sandbox" not in pdf.browser_flags(no_sandbox=False)
    assert ("--no-sandbox" in pdf.browser_flags()) == (os.geteuid() == 0)


@pytest.fixture
def browser():
    found = pdf.find_browser()
    if found is None:
        pytest.skip("no Chromium to print with")
    return found


def test_the_printing_browser_runs_no_script(tmp_path, browser):
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler) missing")
    page = tmp_path / "p.html"
    page.write_text("<html><body><p id='t'>TĨNH</p>"
                    "<script>document.getElementById('t').textContent = 'SCRIPT RAN';</script></body></html>",
                    encoding="utf-8")
    out = pdf.print_pdf(page, tmp_path / "p.pdf", browser).path
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True).stdout
    assert "TĨNH" in text and "SCRIPT RAN" not in text
