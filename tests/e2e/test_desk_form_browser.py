"""The desk as a form in a real browser (Debian's chromium and chromium-driver, driven by Selenium), in
Chinese, on a desktop (1400×1000) and on a phone (390×844, Chromium's mobile emulation): nothing red when
a form opens, a mistake at its field in form words once the field is left, the file name asked for in
our words, the list after a save, the schedule's days and times as notices write them with the
quiet-hours warning while typing, the timeline's titles, legend and current time, the engine note on
the Hear page, and every page without sideways scrolling and with big enough tap targets.
Screenshots go to the test's tmp folder and to out/screenshots/ (form-desktop-…, form-phone-…)."""
from __future__ import annotations

import re
import shutil
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

pytest.importorskip("starlette")
webdriver = pytest.importorskip("selenium.webdriver")

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

from tests.e2e.browser import Shots, chromium, serve, stop  # noqa: E402
from tests.guards import CHROMIUM, DRIVER  # noqa: E402
from tests.helpers import ROOT  # noqa: E402
SIZES = ("desktop", "phone")

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not (CHROMIUM and DRIVER), reason="Debian chromium and chromium-driver are not "
                                 "installed (scripts/test installs them)")]


@pytest.fixture
def desk(tmp_path):
    """A real `broadcaster serve` in Chinese over a copy of examples/."""
    folder = tmp_path / "village"
    shutil.copytree(ROOT / "examples", folder)
    url, proc = serve(folder, tmp_path, env={"BROADCASTER_LANG": "zh_CN"})
    yield url, folder
    stop(proc)


@pytest.fixture(params=SIZES)
def browser(request, tmp_path):
    """Chromium in Chinese, as a desktop window or as a 390×844 phone (mobile emulation)."""
    driver = chromium(tmp_path, phone=request.param == "phone")
    driver.size_name = request.param
    yield driver
    driver.quit()


def _no_sideways_scrolling(driver) -> None:
    wide, seen = driver.execute_script(
        "return [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert wide <= seen, f"{driver.current_url}: the page is {wide} px wide on a {seen} px screen"


def _checks(driver, form_id: str) -> int:
    return int(driver.execute_script(f"return document.getElementById('{form_id}').dataset.checks || 0"))


def _answered(driver, form_id: str, after: int) -> None:
    """Wait until the form has shown an answer of the desk given after `after` answers."""
    WebDriverWait(driver, 30).until(lambda d: _checks(d, form_id) > after)


def _err(driver, field: str) -> str:
    return driver.find_element(By.CSS_SELECTOR, f'.err[data-for="{field}"]').text


def _type(driver, element_id: str, text: str) -> None:
    box = driver.find_element(By.ID, element_id)
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", box)
    box.clear()  # focuses it (and leaves the field before); an emulated tap first could eat the first keys
    box.send_keys(text)


def test_the_write_form_marks_only_what_was_left_wrong_in_form_words(desk, browser, tmp_path):
    url, folder = desk
    shot = Shots(browser, tmp_path / "shots", f"form-{browser.size_name}-write-")
    browser.get(url + "/write?template=nucleic-test")
    _answered(browser, "notice-form", 0)
    # a fresh form: nothing red, the spoken text waits for the form, the examples are the template's
    assert not browser.find_elements(By.CSS_SELECTOR, ".field.bad")
    assert all(e.text == "" for e in browser.find_elements(By.CSS_SELECTOR, ".err"))
    assert browser.find_element(By.ID, "spoken").text == "把上面各栏填好，这里就会显示喇叭里要念的话。"
    assert browser.find_element(By.ID, "var-place").get_attribute("placeholder") == "如 北门广场"
    assert browser.find_element(By.ID, "f-name").get_attribute("placeholder") == "如 停水通知"
    _no_sideways_scrolling(browser)
    shot("fresh", whole=True)

    # a wrong time: not marked while it is typed, marked in form words once the field is left
    for field, value in (("f-title", "第九轮全员核酸检测通知"), ("var-village", "宏福苑社区"), ("var-date", "10月28日"),
                         ("var-place", "北门广场")):
        _type(browser, field, value)
    n = _checks(browser, "notice-form")
    _type(browser, "var-start", "25:00")
    _answered(browser, "notice-form", n)
    assert _err(browser, "vars.start") == ""
    n = _checks(browser, "notice-form")
    _type(browser, "var-end", "11:30")
    _answered(browser, "notice-form", n)
    WebDriverWait(browser, 10).until(lambda d: _err(d, "vars.start"))  # once the answer for the whole form is in
    start = _err(browser, "vars.start")
    assert "25:00" in start and ".yaml" not in start and "draft" not in start and "`" not in start, start
    assert "bad" in browser.find_element(By.ID, "var-start").find_element(By.XPATH, "..").get_attribute("class")
    # a field emptied and left is asked for by its label; one never visited stays clean
    browser.find_element(By.ID, "var-place").clear()
    n = _checks(browser, "notice-form")
    _type(browser, "var-bring", "身份证")
    _answered(browser, "notice-form", n)
    WebDriverWait(browser, 10).until(lambda d: _err(d, "vars.place") == "请填写检测地点")
    assert _err(browser, "vars.round") == "" and _err(browser, "name") == ""
    _no_sideways_scrolling(browser)
    shot("mistakes-at-fields", whole=True)

    # saving without a name: our words at the name field (no browser bubble holds the form back)
    save = browser.find_element(By.ID, "save")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", save)
    save.click()
    WebDriverWait(browser, 10).until(lambda d: _err(d, "name") == "请给文件起个名字，比如 停水通知")
    assert browser.find_element(By.ID, "save-status").text == "请给文件起个名字，比如 停水通知"
    shot("no-name")

    # fixed and saved: the new notice is in the list beside the form at once
    _type(browser, "f-name", "hesuan-round9")
    _type(browser, "var-start", "8:00")
    _type(browser, "var-place", "北门广场")
    WebDriverWait(browser, 30).until(lambda d: "十一点半在北门广场" in d.find_element(By.ID, "spoken").text)
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", save)
    save.click()
    WebDriverWait(browser, 30).until(lambda d: d.find_element(By.ID, "save-status").text == "已保存。")
    assert (folder / "notices" / "hesuan-round9.yaml").is_file()
    links = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "#files a")]
    assert "第九轮全员核酸检测通知" in links
    assert not browser.find_elements(By.CSS_SELECTOR, ".field.bad")
    _no_sideways_scrolling(browser)
    shot("saved", whole=True)


