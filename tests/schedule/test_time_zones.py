"""A time zone that names a folder of the zone database ("Asia") is an unknown zone: exit 2 at its line.

ZoneInfo("Asia") raises IsADirectoryError, which the schedule loader did not catch: `check` said
"…/tzdata/zoneinfo/Asia: that is a folder, not a file" and exited 1, as if the disk had failed.
"""
from __future__ import annotations

import pytest

from tests.helpers import write

SCHEDULE = """\
timezone: {zone}
channels:
  village: {{name: 大喇叭, sink: null}}
programs:
  - notice: n.yaml
    channel: village
    times: ["07:00"]
"""


@pytest.mark.parametrize("zone", ["Asia", "Asia/Beijing", "../etc"])
def test_a_schedule_with_a_zone_that_is_not_one_is_bad_input_at_its_line(run, tmp_path, zone):
    write(tmp_path / "n.yaml", "id: n\ntitle: 通知\ntext: 各位村民请注意。\n")
    path = write(tmp_path / "s.yaml", SCHEDULE.format(zone=zone))
    r = run("check", path)
    assert r.code == 2, r.err
    assert r.err.strip() == f"{path}:1: unknown time zone '{zone}' — use e.g. Asia/Shanghai"


@pytest.mark.parametrize("zone", ["Asia", "Asia/Beijing", "../etc"])
def test_a_saved_plan_with_a_zone_that_is_not_one_is_bad_input(tmp_path, zone):
    from broadcaster.errors import BadInput
    from broadcaster.schedule import planfile

    path = write(tmp_path / "plan.json", '{"timezone": "%s", "plays": []}' % zone)
    with pytest.raises(BadInput) as caught:
        planfile.load(path)
    assert caught.value.message() == f"{path}: unknown time zone '{zone}' — use e.g. Asia/Shanghai"
