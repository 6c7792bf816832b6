"""Hostile and unlucky configuration: ward.yaml, profiles, schemas and form templates answer
with a Vietnamese message (exit 2 from the command line), never a traceback, a hang or the
machine's memory."""

from __future__ import annotations

import json
import time

import pytest
from builders import alias_bomb
from click.testing import CliRunner

from sheetsync.cli import main
from sheetsync.config.profile import load_profile
from sheetsync.config.resources import profiles_dir, schemas_dir, templates_dir
from sheetsync.config.schema import load_schemas, yes_no
from sheetsync.config.ward import load_ward
from sheetsync.config.yamlfile import load_yaml
from sheetsync.errors import ConfigError, ProfileError, SchemaError, WardConfigError
from sheetsync.forms.layout import load_layout

WARD = "ward: Phường Thử\nunits:\n  - name: Phòng A\n    source: a.xlsx\n"


def _ward(tmp_path, text: str, encoding: str = "utf-8"):
    path = tmp_path / "ward.yaml"
    path.write_bytes(text.encode(encoding, errors="replace"))
    return path


# -- item 3: alias bombs -------------------------------------------------------------------------------

@pytest.mark.parametrize("where", ["ward", "title"])
def test_a_yaml_alias_bomb_in_ward_yaml_is_refused_at_once(tmp_path, where):
    bomb = alias_bomb().replace("\n", "\n")
    text = bomb + ("ward: *a9\n" if where == "ward" else "office: *a9\n") + "units:\n  - {name: A, source: a.xlsx}\n"
    path = _ward(tmp_path, text)
    t0 = time.perf_counter()
    with pytest.raises(WardConfigError, match="bí danh YAML"):
        load_ward(path)
    assert time.perf_counter() - t0 < 2  # before: 3 GB and 30 s, then MemoryError


def test_an_alias_bomb_in_a_profile_is_refused(tmp_path):
    text = (profiles_dir() / "nd335.yaml").read_text(encoding="utf-8")
    path = tmp_path / "bomb.yaml"
    path.write_text(alias_bomb() + text.replace("title: Nghị định 335/2025/NĐ-CP", "title: *a9"), encoding="utf-8")
    with pytest.raises(ProfileError, match="bí danh YAML"):
        load_profile(path)


def test_a_recursive_alias_is_refused():
    with pytest.raises(ConfigError, match="tự tham chiếu"):
        from sheetsync.config.yamlfile import loads
        loads("a: &a [*a]\n")


def test_a_document_of_more_nodes_than_the_bound_is_refused_with_or_without_aliases(monkeypatch):
    """Short alias-free documents skip the count (they cannot reach the bound); long ones are
    counted like any other."""
    from sheetsync.config.yamlfile import loads

    monkeypatch.setenv("SHEETSYNC_LIMIT_MAX_YAML_NODES", "400")
    assert len(loads("- x\n" * 99)) == 99  # 100 nodes
    with pytest.raises(ConfigError, match="400"):
        loads("?\n" * 250)  # 501 nodes from 500 characters, no alias
    with pytest.raises(ConfigError, match="400"):
        loads("a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9]\n" + "".join(f"k{i}: *a\n" for i in range(45)))


def test_ordinary_aliases_still_work(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text("base: &b {max: 30}\ncopy: *b\n", encoding="utf-8")
    assert load_yaml(path) == {"base": {"max": 30}, "copy": {"max": 30}}


def test_schemas_and_templates_are_read_through_the_same_guard(tmp_path):
    import shutil

    shutil.copytree(schemas_dir(), tmp_path / "schemas")
    (tmp_path / "schemas" / "staff.yaml").write_text(alias_bomb() + "name: *a9\n", encoding="utf-8")
    with pytest.raises(SchemaError, match="bí danh YAML"):
        load_schemas(tmp_path / "schemas")
    (tmp_path / "tpl").mkdir()
    (tmp_path / "tpl" / "document.yaml").write_text(alias_bomb() + "title: *a9\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="bí danh YAML"):
        load_layout("01A", "unit", {}, tmp_path / "tpl")


def test_no_yaml_is_read_outside_the_one_loader():
    import pathlib

    import sheetsync

    root = pathlib.Path(sheetsync.__file__).parent
    offenders = [str(p.relative_to(root)) for p in root.rglob("*.py")
                 if "yaml.safe_load" in p.read_text(encoding="utf-8") and "emulator" not in p.parts]
    assert offenders == []


# -- item 6: encodings ---------------------------------------------------------------------------------

@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16"])
def test_ward_yaml_in_utf8_with_or_without_bom_and_notepad_unicode_is_read(tmp_path, encoding):
    ward = load_ward(_ward(tmp_path, WARD, encoding))
    assert ward.name == "Phường Thử"
    assert ward.units[0].name == "Phòng A"


@pytest.mark.parametrize("encoding, hint", [("cp1258", "bảng mã cũ"), ("utf-16-le", "UTF-16")])
def test_ward_yaml_in_another_encoding_gets_a_message_naming_utf8(tmp_path, encoding, hint):
    with pytest.raises(WardConfigError, match=f"(?s){hint}.*UTF-8"):
        load_ward(_ward(tmp_path, WARD, encoding))


# -- item 7: yes/no read like the sheets read it ------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("false", False), ('"false"', False), ("Không", False), ("không", False), ("0", False), ("no", False),
    ("true", True), ('"true"', True), ("Có", True), ("x", True), ("1", True), ("yes", True),
])
def test_exceptional_reads_yes_and_no_like_the_sheets(tmp_path, text, expected):
    ward = load_ward(_ward(tmp_path, WARD + f"    exceptional: {text}\n"))
    assert ward.units[0].exceptional is expected


