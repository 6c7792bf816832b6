"""A command pays only for the libraries it needs: `--help` loads none of the heavy ones, a
validate that has no history store never loads the database layer (nor creates a store), and
a sync or validate of a unit unchanged since its last sync does not either. The `sheetsync`
program loads pandas without collecting and keeps what its imports made out of the garbage
collector's walks (`sheetsync.collector`), and a validate plans no writes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from unitbook import UnitBook

HEAVY = ("pandas", "numpy", "sqlalchemy", "openpyxl", "python_calamine", "gspread", "jinja2", "yaml")
PROBE = """
import sys
from sheetsync.cli import main
sys.argv = ["sheetsync", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
print("LOADED:" + ",".join(m for m in {heavy!r} if m in sys.modules), file=sys.stderr)
print("OWN:" + ",".join(m for m in sys.modules if m.startswith("sheetsync.")), file=sys.stderr)
"""


def loaded(*args: str, cwd=None, what: str = "LOADED") -> set[str]:
    """The heavy libraries a command loads (with what="OWN": sheetsync's own modules)."""
    done = subprocess.run([sys.executable, "-c", PROBE.format(heavy=HEAVY), *args], capture_output=True,
                          text=True, cwd=cwd, timeout=300)
    line = next(x for x in done.stderr.splitlines() if x.startswith(what + ":"))
    return set(filter(None, line[len(what) + 1:].split(",")))


def test_help_loads_no_heavy_library():
    assert loaded("--help") == set()
    assert loaded("sync", "--help") == set()


def test_validate_without_a_store_loads_no_database_layer_and_creates_no_store(tmp_path):
    path = UnitBook(tmp_path / "unit.xlsx").save()
    mods = loaded("validate", str(path), "--as-of", "2026-11-24")
    assert "pandas" in mods and "sqlalchemy" not in mods
    assert not (tmp_path / "sheetsync.db").exists()
    mods = loaded("sync", str(path), "--as-of", "2026-11-24")  # a sync records: it creates the store
    assert "sqlalchemy" in mods and (tmp_path / "sheetsync.db").exists()


def test_validate_without_a_store_loads_no_store_module_nor_what_only_writing_needs(tmp_path):
    path = UnitBook(tmp_path / "unit.xlsx").save()
    own = loaded("validate", str(path), "--as-of", "2026-11-24", what="OWN")
    assert "sheetsync.engine.validate" in own  # the probe sees the run
    store_side = {"sheetsync.history.store", "sheetsync.history.freeze", "sheetsync.history.capture",
                  "sheetsync.history.returns", "sheetsync.history.quickstore", "sheetsync.service.reuse"}
    assert own & store_side == set()
    assert not any(m.startswith(("sheetsync.history.store.", "sheetsync.forms", "sheetsync.web")) for m in own)
    writing = {"sheetsync.backends.xlsx.ooxml." + m for m in ("patch", "patcher", "generated", "styles")}
    assert "sheetsync.backends.xlsx.ooxml.scan" in own and own & writing == set()


def test_an_unchanged_unit_is_synced_and_validated_without_the_database_layer(tmp_path):
    path = UnitBook(tmp_path / "unit.xlsx").save()
    assert "sqlalchemy" in loaded("sync", str(path), "--as-of", "2026-11-24")
    for command in ("sync", "validate"):
        assert "sqlalchemy" not in loaded(command, str(path), "--as-of", "2026-11-24")
    assert "sqlalchemy" in loaded("sync", str(path), "--as-of", "2026-11-30")  # another date: evaluated, recorded


def test_the_forms_read_findings_without_the_database_layer():
    code = "import sys, sheetsync.forms.collect; print('sqlalchemy' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "False", done.stderr


GC_PROBE = """
import gc, sys
from sheetsync.cli import {entry}
loading = []

def seen(phase, info):
    frame = sys._getframe(0)
    while frame is not None and frame.f_code.co_name != "load_service":
        frame = frame.f_back
    if phase == "start" and frame is not None:
        loading.append(info["generation"])

gc.callbacks.append(seen)
sys.argv = ["sheetsync", *sys.argv[1:]]
try:
    {entry}()
except SystemExit:
    pass
print("GC:", gc.get_freeze_count(), *gc.get_threshold(), file=sys.stderr)
print("LOADING:", len(loading), file=sys.stderr)
"""


def collector_after(entry: str, *args: str, what: str = "GC") -> tuple[int, ...]:
    """(objects frozen, thresholds) of the collector once the command has run; with
    what="LOADING", (collections while the service was being loaded,)."""
    done = subprocess.run([sys.executable, "-c", GC_PROBE.format(entry=entry), *args], capture_output=True,
                          text=True, timeout=300)
    line = next(x for x in done.stderr.splitlines() if x.startswith(what + ":"))
    return tuple(int(v) for v in line.split()[1:])


def test_the_program_keeps_what_it_imported_out_of_the_collectors_walks(tmp_path):
    import gc

    path = UnitBook(tmp_path / "unit.xlsx").save()
    frozen, *thresholds = collector_after("run", "validate", str(path), "--as-of", "2026-11-24")
    assert frozen > 20_000  # pandas, numpy and sheetsync's modules, frozen once imported
    assert tuple(thresholds) == gc.get_threshold()  # then collected at the usual pace


def test_the_program_loads_pandas_without_collecting_and_a_host_collects_as_it_would(tmp_path):
    path = UnitBook(tmp_path / "unit.xlsx").save()
    assert collector_after("run", "validate", str(path), "--as-of", "2026-11-24", what="LOADING") == (0,)
    assert collector_after("main", "validate", str(path), "--as-of", "2026-11-24", what="LOADING")[0] > 0


def test_a_program_calling_main_itself_keeps_its_collector_as_it_was(tmp_path):
    import gc

    path = UnitBook(tmp_path / "unit.xlsx").save()
    assert collector_after("main", "validate", str(path), "--as-of", "2026-11-24") == (0, *gc.get_threshold())


THREADS_PROBE = """
import os, sys
from sheetsync.cli import {entry}
sys.argv = ["sheetsync", *sys.argv[1:]]
try:
    {entry}()
except SystemExit:
    pass
print("THREADS:", len(os.listdir("/proc/self/task")), os.environ.get("OPENBLAS_NUM_THREADS", "-"), file=sys.stderr)
"""


def threads_after(entry: str, *args: str, env: dict | None = None) -> tuple[int, str]:
    """(threads in the process, OPENBLAS_NUM_THREADS) once the command has run."""
    done = subprocess.run([sys.executable, "-c", THREADS_PROBE.format(entry=entry), *args], capture_output=True,
                          text=True, timeout=300, env=env)
    line = next(x for x in done.stderr.splitlines() if x.startswith("THREADS:"))
    count, setting = line.split()[1:]
    return int(count), setting


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="counts threads through Linux's /proc")
def test_the_program_runs_numpy_on_one_openblas_thread_unless_told_otherwise(tmp_path):
    """OpenBLAS would start a spinning thread per core when numpy is imported; sheetsync does no
    linear algebra, so the program asks for one. An explicit setting is left as it is."""
    path = UnitBook(tmp_path / "unit.xlsx").save()
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    assert threads_after("run", "validate", str(path), "--as-of", "2026-11-24", env=env) == (1, "1")
    assert threads_after("run", "validate", str(path), "--as-of", "2026-11-24",
                         env={**env, "OPENBLAS_NUM_THREADS": "2"})[1] == "2"
    assert threads_after("main", "validate", str(path), "--as-of", "2026-11-24", env=env)[1] == "-"  # a host keeps its own


def test_without_a_store_no_month_prints_are_worked_out_and_the_scores_are_the_same(tmp_path, monkeypatch):
    """Month parts and their fingerprints exist for a history store to keep; a validate without
    one skips them, and nothing it reports changes."""
    import sheetsync.engine.evaluate as engine
    from sheetsync import service
    from sheetsync.backends.xlsx.backend import XlsxBackend
    from sheetsync.config.profile import load_profile
    from sheetsync.config.schema import load_schemas

    book = UnitBook(tmp_path / "unit.xlsx")
    book.product("SP1", 1)
    book.person("CC01")
    book.task("T1", "CC01", qty=2, done=2)
    book.evaluation("CC01")
    path = book.save()
    calls = []
    real = engine.month_fingerprints
    monkeypatch.setattr(engine, "month_fingerprints", lambda *a, **k: calls.append(1) or real(*a, **k))
    checked = service.validate([str(path)], as_of="2026-11-24", store="none").units[0]
    assert calls == [] and checked.evaluation.parts == {} and checked.evaluation.scores is not None
    grids, schemas, profile = XlsxBackend(path).read(), load_schemas(), load_profile()
    kept = engine.evaluate(grids, schemas, profile, as_of="2026-11-24")
    assert calls == [1] and set(kept.parts) == set(kept.scores.months) != set()
    lean = engine.evaluate(grids, schemas, profile, as_of="2026-11-24", parts=False)
    assert lean.parts == {} and calls == [1]
    assert lean.findings.equals(kept.findings) and lean.scores.evaluations.equals(kept.scores.evaluations)


def test_validate_plans_no_writes_and_sync_does(tmp_path):
    from sheetsync import service

    path = UnitBook(tmp_path / "unit.xlsx").save()
    checked = service.validate([str(path)], as_of="2026-11-24", store="none").units[0]
    assert checked.evaluation is not None and checked.plan is None
    synced = service.sync([str(path)], as_of="2026-11-24", store="none").units[0]
    assert synced.written and synced.plan is not None and synced.plan.summary is not None


def test_the_collector_policy_has_one_home():
    """Only sheetsync.collector changes the garbage collector's thresholds or freezes objects."""
    import re
    from pathlib import Path

    import sheetsync

    root = Path(sheetsync.__file__).parent
    touching = {p.relative_to(root).as_posix() for p in root.rglob("*.py")
                if re.search(r"\bgc\.(set_threshold|freeze|disable)\b", p.read_text(encoding="utf-8"))}
    assert touching == {"collector.py"}