def test_the_schedule_form_reads_notice_times_warns_about_quiet_hours_and_draws_the_day(desk, browser, tmp_path):
    url, folder = desk
    shot = Shots(browser, tmp_path / "shots", f"form-{browser.size_name}-schedule-")
    rel = f"schedules/{browser.size_name}.yaml"  # a new schedule: the default quiet hours 22:00-06:00
    browser.get(url + f"/schedule?file={rel}")
    Select(browser.find_element(By.ID, "a-notice")).select_by_value("notices/free-text.yaml")
    n = _checks(browser, "add-form")
    _type(browser, "a-dates", "今天")
    _answered(browser, "add-form", n)
    said = browser.find_element(By.CSS_SELECTOR, '[data-said="dates"]')
    # the answer for what was typed: an answer to the notice's choice (＝ 每天) may still arrive first
    WebDriverWait(browser, 10).until(lambda d: said.text.endswith("（今天）"))
    assert said.text.startswith("＝ ") and " 星期" in said.text, said.text
    # a time in quiet hours: warned about while it is typed, before the field is left
    n = _checks(browser, "add-form")
    _type(browser, "a-times", "晚上11点")
    _answered(browser, "add-form", n)
    warning = browser.find_element(By.CSS_SELECTOR, '[data-warn-for="times"]')
    WebDriverWait(browser, 10).until(lambda d: warning.text.startswith("23:00 在静音时段（22:00-06:00）里，不会播出"))
    WebDriverWait(browser, 10).until(lambda d: d.find_element(By.CSS_SELECTOR, '[data-said="times"]').text == "＝ 23:00")
    assert _err(browser, "times") == ""
    _no_sideways_scrolling(browser)
    shot("quiet-hours-warning")
    # a notice's way of writing an afternoon time: understood, no warning
    n = _checks(browser, "add-form")
    _type(browser, "a-times", "下午3点")
    _answered(browser, "add-form", n)
    WebDriverWait(browser, 10).until(lambda d: warning.text == "")
    WebDriverWait(browser, 10).until(lambda d: d.find_element(By.CSS_SELECTOR, '[data-said="times"]').text == "＝ 15:00")
    add = browser.find_element(By.ID, "add")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", add)
    add.click()
    WebDriverWait(browser, 300).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#timeline svg text.title"))
    assert "times: [\"15:00\"]" in (folder / rel).read_text(encoding="utf-8")
    titles = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#timeline svg text.title")]
    assert "15:00 物资车到达" in titles, titles
    legend = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#timeline svg .legend-item text")]
    assert legend[:3] == ["紧急", "加急", "普通"] and re.fullmatch(r"[\u4e00-\u9fff]+", legend[3]), legend
    assert "静音时段" in legend and "现在" in legend
    day = browser.find_element(By.CSS_SELECTOR, "#timeline svg text.day").text
    assert day.endswith("（今天）") and "星期" in day
    assert browser.find_elements(By.CSS_SELECTOR, "#timeline svg .now line")
    _no_sideways_scrolling(browser)
    timeline = browser.find_element(By.ID, "timeline")
    browser.execute_script("arguments[0].scrollIntoView()", timeline)
    # the title is big enough to read on the screen as drawn (at least 10 px after shrinking the day)
    height = browser.execute_script(
        "return document.querySelector('#timeline svg text.title').getBoundingClientRect().height")
    assert height >= 10, height
    if browser.size_name == "phone":  # the day scrolls in its box: its name stays in sight above it
        caption = browser.find_element(By.CSS_SELECTOR, "#timeline .day-caption")
        assert caption.is_displayed() and caption.text == day
        if datetime.now(ZoneInfo("Asia/Shanghai")).hour < 15:  # the box starts at the next play, 15:00
            seen = browser.execute_script("""
                const box = document.querySelector('#timeline .day').getBoundingClientRect();
                const t = document.querySelector('#timeline svg text.title').getBoundingClientRect();
                return t.left >= box.left && t.left < box.right;""")
            assert seen
    shot("timeline")