@pytest.mark.parametrize("text", ["maybe", "2", "[x]"])
def test_exceptional_refuses_what_is_neither_yes_nor_no(tmp_path, text):
    with pytest.raises(WardConfigError, match="có/không"):
        load_ward(_ward(tmp_path, WARD + f"    exceptional: {text}\n"))


def test_yes_no_is_the_engines_definition():
    from sheetsync.config.schema import yes_no_lookup
    from sheetsync.engine.values import yes_no as engine_yes_no

    for value in ["Có", "x", "TRUE", 1, True, "Không", "sai", 0, False]:
        assert yes_no(value, "w") == engine_yes_no(value, yes_no_lookup())


def test_schema_and_profile_flags_are_read_the_same_way(tmp_path):
    import shutil

    shutil.copytree(schemas_dir(), tmp_path / "schemas")
    staff = tmp_path / "schemas" / "staff.yaml"
    staff.write_text(staff.read_text(encoding="utf-8").replace("required: true", 'required: "false"', 1), encoding="utf-8")
    assert load_schemas(tmp_path / "schemas")["staff"].required is False
    profile = tmp_path / "p.yaml"
    profile.write_text((profiles_dir() / "nd335.yaml").read_text(encoding="utf-8")
                       .replace("approved_above_suggested: true", "approved_above_suggested: Không"), encoding="utf-8")
    assert load_profile(profile).checks["approved_above_suggested"] is False
    profile.write_text(profile.read_text(encoding="utf-8").replace("approved_above_suggested: Không",
                                                                   "approved_above_suggested: hmm"), encoding="utf-8")
    with pytest.raises(ProfileError, match="có/không"):
        load_profile(profile)


# -- item 9: malformed profiles -------------------------------------------------------------------------

def _profile(tmp_path, edit):
    text = (profiles_dir() / "nd335.yaml").read_text(encoding="utf-8")
    path = tmp_path / "hong.yaml"
    path.write_text(edit(text), encoding="utf-8")
    return path


@pytest.mark.parametrize("edit, expected", [
    (lambda t: "- general\n- bands\n", "bảng khóa"),
    (lambda t: t.replace("  - {min: 90, rating: Hoàn thành xuất sắc nhiệm vụ}", "  - {min: chín mươi, rating: X}"),
     r"`bands\[1\]\.min` phải là một số"),
    (lambda t: t.replace("  - {min: 70, rating: Hoàn thành tốt nhiệm vụ}", "  - {min: 70}"), r"thiếu mục `bands\[2\]\.rating`"),
    (lambda t: t.replace("  max: 30", "  max: ba mươi"), r"`general\.max` phải là một số"),
    (lambda t: t.replace("  per_return: 0.25", "  per_return: [1, 2]"), r"`deductions\.per_return` phải là một số"),
    (lambda t: t.replace("deadlines:", "deadline:"), "có phải 'deadlines'"),
    (lambda t: t.replace("  self_assessment: 25", "  self_assessment: 45"), "ngày trong tháng"),
    (lambda t: "", "tệp rỗng"),
])
def test_a_malformed_profile_gets_a_vietnamese_message_and_exit_2(tmp_path, edit, expected):
    path = _profile(tmp_path, edit)
    with pytest.raises(ProfileError, match=expected):
        load_profile(path)
    res = CliRunner().invoke(main, ["validate", str(tmp_path / "none.xlsx"), "--profile", str(path)])
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output and "Lỗi" in res.output


def test_the_bundled_profiles_pass_their_schema():
    for path in profiles_dir().glob("*.yaml"):
        assert load_profile(path).bands


# -- issue 9 item 15: unknown keys ------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("wrd: Phường Thử\nunits:\n  - {name: A, source: a.xlsx}\n", "'wrd'.*có phải 'ward'"),
    ("ward: P\nplase: Ba Đình\nunits:\n  - {name: A, source: a.xlsx}\n", "'plase'.*có phải 'place'"),
    ("ward: P\nunits:\n  - {nam: A, source: a.xlsx}\n", "đơn vị thứ 1.*'nam'.*có phải 'name'"),
    ("ward: P\nunits:\n  - {name: A, sorce: a.xlsx}\n", "'sorce'.*có phải 'source'"),
])
def test_unknown_keys_in_ward_yaml_are_refused_with_a_suggestion(tmp_path, text, expected):
    with pytest.raises(WardConfigError, match=expected):
        load_ward(_ward(tmp_path, text))


