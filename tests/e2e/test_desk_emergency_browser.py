"""The emergency button in a real browser: a real `broadcaster serve` and a real `broadcaster run` share one
as-run log; the button appears, asks before it sends, is off while its request is on the way (more presses
send nothing), and the player logs the one emergency play."""
from __future__ import annotations

import pytest

from tests.guards import needs_chromium, require_browser

require_browser()

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

from tests.e2e.browser import Shots  # noqa: E402
from tests.e2e.onair import DEADLINE, NOTICE, _rows, _until, start_player, stop  # noqa: E402

pytestmark = [pytest.mark.slow, needs_chromium]


def test_the_emergency_button_in_a_browser_reaches_the_player(desk, browser, tmp_path):
    url, _folder = desk
    log, out = tmp_path / "asrun.sqlite", tmp_path / "onair"  # the log the desk fixture serves
    shot = Shots(browser, tmp_path / "screenshots")
    browser.get(url + "/schedule")
    assert not browser.find_elements(By.ID, "emergency")  # no player: no button
    daemon = start_player(tmp_path, log, out)
    try:
        def button(d):
            d.refresh()
            return d.find_elements(By.ID, "emergency")
        WebDriverWait(browser, DEADLINE, poll_frequency=1).until(button)
        Select(browser.find_element(By.ID, "emergency-file")).select_by_value(NOTICE)
        shot("emergency-button")
        pressed = browser.find_element(By.ID, "emergency")
        status = browser.find_element(By.ID, "emergency-status")
        pressed.click()
        asked = browser.switch_to.alert  # it asks first, naming the notice; Cancel sends nothing
        assert "物资车到达" in asked.text and "所有喇叭" in asked.text, asked.text
        asked.dismiss()
        assert status.text == "" and not pressed.get_property("disabled")
        pressed.click()
        browser.switch_to.alert.accept()
        # on its way: the button is off, so pressing again (three more times, quickly) sends nothing
        assert pressed.get_property("disabled") and status.text == "正在交给播放器……"
        shot("emergency-sending")
        for _ in range(3):
            pressed.click()
        assert not EC.alert_is_present()(browser)
        WebDriverWait(browser, DEADLINE).until(lambda d: "大喇叭" in status.text)  # the channel by its name
        assert not pressed.get_property("disabled")  # the answer is in: the next emergency can be sent
        shot("emergency-answered")
        _until(lambda: _rows(log, "SELECT id FROM onair WHERE notice = 'truck-arrival'"), "the play on air")
    finally:
        stop(daemon)
    assert len(_rows(log, "SELECT id FROM requests")) == 1  # one press that was confirmed, one request
    rows = _rows(log, "SELECT * FROM asrun WHERE notice = 'truck-arrival' AND status IN ('played', 'interrupted')")
    assert len(rows) == 1 and rows[0]["priority"] == "emergency", _rows(log, "SELECT * FROM asrun")
