"""File-system situations around a sync: read-only workbooks, locks held by other programs,
owners, stale temporary files, full or read-only disks, terminal control characters; and the
whole command line on a ward where one unit's file is hostile."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from builders import add_cell, good_unit, inflate_member, sheet_part
from click.testing import CliRunner
from unitbook import sync

from sheetsync.cli import main
from sheetsync.errors import SourceLocked, SourceWriteFailed

AS_OF = "2026-11-24"


def _cli(*args: str):
    return CliRunner().invoke(main, [*args, "--store", "none", "--as-of", AS_OF])


# -- item 4: permissions, advisory locks, owners -------------------------------------------------------

def test_a_read_only_workbook_is_not_replaced_even_in_a_writable_folder(unit_file):
    unit_file.chmod(0o444)
    before = unit_file.read_bytes()
    result = sync(unit_file)  # the unit keeps its findings; nothing is written
    assert isinstance(result.error, SourceLocked) and "chỉ cho phép đọc" in str(result.error)
    assert not result.written and result.evaluation is not None
    assert unit_file.read_bytes() == before
    assert oct(unit_file.stat().st_mode & 0o777) == oct(0o444)


def test_a_lock_held_by_another_process_is_honoured(unit_file):
    holder = subprocess.Popen(
        [sys.executable, "-c", "import fcntl, sys, time\n"
         f"f = open({str(unit_file)!r}, 'rb'); fcntl.flock(f, fcntl.LOCK_EX)\n"
         "print('locked', flush=True); time.sleep(30)"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        before = unit_file.read_bytes()
        result = sync(unit_file)
        assert isinstance(result.error, SourceLocked) and not result.written
        assert unit_file.read_bytes() == before
    finally:
        holder.kill()
        holder.wait()
    assert sync(unit_file).written  # once released, the sync goes through


@pytest.mark.skipif(os.geteuid() != 0, reason="changing a file's owner needs root")
def test_the_replaced_file_keeps_its_owner_group_and_mode(unit_file):
    os.chown(unit_file, 1234, 5678)
    unit_file.chmod(0o640)
    assert sync(unit_file).written
    st = unit_file.stat()
    assert (st.st_uid, st.st_gid, st.st_mode & 0o777) == (1234, 5678, 0o640)


# -- item 11: temporary files left by a killed write ---------------------------------------------------

def test_stale_temporary_files_are_cleaned_but_fresh_or_locked_ones_are_kept(unit_file):
    folder = unit_file.parent
    stale, fresh, busy = (folder / f".sheetsync-{n}.tmp" for n in ("old", "new", "busy"))
    for p in (stale, fresh, busy):
        p.write_bytes(b"PK partial write")
    long_ago = time.time() - 3600
    os.utime(stale, (long_ago, long_ago))
    os.utime(busy, (long_ago, long_ago))
    holder = subprocess.Popen(
        [sys.executable, "-c", "import fcntl, time\n"
         f"f = open({str(busy)!r}, 'rb'); fcntl.flock(f, fcntl.LOCK_EX); print('locked', flush=True); time.sleep(30)"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        res = _cli("validate", str(unit_file), "--json")
        assert res.exit_code in (0, 1), res.output
    finally:
        holder.kill()
        holder.wait()
    assert not stale.exists()
    assert fresh.exists() and busy.exists()


def test_a_killed_write_leaves_a_temp_file_that_the_next_run_removes(unit_file, monkeypatch):
    """Kill a real sync in the middle of writing (SIGKILL while the temp file is open)."""
    script = (
        "import os, signal, sys; sys.path[:0] = ['tests']\n"
        "from sheetsync.backends.xlsx.ooxml.package import _Package\n"
        "original = _Package.write_to\n"
        "def dying(self, fh):\n    fh.write(b'PK'); fh.flush(); os.kill(os.getpid(), signal.SIGKILL)\n"
        "_Package.write_to = dying\n"
        "from unitbook import sync\n"
        f"sync(__import__('pathlib').Path({str(unit_file)!r}))\n")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True)
    assert proc.returncode == -9
    left = list(unit_file.parent.glob(".sheetsync-*.tmp"))
    assert len(left) == 1
    monkeypatch.setenv("SHEETSYNC_LIMIT_STALE_TEMP_SECONDS", "1")
    time.sleep(1.1)
    assert sync(unit_file).written
    assert list(unit_file.parent.glob(".sheetsync-*.tmp")) == []


# -- item 12: full and read-only disks in Vietnamese --------------------------------------------------

@pytest.fixture
def tiny_disk(tmp_path):
    mnt = tmp_path / "disk"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=96k", "tmpfs", str(mnt)], capture_output=True).returncode:
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def test_a_full_disk_is_reported_in_vietnamese_and_the_workbook_is_kept(unit_file, tiny_disk):
    target = tiny_disk / "don-vi.xlsx"
    shutil.copy(unit_file, target)
    filler = tiny_disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        while os.write(fd, b"\0" * 1024):
            pass
    except OSError:
        pass
    finally:
        os.close(fd)
    before = target.read_bytes()
    with pytest.raises(SourceWriteFailed, match="ổ đĩa đã đầy") as exc:
        sync(target)
    assert "Errno" not in str(exc.value)
    assert target.read_bytes() == before
    assert list(tiny_disk.glob(".sheetsync-*.tmp")) == []
    res = _cli("sync", str(target), "--json")
    unit = json.loads(res.output)["units"][0]
    assert res.exit_code == 2 and unit["error"]["code"] == "source.write-failed"


def test_a_read_only_disk_is_reported_in_vietnamese(unit_file, tiny_disk):
    target = tiny_disk / "don-vi.xlsx"
    shutil.copy(unit_file, target)
    subprocess.run(["mount", "-o", "remount,ro", str(tiny_disk)], check=True)
    result = sync(target)
    assert isinstance(result.error, SourceLocked) and "chỉ cho phép đọc" in str(result.error)


def test_os_errors_have_vietnamese_messages():
    import errno

    from sheetsync.errors import os_error

    for code, text in [(errno.ENOSPC, "ổ đĩa đã đầy"), (errno.EACCES, "không có quyền"),
                       (errno.EROFS, "chỉ cho phép đọc"), (errno.ENAMETOOLONG, "quá dài")]:
        err = os_error(OSError(code, os.strerror(code)), "/x/don-vi.xlsx")
        assert text in str(err) and "Errno" not in str(err)


# -- item 10: terminal control characters ----------------------------------------------------------------

def test_control_characters_in_a_cell_are_shown_but_inert(unit_file):
    add_cell(unit_file, "Nhiệm vụ", "J2", "_x001B_]0;pwned_x0007__x001B_[2J_x009B_31mhai")
    res = CliRunner().invoke(main, ["validate", str(unit_file), "--store", "none", "--as-of", AS_OF])
    assert res.exit_code == 1, res.output
    assert "␛]0;pwned␇" in res.output
    for raw in ("\x1b", "\x07", "\x9b"):
        assert raw not in res.output


def test_what_the_command_line_prints_is_made_inert_but_keeps_its_layout():
    from sheetsync.text import terminal_safe

    assert terminal_safe("a\nb\tc") == "a\nb\tc"
    assert terminal_safe("tên\x1b]0;x\x07\x9b\u202e") == "tên␛]0;x␇<U+009B><U+202E>"


# -- the whole command line: one hostile unit among good ones ---------------------------------------

def _hostile_ward(tmp_path: Path) -> Path:
    names = {"tot-a": "Phòng A", "xa": "Phòng ô xa", "bom": "Phòng bom", "tot-b": "Phòng B", "dtd": "Phòng DTD"}
    for stem, unit in names.items():
        good_unit(tmp_path / f"{stem}.xlsx", unit=unit)
    add_cell(tmp_path / "xa.xlsx", "Nhiệm vụ", "XFD1048576")
    bomb = tmp_path / "bom.xlsx"
    inflate_member(bomb, sheet_part(bomb, "Nhiệm vụ"), 300 << 20)
    from builders import add_doctype
    add_doctype(tmp_path / "dtd.xlsx", sheet_part(tmp_path / "dtd.xlsx", "Cán bộ"))
    lines = ["ward: Phường Thử", "units:"] + [f"  - {{name: {unit}, source: {stem}.xlsx}}" for stem, unit in names.items()]
    ward = tmp_path / "ward.yaml"
    ward.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return ward


def test_a_ward_with_hostile_units_syncs_the_good_ones_and_reports_the_rest(tmp_path):
    ward = _hostile_ward(tmp_path)
    proc = subprocess.run([sys.executable, "-c", "from sheetsync.cli import main; main()", "sync", str(ward), "--json", "--store", "none",
                           "--as-of", AS_OF], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    units = {u["unit"]: u for u in json.loads(proc.stdout)["units"]}
    assert units["Phòng A"]["written"] and units["Phòng B"]["written"] and units["Phòng ô xa"]["written"]
    assert units["Phòng A"]["error"] is None
    assert units["Phòng bom"]["error"]["code"] == "source.too-large"
    assert units["Phòng DTD"]["error"]["code"] == "source.unreadable"
