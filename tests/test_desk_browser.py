"""The desk in a real browser (Debian's chromium and chromium-driver, driven by Selenium): write a notice
from a template, see a mistake at its field, fix it, save, render, play it, schedule it, see it on the
timeline. Screenshots go to the test's tmp folder and to out/screenshots/."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("starlette")
webdriver = pytest.importorskip("selenium.webdriver")

from selenium.common.exceptions import WebDriverException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not (CHROMIUM and DRIVER), reason="Debian chromium and chromium-driver are not "
                                 "installed (scripts/test installs them)")]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def desk(tmp_path):
    """A real `broadcaster serve` on 127.0.0.1 over a copy of examples/ (espeak for speed)."""
    import httpx

    folder = tmp_path / "village"
    shutil.copytree(ROOT / "examples", folder)
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "broadcaster.cli", "serve", str(folder), "--port", str(port),
                             "--engine", "espeak", "--log", str(tmp_path / "asrun.sqlite")],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(url + "/write", timeout=5)
            break
        except httpx.TransportError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail("the desk did not start: " + (proc.stderr.read() if proc.stderr else ""))
            time.sleep(0.2)
    yield url, folder
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture
def browser(tmp_path):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--autoplay-policy=no-user-gesture-required", "--window-size=1400,1000",
                 f"--user-data-dir={tmp_path / 'chromium-profile'}", "--lang=zh-CN"):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"intl.accept_languages": "zh-CN,zh"})
    try:
        driver = webdriver.Chrome(service=webdriver.ChromeService(executable_path=DRIVER), options=options)
    except WebDriverException as exc:
        pytest.skip(f"chromium could not start here: {exc.msg}")
    yield driver
    driver.quit()


class Shots:
    def __init__(self, driver, folder: Path) -> None:
        self.driver, self.folder, self.n = driver, folder, 0
        self.keep = ROOT / "out" / "screenshots"
        folder.mkdir(parents=True, exist_ok=True)
        self.keep.mkdir(parents=True, exist_ok=True)

    def __call__(self, name: str) -> None:
        self.n += 1
        path = self.folder / f"{self.n:02d}-{name}.png"
        self.driver.save_screenshot(str(path))
        shutil.copy2(path, self.keep / path.name)


def test_write_check_save_render_play_schedule_in_a_browser(desk, browser, tmp_path):
    url, folder = desk
    shot = Shots(browser, tmp_path / "screenshots")
    wait = WebDriverWait(browser, 60)

    # Write: a template's variables as a form, in Chinese
    browser.get(url + "/write?template=nucleic-test")
    assert "写通知" in browser.page_source
    assert "村或社区名称" in browser.find_element(By.CSS_SELECTOR, "label[for=var-village]").text
    browser.find_element(By.ID, "f-name").send_keys("hesuan-round9")
    browser.find_element(By.ID, "f-title").send_keys("第九轮全员核酸检测通知")
    for name, value in (("village", "宏福苑社区"), ("date", "10月28日"), ("start", "25:00"), ("end", "11:30"),
                        ("place", "北门广场")):
        browser.find_element(By.ID, f"var-{name}").send_keys(value)
    error = browser.find_element(By.CSS_SELECTOR, '.err[data-for="vars.start"]')
    wait.until(lambda d: "25:00" in error.text)
    assert "bad" in error.find_element(By.XPATH, "..").get_attribute("class")
    shot("mistake-at-field")

    # fix it: the spoken text appears, the mistake goes
    start = browser.find_element(By.ID, "var-start")
    start.clear()
    start.send_keys("8:00")
    wait.until(lambda d: "八点到十一点半" in d.find_element(By.ID, "spoken").text)
    assert error.text == ""
    shot("spoken-text")
    browser.find_element(By.ID, "save").click()
    wait.until(lambda d: d.find_element(By.ID, "save-status").text == "已保存。")
    saved = folder / "notices" / "hesuan-round9.yaml"
    assert 'start: "8:00"' in saved.read_text(encoding="utf-8")
    shot("saved")

    # Hear: render in the background, then play it
    browser.find_element(By.ID, "hear-link").click()
    wait.until(EC.presence_of_element_located((By.ID, "render-form")))
    Select(browser.find_element(By.ID, "r-engine")).select_by_value("espeak")
    browser.find_element(By.ID, "render").click()
    WebDriverWait(browser, 300).until(lambda d: d.find_element(By.ID, "result").is_displayed())
    assert "八点到十一点半" in browser.find_element(By.ID, "transcript").text
    player = browser.find_element(By.ID, "player")
    wait.until(lambda d: d.execute_script("return arguments[0].readyState >= 1", player))
    duration = browser.execute_script("return arguments[0].duration", player)
    assert duration > 5
    browser.execute_script("arguments[0].muted = true; arguments[0].play();", player)
    wait.until(lambda d: d.execute_script("return arguments[0].currentTime", player) > 0.5)
    shot("playing")
    # the job survives a reload: its id is in the address
    browser.refresh()
    WebDriverWait(browser, 60).until(lambda d: d.find_element(By.ID, "result").is_displayed())

    # Schedule: add it to the village's schedule (the folder holds the truck's too), see it on the timeline
    browser.get(url + "/schedule?file=schedules/village.yaml")
    Select(browser.find_element(By.ID, "a-notice")).select_by_value("notices/hesuan-round9.yaml")
    for field, value in (("a-dates", "2021-10-28"), ("a-times", "07:30")):
        box = browser.find_element(By.ID, field)
        box.clear()
        box.send_keys(value)
    browser.find_element(By.ID, "add").click()
    WebDriverWait(browser, 300).until(
        lambda d: "第九轮全员核酸检测通知" in d.find_element(By.ID, "timeline").get_attribute("innerHTML"))
    assert "hesuan-round9.yaml" in (folder / "schedules" / "village.yaml").read_text(encoding="utf-8")
    browser.execute_script("arguments[0].scrollIntoView()", browser.find_element(By.ID, "timeline"))
    shot("timeline")
