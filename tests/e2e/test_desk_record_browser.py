"""The desk's Record page in a real browser (Debian's chromium with a fake microphone fed from a WAV of
eSpeak speech, driven by Selenium against a real `broadcaster serve`): record a few seconds, hear the
cleaned, mastered program, keep it (the take in the folder, `recording:` in the notice), render it with
the CLI, schedule it on the desk's schedule page; send a phone's m4a through the file input; and on the
office LAN over http://, where browsers give no microphone, the page says so and the upload works.
Screenshots go to the test's tmp folder and to out/screenshots/."""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("starlette")
webdriver = pytest.importorskip("selenium.webdriver")

from tests.audiotools import FFMPEG, decode, loudness, probe  # noqa: E402
from tests.phone import espeak_speech, phone_recording, wav_bytes  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402
from tests.e2e.browser import Shots, chromium, serve, stop  # noqa: E402
from tests.guards import CHROMIUM, DRIVER  # noqa: E402
from tests.helpers import ROOT  # noqa: E402

from broadcaster.notice import load_notice  # noqa: E402

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not (CHROMIUM and DRIVER), reason="Debian chromium and chromium-driver are not "
                                 "installed (scripts/test installs them)")]

SPEECH = "各位村民请注意，明天上午八点到十二点停水，请大家提前储水。"
TARGET_LUFS = -16.0  # the loudspeaker profile's


@pytest.fixture(scope="module")
def speech_wav(tmp_path_factory) -> tuple[Path, float]:
    """The fake microphone's sound: eSpeak NG speaking, at 48 kHz (as a phone's microphone gives it), with
    half a second of quiet before and a long quiet after (so the take holds the speech once).
    Returns the file and the length of the speech in seconds."""
    folder = tmp_path_factory.mktemp("microphone")
    speech = espeak_speech(SPEECH)
    voiced = np.flatnonzero(np.abs(speech) > 0.01)
    speech = speech[voiced[0]:voiced[-1] + 1] * 0.5
    said = len(speech) / 22050
    quiet = np.zeros(int(0.5 * 22050), np.float32)
    samples = np.concatenate([quiet, speech, np.zeros(int(20 * 22050), np.float32)])
    path = folder / "speech-48k.wav"
    subprocess.run([FFMPEG, "-v", "error", "-y", "-f", "wav", "-i", "-", "-ar", "48000", "-ac", "1",
                    "-c:a", "pcm_s16le", str(path)], input=wav_bytes(samples), check=True)
    assert probe(path).sample_rate == 48000
    return path, said


@pytest.fixture
def folder(tmp_path):
    folder = tmp_path / "village"
    shutil.copytree(ROOT / "examples", folder)
    return folder


@pytest.fixture
def desk(folder, tmp_path):
    url, proc = serve(folder, tmp_path)
    yield url, folder
    stop(proc)


PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True}  # a common phone's screen


def as_phone(driver) -> None:
    """Show pages as a phone does (Chromium's own window cannot be made that narrow)."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)


def _chromium(tmp_path: Path, microphone: Path | None):
    # a fake microphone that plays the WAV once (then quiet), and the permission prompt answered yes
    flags = () if microphone is None else ("--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                                           f"--use-file-for-fake-audio-capture={microphone}%noloop")
    return chromium(tmp_path, *flags)


@pytest.fixture
def browser(tmp_path, speech_wav):
    driver = _chromium(tmp_path, speech_wav[0])
    yield driver
    driver.quit()


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", "broadcaster.cli", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600)


def _fetch(url: str) -> bytes:
    import httpx

    got = httpx.get(url, timeout=60)
    assert got.status_code == 200, got.text
    return got.content


def _into_view(driver, element_id: str) -> None:
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", driver.find_element(By.ID, element_id))


def _shown_take(driver, wait) -> dict:
    """Wait for the take to be heard, then what the page shows of it and its audio element's facts."""
    wait.until(lambda d: d.find_element(By.ID, "take").is_displayed())
    player = driver.find_element(By.ID, "take-player")
    wait.until(lambda d: d.execute_script("return arguments[0].readyState >= 1", player))
    return {"src": player.get_attribute("src"), "duration": driver.execute_script("return arguments[0].duration",
                                                                                   player),
            "info": driver.find_element(By.ID, "take-info").text}


