"""The edge engine through the real edge-tts client against our local stand-in server."""
from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest

from tests.edge_standin import refused_url
from broadcaster.engines.edge import ENGINE, PIECE_CHARS, REACH_TIMEOUT, split_pieces
from broadcaster.errors import BadInput, EngineUnavailable, SynthesisFailed
from broadcaster.speech.voices import VoiceProfile, get_profile

TEXT = "各位村民请注意。今天下午三点在村委会门口发放物资！请大家戴好口罩，排队领取。"
SENTENCES = ["各位村民请注意。", "今天下午三点在村委会门口发放物资！", "请大家戴好口罩，排队领取。"]


def voice() -> VoiceProfile:
    return get_profile("mandarin")


def assert_whole(clip, sentences=SENTENCES) -> None:
    """Every sentence's timing lies inside the audio, and the audio is speech."""
    assert clip.sample_rate == 24000 and clip.engine == "edge"
    assert [b.text for b in clip.boundaries] == sentences
    ends = [b.end for b in clip.boundaries]
    assert ends == sorted(ends)
    assert clip.duration >= ends[-1] - 0.05
    assert clip.duration < ends[-1] + 0.5  # and not padded with anything else
    pcm = np.frombuffer(clip.pcm, dtype=np.int16).astype(np.float32) / 32768
    assert 20 * np.log10(np.sqrt((pcm ** 2).mean()) + 1e-9) > -35


@pytest.mark.slow
def test_speaks_with_sentence_timings(standin):
    server = standin()
    clip = ENGINE.synthesize(TEXT, voice())
    assert_whole(clip)
    assert server.requests == 1 and server.texts == [TEXT]


@pytest.mark.slow
def test_long_chinese_is_split_at_sentence_ends(standin, edge_env):
    edge_env.setenv("BROADCASTER_EDGE_TIMEOUT", "30")  # the stand-in makes 30 sentences with one eSpeak
    server = standin()
    sentences = [f"第{i}条，请大家按时到北门广场排队做核酸检测，不要聚集。" for i in range(1, 31)]
    text = "".join(sentences)
    assert len(text) > 2 * PIECE_CHARS and "\n" not in text and " " not in text
    clip = ENGINE.synthesize(text, voice())
    assert server.requests == len(server.texts) >= 3
    assert all(len(t) <= PIECE_CHARS and t.endswith("。") for t in server.texts)
    assert "".join(sorted(server.texts, key=text.index)) == text
    assert_whole(clip, sentences)
    starts = [b.start for b in clip.boundaries]
    assert all(b > a for a, b in zip(starts, starts[1:]))  # pieces laid end to end, in order


def test_split_pieces_rules():
    text = "甲" * 350 + "，" + "乙" * 20 + "。丙。……。"
    pieces = split_pieces(text, limit=300)
    assert all(len(p) <= 300 for p in pieces)
    assert "".join(pieces) == text
    assert split_pieces("……") == [] and split_pieces("好。……") == ["好。……"]  # punctuation alone is never sent


@pytest.mark.slow
@pytest.mark.parametrize("fault,times,requests", [
    ("403", 1, 2),        # edge-tts fixes its clock from the Date header and retries itself
    ("429", 2, 3),
    ("503", 1, 2),
    ("stall", 1, 2),      # our deadline fires, the retry gets through
    ("drop", 1, 2),       # half the audio, no exception: caught by the timing check
    ("no-audio", 1, 2),
])
def test_transient_faults_are_retried_and_recovered(standin, fault, times, requests):
    server = standin(fault=fault, times=times)
    clip = ENGINE.synthesize(TEXT, voice())
    assert_whole(clip)
    assert server.requests == requests


