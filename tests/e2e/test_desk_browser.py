"""The desk in a real browser (Debian's chromium and chromium-driver, driven by Selenium): write a notice
from a template, see a mistake at its field, fix it, save, render, play it, schedule it, see it on the
timeline. Screenshots go to the test's tmp folder and to out/screenshots/."""
from __future__ import annotations

import pytest

from tests.guards import needs_chromium, require_browser

require_browser()

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

from tests.e2e.browser import Shots  # noqa: E402

pytestmark = [pytest.mark.slow, needs_chromium]


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