def test_record_hear_keep_render_and_schedule_in_chromium(desk, browser, tmp_path, speech_wav):
    url, folder = desk
    _wav, said = speech_wav
    shot = Shots(browser, tmp_path / "screenshots")
    wait = WebDriverWait(browser, 120)
    notice = folder / "notices" / "supplies.yaml"
    before = notice.read_text(encoding="utf-8")
    name = f"录音/{load_notice(notice).id}.webm"  # takes are kept under the notice's id

    # the write page leads to the record page for its notice
    browser.get(url + "/write?file=notices/supplies.yaml")
    browser.find_element(By.ID, "record-link").click()
    wait.until(lambda d: d.find_elements(By.ID, "recorder"))
    box = browser.find_element(By.ID, "recorder")
    assert browser.execute_script("return window.isSecureContext") is True  # 127.0.0.1 is a secure page
    where = browser.find_element(By.ID, "rec-where").text
    assert box.get_attribute("data-mic") == "yes" and "可以直接用麦克风录" in where, where
    assert "物资配送车今天下午3点" in browser.find_element(By.ID, "rec-words").text  # what to read out
    shot("record-page")

    # record: the fake microphone speaks; stop once the speech is over
    browser.find_element(By.ID, "rec-start").click()
    wait.until(lambda d: int(d.find_element(By.ID, "recorder").get_attribute("data-recorded") or 0) >= said + 2)
    assert "正在录音" in browser.find_element(By.ID, "rec-time").text
    _into_view(browser, "rec-mic")
    shot("record-recording")
    browser.find_element(By.ID, "rec-stop").click()

    # hear: the cleaned, mastered program plays in the page
    shown = _shown_take(browser, WebDriverWait(browser, 300))
    assert shown["duration"] > 2 * said, shown  # read twice (repeat: 2), with the chime and gaps
    player = browser.find_element(By.ID, "take-player")
    browser.execute_script("arguments[0].muted = true; arguments[0].play();", player)
    wait.until(lambda d: d.execute_script("return arguments[0].currentTime", player) > 0.5)
    _into_view(browser, "take")
    shot("record-take-heard")
    preview = tmp_path / "preview.mp3"
    preview.write_bytes(_fetch(shown["src"]))
    lufs, peak = loudness(preview)
    assert abs(lufs - TARGET_LUFS) <= 1.0 and peak <= -0.5, (lufs, peak)
    heard = len(decode(preview)) / 16000
    assert abs(heard - shown["duration"]) < 0.5, (heard, shown)
    assert not (folder / "notices" / "录音").exists()  # hearing wrote nothing into the folder
    assert notice.read_text(encoding="utf-8") == before

    # keep: the take in the folder, the notice says `recording:`
    browser.find_element(By.ID, "take-keep").click()
    wait.until(lambda d: "已保存" in d.find_element(By.ID, "keep-status").text)
    _into_view(browser, "take")
    shot("record-kept")
    assert name in browser.find_element(By.ID, "keep-status").text
    kept = folder / "notices" / name
    assert kept.is_file()
    # MediaRecorder's WebM has no duration in its header: decode it
    recorded = len(decode(kept)) / 16000
    assert probe(kept).codec == "opus" and recorded >= said, (probe(kept), recorded)
    kbps = kept.stat().st_size * 8 / recorded / 1000
    print(f"the browser's take: {recorded:.1f} s of Opus at {kbps:.0f} kbit/s")
    assert kbps < 80  # the page asks for 64 kbit/s: 15 minutes fit in the take's cap
    text = notice.read_text(encoding="utf-8")
    assert f"recording: {name}" in text and "物资配送车今天下午3点" in text, text
    assert _cli("check", "notices/supplies.yaml", cwd=folder).returncode == 0

    # render: the program holds the recording, twice
    done = _cli("render", "notices/supplies.yaml", "-o", str(tmp_path / "out"), "--engine", "espeak", cwd=folder)
    assert done.returncode == 0, done.stderr
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    [entry] = manifest["notices"]
    parts = [m for m in entry["made_of"] if m.get("recording") == name]
    assert parts and abs(parts[0]["seconds"] - said) < 1.5, (parts, said)
    program = len(decode(tmp_path / "out" / entry["file"])) / 16000
    assert program > 2 * parts[0]["seconds"], (program, parts)

    # schedule: added on the desk's schedule page for a day it is not planned yet, seen on that day's timeline
    browser.get(url + "/schedule?file=schedules/village.yaml")
    Select(browser.find_element(By.ID, "a-notice")).select_by_value("notices/supplies.yaml")
    for field, value in (("a-dates", "2021-10-30"), ("a-times", "07:30")):
        box = browser.find_element(By.ID, field)
        box.clear()
        box.send_keys(value)
    browser.find_element(By.ID, "add").click()
    day = (By.CSS_SELECTOR, '#timeline .day[data-day="2021-10-30"]')
    WebDriverWait(browser, 300).until(
        lambda d: "芙蓉里社区物资配送通知" in "".join(e.get_attribute("innerHTML") for e in d.find_elements(*day)))
    assert "notices/supplies.yaml" in (folder / "schedules" / "village.yaml").read_text(encoding="utf-8")
    browser.execute_script("arguments[0].scrollIntoView()", browser.find_element(*day))
    shot("record-scheduled")
    # and in the plan the player would run: at 07:30, as long as the program with the recording
    planned = _cli("plan", "schedules/village.yaml", "--from", "2021-10-30", "--engine", "espeak", "--json",
                   "--audio", str(tmp_path / "plan-audio"), cwd=folder)
    assert planned.returncode == 0, planned.stderr
    [play] = [p for p in json.loads(planned.stdout)["plays"] if p["notice"] == load_notice(notice).id]
    assert play["start"] == "2021-10-30T07:30:00+08:00" and play["status"] == "planned", play
    aired = len(decode(play["file"])) / 16000
    assert abs(aired - program) < 0.5, (aired, program)


