"""The backbone end to end: a notice file to a decoded MP3."""
from __future__ import annotations

import json

from tests.audiotools import decode, probe
from tests.helpers import write


def test_render_writes_mp3_transcript_and_manifest(run, tmp_path):
    notice = write(tmp_path / "n.yaml", "id: n1\ntitle: 测试\ntext: 各位村民请注意。今天下午发放物资。\nrepeat: 1\n")
    r = run("render", notice, "-o", tmp_path / "out", "--engine", "espeak")
    assert r.code == 0, r.err
    p = probe(tmp_path / "out" / "n1.mp3")
    assert p.channels == 1 and p.duration > 1.0
    assert decode(tmp_path / "out" / "n1.mp3").std() > 0.01
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["notices"][0]["id"] == "n1"
