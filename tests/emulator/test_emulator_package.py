"""The emulator is its own stdlib-only package, and sheetsync's production code never imports it."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHEETSYNC = [sys.executable, "-c", "from sheetsync.cli import main; main()"]


def _run(code: str, **kwargs) -> subprocess.CompletedProcess:  # type: ignore[no-untyped-def,type-arg]
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=60, cwd=ROOT, **kwargs)


def test_server_needs_only_the_standard_library():
    result = _run("""
        import sys, urllib.request
        before = set(sys.modules)
        from sheets_emulator import EmulatorServer
        with EmulatorServer() as emu:
            urllib.request.urlopen(emu.url + "/_emulator/health", timeout=10).read()
        loaded = {m.split(".")[0] for m in set(sys.modules) - before}
        foreign = sorted(m for m in loaded if m not in sys.stdlib_module_names and m != "sheets_emulator")
        print(foreign)
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_distribution_declares_no_dependencies():
    text = (ROOT / "emulator" / "pyproject.toml").read_text(encoding="utf-8")
    assert 'name = "sheets-emulator"' in text
    assert "dependencies = []" in text


def test_backend_talks_to_emulator_without_importing_it(tmp_path):
    result = _run("""
        import sys
        from sheets_emulator import EmulatorServer
        emu = EmulatorServer().start()
        for name in [m for m in sys.modules if m.startswith("sheets_emulator")]:
            del sys.modules[name]  # the server keeps running; imports from here on are visible
        sys.modules["sheets_emulator"] = None  # any import of it now fails loudly
        import os
        os.environ["SHEETSYNC_GOOGLE_API_URL"] = emu.url
        from sheetsync.backends.google import backend
        session = backend.get_session()
        sh = session.client.create("không nhập bộ giả lập")
        print(sh.title)
        emu.stop()
    """, env={**os.environ, "SHEETSYNC_CONFIG": str(tmp_path / "none.yaml")})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "không nhập bộ giả lập"


def test_no_sheetsync_module_imports_the_emulator():
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / "sheetsync").rglob("*.py")
                 if "sheets_emulator" in p.read_text(encoding="utf-8")
                 and "from sheets_emulator" in p.read_text(encoding="utf-8")
                 and p.relative_to(ROOT).as_posix() != "sheetsync/cli/__init__.py"]
    assert offenders == []


def test_sheetsync_emulator_command_without_the_package():
    result = _run("""
        import sys
        sys.modules["sheets_emulator"] = None
        from sheetsync.cli import main
        main(["emulator", "--port", "0"])
    """)
    assert result.returncode == 2
    assert "Chưa cài bộ giả lập Google Sheets" in result.stderr
    assert "Traceback" not in result.stderr


def test_sheetsync_emulator_command_speaks_vietnamese(tmp_path):
    proc = subprocess.Popen([*SHEETSYNC, "emulator", "--port", "0", "--data", str(tmp_path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        line = proc.stdout.readline()  # type: ignore[union-attr]
        assert line.startswith("Bộ giả lập Google Sheets đang chạy tại http://127.0.0.1:")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_sheetsync_emulator_command_reports_a_damaged_state_file(tmp_path):
    (tmp_path / "state.json").write_text('{"version": 1, "files": [', encoding="utf-8")
    result = subprocess.run([*SHEETSYNC, "emulator", "--port", "0", "--data", str(tmp_path)],
                            capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert result.returncode == 2
    assert "Tệp trạng thái của bộ giả lập bị hỏng" in result.stderr and "state.json" in result.stderr
    assert "Traceback" not in result.stderr