def test_a_phones_m4a_through_the_file_input_adds_a_part_and_a_bad_take_is_said_at_the_control(
        desk, browser, tmp_path):
    url, folder = desk
    shot = Shots(browser, tmp_path / "screenshots")
    wait = WebDriverWait(browser, 300)
    notice = folder / "recordings" / "fenduan.yaml"
    phone = phone_recording(tmp_path / "phone" / "喊话2.m4a", "m4a", "谢谢大家，请互相转告。")
    silent = tmp_path / "phone" / "silent.wav"
    subprocess.run([FFMPEG, "-v", "error", "-f", "lavfi", "-i", "anullsrc=r=44100:cl=mono", "-t", "4",
                    str(silent)], check=True)
    as_phone(browser)
    browser.get(url + "/record?file=recordings/fenduan.yaml")
    part = Select(browser.find_element(By.ID, "rec-part"))
    assert [o.text for o in part.options][-1] == "在最后加一段录音"
    part.select_by_value("1")  # the machine's part: what to read follows the choice
    assert "村委会通知" in browser.find_element(By.ID, "rec-words").text
    part.select_by_value("3")
    assert not browser.find_element(By.ID, "rec-read").is_displayed()  # a new part: nothing written to read

    # a silent file: the backend's one line, at the control, and nothing kept or shown to hear
    browser.find_element(By.ID, "rec-upload").send_keys(str(silent))
    error = browser.find_element(By.ID, "take-error")
    wait.until(lambda d: error.text)
    assert "没有声音" in error.text and "fenduan.yaml:" not in error.text, error.text
    assert not browser.find_element(By.ID, "take").is_displayed()
    _into_view(browser, "take-error")
    shot("record-bad-take-phone")

    # the phone's m4a: heard as the program, then kept as a fourth part
    browser.find_element(By.ID, "rec-upload").send_keys(str(phone.path))
    shown = _shown_take(browser, wait)
    assert error.text == "" and shown["duration"] > phone.speech_end - phone.speech_start, shown
    _into_view(browser, "take")
    shot("record-upload-heard-phone")
    browser.find_element(By.ID, "take-keep").click()
    wait.until(lambda d: "已保存" in d.find_element(By.ID, "keep-status").text)
    shot("record-upload-kept-phone")
    kept = notice.parent / "录音" / "fenduan-4.m4a"
    assert kept.read_bytes() == phone.path.read_bytes()
    text = notice.read_text(encoding="utf-8")
    assert text.startswith("# 分段的通知") and text.rstrip().endswith("- recording: 录音/fenduan-4.m4a"), text
    assert [p.recording for p in load_notice(notice).parts][-1] == "录音/fenduan-4.m4a"


