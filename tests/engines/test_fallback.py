"""Engine choice through the CLI: edge against the stand-in, per-notice fallback, failures, concurrency."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.audiotools import probe
from tests.helpers import write
from tests.edge_standin import refused_url

WATER = "各位村民请注意。明天上午八点到十二点停水维修，请提前储水。"
SUPPLY = "各位村民请注意。今天下午三点在村委会门口发放物资，请戴好口罩，排队领取。"


def notice(folder: Path, nid: str, text: str, extra: str = "") -> Path:
    return write(folder / f"{nid}.yaml", f"id: {nid}\ntitle: 测试{nid}\ntext: {text}\nrepeat: 1\n{extra}")


def leftovers(out: Path) -> list[str]:
    """Hidden or temporary files in an output folder: there should be none (not even a lock file)."""
    return sorted(p.name for p in out.iterdir() if p.name.startswith(".") or p.suffix == ".tmp") \
        if out.exists() else []


def srt_cues(path: Path) -> list[tuple[float, float, str]]:
    def seconds(t: str) -> float:
        h, m, rest = t.split(":")
        s, ms = rest.split(",")
        return int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000
    cues = []
    for block in path.read_text(encoding="utf-8").strip().split("\n\n"):
        lines = block.splitlines()
        a, b = lines[1].split(" --> ")
        cues.append((seconds(a), seconds(b), lines[2]))
    return cues


@pytest.mark.slow
def test_edge_render_writes_audio_and_subtitles(run, tmp_path, standin):
    server = standin()
    out = tmp_path / "out"
    r = run("render", notice(tmp_path, "supply", SUPPLY), "-o", out, "--engine", "edge")
    assert r.code == 0, r.err
    assert re.search(r"supply\.\w+ .* edge ", r.out)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    entry = manifest["notices"][0]
    assert entry["engine"] == "edge"
    duration = probe(out / entry["file"]).duration
    cues = srt_cues(out / "supply.srt")
    assert [c[2] for c in cues][-1] == "今天下午三点在村委会门口发放物资，请戴好口罩，排队领取。"
    assert all(a < b for a, b, _ in cues) and all(c1[1] <= c2[0] + 0.01 for c1, c2 in zip(cues, cues[1:]))
    assert cues[-1][1] <= duration + 0.05
    assert server.requests == len(set(server.texts)) >= 1


@pytest.mark.slow
def test_edge_failure_exits_1_and_writes_nothing_for_that_notice(run, tmp_path, standin):
    standin(fault="drop", when="停水")  # that notice's audio is always cut short
    out = tmp_path / "out"
    r = run("render", notice(tmp_path, "water", WATER), notice(tmp_path, "supply", SUPPLY), "-o", out,
            "--engine", "edge")
    assert r.code == 1
    assert "water.yaml" in r.err and "cut the audio short" in r.err and "Traceback" not in r.err
    assert not list(out.glob("water.*"))
    assert probe(out / json.loads((out / "manifest.json").read_text())["notices"][0]["file"]).duration > 2
    assert [e["id"] for e in json.loads((out / "manifest.json").read_text())["notices"]] == ["supply"]
    assert leftovers(out) == []


def test_edge_unreachable_exits_1_with_nothing_written(run, tmp_path, edge_env):
    edge_env.setenv("BROADCASTER_EDGE_URL", refused_url())
    out = tmp_path / "out"
    r = run("render", notice(tmp_path, "water", WATER), notice(tmp_path, "supply", SUPPLY), "-o", out,
            "--engine", "edge")
    assert r.code == 1
    errors = [line for line in r.err.splitlines() if line.strip()]
    assert len(errors) == 2 and all(line.startswith("error: ") and "cannot reach" in line for line in errors)
    assert not out.exists() or [p.name for p in out.iterdir()] == []


@pytest.mark.slow
def test_a_refused_edge_is_named_once_in_every_message(run, tmp_path, standin):
    standin(fault="403")  # the service refuses every request (as it does a blocked client)
    r = run("render", notice(tmp_path, "water", WATER), "-o", tmp_path / "out", "--engine", "edge")
    assert r.code == 1
    (line,) = [line for line in r.err.splitlines() if line.strip()]
    assert "refused the connection (HTTP 403)" in line and line.count("edge:") == 1, line
    # falling back: the skip reason on the notice's line and in --json, named by the render line once
    r = run("render", notice(tmp_path, "water", WATER), "-o", tmp_path / "out2", "--json")
    assert r.code == 0, r.err
    (entry,) = json.loads(r.out)["rendered"]
    reason = entry["skipped"]["edge"]
    assert "HTTP 403" in reason and "edge:" not in reason, reason
    r = run("render", notice(tmp_path, "water", WATER), "-o", tmp_path / "out3")
    assert r.code == 0, r.err
    assert "edge skipped: " in r.out and "edge: " not in r.out, r.out
    r = run("voices")  # the engine is marked down: `voices` gives its reason after its name, once
    (row,) = [line for line in r.out.splitlines() if line.startswith("  edge ")]
    assert "HTTP 403" in row and row.count("edge") == 1, row  # "  edge    not available: 127.0.0.1:…"


def test_no_engine_names_itself_at_the_start_of_its_messages():
    """The reporter (speak.py, `voices`, the render line) adds the engine's name; a message that
    starts with it too reads `edge: edge: …`."""
    from broadcaster import engines
    from broadcaster.notice import ENGINES

    engines_dir = Path(engines.__file__).parent
    names = [e for e in ENGINES if e != "auto"]
    prefix = re.compile(r"""_\(\s*f?["'](%s)\s*:""" % "|".join(map(re.escape, names)), re.IGNORECASE)
    named = [f"{path.name}:{text[:m.start()].count(chr(10)) + 1}"
             for path in sorted(engines_dir.glob("*.py")) for text in [path.read_text(encoding="utf-8")]
             for m in prefix.finditer(text)]
    assert named == []


@pytest.mark.slow
def test_auto_falls_back_per_notice_and_says_why(run, tmp_path, standin):
    standin(fault="drop", when="停水")
    out = tmp_path / "out"
    r = run("render", notice(tmp_path, "water", WATER), notice(tmp_path, "supply", SUPPLY), "-o", out,
            "--json")
    assert r.code == 0, r.err
    rendered = {e["id"]: e for e in json.loads(r.out)["rendered"]}
    assert rendered["supply"]["engine"] == "edge" and rendered["supply"]["skipped"] == {}
    assert rendered["water"]["engine"] in ("neural", "kokoro", "espeak")
    assert "cut the audio short" in rendered["water"]["skipped"]["edge"]
    assert not (out / "water.srt").exists() or rendered["water"]["engine"] != "espeak"
    # the human report says the same on the notice's line
    r = run("render", notice(tmp_path, "water", WATER), "-o", tmp_path / "out2")
    assert re.search(r"water\.\w+ .*\((.*; )?edge skipped: .*cut the audio short", r.out)


@pytest.mark.slow
def test_auto_offline_skips_edge_at_once(run, tmp_path, edge_env):
    edge_env.delenv("BROADCASTER_EDGE_URL", raising=False)
    r = run("render", notice(tmp_path, "supply", SUPPLY), "-o", tmp_path / "out", "--json")
    assert r.code == 0, r.err
    entry = json.loads(r.out)["rendered"][0]
    assert entry["engine"] in ("neural", "kokoro", "espeak") and "BROADCASTER_OFFLINE" in entry["skipped"]["edge"]


@pytest.mark.slow
def test_a_notice_may_pin_its_engine(run, tmp_path, standin):
    server = standin()
    r = run("render", notice(tmp_path, "pinned", WATER, "engine: espeak\n"), notice(tmp_path, "supply", SUPPLY),
            "-o", tmp_path / "out", "--json")
    assert r.code == 0, r.err
    engines = {e["id"]: e["engine"] for e in json.loads(r.out)["rendered"]}
    assert engines == {"pinned": "espeak", "supply": "edge"}
    assert not any("停水" in t for t in server.texts)


def test_voices_reports_edge_availability(run, standin, edge_env):
    edge_env.delenv("BROADCASTER_EDGE_URL", raising=False)
    r = run("voices", "--json")
    edge = next(e for e in json.loads(r.out)["engines"] if e["name"] == "edge")
    assert edge["available"] is False and "BROADCASTER_OFFLINE" in edge["reason"]
    standin()
    r = run("voices", "--json")
    assert next(e for e in json.loads(r.out)["engines"] if e["name"] == "edge")["available"] is True


@pytest.mark.slow
@pytest.mark.parametrize("concurrency", [1, 2, None])
def test_requests_overlap_but_stay_bounded(run, tmp_path, standin, concurrency):
    server = standin(delay=0.3)
    files = [notice(tmp_path, f"n{i}", f"第{i}号通知。请大家注意安全。") for i in range(6)]
    args = ["render", *files, "-o", tmp_path / "out", "--engine", "edge"]
    if concurrency:
        args += ["--concurrency", str(concurrency)]
    r = run(*args)
    assert r.code == 0, r.err
    assert server.max_parallel == (concurrency or 3)


@pytest.mark.slow
@pytest.mark.parametrize("fault", ["403", "429", "503", "stall", "drop", "no-audio", "unknown"])
def test_every_persistent_fault_exits_1_with_no_file(run, tmp_path, standin, edge_env, fault):
    edge_env.setenv("BROADCASTER_EDGE_RETRIES", "1")
    edge_env.setenv("BROADCASTER_EDGE_TIMEOUT", "1")
    server = standin(fault=fault)
    out = tmp_path / "out"
    r = run("render", notice(tmp_path, "water", WATER), "-o", out, "--engine", "edge")
    assert r.code == 1 and server.requests >= 1
    assert r.err.startswith("error: ") and "water.yaml" in r.err and "Traceback" not in r.err
    assert not out.exists() or list(out.iterdir()) == []