def test_a_list_as_a_name_is_refused_not_printed_as_a_python_list(tmp_path):
    with pytest.raises(WardConfigError, match="một dòng chữ"):
        load_ward(_ward(tmp_path, "ward: [a, b]\nunits:\n  - {name: A, source: a.xlsx}\n"))


# -- item 12: a folder as a unit's source -------------------------------------------------------------

def test_a_folder_as_a_units_source_makes_each_workbook_a_unit(tmp_path):
    from builders import good_unit

    folder = tmp_path / "khoi-truong"
    folder.mkdir()
    good_unit(folder / "th-a.xlsx", unit="Trường A")
    good_unit(folder / "th-b.xlsx", unit="Trường B")
    ward = load_ward(_ward(tmp_path, "ward: P\nunits:\n  - source: khoi-truong\n    exceptional: Có\n"))
    assert [(u.name, u.exceptional) for u in ward.units] == [("Trường A", True), ("Trường B", True)]
    with pytest.raises(WardConfigError, match="bỏ 'name'"):
        load_ward(_ward(tmp_path, "ward: P\nunits:\n  - {name: Khối, source: khoi-truong}\n"))
    res = CliRunner().invoke(main, ["validate", str(tmp_path / "ward.yaml"), "--json", "--store", "none",
                                    "--as-of", "2026-11-24"])
    assert res.exit_code == 2  # the ward file with a `name` on a folder is refused as a whole


# -- item 14: only regular files ----------------------------------------------------------------------

def test_a_fifo_or_device_as_ward_yaml_or_profile_is_refused_without_hanging(tmp_path):
    import os

    fifo = tmp_path / "ward.yaml"
    os.mkfifo(fifo)
    with pytest.raises(WardConfigError, match="FIFO"):
        load_ward(fifo)
    dev = tmp_path / "zero.yaml"
    dev.symlink_to("/dev/zero")
    with pytest.raises(ProfileError, match="thiết bị"):
        load_profile(dev)
    big = tmp_path / "big.yaml"
    big.write_text("# " + "x" * (3 << 20), encoding="utf-8")
    with pytest.raises(ProfileError, match="quá lớn"):
        load_profile(big)


def test_the_cli_answers_a_fifo_source_with_exit_2(tmp_path):
    import os

    fifo = tmp_path / "don-vi.xlsx"
    os.mkfifo(fifo)
    res = CliRunner().invoke(main, ["validate", str(fifo), "--json", "--store", "none"])
    assert res.exit_code == 2
    data = json.loads(res.output)
    assert data["units"][0]["error"]["code"] == "source.unreadable"
    assert "FIFO" in data["units"][0]["error"]["message"]


def test_a_fifo_as_the_store_is_refused_without_hanging(tmp_path):
    import os

    from builders import good_unit

    unit = good_unit(tmp_path / "don-vi.xlsx")
    fifo = tmp_path / "kho.db"
    os.mkfifo(fifo)
    res = CliRunner().invoke(main, ["sync", str(unit), "--store", str(fifo), "--json", "--as-of", "2026-11-24"])
    assert res.exit_code == 2
    problem = json.loads(res.output)["problems"][0]
    assert problem["code"] == "store" and "FIFO" in problem["message"]


def test_a_unit_source_that_is_no_workbook_says_what_is_accepted(tmp_path):
    from sheetsync.backends import open_source
    from sheetsync.errors import SourceUnsupported

    with pytest.raises(SourceUnsupported, match="lưu thành Sổ làm việc Excel"):
        open_source(str(tmp_path / "cu.xls"))
    with pytest.raises(SourceUnsupported, match="thư mục chứa tệp .xlsx hoặc một bảng tính Google"):
        open_source(str(tmp_path / "khong-ro.txt"))


def test_yes_no_in_form_templates_is_read_like_the_sheets(tmp_path):
    import shutil

    custom = tmp_path / "tpl"
    shutil.copytree(templates_dir() / "forms", custom)
    doc = custom / "document.yaml"
    text = doc.read_text(encoding="utf-8")
    assert "bold: true" in text
    doc.write_text(text.replace("bold: true", 'bold: "false"'), encoding="utf-8")
    layout = load_layout("01A", "unit", {}, custom)
    assert not any(line.bold for line in layout.issuing_body + layout.motto)
    doc.write_text(text.replace("bold: true", "bold: hơi đậm"), encoding="utf-8")
    with pytest.raises(ConfigError, match="có/không"):
        load_layout("01A", "unit", {}, custom)