def _lan_address() -> str | None:
    """This computer's address on its network (no packet is sent), or None without one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))
        except OSError:
            return None
        address = s.getsockname()[0]
    return None if address.startswith("127.") else address


def test_over_the_lan_by_http_the_page_says_there_is_no_microphone_and_the_upload_works(folder, tmp_path,
                                                                                      speech_wav):
    address = _lan_address()
    if address is None:
        pytest.skip("this computer has no network address besides loopback")
    secret = tmp_path / "password.txt"
    secret.write_text("gengdi-2021\n", encoding="utf-8")
    url, proc = serve(folder, tmp_path, "--password-file", str(secret), host="0.0.0.0", address=address)
    driver = _chromium(tmp_path, speech_wav[0])
    try:
        as_phone(driver)  # a phone on the office LAN
        shot = Shots(driver, tmp_path / "screenshots")
        wait = WebDriverWait(driver, 300)
        driver.get(url + "/login")
        driver.find_element(By.ID, "password").send_keys("gengdi-2021")
        driver.find_element(By.ID, "login").click()
        wait.until(lambda d: "/write" in d.current_url)
        driver.get(url + "/record?file=recordings/tingshui.yaml")
        box = driver.find_element(By.ID, "recorder")
        assert driver.execute_script("return window.isSecureContext") is False
        assert driver.execute_script("return typeof navigator.mediaDevices") == "undefined"
        where = driver.find_element(By.ID, "rec-where").text
        assert box.get_attribute("data-mic") == "insecure" and "浏览器不让它用麦克风" in where, where
        assert not driver.find_element(By.ID, "rec-start").is_displayed()
        assert driver.find_element(By.ID, "rec-upload").get_attribute("capture") is not None
        assert driver.find_element(By.ID, "rec-upload").get_attribute("accept") == "audio/*"
        shot("record-lan-phone")
        phone = phone_recording(tmp_path / "phone" / "停水.m4a", "m4a")
        driver.find_element(By.ID, "rec-upload").send_keys(str(phone.path))
        _shown_take(driver, wait)
        driver.find_element(By.ID, "take-keep").click()
        wait.until(lambda d: "已保存" in d.find_element(By.ID, "keep-status").text)
        _into_view(driver, "take")
        shot("record-lan-kept-phone")
        notice = folder / "recordings" / "tingshui.yaml"
        assert load_notice(notice).recording == "录音/tingshui.m4a"
        assert (notice.parent / "录音" / "tingshui.m4a").read_bytes() == phone.path.read_bytes()
    finally:
        driver.quit()
        stop(proc)
