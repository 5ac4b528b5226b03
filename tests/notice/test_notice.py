"""The notice loader (notice.py) on careless input: every mistake of a file at once, each on its line;
sizes it refuses. Always exit 2, one line each."""
from __future__ import annotations

from tests.helpers import check_one, write


def test_check_reports_every_mistake_in_a_file(run, tmp_path):
    path = write(tmp_path / "many.yaml", "id: a\ntitel: 通知\ntext: 你好。\nrepeat: 99\npriorty: urgent\n"
                                         "engine: espek\n")
    r = run("check", path)
    assert r.code == 2
    lines = r.err.strip().splitlines()
    assert [int(line.split(":")[1]) for line in lines] == [2, 4, 5, 6], r.err
    assert "did you mean 'title'" in lines[0] and "out of range" in lines[1]
    assert "did you mean 'priority'" in lines[2] and "unknown engine" in lines[3]


# ---------------------------------------------------------------- sizes
def test_long_variable_refused_with_its_line(run, tmp_path):
    path = write(tmp_path / "long.yaml", "id: a\ntext: 请到{{ place }}集合。\nvars:\n  place: " + "北" * 5000 + "\n")
    code, message = check_one(run, path)
    assert code == 2 and message.startswith(f"{path}:4: ") and "'place'" in message


def test_long_text_refused(run, tmp_path):
    path = write(tmp_path / "long.yaml", "id: a\ntitle: 通知\ntext: " + "各位村民请注意。" * 5000 + "\n")
    code, message = check_one(run, path)
    assert code == 2 and message.startswith(f"{path}:3: ") and "too long" in message