@pytest.mark.slow
@pytest.mark.parametrize("fault,error,requests,message", [
    ("403", EngineUnavailable, 6, "HTTP 403"),   # 3 attempts, each retried once by edge-tts
    ("429", EngineUnavailable, 3, "HTTP 429"),
    ("503", EngineUnavailable, 3, "HTTP 503"),
    ("drop", SynthesisFailed, 3, "cut the audio short"),
    ("no-audio", SynthesisFailed, 3, "no audio"),
    ("unknown", SynthesisFailed, 1, "protocol may have changed"),  # permanent: never retried
])
def test_persistent_faults_fail_cleanly(standin, fault, error, requests, message):
    server = standin(fault=fault)
    with pytest.raises(error) as info:
        ENGINE.synthesize(TEXT, voice())
    assert message in str(info.value)
    assert server.requests == requests


def test_stall_past_the_deadline_fails_in_bounded_time(standin, edge_env):
    edge_env.setenv("BROADCASTER_EDGE_TIMEOUT", "1")
    edge_env.setenv("BROADCASTER_EDGE_RETRIES", "1")
    server = standin(fault="stall")
    t0 = time.monotonic()
    with pytest.raises(SynthesisFailed, match="within 1 s"):
        ENGINE.synthesize("各位村民请注意。", voice())
    assert time.monotonic() - t0 < 15  # two 1 s deadlines plus backoff (and a busy machine), not the stall's 30 s
    assert server.requests == 2


def test_connection_refused(edge_env):
    edge_env.setenv("BROADCASTER_EDGE_URL", refused_url())
    ok, why = ENGINE.available()
    assert not ok and "cannot reach 127.0.0.1" in why
    with pytest.raises(EngineUnavailable, match="cannot reach"):
        ENGINE.synthesize("各位村民请注意。", voice())


def test_unusable_service_is_skipped_afterwards(standin):
    standin(fault="503")
    assert ENGINE.available() == (True, "")
    with pytest.raises(EngineUnavailable):
        ENGINE.synthesize("各位村民请注意。", voice())
    ok, why = ENGINE.available()  # the next notice does not wait through the retries again
    assert not ok and "HTTP 503" in why


def test_offline_unless_an_endpoint_is_configured(edge_env):
    edge_env.delenv("BROADCASTER_EDGE_URL", raising=False)
    edge_env.setenv("BROADCASTER_OFFLINE", "1")
    t0 = time.monotonic()
    ok, why = ENGINE.available()
    assert not ok and "BROADCASTER_OFFLINE" in why and "BROADCASTER_EDGE_URL" in why
    assert time.monotonic() - t0 < 0.5


def test_unreachable_internet_is_decided_quickly(edge_env):
    # an address reserved for documentation (TEST-NET-1): nothing answers, nothing refuses
    edge_env.setenv("BROADCASTER_EDGE_URL", "wss://192.0.2.1/edge/v1?TrustedClientToken=x")
    t0 = time.monotonic()
    ok, why = ENGINE.available()
    assert not ok and "192.0.2.1" in why
    assert time.monotonic() - t0 < REACH_TIMEOUT + 2  # one short probe (room for a busy machine), not TCP's minutes
    t0 = time.monotonic()
    assert ENGINE.available() == (ok, why)  # remembered: later notices do not wait again
    assert time.monotonic() - t0 < REACH_TIMEOUT / 2


def test_bad_prosody_in_a_voice_profile_is_bad_input():
    profile = VoiceProfile(name="x", display="x", engines={"edge": {"voice": "zh-CN-YunxiNeural", "rate": "15%"}})
    with pytest.raises(BadInput, match="with a sign"):
        ENGINE.parameters(profile)


def test_bad_endpoint_setting_is_bad_input(edge_env):
    edge_env.setenv("BROADCASTER_EDGE_URL", "http://example.org/tts")
    with pytest.raises(BadInput, match="BROADCASTER_EDGE_URL"):
        ENGINE.available()


@pytest.mark.slow
def test_endpoint_from_the_config_file(edge_env, standin):
    server = standin()
    edge_env.delenv("BROADCASTER_EDGE_URL")
    config = Path(os.environ["XDG_CONFIG_HOME"]) / "broadcaster" / "config.yaml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(f"edge:\n  url: {server.url}\n  retries: 0\n", encoding="utf-8")
    assert ENGINE.available() == (True, "")
    ENGINE.synthesize("各位村民请注意。", voice())
    assert server.requests == 1