# besides every page the menu links to: a form open, a report shown, a schedule drawn
MORE_PAGES = {"template": "/write?template=vaccination", "free": "/write?free=1",
              "jingle-report": "/jingles?file=jingles/qianjiang-337.yaml",
              "village-schedule": "/schedule?file=schedules/village.yaml", "asrun-rows": "/report?day=2021-10-27"}


def _log_rows(path: Path) -> None:
    """Two plays in the as-run log on 2021-10-27, one with a long reason."""
    from broadcaster.player.asrun import AsRunLog, Entry

    log = AsRunLog(path)
    fields = Entry.__dataclass_fields__
    for i, (title, status, reason) in enumerate([("第八轮全员核酸检测通知", "played", ""),
                                                 ("芙蓉里社区物资配送通知", "interrupted",
                                                  "被紧急插播的森林防火通知打断，之后在下一个空档重播了一遍")]):
        start = time.mktime((2021, 10, 27, 7, i, 0, 0, 0, -1))
        values = {"slot": f"s{i}", "channel": "village", "notice": f"n{i}", "title": title, "priority": "urgent",
                  "status": status, "planned": start, "actual_start": start, "actual_end": start + 60,
                  "reason": reason, "file": "x.mp3", "sink": "null", "sha256": "0" * 64}
        log.append(Entry(**{k: v for k, v in values.items() if k in fields}))


def test_every_page_fits_the_screen_with_big_enough_controls(desk, browser, tmp_path):
    url, _folder = desk
    _log_rows(tmp_path / "asrun.sqlite")
    shot = Shots(browser, tmp_path / "shots", f"form-{browser.size_name}-page-")
    browser.get(url + "/write")
    menu = browser.execute_script("return [...document.querySelectorAll('nav a')].map(a => a.getAttribute('href'))")
    assert len(menu) >= 6, menu
    pages = {href.strip("/"): href for href in menu} | MORE_PAGES
    for name, page in pages.items():
        browser.get(url + page)
        WebDriverWait(browser, 30).until(lambda d: d.execute_script("return document.readyState") == "complete")
        assert "广播工作台" in browser.find_element(By.TAG_NAME, "nav").text
        _no_sideways_scrolling(browser)
        small = browser.execute_script("""
            const out = [];
            for (const el of document.querySelectorAll(
                'nav a, button, select, input:not([type=hidden]), textarea, details summary, .files a')) {
              const r = el.getBoundingClientRect(), style = getComputedStyle(el);
              if (!r.width || style.visibility === 'hidden') continue;
              if (r.height < 40 || parseFloat(style.fontSize) < 16) out.push([el.id || el.name || el.textContent, r.height, style.fontSize]);
              if (r.right > document.documentElement.clientWidth + 1) out.push([el.id || el.name, 'sticks out', r.right]);
            }
            return out;""")
        assert not small, f"{page}: too small to tap or read, or cut off: {small}"
        shot(name, whole=True)
    # the Hear page: engines in plain words, the ones that cannot be used greyed out, why beside the list
    browser.get(url + "/hear")
    engine = browser.find_element(By.ID, "r-engine")
    options = [o.text for o in engine.find_elements(By.TAG_NAME, "option")]
    assert options[0] == "自动选择：用这台电脑上最好的" and all(len(o) <= 30 for o in options), options
    note = browser.find_element(By.ID, "r-engines-off")
    assert note.is_displayed() and "有的语音引擎现在在这台电脑上用不了" in note.text
    assert "离线模式" not in note.text  # the details wait for a tap on 为什么？
    note.find_element(By.TAG_NAME, "summary").click()
    WebDriverWait(browser, 10).until(lambda d: "离线模式" in d.find_element(By.ID, "r-engines-off").text)
    assert engine.size["width"] <= browser.execute_script("return document.documentElement.clientWidth")
    _no_sideways_scrolling(browser)
    shot("hear-engine-note")
