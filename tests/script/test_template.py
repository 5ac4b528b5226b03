"""Templates filled in the sandbox (script/template.py): every missing variable at once, runaway templates
refused at their line, template paths that stay in the notice's folder, variables read as words."""
from __future__ import annotations

import pytest

from tests.helpers import check_one, write


# ---------------------------------------------------------------- every missing variable at once
def test_check_reports_every_missing_variable(run, tmp_path):
    path = write(tmp_path / "vars.yaml", "id: a\ntext: 请{{ who }}在{{ date }}到{{ place }}集合。\n"
                                         "vars:\n  who: 全体村民\n")
    r = run("check", path)
    assert r.code == 2
    lines = r.err.strip().splitlines()
    assert len(lines) == 2, r.err
    assert "'date'" in lines[0] and "'place'" in lines[1]
    assert all(line.startswith(f"{path}:") for line in lines)


# ---------------------------------------------------------------- runaway templates
@pytest.mark.parametrize("expression", ["{% for i in range(10**8) %}{% endfor %}",
                                        "{{ '好' * 10**9 }}", "{{ 2 ** (10 ** 10) }}",
                                        "{{ '好'|center(10**9) }}",
                                        "{% for a in range(1000) %}{% for b in range(1000) %}"
                                        "{% for c in range(1000) %}{% endfor %}{% endfor %}{% endfor %}",
                                        "{% for a in x %}{% for b in x %}{% for c in x %}{% for d in x %}"
                                        "{% endfor %}{% endfor %}{% endfor %}{% endfor %}",
                                        "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}",
                                        "{% set a = x * 40 %}{{ a.replace('好', a) }}"])
def test_runaway_template_refused(run, tmp_path, expression):
    path = write(tmp_path / "loop.yaml", f'id: a\ntext: "你好。{expression}"\nvars:\n  x: "{"好" * 400}"\n')
    code, message = check_one(run, path)
    assert code == 2 and message.startswith(f"{path}:2: "), message
    assert "Error" not in message


def test_runaway_template_file_names_its_line(run, tmp_path):
    write(tmp_path / "loop.j2", "各位村民请注意。\n\n{% for i in range(10**8) %}{{ i }}{% endfor %}\n")
    path = write(tmp_path / "n.yaml", "id: a\ntemplate: loop.j2\n")
    code, message = check_one(run, path)
    assert code == 2 and message.startswith(f"{tmp_path / 'loop.j2'}:3: "), message


def test_modest_template_loops_still_work(run, tmp_path):
    from broadcaster.notice import load_notice
    from broadcaster.script import fill

    path = write(tmp_path / "ok.yaml", 'id: ok\ntext: "{% for i in range(3) %}第{{ i + 1 }}遍。{% endfor %}"\n')
    r = run("check", path)
    assert r.code == 0, r.err
    assert fill(load_notice(path)).strip() == "第1遍。第2遍。第3遍。"


# ---------------------------------------------------------------- paths stay in the folder
def test_template_symlink_out_of_the_folder_refused(run, tmp_path):
    secret = write(tmp_path / "secret" / "s.j2", "机密内容。\n")
    folder = tmp_path / "notices"
    folder.mkdir()
    (folder / "x.j2").symlink_to(secret)
    path = write(folder / "n.yaml", "id: a\ntemplate: x.j2\n")
    code, message = check_one(run, path)
    assert code == 2 and message.startswith(f"{path}:2: ") and "folder" in message


def test_template_in_a_subfolder_is_fine(run, tmp_path):
    from broadcaster.notice import load_notice
    from broadcaster.script import fill

    write(tmp_path / "t" / "x.j2", "各位村民请注意，明天停水。\n")
    path = write(tmp_path / "n.yaml", "id: a\ntemplate: t/x.j2\n")
    r = run("check", path)
    assert r.code == 0, r.err
    assert fill(load_notice(path)).strip() == "各位村民请注意，明天停水。"


# ---------------------------------------------------------------- variables
def test_a_list_in_vars_is_read_as_words_not_as_python(tmp_path):
    from broadcaster.notice import load_notice
    from broadcaster.script import fill

    path = write(tmp_path / "n.yaml", "id: a\ntext: 请到{{ place }}集合。\nvars:\n  place: [北门, 南门]\n")
    assert fill(load_notice(path)) == "请到北门、南门集合。"
